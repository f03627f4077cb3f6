//! wasi:sockets with no network granted: sockets can be made and
//! configured, but nothing reaches the network.

use crate::check::{eq, err, ok, ok_eq, truth};
use wasip2::sockets::network::{
    ErrorCode as E, IpAddress, IpAddressFamily as Family, IpSocketAddress, Ipv4SocketAddress,
    Ipv6SocketAddress,
};
use wasip2::sockets::tcp::TcpSocket;
use wasip2::sockets::udp::UdpSocket;
use wasip2::sockets::{instance_network, ip_name_lookup, tcp_create_socket, udp_create_socket};

fn v4(port: u16, address: (u8, u8, u8, u8)) -> IpSocketAddress {
    IpSocketAddress::Ipv4(Ipv4SocketAddress { port, address })
}

fn v6(port: u16, address: (u16, u16, u16, u16, u16, u16, u16, u16)) -> IpSocketAddress {
    IpSocketAddress::Ipv6(Ipv6SocketAddress {
        port,
        flow_info: 0,
        address,
        scope_id: 0,
    })
}

const LOOP4: (u8, u8, u8, u8) = (127, 0, 0, 1);
const LOOP6: (u16, u16, u16, u16, u16, u16, u16, u16) = (0, 0, 0, 0, 0, 0, 0, 1);

fn fam(f: Family) -> &'static str {
    match f {
        Family::Ipv4 => "ipv4",
        Family::Ipv6 => "ipv6",
    }
}

pub fn run() {
    let net = instance_network::instance_network();
    for f in [Family::Ipv4, Family::Ipv6] {
        if let Some(s) = ok(
            &format!("sock.tcp.create.{}", fam(f)),
            tcp_create_socket::create_tcp_socket(f),
        ) {
            tcp(&net, &s, f);
        }
        if let Some(s) = ok(
            &format!("sock.udp.create.{}", fam(f)),
            udp_create_socket::create_udp_socket(f),
        ) {
            udp(&net, &s, f);
        }
    }
    // name lookup needs a grant; without it there is no resolver for this
    // guest: permanent-resolver-failure, as in Wasmtime
    err(
        "sock.resolve.localhost",
        ip_name_lookup::resolve_addresses(&net, "localhost").map(|_| ()),
        E::PermanentResolverFailure,
    );
    err(
        "sock.resolve.example",
        ip_name_lookup::resolve_addresses(&net, "example.com").map(|_| ()),
        E::PermanentResolverFailure,
    );
    // "invalid-argument: name is a syntactically invalid domain name or IP address"
    err(
        "sock.resolve.empty",
        ip_name_lookup::resolve_addresses(&net, "").map(|_| ()),
        E::InvalidArgument,
    );
    // "If the input is an IP address string, the address is parsed and
    // returned as-is without making any external requests."
    if let Some(s) = ok(
        "sock.resolve.ip-literal",
        ip_name_lookup::resolve_addresses(&net, "127.0.0.1"),
    ) {
        let first = s.resolve_next_address().map(|a| match a {
            Some(IpAddress::Ipv4(a)) => format!("{a:?}"),
            other => format!("{other:?}"),
        });
        ok_eq("sock.resolve.ip-literal.first", first, format!("{LOOP4:?}"));
        ok_eq(
            "sock.resolve.ip-literal.end",
            s.resolve_next_address().map(|a| a.is_some()),
            false,
        );
        eq(
            "sock.resolve.ip-literal.subscribe",
            s.subscribe().ready(),
            true,
        );
    }
}

