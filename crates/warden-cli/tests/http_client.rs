//! Outgoing wasi:http 0.2: runs the `p2-http-client` component
//! (guests/p2-http-client, built for wasm32-wasip2) through the real `warden`
//! binary against loopback servers started here, and asserts what
//! docs/http.md promises: fields rules, request accessors, GET/HEAD/POST
//! with streamed bodies and trailers, content-length checks, a 4 MiB round
//! trip, each error code, the egress grants and https with a test CA.
//!
//! One warden process per scenario: `warden run -S http [grants] guest.wasm
//! SCENARIO URL`. The guest prints `FAIL <check>: ...` to stderr for each
//! failed check and `ok <n> checks` to stdout when all pass; every wait in it
//! has a deadline, the servers here stop stalled connections after 15 s, and
//! warden is killed after 40 s regardless.
//!
//! The servers (common/http_server.rs) are a small HTTP/1.1 implementation over `std::net` (and
//! rustls for https) so that each response — stalls, cuts, trailers,
//! garbage — is exactly what the test says. Routes: see
//! guests/p2-http-client/src/client.rs.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use common::{free_port, guest_p2, tempdir, Output, Warden};
use http_server::{h2_server, pki, Server};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const GUEST: &str = "p2-http-client";

// ---------------------------------------------------------------------------
// Running the guest

/// `warden run <flags> p2-http-client.wasm <scenario> [url]`.
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
    let auth = authority_of(url);
    run(&["-S", "http", "--allow-http", &auth], scenario, Some(url))
}

fn authority_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

/// The guest ran `scenario` to the end and no check failed.
#[track_caller]
fn assert_all_ok(out: &Output, scenario: &str) {
    out.assert_all_checks_ok(&format!("scenario {scenario}"));
    for l in out
        .stdout
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("note:"))
    {
        eprintln!("{scenario}: {l}");
    }
}

/// Lines of warden's own stderr (not the guest's `FAIL` lines) that mention
/// `--allow-http`: the denial warnings.
fn denial_warnings(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| !l.starts_with("FAIL ") && l.contains("--allow-http"))
        .collect()
}

// ---------------------------------------------------------------------------
// No network

#[test]
fn fields() {
    let out = run(&["-S", "http"], "fields", None);
    assert_all_ok(&out, "fields");
}

#[test]
fn request_accessors() {
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

/// GET with request headers, the response's status, headers (immutable),
/// body and trailers; HEAD; a PURGE; a 404; no path.
#[test]
fn get_head_purge() {
    let s = Server::http();
    let out = run_granted("get", &s.url());
    assert_all_ok(&out, "get");
    // Five requests one after the other: connections are reused (a pool
    // per destination), so fewer than five connections — at least one
    // reuse, leaving room for a connection not yet back in the pool.
    let conns = s.connections();
    eprintln!("get: 5 requests on {conns} connection(s)");
    assert!(
        (1..5).contains(&conns),
        "5 requests took {conns} connections: none was reused"
    );
}

#[test]
fn post_streamed_body_with_trailers() {
    let s = Server::http();
    let out = run_granted("post", &s.url());
    assert_all_ok(&out, "post");
}

/// Trailers given to `outgoing-body.finish` reach the server even when the
/// guest did not announce them in a `Trailer` header.
#[test]
fn post_trailers_without_trailer_header() {
    let s = Server::http();
    let out = run_granted("trailers-undeclared", &s.url());
    assert_all_ok(&out, "trailers-undeclared");
}

/// Both values of a trailer given twice reach the server.
#[test]
fn post_repeated_trailer_values() {
    let s = Server::http();
    let out = run_granted("trailers-repeated", &s.url());
    assert_all_ok(&out, "trailers-repeated");
}

#[test]
fn content_length_mismatch() {
    let s = Server::http();
    let out = run_granted("length", &s.url());
    assert_all_ok(&out, "length");
}

#[test]
fn large_body_round_trip() {
    let s = Server::http();
    let out = run_granted("large", &s.url());
    assert_all_ok(&out, "large");
}

// ---------------------------------------------------------------------------
// Errors

#[test]
fn connection_refused() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = run_granted("refused", &url);
    assert_all_ok(&out, "refused");
}

/// A listener with backlog 0 whose queue is already full: the kernel drops
/// further SYNs, so connecting hangs until the guest's connect-timeout.
#[test]
fn connect_timeout() {
    use socket2::{Domain, Socket, Type};
    let l = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    l.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    l.listen(0).unwrap();
    let addr: SocketAddr = l.local_addr().unwrap().as_socket().unwrap();
    // Fill the accept queue until a connect hangs.
    let mut fillers = Vec::new();
    let mut hangs = false;
    for _ in 0..16 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => fillers.push(s),
            Err(_) => {
                hangs = true;
                break;
            }
        }
    }
    if !hangs {
        eprintln!(
            "note: connect-timeout skipped: connecting to a full backlog-0 listener on loopback does not hang on this host"
        );
        return;
    }
    let out = run_granted("connect-timeout", &format!("http://{addr}"));
    assert_all_ok(&out, "connect-timeout");
    drop(fillers);
    drop(l);
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

#[test]
fn invalid_scheme_and_authority() {
    let s = Server::http();
    let out = run(
        &["-S", "http", "--allow-http", "*"],
        "invalid",
        Some(&s.url()),
    );
    assert_all_ok(&out, "invalid");
}

