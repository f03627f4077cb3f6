//! UDP between sockets of one component: binding, connected and
//! unconnected streams, datagrams with the right addresses, and the
//! `invalid-argument` cases of `send`.

use crate::check::{check, code, eq, fail};
use crate::net::*;
use std::net::SocketAddr;
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Network};
use wasip2::sockets::udp::{
    IncomingDatagramStream, OutgoingDatagram, OutgoingDatagramStream, UdpSocket,
};
use wasip2::sockets::udp_create_socket::create_udp_socket;

use ErrorCode::*;

fn socket(name: &str, fam: IpAddressFamily) -> Option<UdpSocket> {
    match create_udp_socket(fam) {
        Ok(s) => Some(s),
        Err(e) => {
            fail(&format!("{name} create-udp-socket"), "ok", format!("{e:?}"));
            None
        }
    }
}

/// A UDP socket bound to loopback port 0, and its address.
pub fn bound(name: &str, fam: IpAddressFamily, net: &Network) -> Option<(UdpSocket, SocketAddr)> {
    let s = socket(name, fam)?;
    if !eq(
        &format!("{name} start-bind"),
        Ok(()),
        s.start_bind(net, lo(fam, 0)),
    ) || !eq(&format!("{name} finish-bind"), Ok(()), s.finish_bind())
    {
        return None;
    }
    match addr_result(s.local_address()) {
        Ok(a) => {
            check(
                &format!("{name} local-address"),
                a.port() != 0 && a.ip() == loopback_ip(fam),
                format!("{}:non-zero", loopback_ip(fam)),
                a,
            );
            Some((s, a))
        }
        Err(e) => {
            fail(&format!("{name} local-address"), "ok", format!("{e:?}"));
            None
        }
    }
}

fn dgram(data: &[u8], to: Option<SocketAddr>) -> OutgoingDatagram {
    OutgoingDatagram {
        data: data.to_vec(),
        remote_address: to.map(wasi),
    }
}

/// check-send (waiting, bounded, while it says 0), then send.
pub fn send(
    out: &OutgoingDatagramStream,
    datagrams: &[OutgoingDatagram],
) -> Result<u64, ErrorCode> {
    let sub = out.subscribe();
    let deadline = Deadline::in_ms(WAIT_MS);
    loop {
        match out.check_send()? {
            0 if !deadline.passed() => {
                wait_ns(&sub, deadline.left_ns());
            }
            0 => return Err(WouldBlock), // no permit within 5 s: reported as such
            permit if permit < datagrams.len() as u64 => {
                // Send only what is permitted (more would trap).
                return out.send(&datagrams[..permit as usize]);
            }
            _ => return out.send(datagrams),
        }
    }
}

/// Receives datagrams until `count` arrived or 5 s passed.
pub fn receive(
    inp: &IncomingDatagramStream,
    count: usize,
) -> Result<Vec<(Vec<u8>, SocketAddr)>, ErrorCode> {
    let sub = inp.subscribe();
    let deadline = Deadline::in_ms(WAIT_MS);
    let mut got = Vec::new();
    while got.len() < count {
        for d in inp.receive((count - got.len()) as u64)? {
            got.push((d.data, std_addr(&d.remote_address)));
        }
        if got.len() < count && !wait_ns(&sub, deadline.left_ns()) {
            break;
        }
    }
    Ok(got)
}

