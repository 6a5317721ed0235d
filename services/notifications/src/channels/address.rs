//! Which addresses a webhook may reach: only globally reachable unicast ones. Every block of
//! the IANA special-purpose registries (RFC 6890 and its updates) that is not globally
//! reachable is refused, and so is every IPv6 form that embeds an IPv4 address (mapped,
//! compatible, NAT64, 6to4, Teredo), since the IPv4 inside could be a private one reached
//! through a translator. IPv6 outside global unicast (`2000::/3`) is refused too. [`Targets`]
//! adds the scheme and the port: HTTPS on 443 or an allowed port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::WebhookSettings;

/// IPv4 blocks a webhook must not target, as (network, prefix length).
const FORBIDDEN_V4: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),       // "this network" (RFC 791)
    ([10, 0, 0, 0], 8),      // private (RFC 1918)
    ([100, 64, 0, 0], 10),   // shared address space, carrier-grade NAT (RFC 6598)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local
    ([172, 16, 0, 0], 12),   // private (RFC 1918)
    ([192, 0, 0, 0], 24),    // IETF protocol assignments: DS-Lite, NAT64 discovery... (RFC 6890)
    ([192, 0, 2, 0], 24),    // TEST-NET-1 (RFC 5737)
    ([192, 31, 196, 0], 24), // AS112-v4 (RFC 7535)
    ([192, 52, 193, 0], 24), // AMT (RFC 7450)
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast (RFC 7526)
    ([192, 168, 0, 0], 16),  // private (RFC 1918)
    ([192, 175, 48, 0], 24), // direct delegation AS112 (RFC 7534)
    ([198, 18, 0, 0], 15),   // benchmarking (RFC 2544)
    ([198, 51, 100, 0], 24), // TEST-NET-2 (RFC 5737)
    ([203, 0, 113, 0], 24),  // TEST-NET-3 (RFC 5737)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved for future use, broadcast included (RFC 1112)
];

/// IPv6 blocks inside global unicast (`2000::/3`) a webhook must not target.
const FORBIDDEN_V6: &[([u16; 8], u8)] = &[
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments, Teredo included (RFC 2928)
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation (RFC 3849)
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4, which embeds an IPv4 address (RFC 3056)
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
];

/// Whether a webhook must not target `ip`: anything not globally reachable (loopback,
/// private, link-local, shared, reserved, documentation, benchmarking, multicast...) and any
/// IPv6 address outside global unicast or embedding an IPv4 address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let ip = u32::from(ip);
    FORBIDDEN_V4
        .iter()
        .any(|(network, prefix)| within(ip, u32::from_be_bytes(*network), *prefix))
}

fn within(ip: u32, network: u32, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    ip & mask == network & mask
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    // Global unicast is 2000::/3; everything else (loopback, unspecified, IPv4-mapped and
    // -compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, discard-only
    // `100::/64`, SRv6 `5f00::/16`, unique-local, link-local, site-local, multicast) is not
    // a public endpoint.
    if bits >> 125 != 0b001 {
        return true;
    }
    FORBIDDEN_V6.iter().any(|(network, prefix)| {
        let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
        bits & mask == u128::from(Ipv6Addr::from(*network)) & mask
    })
}

/// Which endpoints webhooks may target: HTTPS on port 443 or an allowed port, on public
/// addresses; with `allow_private` (development and tests only) also `http://`, any port and
/// any address, the platform's own network included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub allow_private: bool,
    /// Ports allowed besides 443 (and 80 where `http://` is allowed).
    pub allowed_ports: Vec<u16>,
}

/// Why an endpoint URL is not one a webhook may target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not `https://` (or `http://` where allowed).
    Scheme,
    /// Neither 443 nor an allowed port.
    Port,
    /// An address that is not globally reachable.
    PrivateAddress,
}

