//! Who the client is, behind proxies: the TCP peer, unless it is one of `TRUSTED_PROXIES`, in which case the
//! `Forwarded` (or else `X-Forwarded-For`) chain is read from the right, past every trusted hop, to the
//! first address that is not one. A client cannot forge its way past a proxy it does not control.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// The client's address.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    let mut client = peer;
    for hop in chain.iter().rev() {
        client = *hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

/// The addresses a request passed through, leftmost (the original client) first: `Forwarded: for=` when
/// present, else `X-Forwarded-For`. Entries that are not addresses (`unknown`, obfuscated names) end the
/// chain there, so nothing left of them is believed.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(',').map(|part| part.trim().to_owned()))
            .collect()
    };
    let forwarded = values("forwarded");
    let entries: Vec<String> = if forwarded.is_empty() {
        values("x-forwarded-for")
    } else {
        forwarded
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for")
                        .then(|| value.trim_matches('"').to_owned())
                })
            })
            .collect()
    };
    let mut chain = Vec::new();
    for entry in entries.iter().rev() {
        match parse_hop(entry) {
            Some(ip) => chain.push(ip),
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

/// The key a client is limited under: its IPv4 address, or its IPv6 /64 (one subscriber's whole network).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::V6(Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let forged = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &forged, &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("a net")];
        let chain = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.5, 10.0.0.2")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &chain, &trusted),
            ip("203.0.113.5")
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=198.51.100.7;proto=https, for=\"[2001:db8::1]:443\"",
        )]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &forwarded, &trusted),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
