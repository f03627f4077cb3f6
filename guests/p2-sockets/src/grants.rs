//! What the network grants allow and deny. Denials are `access-denied`,
//! at once: no wait, no traffic.

use crate::check::{check, code, eq, fail};
use crate::net::*;
use crate::udp;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily};
use wasip2::sockets::tcp_create_socket::create_tcp_socket;
use wasip2::sockets::udp::OutgoingDatagram;
use wasip2::sockets::udp_create_socket::create_udp_socket;

use ErrorCode::*;

const V4: IpAddressFamily = IpAddressFamily::Ipv4;
const V6: IpAddressFamily = IpAddressFamily::Ipv6;

/// A connect attempt's result and how long it took, in milliseconds.
fn timed_connect(
    s: &wasip2::sockets::tcp::TcpSocket,
    addr: SocketAddr,
) -> (Result<(), ErrorCode>, u64) {
    let net = instance_network();
    let t0 = now_ns();
    let r = code(&connect(s, &net, wasi(addr)));
    (r, (now_ns() - t0) / 1_000_000)
}

fn fast(name: &str, ms: u64) {
    check(name, ms < 1000, "under 1000 ms", format!("{ms} ms"));
}

/// `--allow-bind 127.0.0.1 --allow-connect 127.0.0.1:1-1023`.
pub fn partial() {
    let net = instance_network();
    let lo4 = IpAddr::V4(Ipv4Addr::LOCALHOST);

    // TCP: a listener on 127.0.0.1 is allowed; reaching its ephemeral port
    // is not.
    if let Some((l, laddr)) = listener("partial tcp4", V4, &net) {
        check(
            "partial listener port is ephemeral",
            laddr.port() > 1023,
            "> 1023",
            laddr.port(),
        );
        if let Some(c) = tcp_socket("partial tcp4", V4) {
            let (r, ms) = timed_connect(&c, laddr);
            eq(
                "partial tcp4 connect to ephemeral port",
                Err(AccessDenied),
                r,
            );
            fast("partial tcp4 connect denied at once", ms);
        }
        eq(
            "partial tcp4 nothing reached the listener",
            Err(WouldBlock),
            accepted(l.accept()),
        );
    }
    if let Some(s) = tcp_socket("partial tcp4", V4) {
        eq(
            "partial tcp4 bind 0.0.0.0:0",
            Err(AccessDenied),
            s.start_bind(&net, at(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)),
        );
        eq(
            "partial tcp4 bind 127.0.0.2:0",
            Err(AccessDenied),
            s.start_bind(&net, at(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 0)),
        );
    }
    // A port inside the connect grant: allowed (nothing listens on port 1,
    // so refused, but not denied).
    if let Some(c) = tcp_socket("partial tcp4", V4) {
        let (r, ms) = timed_connect(&c, SocketAddr::new(lo4, 1));
        check(
            "partial tcp4 connect to granted port 1",
            matches!(r, Ok(()) | Err(ConnectionRefused)),
            "Ok(()) or Err(ConnectionRefused)",
            format!("{r:?}"),
        );
        fast("partial tcp4 connect to port 1 at once", ms);
    }
    // Nothing is granted for IPv6.
    if let Ok(s) = create_tcp_socket(V6) {
        eq(
            "partial tcp6 bind [::1]:0",
            Err(AccessDenied),
            s.start_bind(&net, lo(V6, 0)),
        );
        if let Some(c) = tcp_socket("partial tcp6", V6) {
            let (r, ms) = timed_connect(&c, lo_std(V6, 1));
            eq("partial tcp6 connect [::1]:1", Err(AccessDenied), r);
            fast("partial tcp6 connect denied at once", ms);
        }
    }

    // UDP: the same rules.
    let Some((a, _a_addr)) = udp::bound("partial udp4 a", V4, &net) else {
        return;
    };
    let Some((b, b_addr)) = udp::bound("partial udp4 b", V4, &net) else {
        return;
    };
    eq(
        "partial udp4 stream to ephemeral port",
        Err(AccessDenied),
        code(&a.stream(Some(wasi(b_addr)))),
    );
    let granted = SocketAddr::new(lo4, 9);
    match a.stream(Some(wasi(granted))) {
        Ok((ai, ao)) => {
            check("partial udp4 stream to granted port 9", true, "", "");
            eq(
                "partial udp4 remote-address",
                Ok(granted),
                addr_result(a.remote_address()),
            );
            eq(
                "partial udp4 connected send to port 9",
                Ok(1),
                udp::send(
                    &ao,
                    &[OutgoingDatagram {
                        data: b"discard".to_vec(),
                        remote_address: None,
                    }],
                ),
            );
            drop((ai, ao));
        }
        Err(e) => fail(
            "partial udp4 stream to granted port 9",
            "Ok",
            format!("{e:?}"),
        ),
    }
    match b.stream(None) {
        Ok((bi, bo)) => {
            let to = |addr: SocketAddr| {
                [OutgoingDatagram {
                    data: b"x".to_vec(),
                    remote_address: Some(wasi(addr)),
                }]
            };
            let t0 = now_ns();
            eq(
                "partial udp4 send to ephemeral port",
                Err(AccessDenied),
                udp::send(&bo, &to(_a_addr)),
            );
            fast(
                "partial udp4 send denied at once",
                (now_ns() - t0) / 1_000_000,
            );
            eq(
                "partial udp4 send to granted port 9",
                Ok(1),
                udp::send(&bo, &to(granted)),
            );
            drop((bi, bo));
        }
        Err(e) => fail("partial udp4 stream(None)", "Ok", format!("{e:?}")),
    }
    if let Ok(u) = create_udp_socket(V4) {
        eq(
            "partial udp4 bind 0.0.0.0:0",
            Err(AccessDenied),
            u.start_bind(&net, at(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)),
        );
    }
}