fn tcp(net: &wasip2::sockets::network::Network, s: &TcpSocket, f: Family) {
    let p = |n: &str| format!("sock.tcp.{}.{n}", fam(f));
    eq(&p("address-family"), s.address_family(), f);
    eq(&p("is-listening"), s.is_listening(), false);
    // "WASI is stricter and requires local-address to return invalid-state
    // when the socket hasn't been bound yet."
    err(&p("local-address"), s.local_address(), E::InvalidState);
    err(&p("remote-address"), s.remote_address(), E::InvalidState);

    // options: get, set, read back; 0 is invalid-argument where the WIT says so
    let (home, other) = match f {
        Family::Ipv4 => (v4(0, LOOP4), v6(0, LOOP6)),
        Family::Ipv6 => (v6(0, LOOP6), v4(0, LOOP4)),
    };
    ok(&p("keep-alive-enabled"), s.keep_alive_enabled());
    ok(
        &p("set-keep-alive-enabled.true"),
        s.set_keep_alive_enabled(true),
    );
    ok_eq(&p("keep-alive-enabled.true"), s.keep_alive_enabled(), true);
    ok(
        &p("set-keep-alive-enabled.false"),
        s.set_keep_alive_enabled(false),
    );
    ok_eq(
        &p("keep-alive-enabled.false"),
        s.keep_alive_enabled(),
        false,
    );

    let v = s.keep_alive_idle_time();
    truth(
        &p("keep-alive-idle-time"),
        matches!(v, Ok(n) if n > 0),
        "ok(> 0)",
        v,
    );
    ok(
        &p("set-keep-alive-idle-time"),
        s.set_keep_alive_idle_time(30_000_000_000),
    );
    ok_eq(
        &p("keep-alive-idle-time.set"),
        s.keep_alive_idle_time(),
        30_000_000_000,
    );
    err(
        &p("set-keep-alive-idle-time.zero"),
        s.set_keep_alive_idle_time(0),
        E::InvalidArgument,
    );
    // "Any other value will never cause an error, but it might be silently
    // clamped and/or rounded."
    ok(
        &p("set-keep-alive-idle-time.tiny"),
        s.set_keep_alive_idle_time(1),
    );
    let v = s.keep_alive_idle_time();
    truth(
        &p("keep-alive-idle-time.tiny"),
        matches!(v, Ok(n) if n > 0),
        "ok(> 0)",
        v,
    );
    ok(
        &p("set-keep-alive-idle-time.huge"),
        s.set_keep_alive_idle_time(u64::MAX),
    );

    let v = s.keep_alive_interval();
    truth(
        &p("keep-alive-interval"),
        matches!(v, Ok(n) if n > 0),
        "ok(> 0)",
        v,
    );
    ok(
        &p("set-keep-alive-interval"),
        s.set_keep_alive_interval(5_000_000_000),
    );
    ok_eq(
        &p("keep-alive-interval.set"),
        s.keep_alive_interval(),
        5_000_000_000,
    );
    err(
        &p("set-keep-alive-interval.zero"),
        s.set_keep_alive_interval(0),
        E::InvalidArgument,
    );
    ok(
        &p("set-keep-alive-interval.huge"),
        s.set_keep_alive_interval(u64::MAX),
    );

    let v = s.keep_alive_count();
    truth(
        &p("keep-alive-count"),
        matches!(v, Ok(n) if n > 0),
        "ok(> 0)",
        v,
    );
    ok(&p("set-keep-alive-count"), s.set_keep_alive_count(7));
    ok_eq(&p("keep-alive-count.set"), s.keep_alive_count(), 7);
    err(
        &p("set-keep-alive-count.zero"),
        s.set_keep_alive_count(0),
        E::InvalidArgument,
    );
    ok(
        &p("set-keep-alive-count.huge"),
        s.set_keep_alive_count(u32::MAX),
    );

    let v = s.hop_limit();
    truth(&p("hop-limit"), matches!(v, Ok(n) if n > 0), "ok(> 0)", v);
    ok(&p("set-hop-limit"), s.set_hop_limit(42));
    ok_eq(&p("hop-limit.set"), s.hop_limit(), 42);
    // "If the provided value is 0, an invalid-argument error is returned."
    err(
        &p("set-hop-limit.zero"),
        s.set_hop_limit(0),
        E::InvalidArgument,
    );
    ok_eq(&p("hop-limit.unchanged"), s.hop_limit(), 42);
    ok(&p("set-hop-limit.max"), s.set_hop_limit(255));

    buffers(
        &p,
        s.receive_buffer_size(),
        |v| s.set_receive_buffer_size(v),
        || s.receive_buffer_size(),
        "receive",
    );
    buffers(
        &p,
        s.send_buffer_size(),
        |v| s.set_send_buffer_size(v),
        || s.send_buffer_size(),
        "send",
    );

    ok(&p("set-listen-backlog-size"), s.set_listen_backlog_size(16));
    err(
        &p("set-listen-backlog-size.zero"),
        s.set_listen_backlog_size(0),
        E::InvalidArgument,
    );
    ok(
        &p("set-listen-backlog-size.huge"),
        s.set_listen_backlog_size(u64::MAX),
    );

    // state machine with no grant
    err(
        &p("finish-bind.not-started"),
        s.finish_bind(),
        E::NotInProgress,
    );
    err(
        &p("finish-connect.not-started"),
        s.finish_connect().map(|_| ()),
        E::NotInProgress,
    );
    err(
        &p("finish-listen.not-started"),
        s.finish_listen(),
        E::NotInProgress,
    );
    // "Unlike POSIX, the socket must already be explicitly bound."
    err(
        &p("start-listen.unbound"),
        s.start_listen(),
        E::InvalidState,
    );
    err(
        &p("accept.not-listening"),
        s.accept().map(|_| ()),
        E::InvalidState,
    );
    err(
        &p("shutdown.not-connected"),
        s.shutdown(wasip2::sockets::tcp::ShutdownType::Both),
        E::InvalidState,
    );
    // "invalid-argument: The local-address has the wrong address family."
    err(
        &p("start-bind.wrong-family"),
        s.start_bind(net, other),
        E::InvalidArgument,
    );
    err(
        &p("start-connect.wrong-family"),
        s.start_connect(
            net,
            match f {
                Family::Ipv4 => v6(80, LOOP6),
                Family::Ipv6 => v4(80, LOOP4),
            },
        ),
        E::InvalidArgument,
    );
    // no network grant: access-denied, and nothing changes
    err(
        &p("start-bind.denied"),
        s.start_bind(net, home),
        E::AccessDenied,
    );
    err(
        &p("start-bind.denied.any"),
        s.start_bind(
            net,
            match f {
                Family::Ipv4 => v4(0, (0, 0, 0, 0)),
                Family::Ipv6 => v6(0, (0, 0, 0, 0, 0, 0, 0, 0)),
            },
        ),
        E::AccessDenied,
    );
    err(
        &p("finish-bind.after-denied"),
        s.finish_bind(),
        E::NotInProgress,
    );
    err(
        &p("local-address.after-denied"),
        s.local_address(),
        E::InvalidState,
    );
    let remote = match f {
        Family::Ipv4 => v4(80, LOOP4),
        Family::Ipv6 => v6(80, LOOP6),
    };
    err(
        &p("start-connect.denied"),
        s.start_connect(net, remote),
        E::AccessDenied,
    );
    err(
        &p("finish-connect.after-denied"),
        s.finish_connect().map(|_| ()),
        E::NotInProgress,
    );
    err(
        &p("start-listen.after-denied"),
        s.start_listen(),
        E::InvalidState,
    );
    eq(&p("is-listening.after"), s.is_listening(), false);
    let sub = s.subscribe();
    drop(sub);
}

