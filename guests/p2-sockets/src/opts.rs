//! Every socket option: get, set, read back, and the WIT's
//! `invalid-argument` on 0. Options need no network grant.

use crate::check::{check, eq, fail};
use crate::net::tag;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily};
use wasip2::sockets::{tcp_create_socket, udp_create_socket};

use ErrorCode::*;

const SEC: u64 = 1_000_000_000;

fn positive<T: PartialOrd + Default + std::fmt::Debug>(name: &str, r: Result<T, ErrorCode>) {
    check(
        name,
        matches!(&r, Ok(v) if *v > T::default()),
        "Ok(> 0)",
        format!("{r:?}"),
    );
}

pub fn tcp(fam: IpAddressFamily) {
    let t = format!("tcp{} option", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let s = match tcp_create_socket::create_tcp_socket(fam) {
        Ok(s) => s,
        Err(e) => return fail(&n("create-tcp-socket"), "ok", format!("{e:?}")),
    };

    let r = s.keep_alive_enabled();
    check(
        &n("keep-alive-enabled"),
        r.is_ok(),
        "Ok(_)",
        format!("{r:?}"),
    );
    eq(
        &n("set-keep-alive-enabled true"),
        Ok(()),
        s.set_keep_alive_enabled(true),
    );
    eq(
        &n("keep-alive-enabled after true"),
        Ok(true),
        s.keep_alive_enabled(),
    );
    eq(
        &n("set-keep-alive-enabled false"),
        Ok(()),
        s.set_keep_alive_enabled(false),
    );
    eq(
        &n("keep-alive-enabled after false"),
        Ok(false),
        s.keep_alive_enabled(),
    );

    // Durations: set while keep-alive is off is allowed (WIT).
    positive(&n("keep-alive-idle-time"), s.keep_alive_idle_time());
    eq(
        &n("set-keep-alive-idle-time 0"),
        Err(InvalidArgument),
        s.set_keep_alive_idle_time(0),
    );
    eq(
        &n("set-keep-alive-idle-time 10s"),
        Ok(()),
        s.set_keep_alive_idle_time(10 * SEC),
    );
    eq(
        &n("keep-alive-idle-time after 10s"),
        Ok(10 * SEC),
        s.keep_alive_idle_time(),
    );
    eq(
        &n("set-keep-alive-idle-time 1ns"),
        Ok(()),
        s.set_keep_alive_idle_time(1),
    );
    positive(
        &n("keep-alive-idle-time after 1ns"),
        s.keep_alive_idle_time(),
    );
    eq(
        &n("set-keep-alive-idle-time max"),
        Ok(()),
        s.set_keep_alive_idle_time(u64::MAX),
    );
    positive(
        &n("keep-alive-idle-time after max"),
        s.keep_alive_idle_time(),
    );

    positive(&n("keep-alive-interval"), s.keep_alive_interval());
    eq(
        &n("set-keep-alive-interval 0"),
        Err(InvalidArgument),
        s.set_keep_alive_interval(0),
    );
    eq(
        &n("set-keep-alive-interval 5s"),
        Ok(()),
        s.set_keep_alive_interval(5 * SEC),
    );
    eq(
        &n("keep-alive-interval after 5s"),
        Ok(5 * SEC),
        s.keep_alive_interval(),
    );
    eq(
        &n("set-keep-alive-interval 1ns"),
        Ok(()),
        s.set_keep_alive_interval(1),
    );
    positive(&n("keep-alive-interval after 1ns"), s.keep_alive_interval());
    eq(
        &n("set-keep-alive-interval max"),
        Ok(()),
        s.set_keep_alive_interval(u64::MAX),
    );
    positive(&n("keep-alive-interval after max"), s.keep_alive_interval());

    positive(&n("keep-alive-count"), s.keep_alive_count());
    eq(
        &n("set-keep-alive-count 0"),
        Err(InvalidArgument),
        s.set_keep_alive_count(0),
    );
    eq(
        &n("set-keep-alive-count 5"),
        Ok(()),
        s.set_keep_alive_count(5),
    );
    eq(&n("keep-alive-count after 5"), Ok(5), s.keep_alive_count());
    eq(
        &n("set-keep-alive-count max"),
        Ok(()),
        s.set_keep_alive_count(u32::MAX),
    );
    positive(&n("keep-alive-count after max"), s.keep_alive_count());

    positive(&n("hop-limit"), s.hop_limit());
    eq(
        &n("set-hop-limit 0"),
        Err(InvalidArgument),
        s.set_hop_limit(0),
    );
    eq(&n("set-hop-limit 42"), Ok(()), s.set_hop_limit(42));
    eq(&n("hop-limit after 42"), Ok(42), s.hop_limit());
    eq(&n("set-hop-limit 255"), Ok(()), s.set_hop_limit(255));
    eq(&n("hop-limit after 255"), Ok(255), s.hop_limit());
    eq(&n("set-hop-limit 1"), Ok(()), s.set_hop_limit(1));
    eq(&n("hop-limit after 1"), Ok(1), s.hop_limit());

    positive(&n("receive-buffer-size"), s.receive_buffer_size());
    eq(
        &n("set-receive-buffer-size 0"),
        Err(InvalidArgument),
        s.set_receive_buffer_size(0),
    );
    eq(
        &n("set-receive-buffer-size 64KiB"),
        Ok(()),
        s.set_receive_buffer_size(65536),
    );
    positive(
        &n("receive-buffer-size after 64KiB"),
        s.receive_buffer_size(),
    );
    eq(
        &n("set-receive-buffer-size 1"),
        Ok(()),
        s.set_receive_buffer_size(1),
    );
    positive(&n("receive-buffer-size after 1"), s.receive_buffer_size());
    eq(
        &n("set-receive-buffer-size max"),
        Ok(()),
        s.set_receive_buffer_size(u64::MAX),
    );
    positive(&n("receive-buffer-size after max"), s.receive_buffer_size());

    positive(&n("send-buffer-size"), s.send_buffer_size());
    eq(
        &n("set-send-buffer-size 0"),
        Err(InvalidArgument),
        s.set_send_buffer_size(0),
    );
    eq(
        &n("set-send-buffer-size 64KiB"),
        Ok(()),
        s.set_send_buffer_size(65536),
    );
    positive(&n("send-buffer-size after 64KiB"), s.send_buffer_size());
    eq(
        &n("set-send-buffer-size 1"),
        Ok(()),
        s.set_send_buffer_size(1),
    );
    positive(&n("send-buffer-size after 1"), s.send_buffer_size());
    eq(
        &n("set-send-buffer-size max"),
        Ok(()),
        s.set_send_buffer_size(u64::MAX),
    );
    positive(&n("send-buffer-size after max"), s.send_buffer_size());

    eq(
        &n("set-listen-backlog-size 0"),
        Err(InvalidArgument),
        s.set_listen_backlog_size(0),
    );
    eq(
        &n("set-listen-backlog-size 1"),
        Ok(()),
        s.set_listen_backlog_size(1),
    );
    eq(
        &n("set-listen-backlog-size max"),
        Ok(()),
        s.set_listen_backlog_size(u64::MAX),
    );
}

pub fn udp(fam: IpAddressFamily) {
    let t = format!("udp{} option", tag(fam));
    let n = |s: &str| format!("{t} {s}");
    let s = match udp_create_socket::create_udp_socket(fam) {
        Ok(s) => s,
        Err(e) => return fail(&n("create-udp-socket"), "ok", format!("{e:?}")),
    };
    eq(&n("address-family"), fam, s.address_family());

    positive(&n("unicast-hop-limit"), s.unicast_hop_limit());
    eq(
        &n("set-unicast-hop-limit 0"),
        Err(InvalidArgument),
        s.set_unicast_hop_limit(0),
    );
    eq(
        &n("set-unicast-hop-limit 42"),
        Ok(()),
        s.set_unicast_hop_limit(42),
    );
    eq(
        &n("unicast-hop-limit after 42"),
        Ok(42),
        s.unicast_hop_limit(),
    );
    eq(
        &n("set-unicast-hop-limit 255"),
        Ok(()),
        s.set_unicast_hop_limit(255),
    );
    eq(
        &n("unicast-hop-limit after 255"),
        Ok(255),
        s.unicast_hop_limit(),
    );

    positive(&n("receive-buffer-size"), s.receive_buffer_size());
    eq(
        &n("set-receive-buffer-size 0"),
        Err(InvalidArgument),
        s.set_receive_buffer_size(0),
    );
    eq(
        &n("set-receive-buffer-size 64KiB"),
        Ok(()),
        s.set_receive_buffer_size(65536),
    );
    positive(
        &n("receive-buffer-size after 64KiB"),
        s.receive_buffer_size(),
    );
    eq(
        &n("set-receive-buffer-size max"),
        Ok(()),
        s.set_receive_buffer_size(u64::MAX),
    );
    positive(&n("receive-buffer-size after max"), s.receive_buffer_size());

    positive(&n("send-buffer-size"), s.send_buffer_size());
    eq(
        &n("set-send-buffer-size 0"),
        Err(InvalidArgument),
        s.set_send_buffer_size(0),
    );
    eq(
        &n("set-send-buffer-size 64KiB"),
        Ok(()),
        s.set_send_buffer_size(65536),
    );
    positive(&n("send-buffer-size after 64KiB"), s.send_buffer_size());
    eq(
        &n("set-send-buffer-size max"),
        Ok(()),
        s.set_send_buffer_size(u64::MAX),
    );
    positive(&n("send-buffer-size after max"), s.send_buffer_size());
}
