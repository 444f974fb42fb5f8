//! Which addresses a receiver may be called at without `WEBHOOKS_ALLOW_PRIVATE`.

use std::net::{IpAddr, Ipv4Addr};

/// Whether a receiver at `address` may be called without `WEBHOOKS_ALLOW_PRIVATE`: not loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast, broadcast, documentation or otherwise reserved, in
/// IPv4 or IPv6. An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:0:0/96`, IPv4-translated
/// `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`) is public only if that
/// IPv4 address is; the local-use NAT64 prefix `64:ff9b:1::/48` never is.
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let octets = v6.octets();
            let v4_at = |at: usize| {
                let byte = |i: usize| octets.get(at + i).copied().unwrap_or(0);
                Ipv4Addr::new(byte(0), byte(1), byte(2), byte(3))
            };
            match segments {
                // IPv4-mapped and IPv4-translated.
                [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0xffff, 0, ..] => {
                    is_public_v4(v4_at(12))
                }
                // NAT64, well-known prefix; its local-use prefix is never public.
                [0x0064, 0xff9b, 0, 0, 0, 0, ..] => is_public_v4(v4_at(12)),
                [0x0064, 0xff9b, 0x0001, ..] => false,
                // 6to4: the relay's IPv4 address in bits 16 to 48.
                [0x2002, ..] => is_public_v4(v4_at(2)),
                // Teredo: the server's IPv4 address in bits 32 to 64, the client's inverted in the last 32.
                [0x2001, 0x0000, ..] => {
                    let client = v4_at(12).to_bits() ^ u32::MAX;
                    is_public_v4(v4_at(4)) && is_public_v4(Ipv4Addr::from_bits(client))
                }
                [first, ..] => {
                    !(v6.is_loopback()
                        || v6.is_unspecified()
                        || v6.is_multicast()
                        || (first & 0xfe00) == 0xfc00
                        || (first & 0xffc0) == 0xfe80
                        || (first & 0xffc0) == 0xfec0
                        || (first == 0x2001 && segments.get(1) == Some(&0x0db8))
                        || segments.iter().take(6).all(|segment| *segment == 0))
                }
            }
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            // 6to4 of 127.0.0.1 and 192.168.1.1; Teredo whose server or client is inside; NAT64 local use;
            // IPv4-translated loopback.
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001:0:a00:1::5db8:d822",
            "2001:0:5db8:d822::f5fe:fffe",
            "64:ff9b:1::a00:1",
            "64:ff9b:1::5db8:d822",
            "::ffff:0:7f00:1",
        ] {
            let address: IpAddr = private.parse().expect("an address");
            assert!(!is_public_address(address), "{private} is not public");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "2002:5db8:d822::1",
            "64:ff9b::5db8:d822",
            "::ffff:93.184.216.34",
            // Teredo with a public server (93.184.216.34) and a public client (1.1.1.1, inverted).
            "2001:0:5db8:d822::fefe:fefe",
        ] {
            let address: IpAddr = public.parse().expect("an address");
            assert!(is_public_address(address), "{public} is public");
        }
    }
}
