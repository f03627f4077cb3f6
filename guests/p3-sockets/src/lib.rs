//! wasi:sockets@0.3.2 over loopback (WASI 0.3), through the `wasip3`
//! bindings: `p3-sockets MODE`.
//!
//! Modes — one per network grant the test runs it with:
//! - `full`  `-S inherit-network -S allow-ip-name-lookup`: TCP listen,
//!           accept, connect, echo both ways through the 0.3 streams, two
//!           receives on two connections progressing together, the WIT's
//!           state errors, connection refused, UDP send/receive/connect/
//!           disconnect, every option with its documented errors, looking
//!           `localhost` up. On 127.0.0.1 and on ::1 (skipped with a
//!           `note:` line when the host has no IPv6 loopback).
//! - `partial` `--allow-bind 127.0.0.1 --allow-connect 127.0.0.1:1-1023`:
//!           binding and listening on 127.0.0.1 work; connecting or sending
//!           to its ephemeral ports, other addresses and the implicit bind
//!           of `listen` are denied.
//! - `none`  no grant: sockets and options work; bind, listen (its
//!           implicit bind), connect, UDP send/connect and looking a name
//!           up fail with `permanent-resolver-failure` (as Wasmtime);
//!           address literals still resolve.
//!
//! Only loopback addresses are used, and every wait is raced against a
//! monotonic-clock timer, so nothing can hang.
//!
//! A failing check prints `FAIL <name>: expected X got Y` to stderr and the
//! run goes on; at the end `ok <count> checks` goes to stdout and `run`
//! returns `ok`, or `failed F of N checks` and `run` returns `err` (exit
//! status 1).

use std::cell::Cell;
use std::fmt::Debug;
use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::task::Poll;
use wasip3::clocks::monotonic_clock;
use wasip3::sockets::ip_name_lookup;
use wasip3::sockets::types::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
    TcpSocket, UdpSocket,
};
use wasip3::wit_bindgen::rt::async_support::{FutureReader, StreamReader, StreamResult};

wasip3::cli::command::export!(Sockets);

struct Sockets;

thread_local! {
    static CHECKS: Cell<u32> = const { Cell::new(0) };
    static FAILS: Cell<u32> = const { Cell::new(0) };
}

/// Records a check; prints the failure line when `ok` is false.
fn check(name: &str, ok: bool, expected: impl Debug, got: impl Debug) -> bool {
    CHECKS.with(|c| c.set(c.get() + 1));
    if !ok {
        FAILS.with(|c| c.set(c.get() + 1));
        eprintln!("FAIL {name}: expected {expected:?} got {got:?}");
    }
    ok
}

/// `got`'s outcome is `expected` (an error code, or `Ok(())`).
fn code<T: Debug>(name: &str, expected: Result<(), ErrorCode>, got: &Result<T, ErrorCode>) -> bool {
    let got = match got {
        Ok(_) => Ok(()),
        Err(e) => Err(e.clone()),
    };
    let (e, g) = (format!("{expected:?}"), format!("{got:?}"));
    check(name, e == g, e, g)
}

/// Must be `Ok`; the value, or `None` after recording the failure.
fn ok<T, E: Debug>(name: &str, r: Result<T, E>) -> Option<T> {
    match r {
        Ok(v) => {
            check(name, true, "ok", "ok");
            Some(v)
        }
        Err(e) => {
            check(name, false, "ok", format!("{e:?}"));
            None
        }
    }
}

const DENIED: Result<(), ErrorCode> = Err(ErrorCode::AccessDenied);
const INVALID_STATE: Result<(), ErrorCode> = Err(ErrorCode::InvalidState);
const INVALID_ARGUMENT: Result<(), ErrorCode> = Err(ErrorCode::InvalidArgument);

/// Every wait is bounded by this.
const TIMEOUT_NS: u64 = 10_000_000_000;