/// No grant at all: sockets and options yes, network no.
pub fn none(fam: IpAddressFamily) {
    let t = format!("none tcp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let net = instance_network();
    if let Some(s) = tcp_socket(&t, fam) {
        eq(
            &n("bind loopback"),
            Err(AccessDenied),
            s.start_bind(&net, lo(fam, 0)),
        );
        eq(
            &n("bind unspecified"),
            Err(AccessDenied),
            s.start_bind(&net, at(unspecified_ip(fam), 0)),
        );
        eq(
            &n("finish-bind after denied bind"),
            Err(NotInProgress),
            s.finish_bind(),
        );
        eq(
            &n("start-listen after denied bind"),
            Err(InvalidState),
            s.start_listen(),
        );
        eq(
            &n("local-address after denied bind"),
            Err(InvalidState),
            addr_result(s.local_address()),
        );
    }
    if let Some(c) = tcp_socket(&t, fam) {
        let (r, ms) = timed_connect(&c, lo_std(fam, 1));
        eq(&n("connect loopback port 1"), Err(AccessDenied), r);
        fast(&n("connect denied at once"), ms);
    }
    let t = format!("none udp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    match create_udp_socket(fam) {
        Ok(u) => {
            eq(
                &n("bind loopback"),
                Err(AccessDenied),
                u.start_bind(&net, lo(fam, 0)),
            );
            eq(
                &n("bind unspecified"),
                Err(AccessDenied),
                u.start_bind(&net, at(unspecified_ip(fam), 0)),
            );
            eq(
                &n("stream after denied bind"),
                Err(InvalidState),
                code(&u.stream(None)),
            );
        }
        Err(e) => fail(&n("create-udp-socket"), "Ok", format!("{e:?}")),
    }
}

/// `-S inherit-network -S tcp=n`: no TCP sockets at all.
pub fn notcp() {
    eq(
        "notcp create-tcp-socket ipv4",
        Err(AccessDenied),
        code(&create_tcp_socket(V4)),
    );
    eq(
        "notcp create-tcp-socket ipv6",
        Err(AccessDenied),
        code(&create_tcp_socket(V6)),
    );
}
