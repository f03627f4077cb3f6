//! The network grant: which addresses a guest may bind to or connect to,
//! and whether it may look names up. Empty by default: no network at all.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;

/// Which way a socket reaches the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// bind (and listen on) a local address.
    Bind,
    /// connect to, or send a datagram to, a remote address.
    Connect,
}

/// The transport of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
}

/// One allow rule: addresses within `network/prefix`, ports in `ports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub direction: Direction,
    pub network: IpAddr,
    pub prefix: u8,
    pub ports: RangeInclusive<u16>,
}

impl Rule {
    /// Parses `ADDR[/PREFIX][:PORT[-PORT]]`; IPv6 addresses in brackets
    /// when a port follows (`[::1]:80`). No port means every port.
    pub fn parse(direction: Direction, spec: &str) -> Result<Rule, String> {
        let bad = || format!("`{spec}` is not ADDR[/PREFIX][:PORT[-PORT]]");
        let (addr_part, port_part) = if let Some(rest) = spec.strip_prefix('[') {
            let (inside, after) = rest.split_once(']').ok_or_else(bad)?;
            (inside, after.strip_prefix(':'))
        } else if spec.matches(':').count() > 1 {
            (spec, None) // a bare IPv6 address or network
        } else {
            match spec.split_once(':') {
                Some((a, p)) => (a, Some(p)),
                None => (spec, None),
            }
        };
        let (ip, prefix) = match addr_part.split_once('/') {
            Some((ip, p)) => (ip, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (addr_part, None),
        };
        let network: IpAddr = ip.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        let ports = match port_part {
            None => 0..=u16::MAX,
            Some(p) => match p.split_once('-') {
                Some((a, b)) => a.parse().map_err(|_| bad())?..=b.parse().map_err(|_| bad())?,
                None => {
                    let n = p.parse().map_err(|_| bad())?;
                    n..=n
                }
            },
        };
        Ok(Rule {
            direction,
            network,
            prefix,
            ports,
        })
    }

    fn matches(&self, direction: Direction, addr: SocketAddr) -> bool {
        self.direction == direction
            && self.ports.contains(&addr.port())
            && in_network(addr.ip(), self.network, self.prefix)
    }
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => match a.to_ipv4_mapped() {
            Some(v4) => in_network(IpAddr::V4(v4), network, prefix),
            None => false,
        },
        _ => false,
    }
}

/// What a guest may do on the network.
#[derive(Clone, Debug, Default)]
pub struct NetworkPolicy {
    /// Everything, like wasmtime's `-S inherit-network`.
    pub inherit: bool,
    pub rules: Vec<Rule>,
    pub ip_name_lookup: bool,
    /// TCP and UDP can be switched off altogether (`-S tcp=n`, `-S udp=n`).
    pub tcp_disabled: bool,
    pub udp_disabled: bool,
}

impl NetworkPolicy {
    /// May a socket of `protocol` reach `addr` in `direction`?
    pub fn allows(&self, protocol: Protocol, direction: Direction, addr: SocketAddr) -> bool {
        let off = match protocol {
            Protocol::Tcp => self.tcp_disabled,
            Protocol::Udp => self.udp_disabled,
        };
        !off && (self.inherit || self.rules.iter().any(|r| r.matches(direction, addr)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_addresses_and_ports() {
        let r = Rule::parse(Direction::Connect, "127.0.0.0/8:8000-8100").unwrap();
        assert!(r.matches(Direction::Connect, "127.1.2.3:8080".parse().unwrap()));
        assert!(!r.matches(Direction::Connect, "127.1.2.3:9000".parse().unwrap()));
        assert!(!r.matches(Direction::Bind, "127.1.2.3:8080".parse().unwrap()));
        assert!(!r.matches(Direction::Connect, "10.0.0.1:8080".parse().unwrap()));
        let r = Rule::parse(Direction::Bind, "[::1]:0-65535").unwrap();
        assert!(r.matches(Direction::Bind, "[::1]:5".parse().unwrap()));
        let r = Rule::parse(Direction::Bind, "::/0").unwrap();
        assert!(r.matches(Direction::Bind, "[fe80::1]:5".parse().unwrap()));
        assert!(Rule::parse(Direction::Bind, "1.2.3.4/33").is_err());
        assert!(Rule::parse(Direction::Bind, "nope").is_err());
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let p = NetworkPolicy::default();
        assert!(!p.allows(
            Protocol::Tcp,
            Direction::Connect,
            "127.0.0.1:80".parse().unwrap()
        ));
        let p = NetworkPolicy {
            inherit: true,
            udp_disabled: true,
            ..Default::default()
        };
        assert!(p.allows(Protocol::Tcp, Direction::Bind, "0.0.0.0:0".parse().unwrap()));
        assert!(!p.allows(Protocol::Udp, Direction::Bind, "0.0.0.0:0".parse().unwrap()));
    }
}
