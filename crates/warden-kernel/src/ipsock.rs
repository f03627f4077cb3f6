//! IP sockets as `wasi:sockets` sees them, WIT-neutral: the rules and host
//! calls shared by the WASI 0.2 and 0.3 layers (which keep only their state
//! machines, their async plumbing and the mapping to their error codes).
//!
//! Every function here fails with a kernel [`Errno`]; the address checks
//! fail with [`Errno::Inval`], the WIT's `invalid-argument`.

use crate::errno::{Errno, Result};
use crate::net::NetworkPolicy;
use crate::sys::{AsFd, OwnedFd};
use rustix::net::{sockopt, AddressFamily, SocketType};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The address family of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Ipv4,
    Ipv6,
}

/// Largest datagram received (and sent) over UDP.
pub const MAX_DATAGRAM: usize = 65_536;

/// A new non-blocking, close-on-exec host socket. IPv6 sockets are
/// single-stack (`IPV6_V6ONLY`): WASI sockets do not take IPv4 there.
pub fn new_socket(family: Family, stream: bool) -> Result<OwnedFd> {
    let af = match family {
        Family::Ipv4 => AddressFamily::INET,
        Family::Ipv6 => AddressFamily::INET6,
    };
    let kind = if stream {
        SocketType::STREAM
    } else {
        SocketType::DGRAM
    };
    let fd = crate::sys::new_socket(af, kind)?;
    if family == Family::Ipv6 {
        sockopt::set_ipv6_v6only(&fd, true)?;
    }
    Ok(fd)
}

/// An address of the socket's family (an IPv4-mapped IPv6 address is not).
pub fn check_family(family: Family, addr: &SocketAddr) -> Result<()> {
    match (family, addr) {
        (Family::Ipv4, SocketAddr::V4(_)) => Ok(()),
        (Family::Ipv6, SocketAddr::V6(a)) if a.ip().to_ipv4_mapped().is_none() => Ok(()),
        _ => Err(Errno::Inval),
    }
}

/// A local address to bind: of the family, and unicast (neither multicast
/// nor the IPv4 limited broadcast address; the WIT text: `invalid-argument`).
pub fn check_local(family: Family, addr: &SocketAddr) -> Result<()> {
    check_family(family, addr)?;
    let broadcast = matches!(addr.ip(), IpAddr::V4(v4) if v4.is_broadcast());
    if addr.ip().is_multicast() || broadcast {
        return Err(Errno::Inval);
    }
    Ok(())
}

/// A remote address to connect or send to: of the family, a unicast
/// address that is not unspecified, and a port that is not 0.
pub fn check_remote(family: Family, addr: &SocketAddr) -> Result<()> {
    check_family(family, addr)?;
    if addr.port() == 0 || addr.ip().is_unspecified() || addr.ip().is_multicast() {
        return Err(Errno::Inval);
    }
    if let IpAddr::V4(v4) = addr.ip() {
        if v4.is_broadcast() {
            return Err(Errno::Inval);
        }
    }
    Ok(())
}

/// The unspecified address of `family`, port 0: what an implicit bind
/// takes.
pub fn unspecified(family: Family) -> SocketAddr {
    match family {
        Family::Ipv4 => SocketAddr::from(([0, 0, 0, 0], 0)),
        Family::Ipv6 => SocketAddr::from(([0u16; 8], 0)),
    }
}

/// Binds `fd` to `addr`. A TCP socket takes `SO_REUSEADDR` first, as the
/// WIT asks and Wasmtime does: a port freed a moment ago (in TIME_WAIT) can
/// be bound again. Linux checks the flag on both sockets, the one in
/// TIME_WAIT included, so it is set whatever the port (an ephemeral port
/// bound now may be bound again by number later).
pub fn bind(fd: impl AsFd, addr: &SocketAddr, tcp: bool) -> Result<()> {
    if tcp {
        let _ = sockopt::set_socket_reuseaddr(&fd, true);
    }
    Ok(rustix::net::bind(fd, addr)?)
}

/// The socket's local address.
pub fn local_addr(fd: impl AsFd) -> Result<SocketAddr> {
    SocketAddr::try_from(rustix::net::getsockname(fd)?).map_err(|_| Errno::Afnosupport)
}

