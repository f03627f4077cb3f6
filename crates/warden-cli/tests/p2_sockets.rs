//! wasi:sockets over loopback: runs the `p2-sockets` component
//! (guests/p2-sockets, built for wasm32-wasip2) through the real `warden`
//! binary under each network grant. The guest prints `FAIL <check>: ...` to
//! stderr for each failed check and `ok <n> checks` to stdout when all pass;
//! every wait in it is bounded, and warden is killed after 60 s regardless.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest_p2, Output, Warden};

const GUEST: &str = "p2-sockets";

/// `warden run <flags> p2-sockets.wasm <mode>`.
fn run(flags: &[&str], mode: &str) -> Output {
    let wasm = guest_p2(GUEST);
    Warden::new()
        .arg("run")
        .args(flags)
        .arg(&wasm)
        .arg(mode)
        .output()
}

#[track_caller]
fn assert_all_ok(out: &Output, mode: &str) {
    out.assert_all_checks_ok(&format!("mode {mode}"));
}

/// Does this host have an IPv6 loopback? (Then the guest must not skip it.)
fn host_has_ipv6_loopback() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

#[track_caller]
fn assert_ipv6_not_skipped_if_available(out: &Output) {
    if host_has_ipv6_loopback() {
        assert!(
            !out.stdout.contains("IPv6 checks skipped"),
            "the host has ::1 but the guest skipped IPv6:\n{}",
            out.describe()
        );
    } else {
        eprintln!("note: no IPv6 loopback on this host; the guest ran IPv4 only");
    }
}

/// Everything granted: TCP and UDP on 127.0.0.1 and ::1, options, lookup.
#[test]
fn full() {
    let out = run(
        &["-S", "inherit-network", "-S", "allow-ip-name-lookup"],
        "full",
    );
    assert_all_ok(&out, "full");
    assert_ipv6_not_skipped_if_available(&out);
}

/// Binding 127.0.0.1 granted, connecting only to ports 1-1023: the
/// ephemeral listener port is denied at once.
#[test]
fn partial() {
    let out = run(
        &[
            "--allow-bind",
            "127.0.0.1",
            "--allow-connect",
            "127.0.0.1:1-1023",
        ],
        "partial",
    );
    assert_all_ok(&out, "partial");
}

/// No grant: sockets and options work, bind/connect/lookup are denied.
#[test]
fn none() {
    let out = run(&[], "none");
    assert_all_ok(&out, "none");
}

/// `-S tcp=n`: no TCP sockets, UDP still works.
#[test]
fn notcp() {
    let out = run(&["-S", "inherit-network", "-S", "tcp=n"], "notcp");
    assert_all_ok(&out, "notcp");
    assert_ipv6_not_skipped_if_available(&out);
}