/// `f`, or `None` when it takes longer than `ns`.
async fn within<F: IntoFuture>(ns: u64, f: F) -> Option<F::Output> {
    let mut f = pin!(f.into_future());
    let mut timer = pin!(monotonic_clock::wait_for(ns));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = f.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// `f` bounded by [`TIMEOUT_NS`]; a timeout is a failed check `name`.
async fn bounded<F: IntoFuture>(name: &str, f: F) -> Option<F::Output> {
    let r = within(TIMEOUT_NS, f).await;
    if r.is_none() {
        check(name, false, "done in time", "timed out");
    }
    r
}

/// Runs three futures in one task, polling them in order each time, until
/// all are done.
async fn join3<A: Future, B: Future, C: Future>(
    a: A,
    b: B,
    c: C,
) -> (A::Output, B::Output, C::Output) {
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    let (mut ra, mut rb, mut rc) = (None, None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if rc.is_none() {
            if let Poll::Ready(v) = c.as_mut().poll(cx) {
                rc = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() && rc.is_some() {
            Poll::Ready((ra.take().unwrap(), rb.take().unwrap(), rc.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

fn loopback(fam: IpAddressFamily, port: u16) -> IpSocketAddress {
    match fam {
        IpAddressFamily::Ipv4 => IpSocketAddress::Ipv4(Ipv4SocketAddress {
            port,
            address: (127, 0, 0, 1),
        }),
        IpAddressFamily::Ipv6 => IpSocketAddress::Ipv6(Ipv6SocketAddress {
            port,
            flow_info: 0,
            address: (0, 0, 0, 0, 0, 0, 0, 1),
            scope_id: 0,
        }),
    }
}

fn unspecified(fam: IpAddressFamily, port: u16) -> IpSocketAddress {
    match fam {
        IpAddressFamily::Ipv4 => IpSocketAddress::Ipv4(Ipv4SocketAddress {
            port,
            address: (0, 0, 0, 0),
        }),
        IpAddressFamily::Ipv6 => IpSocketAddress::Ipv6(Ipv6SocketAddress {
            port,
            flow_info: 0,
            address: (0, 0, 0, 0, 0, 0, 0, 0),
            scope_id: 0,
        }),
    }
}

fn other_family(fam: IpAddressFamily) -> IpAddressFamily {
    match fam {
        IpAddressFamily::Ipv4 => IpAddressFamily::Ipv6,
        IpAddressFamily::Ipv6 => IpAddressFamily::Ipv4,
    }
}

fn port(a: &IpSocketAddress) -> u16 {
    match a {
        IpSocketAddress::Ipv4(a) => a.port,
        IpSocketAddress::Ipv6(a) => a.port,
    }
}

fn same(a: &IpSocketAddress, b: &IpSocketAddress) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// Sends `bytes` on a connected socket and closes the sending side;
/// returns the outcome future.
async fn send_all(sock: &TcpSocket, bytes: &[u8]) -> Option<FutureReader<Result<(), ErrorCode>>> {
    let (mut tx, rx) = wasip3::wit_stream::new::<u8>();
    let done = sock.send(rx);
    let rest = bounded("send write", tx.write_all(bytes.to_vec())).await?;
    check("send took everything", rest.is_empty(), 0, rest.len());
    drop(tx);
    Some(done)
}

/// Reads exactly `n` bytes (or until the end) from a receive stream.
async fn read_n(rx: &mut StreamReader<u8>, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < n {
        let (r, buf) = rx.read(Vec::with_capacity(n - got.len())).await;
        got.extend_from_slice(&buf);
        if matches!(r, StreamResult::Dropped) {
            break;
        }
    }
    got
}

async fn listener(
    fam: IpAddressFamily,
) -> Option<(TcpSocket, StreamReader<TcpSocket>, IpSocketAddress)> {
    let l = ok("tcp create", TcpSocket::create(fam))?;
    ok("tcp bind loopback", l.bind(loopback(fam, 0)))?;
    let accepts = ok("tcp listen", l.listen())?;
    check(
        "is listening",
        l.get_is_listening(),
        true,
        l.get_is_listening(),
    );
    let addr = ok("listener local address", l.get_local_address())?;
    check(
        "listener port chosen",
        port(&addr) != 0,
        "nonzero",
        port(&addr),
    );
    Some((l, accepts, addr))
}

async fn connect_one(
    fam: IpAddressFamily,
    accepts: &mut StreamReader<TcpSocket>,
    addr: &IpSocketAddress,
) -> Option<(TcpSocket, TcpSocket)> {
    let c = ok("tcp create client", TcpSocket::create(fam))?;
    let r = bounded("connect", c.connect(addr.clone())).await?;
    ok("connect", r)?;
    let s = bounded("accept", accepts.next()).await?;
    let Some(s) = s else {
        check("accept", false, "a socket", "end of stream");
        return None;
    };
    let cl = ok("client local address", c.get_local_address())?;
    let sr = ok("server remote address", s.get_remote_address())?;
    check(
        "accepted peer is the client",
        same(&cl, &sr),
        format!("{cl:?}"),
        format!("{sr:?}"),
    );
    let cr = ok("client remote address", c.get_remote_address())?;
    check(
        "client peer is the listener",
        same(&cr, addr),
        format!("{addr:?}"),
        format!("{cr:?}"),
    );
    check(
        "accepted family",
        format!("{:?}", s.get_address_family()) == format!("{fam:?}"),
        fam,
        s.get_address_family(),
    );
    Some((c, s))
}

/// Listen, accept, connect, echo both ways, end of stream both ways.
async fn tcp_echo(fam: IpAddressFamily) {
    let Some((l, mut accepts, addr)) = listener(fam).await else {
        return;
    };
    let Some((c, s)) = connect_one(fam, &mut accepts, &addr).await else {
        return;
    };

    // client -> server, then the client closes its sending side.
    let (mut srx, sdone) = s.receive();
    let Some(cdone) = send_all(&c, b"hello over wasi 0.3").await else {
        return;
    };
    let got = bounded("server read", read_n(&mut srx, 19))
        .await
        .unwrap_or_default();
    check(
        "server got the bytes",
        got == b"hello over wasi 0.3",
        "hello over wasi 0.3",
        String::from_utf8_lossy(&got),
    );
    if let Some(r) = bounded("client send future", cdone).await {
        code("client send outcome", Ok(()), &r);
    }
    // The FIN: the server's stream ends, its future is ok.
    let (res, rest) = bounded("server sees end", srx.read(Vec::with_capacity(16)))
        .await
        .unwrap_or((StreamResult::Cancelled, vec![]));
    check(
        "server stream ends",
        matches!(res, StreamResult::Dropped) && rest.is_empty(),
        "Dropped",
        format!("{res:?} {rest:?}"),
    );
    if let Some(r) = bounded("server receive future", sdone).await {
        code("server receive outcome", Ok(()), &r);
    }

    // server -> client.
    let (mut crx, cdone) = c.receive();
    let Some(sdone) = send_all(&s, b"and back").await else {
        return;
    };
    let got = bounded("client read", read_n(&mut crx, 8))
        .await
        .unwrap_or_default();
    check(
        "client got the bytes",
        got == b"and back",
        "and back",
        String::from_utf8_lossy(&got),
    );
    if let Some(r) = bounded("server send future", sdone).await {
        code("server send outcome", Ok(()), &r);
    }
    let rest = bounded("client sees end", crx.collect())
        .await
        .unwrap_or_default();
    check("client stream ends", rest.is_empty(), 0, rest.len());
    if let Some(r) = bounded("client receive future", cdone).await {
        code("client receive outcome", Ok(()), &r);
    }

    // receive and send only once per socket.
    let (mut again, fut) = c.receive();
    let rest = bounded("second receive stream", again.read(Vec::with_capacity(4))).await;
    check(
        "second receive stream is closed",
        matches!(rest, Some((StreamResult::Dropped, ref v)) if v.is_empty()),
        "Dropped",
        format!("{rest:?}"),
    );
    if let Some(r) = bounded("second receive future", fut).await {
        code("second receive", INVALID_STATE, &r);
    }
    let (_tx, rx) = wasip3::wit_stream::new::<u8>();
    if let Some(r) = bounded("second send future", c.send(rx)).await {
        code("second send", INVALID_STATE, &r);
    }

    // State errors.
    code(
        "bind when connected",
        INVALID_STATE,
        &c.bind(loopback(fam, 0)),
    );
    code(
        "listen when connected",
        INVALID_STATE,
        &c.listen().map(drop),
    );
    if let Some(r) = bounded("connect when connected", c.connect(addr.clone())).await {
        code("connect when connected", INVALID_STATE, &r);
    }
    code("listen twice", INVALID_STATE, &l.listen().map(drop));
    if let Some(r) = bounded("connect when listening", l.connect(addr.clone())).await {
        code("connect when listening", INVALID_STATE, &r);
    }
    code(
        "backlog when connected",
        INVALID_STATE,
        &c.set_listen_backlog_size(10),
    );
    code(
        "backlog when listening",
        Ok(()),
        &l.set_listen_backlog_size(10),
    );
    code(
        "bind when listening",
        INVALID_STATE,
        &l.bind(loopback(fam, 0)),
    );
    drop(accepts);
}

/// Two connections; the data for the second is written only once the
/// first receive has completed, and the guest waits on the second receive
/// first: with receives served one at a time this would deadlock.
async fn tcp_concurrent(fam: IpAddressFamily) {
    let Some((_l, mut accepts, addr)) = listener(fam).await else {
        return;
    };
    let Some((c1, s1)) = connect_one(fam, &mut accepts, &addr).await else {
        return;
    };
    let Some((c2, s2)) = connect_one(fam, &mut accepts, &addr).await else {
        return;
    };
    let (mut rx1, _f1) = c1.receive();
    let (mut rx2, _f2) = c2.receive();
    let (mut tx1, srx1) = wasip3::wit_stream::new::<u8>();
    let _d1 = s1.send(srx1);
    let (mut tx2, srx2) = wasip3::wit_stream::new::<u8>();
    let _d2 = s2.send(srx2);
    let order = std::cell::RefCell::new(Vec::new());
    let second = async {
        let got = read_n(&mut rx2, 3).await;
        order.borrow_mut().push("second");
        got
    };
    let first = async {
        let got = read_n(&mut rx1, 3).await;
        order.borrow_mut().push("first");
        // Only now the second connection gets its bytes.
        tx2.write_all(b"two".to_vec()).await;
        got
    };
    let start = async {
        // Both receives are waiting before anything is written.
        monotonic_clock::wait_for(20_000_000).await;
        tx1.write_all(b"one".to_vec()).await;
    };
    let r = within(TIMEOUT_NS, join3(second, first, start)).await;
    match r {
        None => {
            check(
                "concurrent receives",
                false,
                "both progress",
                "timed out (receives serialized?)",
            );
        }
        Some((two, one, ())) => {
            check(
                "first connection data",
                one == b"one",
                "one",
                String::from_utf8_lossy(&one),
            );
            check(
                "second connection data",
                two == b"two",
                "two",
                String::from_utf8_lossy(&two),
            );
            let order = order.borrow().clone();
            check(
                "receives completed in data order",
                order == ["first", "second"],
                "[first, second]",
                order,
            );
        }
    }
}

/// Connect errors: refused, bad addresses, and the closed state after a
/// failed connect.
async fn tcp_errors(fam: IpAddressFamily) {
    // A port nobody listens on: bind one, note it, close it.
    let probe = match TcpSocket::create(fam) {
        Ok(s) => s,
        Err(e) => {
            check("tcp create", false, "ok", e);
            return;
        }
    };
    if ok("bind probe", probe.bind(loopback(fam, 0))).is_none() {
        return;
    }
    let free = probe.get_local_address().map(|a| port(&a)).unwrap_or(1);
    drop(probe);
    let c = TcpSocket::create(fam).unwrap();
    if let Some(r) = bounded("connect refused", c.connect(loopback(fam, free))).await {
        code("connect refused", Err(ErrorCode::ConnectionRefused), &r);
    }
    if let Some(r) = bounded("connect after failure", c.connect(loopback(fam, free))).await {
        code("connect after failure (closed)", INVALID_STATE, &r);
    }
    let c = TcpSocket::create(fam).unwrap();
    if let Some(r) = bounded("connect port 0", c.connect(loopback(fam, 0))).await {
        code("connect port 0", INVALID_ARGUMENT, &r);
    }
    if let Some(r) = bounded("connect unspecified", c.connect(unspecified(fam, 80))).await {
        code("connect unspecified", INVALID_ARGUMENT, &r);
    }
    if let Some(r) = bounded(
        "connect other family",
        c.connect(loopback(other_family(fam), 80)),
    )
    .await
    {
        code("connect wrong family", INVALID_ARGUMENT, &r);
    }
    code(
        "bind wrong family",
        INVALID_ARGUMENT,
        &c.bind(loopback(other_family(fam), 0)),
    );
    code(
        "local address unbound",
        INVALID_STATE,
        &c.get_local_address(),
    );
    code(
        "remote address unconnected",
        INVALID_STATE,
        &c.get_remote_address(),
    );
    let (_tx, rx) = wasip3::wit_stream::new::<u8>();
    if let Some(r) = bounded("send unconnected", c.send(rx)).await {
        code("send unconnected", INVALID_STATE, &r);
    }
    let (_rx, fut) = c.receive();
    if let Some(r) = bounded("receive unconnected", fut).await {
        code("receive unconnected", INVALID_STATE, &r);
    }
    code("bind loopback", Ok(()), &c.bind(loopback(fam, 0)));
    code("bind twice", INVALID_STATE, &c.bind(loopback(fam, 0)));
    // listen with an implicit bind.
    let l = TcpSocket::create(fam).unwrap();
    if let Some(accepts) = ok("listen unbound (implicit bind)", l.listen()) {
        let a = l.get_local_address();
        check(
            "implicit bind chose a port",
            a.as_ref().is_ok_and(|a| port(a) != 0),
            "a port",
            format!("{a:?}"),
        );
        drop(accepts);
    }
}

fn tcp_options(fam: IpAddressFamily) {
    let Some(s) = ok("tcp create (options)", TcpSocket::create(fam)) else {
        return;
    };
    check(
        "tcp family",
        format!("{:?}", s.get_address_family()) == format!("{fam:?}"),
        fam,
        s.get_address_family(),
    );
    check(
        "not listening",
        !s.get_is_listening(),
        false,
        s.get_is_listening(),
    );
    code("keep-alive on", Ok(()), &s.set_keep_alive_enabled(true));
    let k = s.get_keep_alive_enabled();
    check(
        "keep-alive reads back",
        matches!(k, Ok(true)),
        "Ok(true)",
        format!("{k:?}"),
    );
    code(
        "keep-alive idle 0",
        INVALID_ARGUMENT,
        &s.set_keep_alive_idle_time(0),
    );
    code(
        "keep-alive idle 2s",
        Ok(()),
        &s.set_keep_alive_idle_time(2_000_000_000),
    );
    let v = s.get_keep_alive_idle_time();
    check(
        "keep-alive idle reads back",
        matches!(v, Ok(2_000_000_000)),
        "Ok(2s)",
        format!("{v:?}"),
    );
    code(
        "keep-alive interval 0",
        INVALID_ARGUMENT,
        &s.set_keep_alive_interval(0),
    );
    code(
        "keep-alive interval 1s",
        Ok(()),
        &s.set_keep_alive_interval(1_000_000_000),
    );
    code(
        "keep-alive interval get",
        Ok(()),
        &s.get_keep_alive_interval(),
    );
    code(
        "keep-alive count 0",
        INVALID_ARGUMENT,
        &s.set_keep_alive_count(0),
    );
    code("keep-alive count 5", Ok(()), &s.set_keep_alive_count(5));
    let v = s.get_keep_alive_count();
    check(
        "keep-alive count reads back",
        matches!(v, Ok(5)),
        "Ok(5)",
        format!("{v:?}"),
    );
    code("hop limit 0", INVALID_ARGUMENT, &s.set_hop_limit(0));
    code("hop limit 42", Ok(()), &s.set_hop_limit(42));
    let v = s.get_hop_limit();
    check(
        "hop limit reads back",
        matches!(v, Ok(42)),
        "Ok(42)",
        format!("{v:?}"),
    );
    code(
        "receive buffer 0",
        INVALID_ARGUMENT,
        &s.set_receive_buffer_size(0),
    );
    code(
        "receive buffer 64k",
        Ok(()),
        &s.set_receive_buffer_size(65536),
    );
    code("receive buffer get", Ok(()), &s.get_receive_buffer_size());
    code(
        "send buffer 0",
        INVALID_ARGUMENT,
        &s.set_send_buffer_size(0),
    );
    code("send buffer 64k", Ok(()), &s.set_send_buffer_size(65536));
    code("send buffer get", Ok(()), &s.get_send_buffer_size());
    code("backlog 0", INVALID_ARGUMENT, &s.set_listen_backlog_size(0));
    code("backlog 16", Ok(()), &s.set_listen_backlog_size(16));
}

fn udp_options(fam: IpAddressFamily) {
    let Some(s) = ok("udp create (options)", UdpSocket::create(fam)) else {
        return;
    };
    check(
        "udp family",
        format!("{:?}", s.get_address_family()) == format!("{fam:?}"),
        fam,
        s.get_address_family(),
    );
    code(
        "udp hop limit 0",
        INVALID_ARGUMENT,
        &s.set_unicast_hop_limit(0),
    );
    code("udp hop limit 7", Ok(()), &s.set_unicast_hop_limit(7));
    let v = s.get_unicast_hop_limit();
    check(
        "udp hop limit reads back",
        matches!(v, Ok(7)),
        "Ok(7)",
        format!("{v:?}"),
    );
    code(
        "udp receive buffer 0",
        INVALID_ARGUMENT,
        &s.set_receive_buffer_size(0),
    );
    code(
        "udp receive buffer 64k",
        Ok(()),
        &s.set_receive_buffer_size(65536),
    );
    code(
        "udp receive buffer get",
        Ok(()),
        &s.get_receive_buffer_size(),
    );
    code(
        "udp send buffer 0",
        INVALID_ARGUMENT,
        &s.set_send_buffer_size(0),
    );
    code(
        "udp send buffer 64k",
        Ok(()),
        &s.set_send_buffer_size(65536),
    );
    code("udp send buffer get", Ok(()), &s.get_send_buffer_size());
    code(
        "udp local address unbound",
        INVALID_STATE,
        &s.get_local_address(),
    );
    code(
        "udp remote address unconnected",
        INVALID_STATE,
        &s.get_remote_address(),
    );
    code("udp disconnect unconnected", INVALID_STATE, &s.disconnect());
}

async fn udp_session(fam: IpAddressFamily) {
    let (Some(a), Some(b)) = (
        ok("udp create a", UdpSocket::create(fam)),
        ok("udp create b", UdpSocket::create(fam)),
    ) else {
        return;
    };
    if let Some(r) = bounded("udp receive unbound", a.receive()).await {
        code("udp receive unbound", INVALID_STATE, &r);
    }
    code(
        "udp bind wrong family",
        INVALID_ARGUMENT,
        &a.bind(loopback(other_family(fam), 0)),
    );
    ok("udp bind a", a.bind(loopback(fam, 0)));
    ok("udp bind b", b.bind(loopback(fam, 0)));
    code("udp bind twice", INVALID_STATE, &a.bind(loopback(fam, 0)));
    let (Ok(aa), Ok(ba)) = (a.get_local_address(), b.get_local_address()) else {
        check("udp local addresses", false, "ok", "err");
        return;
    };
    // a -> b, unconnected.
    if let Some(r) = bounded(
        "udp send",
        a.send(b"datagram one".to_vec(), Some(ba.clone())),
    )
    .await
    {
        code("udp send to b", Ok(()), &r);
    }
    if let Some(r) = bounded("udp receive", b.receive()).await {
        if let Some((data, from)) = ok("udp receive on b", r) {
            check(
                "udp data",
                data == b"datagram one",
                "datagram one",
                String::from_utf8_lossy(&data),
            );
            check(
                "udp sender",
                same(&from, &aa),
                format!("{aa:?}"),
                format!("{from:?}"),
            );
        }
    }
    if let Some(r) = bounded("udp send no address", a.send(b"x".to_vec(), None)).await {
        code("udp send unconnected without address", INVALID_ARGUMENT, &r);
    }
    if let Some(r) = bounded(
        "udp send port 0",
        a.send(b"x".to_vec(), Some(loopback(fam, 0))),
    )
    .await
    {
        code("udp send to port 0", INVALID_ARGUMENT, &r);
    }
    if let Some(r) = bounded(
        "udp send wrong family",
        a.send(b"x".to_vec(), Some(loopback(other_family(fam), 9))),
    )
    .await
    {
        code("udp send wrong family", INVALID_ARGUMENT, &r);
    }
    // Connected: b -> a without an address; a mismatched address fails.
    code(
        "udp connect port 0",
        INVALID_ARGUMENT,
        &b.connect(loopback(fam, 0)),
    );
    ok("udp connect b to a", b.connect(aa.clone()));
    let r = b.get_remote_address();
    check(
        "udp remote address",
        r.as_ref().is_ok_and(|r| same(r, &aa)),
        format!("{aa:?}"),
        format!("{r:?}"),
    );
    check(
        "udp connect keeps the port",
        b.get_local_address().is_ok_and(|l| same(&l, &ba)),
        format!("{ba:?}"),
        format!("{:?}", b.get_local_address()),
    );
    if let Some(r) = bounded("udp send connected", b.send(b"datagram two".to_vec(), None)).await {
        code("udp send connected", Ok(()), &r);
    }
    if let Some(r) = bounded(
        "udp send other address",
        b.send(
            b"x".to_vec(),
            Some(loopback(fam, port(&aa).wrapping_add(1).max(1))),
        ),
    )
    .await
    {
        code(
            "udp send connected to another address",
            INVALID_ARGUMENT,
            &r,
        );
    }
    if let Some(r) = bounded("udp receive connected", a.receive()).await {
        if let Some((data, from)) = ok("udp receive on a", r) {
            check(
                "udp data two",
                data == b"datagram two",
                "datagram two",
                String::from_utf8_lossy(&data),
            );
            check(
                "udp sender b",
                same(&from, &ba),
                format!("{ba:?}"),
                format!("{from:?}"),
            );
        }
    }
    code("udp disconnect", Ok(()), &b.disconnect());
    code(
        "udp remote after disconnect",
        INVALID_STATE,
        &b.get_remote_address(),
    );
    check(
        "udp disconnect keeps the port",
        b.get_local_address().is_ok_and(|l| same(&l, &ba)),
        format!("{ba:?}"),
        format!("{:?}", b.get_local_address()),
    );
    code("udp disconnect twice", INVALID_STATE, &b.disconnect());
    // Two receives on two sockets at once: the second datagram is sent
    // only after the first arrived.
    let second = async { b.receive().await };
    let first = async {
        let r = a.receive().await;
        let _ = a.send(b"to b".to_vec(), Some(ba.clone())).await;
        r
    };
    let start = async {
        monotonic_clock::wait_for(20_000_000).await;
        let _ = b.send(b"to a".to_vec(), Some(aa.clone())).await;
    };
    match within(TIMEOUT_NS, join3(second, first, start)).await {
        None => {
            check(
                "udp concurrent receives",
                false,
                "both progress",
                "timed out",
            );
        }
        Some((rb, ra, ())) => {
            check(
                "udp concurrent a",
                ra.as_ref().is_ok_and(|(d, _)| d == b"to a"),
                "to a",
                format!("{ra:?}"),
            );
            check(
                "udp concurrent b",
                rb.as_ref().is_ok_and(|(d, _)| d == b"to b"),
                "to b",
                format!("{rb:?}"),
            );
        }
    }
    // An unbound socket's send binds it.
    let c = UdpSocket::create(fam).unwrap();
    if let Some(r) = bounded(
        "udp send unbound",
        c.send(b"implicit".to_vec(), Some(aa.clone())),
    )
    .await
    {
        code("udp send binds implicitly", Ok(()), &r);
    }
    let l = c.get_local_address();
    check(
        "udp implicit bind",
        l.as_ref().is_ok_and(|l| port(l) != 0),
        "a port",
        format!("{l:?}"),
    );
    if let Some(r) = bounded("udp receive implicit", a.receive()).await {
        check(
            "udp received implicit",
            r.as_ref().is_ok_and(|(d, _)| d == b"implicit"),
            "implicit",
            format!("{r:?}"),
        );
    }
    // A peer that is gone: the ICMP "port unreachable" answering a datagram
    // is reported by the next receive at once, not waited through (as in
    // Wasmtime; before, the receive waited for readability that an error
    // alone never gives).
    let gone = UdpSocket::create(fam).unwrap();
    ok("udp bind soon-gone", gone.bind(loopback(fam, 0)));
    let Ok(gone_addr) = gone.get_local_address() else {
        return;
    };
    drop(gone);
    let d = UdpSocket::create(fam).unwrap();
    ok("udp bind d", d.bind(loopback(fam, 0)));
    ok("udp connect d to a closed port", d.connect(gone_addr));
    if let Some(r) = bounded(
        "udp send to a closed port",
        d.send(b"anyone?".to_vec(), None),
    )
    .await
    {
        code("udp send to a closed port", Ok(()), &r);
    }
    if let Some(r) = bounded("udp receive after port unreachable", d.receive()).await {
        check(
            "udp receive reports the unreachable port",
            matches!(
                r,
                Err(ErrorCode::ConnectionRefused | ErrorCode::RemoteUnreachable)
            ),
            "connection-refused or remote-unreachable",
            format!("{r:?}"),
        );
    }
}

async fn lookup_granted() {
    match bounded(
        "lookup localhost",
        ip_name_lookup::resolve_addresses("localhost".into()),
    )
    .await
    {
        Some(Ok(addrs)) => {
            let loop_ok = addrs.iter().any(|a| {
                matches!(
                    a,
                    IpAddress::Ipv4((127, 0, 0, 1)) | IpAddress::Ipv6((0, 0, 0, 0, 0, 0, 0, 1))
                )
            });
            check(
                "localhost is loopback",
                loop_ok,
                "127.0.0.1 or ::1",
                format!("{addrs:?}"),
            );
        }
        Some(Err(e)) => {
            check("lookup localhost", false, "ok", e);
        }
        None => {}
    }
}

async fn lookup_literals() {
    let r = bounded(
        "lookup literal",
        ip_name_lookup::resolve_addresses("127.0.0.1".into()),
    )
    .await;
    check(
        "literal v4",
        matches!(r, Some(Ok(ref a)) if a.len() == 1 && matches!(a[0], IpAddress::Ipv4((127, 0, 0, 1)))),
        "[127.0.0.1]",
        format!("{r:?}"),
    );
    let r = bounded(
        "lookup literal v6",
        ip_name_lookup::resolve_addresses("::1".into()),
    )
    .await;
    check(
        "literal v6",
        matches!(r, Some(Ok(ref a)) if a.len() == 1 && matches!(a[0], IpAddress::Ipv6((0, 0, 0, 0, 0, 0, 0, 1)))),
        "[::1]",
        format!("{r:?}"),
    );
    let r = bounded(
        "lookup empty",
        ip_name_lookup::resolve_addresses(String::new()),
    )
    .await;
    check(
        "empty name",
        matches!(r, Some(Err(ip_name_lookup::ErrorCode::InvalidArgument))),
        "invalid-argument",
        format!("{r:?}"),
    );
}

async fn lookup_denied() {
    let r = bounded(
        "lookup denied",
        ip_name_lookup::resolve_addresses("localhost".into()),
    )
    .await;
    check(
        "lookup without grant",
        matches!(
            r,
            Some(Err(ip_name_lookup::ErrorCode::PermanentResolverFailure))
        ),
        "permanent-resolver-failure (as Wasmtime)",
        format!("{r:?}"),
    );
}

/// Without grants: bind, listen, connect and UDP send/connect are denied.
async fn denied(fam: IpAddressFamily) {
    let Some(t) = ok("tcp create (no grant)", TcpSocket::create(fam)) else {
        return;
    };
    code("tcp bind denied", DENIED, &t.bind(loopback(fam, 0)));
    // The address is checked before the grant.
    code(
        "tcp bind bad family",
        INVALID_ARGUMENT,
        &t.bind(loopback(other_family(fam), 0)),
    );
    if let Some(r) = bounded("tcp connect denied", t.connect(loopback(fam, 80))).await {
        code("tcp connect denied", DENIED, &r);
    }
    if let Some(r) = bounded("tcp connect port 0", t.connect(loopback(fam, 0))).await {
        code("tcp connect port 0 (no grant)", INVALID_ARGUMENT, &r);
    }
    code(
        "tcp listen denied (implicit bind)",
        DENIED,
        &t.listen().map(drop),
    );
    code("tcp still unbound", INVALID_STATE, &t.get_local_address());
    let Some(u) = ok("udp create (no grant)", UdpSocket::create(fam)) else {
        return;
    };
    code("udp bind denied", DENIED, &u.bind(loopback(fam, 0)));
    code("udp connect denied", DENIED, &u.connect(loopback(fam, 9)));
    if let Some(r) = bounded(
        "udp send denied",
        u.send(b"x".to_vec(), Some(loopback(fam, 9))),
    )
    .await
    {
        code("udp send denied", DENIED, &r);
    }
}

/// `--allow-bind 127.0.0.1 --allow-connect 127.0.0.1:1-1023`: binding and
/// listening on 127.0.0.1 work; reaching its ephemeral port, binding
/// another address and the implicit bind of `listen` (any address) do not.
async fn partial() {
    let fam = IpAddressFamily::Ipv4;
    let Some((_l, _accepts, addr)) = listener(fam).await else {
        return;
    };
    let c = TcpSocket::create(fam).unwrap();
    if let Some(r) = bounded("partial connect", c.connect(addr.clone())).await {
        code("connect to an ungranted port", DENIED, &r);
    }
    let u = TcpSocket::create(fam).unwrap();
    code(
        "bind an ungranted address",
        DENIED,
        &u.bind(unspecified(fam, 0)),
    );
    code(
        "listen with an implicit bind",
        DENIED,
        &u.listen().map(drop),
    );
    let v6 = TcpSocket::create(IpAddressFamily::Ipv6).unwrap();
    code(
        "bind ::1 (not granted)",
        DENIED,
        &v6.bind(loopback(IpAddressFamily::Ipv6, 0)),
    );
    let a = UdpSocket::create(fam).unwrap();
    ok("udp bind granted", a.bind(loopback(fam, 0)));
    if let Some(r) = bounded(
        "partial udp send",
        a.send(b"x".to_vec(), Some(addr.clone())),
    )
    .await
    {
        code("udp send to an ungranted port", DENIED, &r);
    }
    code("udp connect to an ungranted port", DENIED, &a.connect(addr));
}

/// Is ::1 there? (A TCP socket binding it.)
fn ipv6_loopback() -> bool {
    let Ok(s) = TcpSocket::create(IpAddressFamily::Ipv6) else {
        return false;
    };
    s.bind(loopback(IpAddressFamily::Ipv6, 0)).is_ok()
}

impl wasip3::exports::cli::run::Guest for Sockets {
    async fn run() -> Result<(), ()> {
        let args = wasip3::cli::environment::get_arguments();
        let mode = args.get(1).cloned().unwrap_or_default();
        println!("p3-sockets mode {mode}");
        match mode.as_str() {
            "full" => {
                let mut fams = vec![IpAddressFamily::Ipv4];
                if ipv6_loopback() {
                    fams.push(IpAddressFamily::Ipv6);
                } else {
                    println!("note: no ::1 on this host; IPv6 checks skipped");
                }
                for fam in fams {
                    tcp_options(fam);
                    udp_options(fam);
                    tcp_echo(fam).await;
                    tcp_concurrent(fam).await;
                    tcp_errors(fam).await;
                    udp_session(fam).await;
                }
                lookup_granted().await;
                lookup_literals().await;
            }
            "partial" => {
                tcp_options(IpAddressFamily::Ipv4);
                partial().await;
                lookup_denied().await;
                lookup_literals().await;
            }
            "none" => {
                for fam in [IpAddressFamily::Ipv4, IpAddressFamily::Ipv6] {
                    tcp_options(fam);
                    udp_options(fam);
                    denied(fam).await;
                }
                lookup_denied().await;
                lookup_literals().await;
            }
            other => {
                eprintln!("unknown mode {other:?} (want full, partial or none)");
                return Err(());
            }
        }
        let (checks, fails) = (CHECKS.with(Cell::get), FAILS.with(Cell::get));
        if fails == 0 {
            println!("ok {checks} checks");
            Ok(())
        } else {
            println!("failed {fails} of {checks} checks");
            Err(())
        }
    }
}