pub fn session(fam: IpAddressFamily) {
    let t = format!("udp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let net = instance_network();

    // States before binding, and bad local addresses.
    let Some(u) = socket(&t, fam) else { return };
    eq(
        &n("stream unbound"),
        Err(InvalidState),
        code(&u.stream(None)),
    );
    eq(
        &n("local-address unbound"),
        Err(InvalidState),
        addr_result(u.local_address()),
    );
    eq(
        &n("remote-address unbound"),
        Err(InvalidState),
        addr_result(u.remote_address()),
    );
    eq(
        &n("finish-bind without start"),
        Err(NotInProgress),
        u.finish_bind(),
    );
    eq(
        &n("start-bind other family"),
        Err(InvalidArgument),
        u.start_bind(&net, lo(other(fam), 0)),
    );
    if fam == IpAddressFamily::Ipv6 {
        eq(
            &n("start-bind ipv4-mapped"),
            Err(InvalidArgument),
            u.start_bind(&net, v4_mapped(0)),
        );
    }
    eq(&n("start-bind"), Ok(()), u.start_bind(&net, lo(fam, 0)));
    eq(&n("finish-bind"), Ok(()), u.finish_bind());
    eq(&n("finish-bind twice"), Err(NotInProgress), u.finish_bind());
    eq(
        &n("second bind"),
        Err(InvalidState),
        u.start_bind(&net, lo(fam, 0)),
    );
    eq(
        &n("remote-address bound, not streaming"),
        Err(InvalidState),
        addr_result(u.remote_address()),
    );
    let bad: [(&str, IpSocketAddress); 3] = [
        ("port 0", lo(fam, 0)),
        ("other family", lo(other(fam), 9)),
        ("unspecified address", at(unspecified_ip(fam), 9)),
    ];
    for (what, addr) in bad {
        eq(
            &n(&format!("stream to {what}")),
            Err(InvalidArgument),
            code(&u.stream(Some(addr))),
        );
    }
    drop(u);

    let Some((a, a_addr)) = bound(&format!("{t} a"), fam, &net) else {
        return;
    };
    let Some((b, b_addr)) = bound(&format!("{t} b"), fam, &net) else {
        return;
    };
    let Some((c, c_addr)) = bound(&format!("{t} c"), fam, &net) else {
        return;
    };

    // a streams to b only; b streams to anyone.
    let (ai, ao) = match a.stream(Some(wasi(b_addr))) {
        Ok(x) => x,
        Err(e) => return fail(&n("stream(Some(b))"), "Ok", format!("{e:?}")),
    };
    eq(
        &n("remote-address after stream(Some)"),
        Ok(b_addr),
        addr_result(a.remote_address()),
    );
    eq(
        &n("local-address after stream(Some)"),
        Ok(a_addr),
        addr_result(a.local_address()),
    );
    let (bi, bo) = match b.stream(None) {
        Ok(x) => x,
        Err(e) => return fail(&n("stream(None)"), "Ok", format!("{e:?}")),
    };
    eq(
        &n("remote-address after stream(None)"),
        Err(InvalidState),
        addr_result(b.remote_address()),
    );
    let (ci, co) = match c.stream(None) {
        Ok(x) => x,
        Err(e) => return fail(&n("c stream(None)"), "Ok", format!("{e:?}")),
    };

    // a → b: without an address, and with the connected one.
    eq(
        &n("send from connected stream"),
        Ok(2),
        send(&ao, &[dgram(b"one", None), dgram(b"two", Some(b_addr))]),
    );
    eq(
        &n("receive at b"),
        Ok(vec![(b"one".to_vec(), a_addr), (b"two".to_vec(), a_addr)]),
        receive(&bi, 2),
    );
    // b → a with sendto.
    eq(
        &n("send with address"),
        Ok(1),
        send(&bo, &[dgram(b"back", Some(a_addr))]),
    );
    eq(
        &n("receive at a"),
        Ok(vec![(b"back".to_vec(), b_addr)]),
        receive(&ai, 1),
    );

    // Sends that are invalid arguments.
    eq(
        &n("send to another address on a connected stream"),
        Err(InvalidArgument),
        send(&ao, &[dgram(b"x", Some(c_addr))]),
    );
    eq(
        &n("send without address, not connected"),
        Err(InvalidArgument),
        send(&bo, &[dgram(b"x", None)]),
    );
    eq(
        &n("send to port 0"),
        Err(InvalidArgument),
        send(&bo, &[dgram(b"x", Some(lo_std(fam, 0)))]),
    );
    eq(
        &n("send to unspecified address"),
        Err(InvalidArgument),
        send(
            &bo,
            &[dgram(
                b"x",
                Some(SocketAddr::new(unspecified_ip(fam), a_addr.port())),
            )],
        ),
    );
    eq(
        &n("send to other family"),
        Err(InvalidArgument),
        send(&bo, &[dgram(b"x", Some(lo_std(other(fam), a_addr.port())))]),
    );
    eq(&n("send of nothing"), Ok(0), send(&bo, &[]));
    // The first datagram goes, the second is invalid: ok(1), not an error.
    eq(
        &n("send stops at the first bad datagram"),
        Ok(1),
        send(&bo, &[dgram(b"first", Some(c_addr)), dgram(b"x", None)]),
    );
    eq(
        &n("receive at c"),
        Ok(vec![(b"first".to_vec(), b_addr)]),
        receive(&ci, 1),
    );
    eq(&n("receive 0"), Ok(0), ai.receive(0).map(|v| v.len()));
    eq(
        &n("receive with nothing queued"),
        Ok(0),
        ci.receive(10).map(|v| v.len()),
    );

    // A connected stream only hears its peer.
    eq(
        &n("c sends to a"),
        Ok(1),
        send(&co, &[dgram(b"stranger", Some(a_addr))]),
    );
    eq(
        &n("b sends to a"),
        Ok(1),
        send(&bo, &[dgram(b"peer", Some(a_addr))]),
    );
    let r = receive(&ai, 1);
    eq(
        &n("connected stream receives only from its peer"),
        Ok(vec![(b"peer".to_vec(), b_addr)]),
        r,
    );
    eq(
        &n("connected stream: nothing else"),
        Ok(0),
        ai.receive(10).map(|v| v.len()),
    );

    // stream again, unconnected: old streams dropped first (WIT).
    drop((ai, ao));
    let (ai, ao) = match a.stream(None) {
        Ok(x) => x,
        Err(e) => return fail(&n("stream(None) again"), "Ok", format!("{e:?}")),
    };
    eq(
        &n("remote-address after stream(None) again"),
        Err(InvalidState),
        addr_result(a.remote_address()),
    );
    eq(
        &n("local-address kept after stream(None) again"),
        Ok(a_addr),
        addr_result(a.local_address()),
    );
    eq(
        &n("c sends to a again"),
        Ok(1),
        send(&co, &[dgram(b"hello", Some(a_addr))]),
    );
    eq(
        &n("unconnected stream receives from c"),
        Ok(vec![(b"hello".to_vec(), c_addr)]),
        receive(&ai, 1),
    );
    eq(
        &n("unconnected stream sends to c"),
        Ok(1),
        send(&ao, &[dgram(b"hi", Some(c_addr))]),
    );
    eq(
        &n("c receives from a"),
        Ok(vec![(b"hi".to_vec(), a_addr)]),
        receive(&ci, 1),
    );
    drop((ai, ao, bi, bo, ci, co));
    drop((a, b, c));
}
