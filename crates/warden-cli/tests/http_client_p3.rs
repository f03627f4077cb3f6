//! Outgoing wasi:http 0.3 (`wasi:http/types@0.3.2` and `client.send`):
//! runs the `p3-http-client` component (guests/p3-http-client, a WASI 0.3
//! command) through the real `warden` binary against the loopback servers
//! of common/http_server.rs (shared with http_client.rs, the 0.2 suite),
//! and asserts what docs/http.md and wit/p3/deps/http.wit promise: the
//! fields rules (with `size-exceeded` and `get-and-delete`), request,
//! response and request-options accessors, GET with an exact body, POST
//! streaming a body with trailers and receiving trailers, content-length
//! mismatches, each error code and timeout, the egress grants, https with a
//! test CA and HTTP/2 by ALPN.
//!
//! One warden process per scenario: `warden run -S http [grants] guest.wasm
//! SCENARIO URL`. The guest prints `scenario NAME` first, `FAIL <check>: ...`
//! to stderr for each failed check and `ok <n> checks` to stdout when all
//! pass; every wait in it has a deadline, and warden is killed after 40 s
//! regardless.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use common::{free_port, guest_p2, tempdir, Output, Warden};
use http_server::{h2_server, hanging_listener, pki, Server};
use std::sync::atomic::Ordering;
use std::time::Duration;

const GUEST: &str = "p3-http-client";

/// `warden run <flags> p3-http-client.wasm <scenario> [url]`.
fn run(flags: &[&str], scenario: &str, url: Option<&str>) -> Output {
    let wasm = guest_p2(GUEST);
    Warden::new()
        .timeout(Duration::from_secs(40))
        .arg("run")
        .args(flags)
        .arg(&wasm)
        .arg(scenario)
        .args(url)
        .output()
}

/// `run` with `-S http --allow-http <authority of url>`.
fn run_granted(scenario: &str, url: &str) -> Output {
    let auth = url.split("://").nth(1).unwrap().trim_end_matches('/');
    run(&["-S", "http", "--allow-http", auth], scenario, Some(url))
}

/// The guest ran `scenario` to the end and no check failed.
#[track_caller]
fn assert_all_ok(out: &Output, scenario: &str) {
    out.assert_all_checks_ok(&format!("scenario {scenario}"));
    for l in out.stdout.lines().filter(|l| l.starts_with("ok ")) {
        eprintln!("{scenario}: {l}");
    }
}

/// Lines of warden's own stderr that mention `--allow-http`: the denial
/// warnings.
fn denial_warnings(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| !l.starts_with("FAIL ") && l.contains("--allow-http"))
        .collect()
}

fn ca_file(d: &tempfile::TempDir) -> String {
    let ca = d.path().join("ca.pem");
    std::fs::write(&ca, &pki().ca_pem).unwrap();
    ca.to_str().unwrap().to_string()
}

// ---------------------------------------------------------------------------
// No network

#[test]
fn fields() {
    let out = run(&["-S", "http"], "fields", None);
    assert_all_ok(&out, "fields");
}

#[test]
fn request_response_and_options() {
    let out = run(&["-S", "http"], "request", None);
    assert_all_ok(&out, "request");
}

/// Without `-S http` the component is refused with one line naming the
/// wasi:http import.
#[test]
fn without_s_http_is_one_clear_line() {
    let out = run(&[], "fields", None);
    out.assert_code(1);
    out.assert_stderr_contains("wasi:http");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.describe());
    assert!(
        !out.stdout.contains("scenario"),
        "the guest ran: {}",
        out.describe()
    );
}

// ---------------------------------------------------------------------------
// Requests that succeed

#[test]
fn get_exact_body_and_immutable_headers() {
    let s = Server::http();
    let out = run_granted("get", &s.url());
    assert_all_ok(&out, "get");
}

#[test]
fn post_streamed_body_with_trailers_both_ways() {
    let s = Server::http();
    let out = run_granted("post", &s.url());
    assert_all_ok(&out, "post");
}

#[test]
fn content_length_mismatch() {
    let s = Server::http();
    let out = run_granted("length", &s.url());
    assert_all_ok(&out, "length");
}

