//! wasi:sockets@0.3 over loopback: runs the `p3-sockets` component
//! (guests/p3-sockets, a WASI 0.3 command built for wasm32-wasip2) through
//! the real `warden` binary with the network granted and without. The
//! guest prints `FAIL <check>: ...` to stderr for each failed check and
//! `ok <n> checks` to stdout when all pass; every wait in it is raced
//! against a monotonic-clock timer, and warden is killed after 60 s
//! regardless.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest_p2, Output, Warden};

const GUEST: &str = "p3-sockets";

/// `warden run <flags> p3-sockets.wasm <mode>`.
fn run(flags: &[&str], mode: &str) -> Output {
    let wasm = guest_p2(GUEST);
    Warden::new()
        .arg("run")
        .args(flags)
        .arg(&wasm)
        .arg(mode)
        .output()
}

/// Everything granted: TCP (echo, concurrent receives, state errors,
/// refused), UDP, options and lookup, on 127.0.0.1 and ::1.
#[test]
fn full() {
    let out = run(
        &["-S", "inherit-network", "-S", "allow-ip-name-lookup"],
        "full",
    );
    out.assert_all_checks_ok("mode full");
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        assert!(
            !out.stdout.contains("IPv6 checks skipped"),
            "the host has ::1 but the guest skipped IPv6:\n{}",
            out.describe()
        );
    }
}

/// Binding 127.0.0.1 granted, connecting only to ports 1-1023: the
/// ephemeral listener port, other addresses and `listen`'s implicit bind
/// are denied at once.
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
    out.assert_all_checks_ok("mode partial");
}

/// No grant: sockets and options work; bind, listen, connect, UDP
/// send/connect and name lookup are denied with `access-denied`.
#[test]
fn none() {
    let out = run(&[], "none");
    out.assert_all_checks_ok("mode none");
}
