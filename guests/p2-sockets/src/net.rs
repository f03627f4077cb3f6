//! Addresses, bounded waits, and the small TCP steps every test repeats.

use crate::check::{check, eq, fail};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use wasip2::clocks::monotonic_clock;
use wasip2::io::poll::{self, Pollable};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};
use wasip2::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
    Network,
};
use wasip2::sockets::tcp::TcpSocket;
use wasip2::sockets::{tcp_create_socket, udp_create_socket};

/// How long any single wait may take.
pub const WAIT_MS: u64 = 5_000;

/// Short name of a family, for check names.
pub fn tag(fam: IpAddressFamily) -> &'static str {
    match fam {
        IpAddressFamily::Ipv4 => "4",
        IpAddressFamily::Ipv6 => "6",
    }
}

pub fn other(fam: IpAddressFamily) -> IpAddressFamily {
    match fam {
        IpAddressFamily::Ipv4 => IpAddressFamily::Ipv6,
        IpAddressFamily::Ipv6 => IpAddressFamily::Ipv4,
    }
}

/// A WASI socket address from a std one.
pub fn wasi(a: SocketAddr) -> IpSocketAddress {
    match a {
        SocketAddr::V4(a) => {
            let [x, y, z, w] = a.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: a.port(),
                address: (x, y, z, w),
            })
        }
        SocketAddr::V6(a) => {
            let s = a.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: a.port(),
                flow_info: a.flowinfo(),
                address: (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
                scope_id: a.scope_id(),
            })
        }
    }
}

/// A std socket address from a WASI one (std's is comparable and printable).
pub fn std_addr(a: &IpSocketAddress) -> SocketAddr {
    match *a {
        IpSocketAddress::Ipv4(a) => {
            let (x, y, z, w) = a.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(x, y, z, w), a.port))
        }
        IpSocketAddress::Ipv6(a) => {
            let (p0, p1, p2, p3, p4, p5, p6, p7) = a.address;
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(p0, p1, p2, p3, p4, p5, p6, p7),
                a.port,
                a.flow_info,
                a.scope_id,
            ))
        }
    }
}

pub fn std_ip(a: &IpAddress) -> IpAddr {
    match *a {
        IpAddress::Ipv4((x, y, z, w)) => IpAddr::V4(Ipv4Addr::new(x, y, z, w)),
        IpAddress::Ipv6((p0, p1, p2, p3, p4, p5, p6, p7)) => {
            IpAddr::V6(Ipv6Addr::new(p0, p1, p2, p3, p4, p5, p6, p7))
        }
    }
}

/// A result of addresses, comparable.
pub fn addr_result(r: Result<IpSocketAddress, ErrorCode>) -> Result<SocketAddr, ErrorCode> {
    r.map(|a| std_addr(&a))
}

