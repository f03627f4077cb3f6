//! TCP within one component: the state machine's errors, a connection with
//! bytes both ways, shutdown, a bulk transfer, and a refused connection.

use crate::check::{check, code, eq, fail};
use crate::net::*;
use wasip2::io::streams::{InputStream, OutputStream};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, Network};
use wasip2::sockets::tcp::{ShutdownType, TcpSocket};

use ErrorCode::*;

/// Errors of the state machine, and of bad addresses, without a peer.
pub fn states(fam: IpAddressFamily) {
    let t = format!("tcp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let net = instance_network();
    let Some(s) = tcp_socket(&t, fam) else { return };

    eq(&n("address-family"), fam, s.address_family());
    eq(&n("is-listening unbound"), false, s.is_listening());
    eq(
        &n("start-listen unbound"),
        Err(InvalidState),
        s.start_listen(),
    );
    eq(
        &n("finish-listen without start"),
        Err(NotInProgress),
        s.finish_listen(),
    );
    eq(
        &n("finish-bind without start"),
        Err(NotInProgress),
        s.finish_bind(),
    );
    eq(
        &n("finish-connect without start"),
        Err(NotInProgress),
        code(&s.finish_connect()),
    );
    eq(
        &n("local-address unbound"),
        Err(InvalidState),
        addr_result(s.local_address()),
    );
    eq(
        &n("remote-address unbound"),
        Err(InvalidState),
        addr_result(s.remote_address()),
    );
    eq(
        &n("accept unbound"),
        Err(InvalidState),
        accepted(s.accept()),
    );
    eq(
        &n("shutdown unbound"),
        Err(InvalidState),
        s.shutdown(ShutdownType::Both),
    );

    // Bad local addresses; bind may be retried after a failed one.
    eq(
        &n("start-bind other family"),
        Err(InvalidArgument),
        s.start_bind(&net, lo(other(fam), 0)),
    );
    eq(
        &n("start-bind multicast"),
        Err(InvalidArgument),
        s.start_bind(&net, at(multicast_ip(fam), 0)),
    );
    if fam == IpAddressFamily::Ipv6 {
        eq(
            &n("start-bind ipv4-mapped"),
            Err(InvalidArgument),
            s.start_bind(&net, v4_mapped(0)),
        );
    }

    eq(&n("start-bind"), Ok(()), s.start_bind(&net, lo(fam, 0)));
    eq(&n("finish-bind"), Ok(()), s.finish_bind());
    eq(&n("finish-bind twice"), Err(NotInProgress), s.finish_bind());
    eq(
        &n("second bind"),
        Err(InvalidState),
        s.start_bind(&net, lo(fam, 0)),
    );
    let bound = addr_result(s.local_address());
    check(
        &n("local-address bound"),
        matches!(bound, Ok(a) if a.ip() == loopback_ip(fam)),
        format!("{}:*", loopback_ip(fam)),
        format!("{bound:?}"),
    );
    eq(
        &n("remote-address bound"),
        Err(InvalidState),
        addr_result(s.remote_address()),
    );
    eq(&n("is-listening bound"), false, s.is_listening());

    eq(&n("start-listen"), Ok(()), s.start_listen());
    eq(&n("finish-listen"), Ok(()), s.finish_listen());
    eq(
        &n("finish-listen twice"),
        Err(NotInProgress),
        s.finish_listen(),
    );
    eq(&n("is-listening"), true, s.is_listening());
    eq(
        &n("start-listen twice"),
        Err(InvalidState),
        s.start_listen(),
    );
    let listening = addr_result(s.local_address());
    check(
        &n("local-address after listen"),
        matches!(listening, Ok(a) if a.port() != 0 && a.ip() == loopback_ip(fam)),
        format!("{}:non-zero", loopback_ip(fam)),
        format!("{listening:?}"),
    );
    eq(&n("local-address stable across listen"), bound, listening);
    eq(
        &n("remote-address listening"),
        Err(InvalidState),
        addr_result(s.remote_address()),
    );
    eq(
        &n("accept with no pending connection"),
        Err(WouldBlock),
        accepted(s.accept()),
    );
    eq(
        &n("start-connect listening"),
        Err(InvalidState),
        s.start_connect(&net, lo(fam, 1)),
    );
    eq(
        &n("shutdown listening"),
        Err(InvalidState),
        s.shutdown(ShutdownType::Both),
    );
    let r = s.set_listen_backlog_size(16);
    check(
        &n("set-listen-backlog-size listening"),
        matches!(r, Ok(()) | Err(NotSupported)),
        "Ok(()) or Err(NotSupported)",
        format!("{r:?}"),
    );
    eq(
        &n("set-listen-backlog-size listening 0"),
        Err(InvalidArgument),
        s.set_listen_backlog_size(0),
    );

    // Bad remote addresses, each on a fresh socket.
    let bad: Vec<(&str, _)> = {
        let mut v = vec![
            ("port 0", lo(fam, 0)),
            ("other family", lo(other(fam), 80)),
            ("unspecified address", at(unspecified_ip(fam), 80)),
            ("multicast address", at(multicast_ip(fam), 80)),
        ];
        match fam {
            IpAddressFamily::Ipv4 => v.push((
                "broadcast address",
                at(std::net::Ipv4Addr::BROADCAST.into(), 80),
            )),
            IpAddressFamily::Ipv6 => v.push(("ipv4-mapped address", v4_mapped(80))),
        }
        v
    };
    for (what, addr) in bad {
        let Some(c) = tcp_socket(&t, fam) else { return };
        eq(
            &n(&format!("start-connect {what}")),
            Err(InvalidArgument),
            c.start_connect(&net, addr),
        );
    }
}

/// Bytes through the streams with a peer in the same component.
pub fn session(fam: IpAddressFamily) {
    let t = format!("tcp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let net = instance_network();
    let Some((l, laddr)) = listener(&t, fam, &net) else {
        return;
    };

    // Options the accepted socket inherits (WIT: accept).
    eq(
        &n("listener set-keep-alive-enabled"),
        Ok(()),
        l.set_keep_alive_enabled(true),
    );
    eq(
        &n("listener set-keep-alive-idle-time"),
        Ok(()),
        l.set_keep_alive_idle_time(7_000_000_000),
    );
    eq(
        &n("listener set-keep-alive-interval"),
        Ok(()),
        l.set_keep_alive_interval(3_000_000_000),
    );
    eq(
        &n("listener set-keep-alive-count"),
        Ok(()),
        l.set_keep_alive_count(4),
    );
    eq(&n("listener set-hop-limit"), Ok(()), l.set_hop_limit(42));

    let Some(c) = tcp_socket(&t, fam) else { return };
    let (ci, co) = match connect(&c, &net, wasi(laddr)) {
        Ok(x) => x,
        Err(e) => return fail(&n("connect"), "Ok", format!("{e:?}")),
    };
    check(&n("connect"), true, "", "");
    eq(
        &n("finish-connect twice"),
        Err(NotInProgress),
        code(&c.finish_connect()),
    );
    eq(
        &n("start-connect connected"),
        Err(InvalidState),
        c.start_connect(&net, wasi(laddr)),
    );
    eq(
        &n("start-listen connected"),
        Err(InvalidState),
        c.start_listen(),
    );
    eq(
        &n("start-bind connected"),
        Err(InvalidState),
        c.start_bind(&net, lo(fam, 0)),
    );
    eq(
        &n("set-listen-backlog-size connected"),
        Err(InvalidState),
        c.set_listen_backlog_size(8),
    );
    eq(&n("is-listening connected"), false, c.is_listening());

    let (s, si, so) = match accept(&l) {
        Ok(x) => x,
        Err(e) => return fail(&n("accept"), "Ok", format!("{e:?}")),
    };
    check(&n("accept"), true, "", "");
    eq(&n("accepted address-family"), fam, s.address_family());
    eq(&n("accepted is-listening"), false, s.is_listening());
    eq(
        &n("accepted inherits keep-alive-enabled"),
        Ok(true),
        s.keep_alive_enabled(),
    );
    eq(
        &n("accepted inherits keep-alive-idle-time"),
        Ok(7_000_000_000),
        s.keep_alive_idle_time(),
    );
    eq(
        &n("accepted inherits keep-alive-interval"),
        Ok(3_000_000_000),
        s.keep_alive_interval(),
    );
    eq(
        &n("accepted inherits keep-alive-count"),
        Ok(4),
        s.keep_alive_count(),
    );
    eq(&n("accepted inherits hop-limit"), Ok(42), s.hop_limit());
    eq(
        &n("start-listen accepted"),
        Err(InvalidState),
        s.start_listen(),
    );

    // The two ends agree on who is who.
    let c_local = addr_result(c.local_address());
    check(
        &n("client local-address"),
        matches!(c_local, Ok(a) if a.port() != 0 && a.ip() == loopback_ip(fam)),
        format!("{}:non-zero", loopback_ip(fam)),
        format!("{c_local:?}"),
    );
    eq(
        &n("client remote-address = listener address"),
        Ok(laddr),
        addr_result(c.remote_address()),
    );
    eq(
        &n("accepted local-address = listener address"),
        Ok(laddr),
        addr_result(s.local_address()),
    );
    eq(
        &n("accepted remote-address = client local-address"),
        c_local,
        addr_result(s.remote_address()),
    );

    // Bytes both ways.
    eq(&n("client write ping"), Ok(()), send_bytes(&co, b"ping"));
    eq(
        &n("server reads ping"),
        Ok(b"ping".to_vec()),
        read_exact(&si, 4),
    );
    eq(
        &n("server blocking-write-and-flush pong"),
        Ok(()),
        so.blocking_write_and_flush(b"pong")
            .map_err(|e| stream_error(&e)),
    );
    eq(
        &n("client reads pong"),
        Ok(b"pong".to_vec()),
        read_exact(&ci, 4),
    );

    // Half-close: the client's send side, then the server's both sides.
    eq(&n("shutdown send"), Ok(()), c.shutdown(ShutdownType::Send));
    eq(
        &n("shutdown send again"),
        Ok(()),
        c.shutdown(ShutdownType::Send),
    );
    eq(
        &n("server reads closed after shutdown send"),
        Ok(0),
        read_to_closed(&si),
    );
    let w = match co.check_write() {
        Ok(_) => co.write(b"x").map_err(|e| stream_error(&e)),
        Err(e) => Err(stream_error(&e)),
    };
    eq(
        &n("client write after shutdown send"),
        Err("closed".to_string()),
        w,
    );
    eq(&n("server still writes"), Ok(()), send_bytes(&so, b"after"));
    eq(
        &n("client still reads"),
        Ok(b"after".to_vec()),
        read_exact(&ci, 5),
    );
    eq(
        &n("server shutdown both"),
        Ok(()),
        s.shutdown(ShutdownType::Both),
    );
    eq(
        &n("client reads closed after peer shutdown"),
        Ok(0),
        read_to_closed(&ci),
    );
    let r = si.read(16).map_err(|e| stream_error(&e));
    eq(
        &n("server read after shutdown receive"),
        Err("closed".to_string()),
        r,
    );
    drop((ci, co, si, so));
    drop((s, c));

    drop(l);
}

/// A client bound before it connects; then bulk transfers both ways, and
/// end of stream once the client is dropped. Run last: a host whose `write`
/// blocks on a full socket would stall here (the peer is this component).
pub fn bulk_session(fam: IpAddressFamily) {
    let t = format!("tcp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let net = instance_network();
    let Some((l, laddr)) = listener(&t, fam, &net) else {
        return;
    };
    println!("{t} bulk transfer start");
    // A client bound first, then connected; a bulk transfer; drop → EOF.
    let Some(c2) = tcp_socket(&t, fam) else {
        return;
    };
    if !eq(&n("bound client bind"), Ok(()), bind(&c2, &net, lo(fam, 0))) {
        return;
    }
    let c2_bound = addr_result(c2.local_address());
    let (c2i, c2o) = match connect(&c2, &net, wasi(laddr)) {
        Ok(x) => x,
        Err(e) => return fail(&n("bound client connect"), "Ok", format!("{e:?}")),
    };
    eq(
        &n("bound client keeps its local-address"),
        c2_bound,
        addr_result(c2.local_address()),
    );
    let (s2, s2i, s2o) = match accept(&l) {
        Ok(x) => x,
        Err(e) => return fail(&n("accept second"), "Ok", format!("{e:?}")),
    };
    eq(
        &n("second accepted remote-address"),
        c2_bound,
        addr_result(s2.remote_address()),
    );
    let whole = bulk(&n("bulk client to server"), &c2o, &s2i, 4 << 20)
        & bulk(&n("bulk server to client"), &s2o, &c2i, 1 << 20);
    drop((c2i, c2o));
    drop(c2);
    let r = read_to_closed(&s2i);
    if whole {
        eq(&n("read after peer dropped"), Ok(0), r);
    } else {
        // Bytes of a failed transfer may still be queued; closed must follow.
        check(
            &n("read after peer dropped"),
            r.is_ok(),
            "Ok(closed)",
            format!("{r:?}"),
        );
    }
    drop((s2i, s2o, s2));
    drop(l);
}

/// Sends `total` bytes from `out` to `inp` with non-blocking writes (each
/// exactly what check-write permits) and reads, polling both (bounded).
fn bulk(name: &str, out: &OutputStream, inp: &InputStream, total: usize) -> bool {
    let data: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
    let mut sent = 0usize;
    let mut got: Vec<u8> = Vec::with_capacity(total);
    let op = out.subscribe();
    let ip = inp.subscribe();
    let deadline = Deadline::in_ms(20_000);
    while got.len() < total {
        if deadline.passed() {
            {
                fail(
                    name,
                    format!("{total} bytes within 20 s"),
                    format!("sent {sent}, received {}", got.len()),
                );
                return false;
            }
        }
        let mut progress = false;
        if sent < total {
            match out.check_write() {
                Ok(0) => {}
                Ok(permit) => {
                    let k = (permit as usize).min(total - sent);
                    if let Err(e) = out.write(&data[sent..sent + k]) {
                        fail(
                            &format!("{name} write within check-write permit"),
                            "Ok",
                            format!(
                                "{} (write of {k} bytes, permit {permit}, {sent} sent before)",
                                stream_error(&e)
                            ),
                        );
                        return false;
                    }
                    sent += k;
                    progress = true;
                }
                Err(e) => {
                    fail(&format!("{name} check-write"), "Ok", stream_error(&e));
                    return false;
                }
            }
        }
        match inp.read(1 << 16) {
            Ok(v) => {
                progress |= !v.is_empty();
                got.extend(v);
            }
            Err(e) => {
                fail(
                    &format!("{name} read"),
                    "Ok",
                    format!("{} after {} bytes", stream_error(&e), got.len()),
                );
                return false;
            }
        }
        if !progress {
            let timeout = wasip2::clocks::monotonic_clock::subscribe_duration(100_000_000);
            if sent < total {
                wasip2::io::poll::poll(&[&op, &ip, &timeout]);
            } else {
                wasip2::io::poll::poll(&[&ip, &timeout]);
            }
        }
    }
    let ok = check(
        name,
        got == data,
        format!("{total} bytes intact"),
        format!(
            "{} bytes, first difference at {:?}",
            got.len(),
            got.iter().zip(&data).position(|(a, b)| a != b)
        ),
    );
    if sent == total {
        eq(
            &format!("{name} blocking-flush"),
            Ok(()),
            out.blocking_flush().map_err(|e| stream_error(&e)),
        );
    }
    ok
}

/// One pollable from `subscribe` on a fresh socket, reused for the socket's
/// lifetime (WIT: "subscribe only has to be called once per socket"): once
/// listening it waits for a connection, not ready before one is pending.
pub fn early_subscribe(fam: IpAddressFamily) {
    let t = format!("tcp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let net = instance_network();
    let Some(l) = tcp_socket(&t, fam) else { return };
    let sub = l.subscribe();
    if !eq(
        &n("early-subscribed listener bind"),
        Ok(()),
        bind(&l, &net, lo(fam, 0)),
    ) || !eq(
        &n("early-subscribed listener listen"),
        Ok(()),
        l.start_listen().and_then(|()| l.finish_listen()),
    ) {
        return;
    }
    let Ok(laddr) = addr_result(l.local_address()) else {
        return;
    };
    eq(
        &n("pollable subscribed before listen: not ready with no pending connection"),
        false,
        sub.ready(),
    );
    let Some(c) = tcp_socket(&t, fam) else { return };
    let streams = connect(&c, &net, wasi(laddr));
    eq(
        &n("connect to early-subscribed listener"),
        Ok(()),
        code(&streams),
    );
    eq(
        &n("pollable subscribed before listen: ready with a pending connection"),
        true,
        wait(&sub),
    );
    eq(
        &n("accept on early-subscribed listener"),
        Ok(()),
        accepted(l.accept()),
    );
}

/// connection-refused from a port that was free a moment ago; the socket is
/// then closed for good.
pub fn refused(fam: IpAddressFamily) {
    let t = format!("tcp{}", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let net = instance_network();
    let port = match free_port(&t, fam, &net) {
        Some(p) => p,
        None => return,
    };
    let Some(c) = tcp_socket(&t, fam) else { return };
    let r = code(&connect(&c, &net, lo(fam, port)));
    eq(
        &n(&format!("connect to closed port {port}")),
        Err(ConnectionRefused),
        r,
    );
    eq(
        &n("start-connect after a failed connect"),
        Err(InvalidState),
        c.start_connect(&net, lo(fam, port)),
    );
}

/// A loopback port: bound (not listening) by a socket that is then dropped.
fn free_port(t: &str, fam: IpAddressFamily, net: &Network) -> Option<u16> {
    let p: TcpSocket = tcp_socket(t, fam)?;
    if !eq(
        &format!("{t} bind for a free port"),
        Ok(()),
        bind(&p, net, lo(fam, 0)),
    ) {
        return None;
    }
    let a = addr_result(p.local_address()).ok()?;
    Some(a.port())
}