/// The socket's peer address (`notconn` when it has none).
pub fn peer_addr(fd: impl AsFd) -> Result<SocketAddr> {
    match rustix::net::getpeername(fd)? {
        Some(a) => SocketAddr::try_from(a).map_err(|_| Errno::Afnosupport),
        None => Err(Errno::Notconn),
    }
}

/// The pending error of a socket (`SO_ERROR`), cleared by reading it.
pub fn take_error(fd: impl AsFd) -> Result<()> {
    match sockopt::socket_error(fd) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) | Err(e) => Err(e.into()),
    }
}

/// Dissociates a UDP socket from its peer. Linux forgets a port that came
/// from binding port 0 when a UDP socket disconnects; WASI says only the
/// remote side changes, so the same local address is bound again.
pub fn udp_disconnect(fd: impl AsFd) -> Result<()> {
    let local = local_addr(&fd).ok();
    match rustix::net::connect_unspec(&fd) {
        Err(rustix::io::Errno::AFNOSUPPORT) | Ok(()) => {}
        Err(e) => return Err(e.into()),
    }
    let now = local_addr(&fd).ok();
    match (local, now) {
        (Some(local), Some(now)) if now.port() == 0 && local.port() != 0 => {
            Ok(rustix::net::bind(&fd, &local)?)
        }
        _ => Ok(()),
    }
}

/// `IP_TTL` or `IPV6_UNICAST_HOPS`.
pub fn hop_limit(fd: impl AsFd, family: Family) -> Result<u8> {
    Ok(match family {
        Family::Ipv4 => sockopt::ip_ttl(fd)?.min(255) as u8,
        Family::Ipv6 => sockopt::ipv6_unicast_hops(fd)?,
    })
}

/// Sets the hop limit; 0 is `inval`.
pub fn set_hop_limit(fd: impl AsFd, family: Family, value: u8) -> Result<()> {
    if value == 0 {
        return Err(Errno::Inval);
    }
    match family {
        Family::Ipv4 => sockopt::set_ip_ttl(fd, value.into())?,
        Family::Ipv6 => sockopt::set_ipv6_unicast_hops(fd, Some(value))?,
    }
    Ok(())
}

/// `SO_RCVBUF` (`recv`) or `SO_SNDBUF`, in the units the guest set it in:
/// Linux doubles the value given to `setsockopt` (room for its own
/// bookkeeping) and reports the doubled one, so it is halved here, as
/// Wasmtime does, and a size set reads back as set (within the host's
/// bounds).
pub fn buffer_size(fd: impl AsFd, recv: bool) -> Result<u64> {
    let reported = if recv {
        sockopt::socket_recv_buffer_size(fd)?
    } else {
        sockopt::socket_send_buffer_size(fd)?
    } as u64;
    Ok(if crate::sys::REPORTS_DOUBLED_BUFFER_SIZES {
        reported / 2
    } else {
        reported
    })
}

/// Sets a buffer size; 0 is `inval`, anything else is clamped.
pub fn set_buffer_size(fd: impl AsFd, value: u64, recv: bool) -> Result<()> {
    if value == 0 {
        return Err(Errno::Inval);
    }
    let v = usize::try_from(value)
        .unwrap_or(usize::MAX)
        .min(i32::MAX as usize / 2);
    if recv {
        sockopt::set_socket_recv_buffer_size(fd, v)?
    } else {
        sockopt::set_socket_send_buffer_size(fd, v)?
    }
    Ok(())
}

/// A TCP keep-alive setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepAlive {
    /// `SO_KEEPALIVE` (0 or 1).
    Enabled,
    /// `TCP_KEEPIDLE`, in nanoseconds.
    IdleTime,
    /// `TCP_KEEPINTVL`, in nanoseconds.
    Interval,
    /// `TCP_KEEPCNT`.
    Count,
}

/// Reads a keep-alive setting (times in nanoseconds).
pub fn keep_alive(fd: impl AsFd, which: KeepAlive) -> Result<u64> {
    Ok(match which {
        KeepAlive::Enabled => sockopt::socket_keepalive(fd)?.into(),
        KeepAlive::IdleTime => sockopt::tcp_keepidle(fd)?.as_nanos() as u64,
        KeepAlive::Interval => sockopt::tcp_keepintvl(fd)?.as_nanos() as u64,
        KeepAlive::Count => sockopt::tcp_keepcnt(fd)?.into(),
    })
}