impl Refusal {
    /// The rule broken, as a field error says it.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Scheme => "must be an https:// URL",
            Self::Port => "must use port 443 or one of notifications.webhooks.allowed_ports",
            Self::PrivateAddress => "must not resolve to a private address",
        }
    }

    /// The class of error a refused delivery records.
    pub fn code(self) -> &'static str {
        match self {
            Self::Scheme => "scheme_not_allowed",
            Self::Port => "port_not_allowed",
            Self::PrivateAddress => "private_address",
        }
    }
}

impl Targets {
    /// The targets the settings allow.
    pub fn from_settings(settings: &WebhookSettings) -> Self {
        Self {
            allow_private: settings.allow_private_targets,
            allowed_ports: settings.allowed_ports.clone(),
        }
    }

    /// Checks what the URL itself says: the scheme, the port, and a host written as an
    /// address (which no resolver sees). Names are checked when resolved.
    pub fn check(&self, url: &url::Url) -> Result<(), Refusal> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            _ => return Err(Refusal::Scheme),
        }
        if self.allow_private {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(0);
        if port != 443 && !self.allowed_ports.contains(&port) {
            return Err(Refusal::Port);
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        if literal.is_some_and(is_forbidden) {
            return Err(Refusal::PrivateAddress);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse()
            .unwrap_or_else(|_| panic!("{text} is not an address"))
    }

    #[test]
    fn every_special_purpose_ipv4_block_is_refused() {
        for refused in [
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.0.170",
            "192.0.2.10",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.1",
            "198.18.0.1",
            "198.19.255.254",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "250.1.2.3",
            "255.255.255.255",
        ] {
            assert!(is_forbidden(ip(refused)), "{refused} must be refused");
        }
    }

    #[test]
    fn ipv6_forms_embedding_an_ipv4_address_are_refused_whatever_it_embeds() {
        for refused in [
            "::ffff:10.0.0.1",
            "::ffff:193.51.24.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(is_forbidden(ip(refused)), "{refused} must be refused");
        }
    }

    #[test]
    fn special_purpose_and_non_global_ipv6_blocks_are_refused() {
        for refused in [
            "::",
            "::1",
            "100::1",
            "2001:2::1",
            "2001:10::1",
            "2001:db8::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(is_forbidden(ip(refused)), "{refused} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for public in [
            "193.51.24.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "198.20.0.1",
            "223.255.255.254",
            "2001:4860:4860::8888",
            "2a01:cb00::1",
            "2606:4700::1111",
        ] {
            assert!(!is_forbidden(ip(public)), "{public} must pass");
        }
    }

    fn check(targets: &Targets, url: &str) -> Result<(), Refusal> {
        targets.check(&url::Url::parse(url).unwrap())
    }

    #[test]
    fn in_production_only_https_on_443_or_an_allowed_port_to_a_public_address_passes() {
        let production = Targets::default();
        assert_eq!(check(&production, "https://193.51.24.1/hook"), Ok(()));
        assert_eq!(check(&production, "https://ecole.example.fr/hook"), Ok(()));
        assert_eq!(
            check(&production, "https://ecole.example.fr:443/hook"),
            Ok(())
        );
        for port in ["22", "25", "5432", "6379", "8443", "9092"] {
            assert_eq!(
                check(&production, &format!("https://193.51.24.1:{port}/hook")),
                Err(Refusal::Port),
                "{port}"
            );
        }
        assert_eq!(
            check(&production, "http://193.51.24.1/hook"),
            Err(Refusal::Scheme)
        );
        for literal in [
            "https://127.0.0.1/",
            "https://[::ffff:a00:1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[2002:a00:1::1]/",
            "https://198.18.0.1/",
            "https://240.0.0.1/",
            "https://192.0.0.8/",
        ] {
            assert_eq!(
                check(&production, literal),
                Err(Refusal::PrivateAddress),
                "{literal}"
            );
        }
        let with_8443 = Targets {
            allowed_ports: vec![8443],
            ..Targets::default()
        };
        assert_eq!(check(&with_8443, "https://193.51.24.1:8443/hook"), Ok(()));
        assert_eq!(
            check(&with_8443, "https://193.51.24.1:8080/hook"),
            Err(Refusal::Port)
        );
    }
}
