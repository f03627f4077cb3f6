//! wasi:sockets over loopback (WASI 0.2), through the raw `wasip2` bindings.
//!
//! Sub-commands (argv[1]) — one per network grant the test runs it with:
//! - `full`    `-S inherit-network -S allow-ip-name-lookup`: TCP and UDP on
//!             127.0.0.1 and ::1 (IPv6 skipped with a `note:` line when the
//!             host has no IPv6 loopback), every option, name lookup.
//! - `partial` `--allow-bind 127.0.0.1 --allow-connect 127.0.0.1:1-1023`:
//!             binding 127.0.0.1 works, reaching an ephemeral port does not.
//! - `none`    no grant: creating sockets and options work; bind, connect,
//!             send and looking a name up fail with `access-denied`.
//! - `notcp`   `-S inherit-network -S tcp=n`: no TCP socket, UDP works.
//!
//! Only loopback addresses are used, and every wait is a `poll` with a
//! monotonic-clock timeout, so nothing can hang.
//!
//! A failing check prints `FAIL <name>: expected X got Y` to stderr and the
//! run goes on. At the end `ok <count> checks` goes to stdout and the exit
//! status is 0, or `failed F of N checks` and exit status 1.

mod check;
mod grants;
mod lookup;
mod net;
mod opts;
mod tcp;
mod udp;

use wasip2::sockets::network::IpAddressFamily;

fn main() {
    let argv = wasip2::cli::environment::get_arguments();
    let mode = argv.get(1).map(String::as_str).unwrap_or("");
    println!("mode {mode}");
    match mode {
        "full" => {
            let v6 = net::ipv6_loopback();
            for fam in families(v6) {
                opts::tcp(fam);
                opts::udp(fam);
                tcp::states(fam);
                tcp::session(fam);
                tcp::early_subscribe(fam);
                tcp::refused(fam);
                udp::session(fam);
            }
            lookup::granted(v6);
            lookup::literals();
            for fam in families(v6) {
                tcp::bulk_session(fam);
            }
        }
        "partial" => {
            opts::tcp(IpAddressFamily::Ipv4);
            opts::udp(IpAddressFamily::Ipv4);
            grants::partial();
            lookup::denied();
            lookup::literals();
        }
        "none" => {
            for fam in [IpAddressFamily::Ipv4, IpAddressFamily::Ipv6] {
                if net::family_supported(fam) {
                    opts::tcp(fam);
                    opts::udp(fam);
                    grants::none(fam);
                }
            }
            lookup::denied();
            lookup::literals();
        }
        "notcp" => {
            let v6 = net::ipv6_loopback_udp();
            grants::notcp();
            for fam in families(v6) {
                opts::udp(fam);
                udp::session(fam);
            }
            lookup::denied();
            lookup::literals();
        }
        other => {
            eprintln!("usage: p2-sockets full|partial|none|notcp (got {other:?})");
            std::process::exit(2);
        }
    }
    check::finish();
}

fn families(v6: bool) -> Vec<IpAddressFamily> {
    if v6 {
        vec![IpAddressFamily::Ipv4, IpAddressFamily::Ipv6]
    } else {
        vec![IpAddressFamily::Ipv4]
    }
}