// ---------------------------------------------------------------------------
// Errors

#[test]
fn connection_refused() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = run_granted("refused", &url);
    assert_all_ok(&out, "refused");
}

#[test]
fn connect_timeout() {
    let Some((_l, addr, _fillers)) = hanging_listener() else {
        eprintln!(
            "note: connect-timeout skipped: connecting to a full backlog-0 listener on loopback does not hang on this host"
        );
        return;
    };
    let out = run_granted("connect-timeout", &format!("http://{addr}"));
    assert_all_ok(&out, "connect-timeout");
}

#[test]
fn first_byte_timeout() {
    let s = Server::http();
    let out = run_granted("first-byte-timeout", &s.url());
    assert_all_ok(&out, "first-byte-timeout");
}

#[test]
fn between_bytes_timeout() {
    let s = Server::http();
    let out = run_granted("between-bytes-timeout", &s.url());
    assert_all_ok(&out, "between-bytes-timeout");
}

#[test]
fn peer_closes_mid_body() {
    let s = Server::http();
    let out = run_granted("cut", &s.url());
    assert_all_ok(&out, "cut");
}

#[test]
fn malformed_response() {
    let s = Server::http();
    let out = run_granted("malformed", &s.url());
    assert_all_ok(&out, "malformed");
}

// ---------------------------------------------------------------------------
// Egress grants

/// Without a grant covering the server, `send` fails at once with
/// `HTTP-request-denied`, no connection reaches the server, and warden
/// warns with one line naming the authority and `--allow-http`.
#[test]
fn egress_denied() {
    let s = Server::http();
    let auth = s.authority();
    let other = format!("127.0.0.1:{}", free_port());
    for grant in [vec![], vec!["--allow-http", other.as_str()]] {
        let mut flags = vec!["-S", "http"];
        flags.extend(grant.iter().copied());
        let out = run(&flags, "denied", Some(&s.url()));
        assert_all_ok(&out, "denied");
        let warnings = denial_warnings(&out);
        assert!(
            warnings.len() == 1 && warnings[0].contains(&auth),
            "grant {grant:?}: expected one warning line naming {auth} and --allow-http, got {warnings:?}\n{}",
            out.describe()
        );
    }
    assert_eq!(s.connections(), 0, "a denied request reached the server");
}

#[test]
fn egress_allowed() {
    let s = Server::http();
    let auth = s.authority();
    for grant in [
        vec!["--allow-http", auth.as_str()],
        vec!["--allow-http", "127.0.0.1"],
        vec!["--allow-http", "*"],
        vec!["-S", "inherit-network"],
    ] {
        let mut flags = vec!["-S", "http"];
        flags.extend(grant.iter().copied());
        let out = run(&flags, "hello", Some(&s.url()));
        assert_all_ok(&out, "hello");
        assert!(
            denial_warnings(&out).is_empty(),
            "grant {grant:?}: a denial warning for an allowed request:\n{}",
            out.describe()
        );
    }
}

// ---------------------------------------------------------------------------
// https

#[test]
fn https_with_test_ca() {
    let s = Server::https();
    let d = tempdir();
    let ca = ca_file(&d);
    let auth = s.authority();
    let out = run(
        &["-S", "http", "--allow-http", &auth, "--http-ca-cert", &ca],
        "https",
        Some(&s.https_url()),
    );
    assert_all_ok(&out, "https");
}

#[test]
fn https_http2_by_alpn() {
    let s = h2_server();
    let d = tempdir();
    let ca = ca_file(&d);
    let auth = s.addr.to_string();
    let out = run(
        &["-S", "http", "--allow-http", &auth, "--http-ca-cert", &ca],
        "https",
        Some(&format!("https://{}", s.addr)),
    );
    assert_all_ok(&out, "https");
    assert_eq!(
        s.served.load(Ordering::SeqCst),
        2,
        "both requests of the scenario reached the HTTP/2-only server"
    );
}

#[test]
fn https_untrusted_certificate() {
    let s = Server::https();
    let out = run_granted("https-untrusted", &s.https_url());
    assert_all_ok(&out, "https-untrusted");
}