pub fn loopback_ip(fam: IpAddressFamily) -> IpAddr {
    match fam {
        IpAddressFamily::Ipv4 => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddressFamily::Ipv6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

pub fn unspecified_ip(fam: IpAddressFamily) -> IpAddr {
    match fam {
        IpAddressFamily::Ipv4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddressFamily::Ipv6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

pub fn multicast_ip(fam: IpAddressFamily) -> IpAddr {
    match fam {
        IpAddressFamily::Ipv4 => IpAddr::V4(Ipv4Addr::new(224, 0, 0, 1)),
        IpAddressFamily::Ipv6 => IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
    }
}

/// The loopback address of `fam` with `port`, as std.
pub fn lo_std(fam: IpAddressFamily, port: u16) -> SocketAddr {
    SocketAddr::new(loopback_ip(fam), port)
}

/// The loopback address of `fam` with `port`.
pub fn lo(fam: IpAddressFamily, port: u16) -> IpSocketAddress {
    wasi(lo_std(fam, port))
}

pub fn at(ip: IpAddr, port: u16) -> IpSocketAddress {
    wasi(SocketAddr::new(ip, port))
}

/// `::ffff:127.0.0.1` with `port`.
pub fn v4_mapped(port: u16) -> IpSocketAddress {
    wasi(SocketAddr::new(
        IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        port,
    ))
}

pub fn now_ns() -> u64 {
    monotonic_clock::now()
}

/// A point in monotonic time `ms` from now.
pub struct Deadline(u64);

impl Deadline {
    pub fn in_ms(ms: u64) -> Deadline {
        Deadline(now_ns() + ms * 1_000_000)
    }
    pub fn left_ns(&self) -> u64 {
        self.0.saturating_sub(now_ns())
    }
    pub fn passed(&self) -> bool {
        self.left_ns() == 0
    }
}

/// Waits for `p` at most `ns` nanoseconds; true when `p` became ready.
pub fn wait_ns(p: &Pollable, ns: u64) -> bool {
    let timeout = monotonic_clock::subscribe_duration(ns);
    poll::poll(&[p, &timeout]).contains(&0)
}

/// Waits for `p` at most [`WAIT_MS`].
pub fn wait(p: &Pollable) -> bool {
    wait_ns(p, WAIT_MS * 1_000_000)
}

/// Does the host have an IPv6 loopback for TCP? Probed by binding `[::1]:0`;
/// `not-supported` (no AF_INET6) or `address-not-bindable` (no ::1) mean
/// no, printed as a note. Other errors fail.
pub fn ipv6_loopback() -> bool {
    let net = wasip2::sockets::instance_network::instance_network();
    let s = match tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv6) {
        Ok(s) => s,
        Err(ErrorCode::NotSupported) => {
            println!("note: no IPv6 on this host (create-tcp-socket(ipv6): not-supported); IPv6 checks skipped");
            return false;
        }
        Err(e) => {
            fail("ipv6 probe create-tcp-socket", "ok", format!("{e:?}"));
            return false;
        }
    };
    match s.start_bind(&net, lo(IpAddressFamily::Ipv6, 0)) {
        Ok(()) => true,
        Err(ErrorCode::AddressNotBindable) => {
            println!("note: no IPv6 loopback on this host (bind [::1]:0: address-not-bindable); IPv6 checks skipped");
            false
        }
        Err(e) => {
            fail(
                "ipv6 probe bind [::1]:0",
                "ok or address-not-bindable",
                format!("{e:?}"),
            );
            false
        }
    }
}

/// [`ipv6_loopback`] probed with a UDP socket (for runs without TCP).
pub fn ipv6_loopback_udp() -> bool {
    let net = wasip2::sockets::instance_network::instance_network();
    let s = match udp_create_socket::create_udp_socket(IpAddressFamily::Ipv6) {
        Ok(s) => s,
        Err(ErrorCode::NotSupported) => {
            println!("note: no IPv6 on this host (create-udp-socket(ipv6): not-supported); IPv6 checks skipped");
            return false;
        }
        Err(e) => {
            fail("ipv6 probe create-udp-socket", "ok", format!("{e:?}"));
            return false;
        }
    };
    match s.start_bind(&net, lo(IpAddressFamily::Ipv6, 0)) {
        Ok(()) => true,
        Err(ErrorCode::AddressNotBindable) => {
            println!("note: no IPv6 loopback on this host (bind [::1]:0: address-not-bindable); IPv6 checks skipped");
            false
        }
        Err(e) => {
            fail(
                "ipv6 probe udp bind [::1]:0",
                "ok or address-not-bindable",
                format!("{e:?}"),
            );
            false
        }
    }
}

/// Can sockets of `fam` be created at all (no grant needed)?
pub fn family_supported(fam: IpAddressFamily) -> bool {
    match udp_create_socket::create_udp_socket(fam) {
        Ok(_) => true,
        Err(ErrorCode::NotSupported) => {
            println!(
                "note: address family ipv{} not supported by the host; its checks skipped",
                tag(fam)
            );
            false
        }
        Err(e) => {
            fail(&format!("udp{} create", tag(fam)), "ok", format!("{e:?}"));
            false
        }
    }
}

/// A new TCP socket, or a failed check.
pub fn tcp_socket(name: &str, fam: IpAddressFamily) -> Option<TcpSocket> {
    match tcp_create_socket::create_tcp_socket(fam) {
        Ok(s) => Some(s),
        Err(e) => {
            fail(&format!("{name} create-tcp-socket"), "ok", format!("{e:?}"));
            None
        }
    }
}

/// start-bind + finish-bind.
pub fn bind(s: &TcpSocket, net: &Network, addr: IpSocketAddress) -> Result<(), ErrorCode> {
    s.start_bind(net, addr)?;
    s.finish_bind()
}

/// A TCP listener on loopback port 0 and its (non-zero port) address.
pub fn listener(
    name: &str,
    fam: IpAddressFamily,
    net: &Network,
) -> Option<(TcpSocket, SocketAddr)> {
    let l = tcp_socket(name, fam)?;
    if !eq(
        &format!("{name} listener bind"),
        Ok(()),
        bind(&l, net, lo(fam, 0)),
    ) {
        return None;
    }
    if !eq(
        &format!("{name} listener start-listen"),
        Ok(()),
        l.start_listen(),
    ) || !eq(
        &format!("{name} listener finish-listen"),
        Ok(()),
        l.finish_listen(),
    ) {
        return None;
    }
    match l.local_address() {
        Ok(a) => {
            let a = std_addr(&a);
            check(
                &format!("{name} listener local-address"),
                a.port() != 0 && a.ip() == loopback_ip(fam),
                format!("{}:non-zero", loopback_ip(fam)),
                a,
            );
            Some((l, a))
        }
        Err(e) => {
            fail(
                &format!("{name} listener local-address"),
                "ok",
                format!("{e:?}"),
            );
            None
        }
    }
}

/// start-connect, then poll the socket's pollable and finish-connect until
/// it stops saying would-block (at most [`WAIT_MS`]; still would-block
/// after that is returned as such).
pub fn connect(
    s: &TcpSocket,
    net: &Network,
    addr: IpSocketAddress,
) -> Result<(InputStream, OutputStream), ErrorCode> {
    s.start_connect(net, addr)?;
    let sub = s.subscribe();
    let deadline = Deadline::in_ms(WAIT_MS);
    loop {
        match s.finish_connect() {
            Err(ErrorCode::WouldBlock) if !deadline.passed() => {
                wait_ns(&sub, deadline.left_ns());
            }
            r => return r,
        }
    }
}

/// accept after waiting for the listener's pollable (bounded).
pub fn accept(l: &TcpSocket) -> Result<(TcpSocket, InputStream, OutputStream), ErrorCode> {
    let sub = l.subscribe();
    let deadline = Deadline::in_ms(WAIT_MS);
    loop {
        match l.accept() {
            Err(ErrorCode::WouldBlock) if !deadline.passed() => {
                wait_ns(&sub, deadline.left_ns());
            }
            r => return r,
        }
    }
}

/// The result of `accept` with the new socket and its streams dropped
/// (streams first: they are the socket's children).
pub fn accepted(
    r: Result<(TcpSocket, InputStream, OutputStream), ErrorCode>,
) -> Result<(), ErrorCode> {
    let (s, i, o) = r?;
    drop(i);
    drop(o);
    drop(s);
    Ok(())
}

pub fn stream_error(e: &StreamError) -> String {
    match e {
        StreamError::Closed => "closed".into(),
        StreamError::LastOperationFailed(err) => {
            format!("last-operation-failed({})", err.to_debug_string())
        }
    }
}

/// check-write + write + blocking-flush of a few bytes.
pub fn send_bytes(out: &OutputStream, data: &[u8]) -> Result<(), String> {
    let sub = out.subscribe();
    let deadline = Deadline::in_ms(WAIT_MS);
    loop {
        match out.check_write() {
            Ok(0) if !deadline.passed() => {
                wait_ns(&sub, deadline.left_ns());
            }
            Ok(0) => return Err("check-write 0 for 5 s".into()),
            Ok(n) if (n as usize) < data.len() => {
                return Err(format!("check-write permit {n} < {}", data.len()))
            }
            Ok(_) => break,
            Err(e) => return Err(format!("check-write {}", stream_error(&e))),
        }
    }
    out.write(data)
        .map_err(|e| format!("write {}", stream_error(&e)))?;
    out.blocking_flush()
        .map_err(|e| format!("blocking-flush {}", stream_error(&e)))
}

/// Reads exactly `n` bytes: poll (bounded), then blocking-read what is there.
pub fn read_exact(inp: &InputStream, n: usize) -> Result<Vec<u8>, String> {
    let sub = inp.subscribe();
    let deadline = Deadline::in_ms(WAIT_MS);
    let mut got = Vec::new();
    while got.len() < n {
        if !wait_ns(&sub, deadline.left_ns()) {
            return Err(format!("{} of {n} bytes within 5 s", got.len()));
        }
        match inp.blocking_read((n - got.len()) as u64) {
            Ok(v) => got.extend(v),
            Err(e) => return Err(format!("{} after {} bytes", stream_error(&e), got.len())),
        }
    }
    Ok(got)
}

/// Reads until the stream reports an error (bounded): `Ok(n)` when it ended
/// with `closed` after `n` more bytes, an error string otherwise.
pub fn read_to_closed(inp: &InputStream) -> Result<usize, String> {
    let sub = inp.subscribe();
    let deadline = Deadline::in_ms(WAIT_MS);
    let mut got = 0;
    loop {
        if !wait_ns(&sub, deadline.left_ns()) {
            return Err(format!("no end of stream within 5 s ({got} bytes read)"));
        }
        match inp.read(65536) {
            Ok(v) => got += v.len(),
            Err(StreamError::Closed) => return Ok(got),
            Err(e) => return Err(stream_error(&e)),
        }
    }
}