fn buffers(
    p: &dyn Fn(&str) -> String,
    initial: Result<u64, E>,
    set: impl Fn(u64) -> Result<(), E>,
    get: impl Fn() -> Result<u64, E>,
    which: &str,
) {
    truth(
        &p(&format!("{which}-buffer-size")),
        matches!(initial, Ok(n) if n > 0),
        "ok(> 0)",
        initial,
    );
    // "If the provided value is 0, an invalid-argument error is returned."
    err(
        &p(&format!("set-{which}-buffer-size.zero")),
        set(0),
        E::InvalidArgument,
    );
    ok(&p(&format!("set-{which}-buffer-size")), set(65_536));
    let v = get();
    truth(
        &p(&format!("{which}-buffer-size.set")),
        matches!(v, Ok(n) if n > 0),
        "ok(> 0)",
        v,
    );
    // "Any other value will never cause an error"
    ok(&p(&format!("set-{which}-buffer-size.one")), set(1));
    ok(&p(&format!("set-{which}-buffer-size.huge")), set(u64::MAX));
}

fn udp(net: &wasip2::sockets::network::Network, s: &UdpSocket, f: Family) {
    let p = |n: &str| format!("sock.udp.{}.{n}", fam(f));
    eq(&p("address-family"), s.address_family(), f);
    err(&p("local-address"), s.local_address(), E::InvalidState);
    err(&p("remote-address"), s.remote_address(), E::InvalidState);
    let v = s.unicast_hop_limit();
    truth(
        &p("unicast-hop-limit"),
        matches!(v, Ok(n) if n > 0),
        "ok(> 0)",
        v,
    );
    ok(&p("set-unicast-hop-limit"), s.set_unicast_hop_limit(33));
    ok_eq(&p("unicast-hop-limit.set"), s.unicast_hop_limit(), 33);
    err(
        &p("set-unicast-hop-limit.zero"),
        s.set_unicast_hop_limit(0),
        E::InvalidArgument,
    );
    buffers(
        &p,
        s.receive_buffer_size(),
        |v| s.set_receive_buffer_size(v),
        || s.receive_buffer_size(),
        "receive",
    );
    buffers(
        &p,
        s.send_buffer_size(),
        |v| s.set_send_buffer_size(v),
        || s.send_buffer_size(),
        "send",
    );
    err(
        &p("finish-bind.not-started"),
        s.finish_bind(),
        E::NotInProgress,
    );
    // "invalid-state: The socket is not bound."
    err(
        &p("stream.unbound"),
        s.stream(None).map(|_| ()),
        E::InvalidState,
    );
    let (home, other) = match f {
        Family::Ipv4 => (v4(0, LOOP4), v6(0, LOOP6)),
        Family::Ipv6 => (v6(0, LOOP6), v4(0, LOOP4)),
    };
    err(
        &p("start-bind.wrong-family"),
        s.start_bind(net, other),
        E::InvalidArgument,
    );
    err(
        &p("start-bind.denied"),
        s.start_bind(net, home),
        E::AccessDenied,
    );
    err(
        &p("finish-bind.after-denied"),
        s.finish_bind(),
        E::NotInProgress,
    );
    err(
        &p("stream.after-denied"),
        s.stream(None).map(|_| ()),
        E::InvalidState,
    );
    let sub = s.subscribe();
    drop(sub);
}
