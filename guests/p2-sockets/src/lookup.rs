//! ip-name-lookup: names need the grant, address literals do not.

use crate::check::{check, eq};
use crate::net::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::ip_name_lookup::resolve_addresses;
use wasip2::sockets::network::ErrorCode;

/// All addresses for `name`, waiting (bounded) on would-block. An error
/// from resolve-addresses or from the first resolve-next-address alike.
pub fn resolve(name: &str) -> Result<Vec<IpAddr>, ErrorCode> {
    let net = instance_network();
    let stream = resolve_addresses(&net, name)?;
    let sub = stream.subscribe();
    let deadline = Deadline::in_ms(10_000);
    let mut out = Vec::new();
    loop {
        match stream.resolve_next_address() {
            Ok(Some(a)) => out.push(std_ip(&a)),
            Ok(None) => return Ok(out),
            Err(ErrorCode::WouldBlock) if !deadline.passed() => {
                wait_ns(&sub, deadline.left_ns());
            }
            Err(e) => return Err(e),
        }
    }
}

/// With `-S allow-ip-name-lookup`.
pub fn granted(v6: bool) {
    let r = resolve("localhost");
    let lo4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let lo6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    check(
        "lookup localhost",
        matches!(&r, Ok(v) if v.contains(&lo4) || (v6 && v.contains(&lo6))),
        "Ok([.. 127.0.0.1 or ::1 ..])",
        format!("{r:?}"),
    );
    check(
        "lookup localhost: no ipv4-mapped addresses",
        matches!(&r, Ok(v) if v.iter().all(|a| !matches!(a, IpAddr::V6(x) if x.to_ipv4_mapped().is_some()))),
        "no ::ffff:a.b.c.d",
        format!("{r:?}"),
    );
    eq(
        "lookup empty name",
        Err(ErrorCode::InvalidArgument),
        resolve(""),
    );
}

/// Without the lookup grant.
pub fn denied() {
    eq(
        "lookup localhost without grant (permanent-resolver-failure, as Wasmtime)",
        Err(ErrorCode::PermanentResolverFailure),
        resolve("localhost"),
    );
}

/// Address literals resolve as-is, grant or not.
pub fn literals() {
    eq(
        "lookup literal 127.0.0.1",
        Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]),
        resolve("127.0.0.1"),
    );
    eq(
        "lookup literal ::1",
        Ok(vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]),
        resolve("::1"),
    );
}