/// Sets a keep-alive setting: 0 is `inval` except for `Enabled`; times
/// round up to whole seconds, the count is clamped to Linux's 127.
pub fn set_keep_alive(fd: impl AsFd, which: KeepAlive, value: u64) -> Result<()> {
    if value == 0 && which != KeepAlive::Enabled {
        return Err(Errno::Inval);
    }
    let seconds = || Duration::from_secs(value.div_ceil(1_000_000_000).min(i16::MAX as u64));
    match which {
        KeepAlive::Enabled => sockopt::set_socket_keepalive(fd, value != 0)?,
        KeepAlive::IdleTime => sockopt::set_tcp_keepidle(fd, seconds())?,
        KeepAlive::Interval => sockopt::set_tcp_keepintvl(fd, seconds())?,
        KeepAlive::Count => sockopt::set_tcp_keepcnt(fd, value.min(127) as u32)?,
    }
    Ok(())
}

/// Why a name lookup failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// Looking names up is not granted.
    Denied,
    /// Not a name or address.
    Invalid,
    /// The name has no address.
    Unresolvable,
}

/// What a lookup needs, after the checks of [`lookup_request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// An address literal: no lookup, no grant.
    Literal(IpAddr),
    /// A name for [`resolve`] (a blocking call).
    Name(String),
}

/// Checks a name to look up: an address literal (brackets allowed around
/// IPv6) needs nothing; a name needs the lookup grant.
pub fn lookup_request(
    policy: &NetworkPolicy,
    name: &str,
) -> std::result::Result<Lookup, LookupError> {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '\0' || c == '/') {
        return Err(LookupError::Invalid);
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(Lookup::Literal(ip));
    }
    if !policy.ip_name_lookup {
        return Err(LookupError::Denied);
    }
    Ok(Lookup::Name(name.to_owned()))
}

/// Resolves a name with the host resolver (blocks): its addresses in the
/// resolver's order, without duplicates, IPv4-mapped IPv6 addresses as
/// IPv4; never empty.
pub fn resolve(name: &str) -> std::result::Result<Vec<IpAddr>, LookupError> {
    use std::net::ToSocketAddrs;
    let found = (name, 0u16)
        .to_socket_addrs()
        .map_err(|_| LookupError::Unresolvable)?;
    let mut v: Vec<IpAddr> = Vec::new();
    for a in found {
        let ip = match a.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            ip => ip,
        };
        if !v.contains(&ip) {
            v.push(ip);
        }
    }
    if v.is_empty() {
        return Err(LookupError::Unresolvable);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_addresses() {
        let ok: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert!(check_remote(Family::Ipv4, &ok).is_ok());
        for bad in [
            "127.0.0.1:0",
            "0.0.0.0:80",
            "255.255.255.255:80",
            "224.0.0.1:80",
        ] {
            let a: SocketAddr = bad.parse().unwrap();
            assert_eq!(check_remote(Family::Ipv4, &a), Err(Errno::Inval), "{bad}");
        }
        assert_eq!(check_remote(Family::Ipv6, &ok), Err(Errno::Inval));
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:80".parse().unwrap();
        assert_eq!(check_local(Family::Ipv6, &mapped), Err(Errno::Inval));
    }

    #[test]
    fn lookups_need_the_grant_but_literals_do_not() {
        let none = NetworkPolicy::default();
        assert_eq!(
            lookup_request(&none, "[::1]"),
            Ok(Lookup::Literal("::1".parse().unwrap()))
        );
        assert_eq!(lookup_request(&none, "localhost"), Err(LookupError::Denied));
        assert_eq!(lookup_request(&none, "a b"), Err(LookupError::Invalid));
        let granted = NetworkPolicy {
            ip_name_lookup: true,
            ..Default::default()
        };
        assert_eq!(
            lookup_request(&granted, "localhost"),
            Ok(Lookup::Name("localhost".into()))
        );
    }
}
