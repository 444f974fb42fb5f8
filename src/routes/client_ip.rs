//! Who the client is, behind proxies: the TCP peer, unless it is one of `TRUSTED_PROXIES`, in which case the
//! one header those proxies set (`FORWARDED_HEADER`: `X-Forwarded-For` by default, or `Forwarded`) is read
//! from the right, past every trusted hop, to the first address that is not one. The other header is
//! ignored: proxies append to theirs and pass a client's own copy of the other through untouched. IPv4
//! addresses in IPv6 form (`::ffff:a.b.c.d`, as a listener on `[::]` sees every IPv4 peer) are IPv4 here,
//! before any check, key, hash or log line.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::config::ForwardedHeader;

/// The client's address, in canonical form (an IPv4-mapped IPv6 address is its IPv4 address).
pub fn client_ip(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[IpNet],
    header: ForwardedHeader,
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain = forwarded_chain(headers, header);
    let mut client = peer;
    for hop in chain.iter().rev() {
        client = *hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

/// The addresses a request passed through, leftmost (the original client) first, as `header` lists them.
/// Entries that are not addresses (`unknown`, obfuscated names) end the chain there, so nothing left of them
/// is believed.
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(',').map(|part| part.trim().to_owned()))
            .collect()
    };
    let entries: Vec<String> = match header {
        ForwardedHeader::XForwardedFor => values("x-forwarded-for"),
        ForwardedHeader::Forwarded => values("forwarded")
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (key, value) = pair.trim().split_once('=')?;
                        key.trim()
                            .eq_ignore_ascii_case("for")
                            .then(|| value.trim().trim_matches('"').to_owned())
                    })
                    // An element without `for=` names no address: the chain ends there.
                    .unwrap_or_default()
            })
            .collect(),
    };
    let mut chain = Vec::new();
    for entry in entries.iter().rev() {
        match parse_hop(entry) {
            Some(ip) => chain.push(ip.to_canonical()),
            None => break,
        }
    }
    chain.reverse();
    chain
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    entry.rsplit_once(':')?.0.parse().ok()
}

/// Who may name the client, and in which header: `TRUSTED_PROXIES` and `FORWARDED_HEADER`.
pub struct ClientAddresses {
    trusted_proxies: Vec<IpNet>,
    forwarded_header: ForwardedHeader,
}

impl ClientAddresses {
    pub fn new(trusted_proxies: Vec<IpNet>, forwarded_header: ForwardedHeader) -> Self {
        ClientAddresses {
            trusted_proxies,
            forwarded_header,
        }
    }

    /// The request's client: the TCP peer, or what a trusted proxy says it is.
    pub fn of(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip();
        Some(client_ip(
            peer,
            request.headers(),
            &self.trusted_proxies,
            self.forwarded_header,
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::service::rate_limits::limit_key;
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let forged = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &forged, &[], XFF),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("a net")];
        let chain = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.5, 10.0.0.2")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &chain, &trusted, XFF),
            ip("203.0.113.5")
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=198.51.100.7;proto=https, for=\"[2001:db8::1]:443\"",
        )]);
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                &forwarded,
                &trusted,
                ForwardedHeader::Forwarded
            ),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn a_client_cannot_name_itself_in_the_header_the_proxies_do_not_set() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("a net")];
        // nginx appended the real client to X-Forwarded-For and passed the client's Forwarded through.
        let sent = headers(&[
            ("forwarded", "for=192.0.2.66"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &sent, &trusted, XFF),
            ip("203.0.113.5")
        );
        // Behind proxies that set Forwarded, a forged X-Forwarded-For is ignored the same way.
        let sent = headers(&[
            ("forwarded", "for=203.0.113.5"),
            ("x-forwarded-for", "192.0.2.66"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &sent, &trusted, ForwardedHeader::Forwarded),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn ipv4_peers_in_ipv6_form_are_ipv4() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("a net")];
        let none = headers(&[]);
        assert_eq!(
            client_ip(ip("::ffff:198.51.100.7"), &none, &[], XFF),
            ip("198.51.100.7")
        );
        // A mapped proxy address is trusted by its IPv4 network, and a mapped hop is IPv4 too.
        let chain = headers(&[("x-forwarded-for", "::ffff:203.0.113.5")]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &chain, &trusted, XFF),
            ip("203.0.113.5")
        );
        // Two IPv4 clients never share a bucket, as they did when keyed by the /64 of their mapped form.
        assert_ne!(
            limit_key(client_ip(ip("::ffff:198.51.100.7"), &none, &[], XFF)),
            limit_key(client_ip(ip("::ffff:198.51.100.8"), &none, &[], XFF))
        );
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