// ---------------------------------------------------------------------------
// Egress grants

/// Denied requests fail at once in `handle`, reach no server, and warden
/// warns with one line naming the authority and `--allow-http` (the guest
/// is denied twice for the same destination: still one line).
#[test]
fn egress_denied() {
    let s = Server::http();
    let other = free_port();
    let auth = s.authority();
    let cases: Vec<Vec<String>> = vec![
        vec![],
        vec!["--allow-http".into(), format!("127.0.0.1:{other}")],
        vec!["--allow-http".into(), "127.0.0.2".into()],
        // A name is matched as a name, never resolved.
        vec!["--allow-http".into(), "localhost".into()],
        vec!["--allow-http".into(), format!("localhost:{}", s.port())],
        vec!["-S".into(), "allow-ip-name-lookup".into()],
    ];
    for grant in cases {
        let mut flags: Vec<&str> = vec!["-S", "http"];
        flags.extend(grant.iter().map(String::as_str));
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

/// Each form of grant that covers the server lets the request through.
#[test]
fn egress_allowed() {
    let s = Server::http();
    let auth = s.authority();
    let other = format!("127.0.0.1:{}", free_port());
    let cases: Vec<Vec<&str>> = vec![
        vec!["--allow-http", &auth],
        vec!["--allow-http", "127.0.0.1"],
        vec!["--allow-http", "*"],
        vec!["--allow-http", &other, "--allow-http", &auth],
        vec!["-S", "inherit-network"],
    ];
    for grant in cases {
        let mut flags: Vec<&str> = vec!["-S", "http"];
        flags.extend(grant.iter().copied());
        let start = Instant::now();
        let out = run(&flags, "hello", Some(&s.url()));
        assert_all_ok(&out, "hello");
        assert!(
            denial_warnings(&out).is_empty(),
            "grant {grant:?}: a denial warning for an allowed request:\n{}",
            out.describe()
        );
        eprintln!("grant {grant:?}: {:?}", start.elapsed());
    }
}

/// Host names compare case-insensitively: `--allow-http LOCALHOST:PORT`
/// grants `http://localhost:PORT`. The server listens on 127.0.0.1 and, when
/// the host has it, on ::1 at the same port, whichever `localhost` means.
#[test]
fn egress_allowed_name_case_insensitive() {
    let (s, _v6) = loop {
        let s = Server::http();
        match TcpListener::bind(("::1", s.port())) {
            Ok(l) => break (s, Some(Server::serve(l, None))),
            Err(_) if TcpListener::bind("[::1]:0").is_ok() => continue, // port taken on ::1; retry
            Err(_) => break (s, None),
        }
    };
    let url = format!("http://localhost:{}", s.port());
    let grant = format!("LOCALHOST:{}", s.port());
    let out = run(&["-S", "http", "--allow-http", &grant], "hello", Some(&url));
    assert_all_ok(&out, "hello");
}

/// `[IPV6]:PORT` grants; skipped when the host has no IPv6 loopback.
#[test]
fn egress_allowed_ipv6() {
    let Ok(l) = TcpListener::bind("[::1]:0") else {
        eprintln!("note: no IPv6 loopback on this host; skipped");
        return;
    };
    let s = Server::serve(l, None);
    let url = format!("http://{}", s.addr);
    let out = run(
        &["-S", "http", "--allow-http", &s.authority()],
        "hello",
        Some(&url),
    );
    assert_all_ok(&out, "hello");
    let out = run(
        &["-S", "http", "--allow-http", "[::1]"],
        "hello",
        Some(&url),
    );
    assert_all_ok(&out, "hello");
}

// ---------------------------------------------------------------------------
// https

#[test]
fn https_with_test_ca() {
    let s = Server::https();
    let d = tempdir();
    let ca = d.path().join("ca.pem");
    std::fs::write(&ca, &pki().ca_pem).unwrap();
    let url = s.https_url();
    let out = run(
        &[
            "-S",
            "http",
            "--allow-http",
            &s.authority(),
            "--http-ca-cert",
            ca.to_str().unwrap(),
        ],
        "https",
        Some(&url),
    );
    assert_all_ok(&out, "https");
}

#[test]
fn https_http2_by_alpn() {
    let s = h2_server();
    let d = tempdir();
    let ca = d.path().join("ca.pem");
    std::fs::write(&ca, &pki().ca_pem).unwrap();
    let out = run(
        &[
            "-S",
            "http",
            "--allow-http",
            &s.addr.to_string(),
            "--http-ca-cert",
            ca.to_str().unwrap(),
        ],
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

/// `-S http-outgoing-body-chunk-size=N` (Wasmtime's option): `check-write`
/// on an outgoing body grants N, and a longer write traps; 1 MiB otherwise.
#[test]
fn outgoing_body_chunk_size_option() {
    let out = run(
        &[
            "-S",
            "http,http-outgoing-body-chunk-size=4096,http-outgoing-body-buffer-chunks=2",
        ],
        "permit",
        None,
    );
    assert!(out.stdout.contains("permit 4096"), "{}", out.describe());
    assert_eq!(
        out.code,
        Some(134),
        "a write over the permit traps: {}",
        out.describe()
    );
    let out = run(&["-S", "http"], "permit", None);
    assert!(out.stdout.contains("permit 1048576"), "{}", out.describe());
}
