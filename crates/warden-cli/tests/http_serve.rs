//! End-to-end tests of `warden serve` against the contract in docs/http.md
//! ("Serving"), with the proxy component guests/p2-http-proxy (its routes are
//! listed at the top of its src/lib.rs).
//!
//! Every test starts its own `warden serve --addr 127.0.0.1:0 ...` and finds
//! the port in the one stderr line `Serving HTTP on http://ADDR/`. HTTP/1.1
//! is spoken by the small std::net client of common/serve.rs (exact bytes,
//! so malformed and half-sent requests are possible); h2c with prior
//! knowledge by the `h2` crate. Everything is bounded in time; a server left running is killed
//! when its [`Server`] drops.
//!
//! The load test takes a lock that keeps the other tests out while it runs,
//! so its figures and their timings do not disturb each other.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::serve::*;
use common::{guest_p2, tempdir, Warden};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

const HELLO: &[u8] = b"hello from warden\n";

// ---------------------------------------------------------------------------
// Test isolation: the load test runs alone.

static LOCK: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    LOCK.read().unwrap_or_else(|e| e.into_inner())
}

fn exclusive() -> RwLockWriteGuard<'static, ()> {
    LOCK.write().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// 1. Routes, keep-alive, h2c, concurrency.

#[test]
fn hello_and_status_routes() {
    let _g = shared();
    let srv = Server::start(&[]);

    let r = srv.get("/hello");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, HELLO);
    assert_eq!(r.header("content-type"), Some("text/plain"), "{r:?}");

    for s in [200u16, 201, 202, 301, 404, 418, 500, 503, 599] {
        let r = srv.get(&format!("/status/{s}"));
        assert_eq!(r.status, s, "/status/{s}: {r:?}");
        assert_eq!(r.text(), format!("status {s}\n"), "/status/{s}");
    }
    for s in [204u16, 304] {
        let r = srv.get(&format!("/status/{s}"));
        assert_eq!(r.status, s, "/status/{s}: {r:?}");
        assert!(r.body.is_empty(), "/status/{s}: {r:?}");
    }
    // Invalid status codes are refused by outgoing-response.set-status-code
    // (the guest then answers 400 itself).
    for bad in ["99", "1000", "abc"] {
        let r = srv.get(&format!("/status/{bad}"));
        assert_eq!(r.status, 400, "/status/{bad}: {r:?}");
        assert_eq!(r.text(), "invalid status\n");
    }

    let r = srv.get("/nowhere");
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.text(), "not found\n");

    // The access log: one line per request naming method, path and status.
    assert!(
        srv.wait_stderr_line(Duration::from_secs(5), |l| {
            l.contains("GET") && l.contains("/hello") && tokens(l).any(|t| t == "200")
        }),
        "no access-log line for GET /hello 200:\n{}",
        srv.stderr()
    );
    assert!(
        srv.wait_stderr_line(Duration::from_secs(5), |l| {
            l.contains("/status/418") && tokens(l).any(|t| t == "418")
        }),
        "no access-log line for GET /status/418:\n{}",
        srv.stderr()
    );
}

#[test]
fn access_log_line_names_id_method_path_status_bytes_and_duration() {
    let _g = shared();
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    // Requests 1..=12, then request 13 echoes 4321 bytes.
    for _ in 0..12 {
        assert_eq!(c.request("GET", "/hello", &[], b"").status, 200);
    }
    let body = vec![b'e'; 4321];
    let r = c.request("POST", "/echo", &[], &body);
    assert_eq!((r.status, r.body.len()), (200, 4321));
    let found = srv.wait_stderr_line(Duration::from_secs(5), |l| {
        let t: Vec<&str> = tokens(l).collect();
        let has = |w: &str| t.contains(&w);
        l.contains("POST")
            && l.contains("/echo")
            && has("13")
            && has("200")
            && has("4321")
            && ["ms", "us", "s", "ns"].iter().any(|u| has(u))
    });
    assert!(
        found,
        "no access-log line with id 13, POST, /echo, 200, 4321 bytes and a duration \
         (docs/http.md: \"id, method, path, status, bytes, duration\"):\n{}",
        srv.stderr()
    );
}

#[test]
fn every_request_gets_a_fresh_instance() {
    let _g = shared();
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    for i in 0..5 {
        let r = c.request("GET", "/count", &[], b"");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "1\n"),
            "request {i} on one connection"
        );
    }
    let addr = srv.addr;
    let handles: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || Conn::open(addr).request("GET", "/count", &[], b"").text())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "1\n", "parallel requests");
    }
}

#[test]
fn max_memory_size_caps_each_instance() {
    let _g = shared();
    const MIB: usize = 1 << 20;
    let srv = Server::start(&["-W", &format!("max-memory-size={}", 16 * MIB)]);
    let r = srv.get(&format!("/alloc/{}", 32 * MIB));
    assert_eq!(
        r.status,
        507,
        "32 MiB under -W max-memory-size=16MiB: {}",
        r.text()
    );
    // Per instance: 8 MiB fits every time, it does not add up.
    for i in 0..3 {
        let r = srv.get(&format!("/alloc/{}", 8 * MIB));
        assert_eq!(r.status, 200, "8 MiB, request {i}: {}", r.text());
    }
    drop(srv);
    let srv = Server::start(&[]);
    let r = srv.get(&format!("/alloc/{}", 32 * MIB));
    assert_eq!(r.status, 200, "32 MiB without a limit: {}", r.text());
}

#[test]
fn serving_something_that_is_not_a_proxy_component_fails_at_start() {
    let _g = shared();
    let dir = tempdir();
    let text = dir.path().join("not-wasm.wasm");
    std::fs::write(&text, "hello").unwrap();
    let command = guest_p2("p2-v020");
    for file in [text, command] {
        let out = Warden::new()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .arg(&file)
            .timeout(Duration::from_secs(60))
            .output();
        assert!(!out.timed_out, "{}: {}", file.display(), out.describe());
        assert_eq!(out.code, Some(1), "{}: {}", file.display(), out.describe());
        assert!(
            !out.stderr.contains("Serving HTTP on"),
            "{}",
            out.describe()
        );
        assert!(
            !out.stderr.trim().is_empty(),
            "no reason given: {}",
            out.describe()
        );
    }
}

#[test]
fn headers_route_shows_request_without_forbidden_headers() {
    let _g = shared();
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    let r = c.request(
        "GET",
        "/headers?a=1&b=two",
        &[
            ("Host", "example.test:8080"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("X-Mixed-Case", "Value With Spaces"),
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"),
            ("Proxy-Connection", "keep-alive"),
        ],
        b"",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.text(),
        "method: GET\n\
         scheme: http\n\
         authority: example.test:8080\n\
         path-with-query: /headers?a=1&b=two\n\
         header x-multi: one\n\
         header x-multi: two\n\
         header x-mixed-case: Value With Spaces\n",
        "forbidden headers must be removed, Host becomes the authority, names lower-case, order kept"
    );

    // Another method, with a body (content-length is a plain header).
    let r = c.request("PURGE", "/headers", &[("X-A", "1")], b"xyz");
    assert_eq!(r.status, 200, "{r:?}");
    let t = r.text();
    assert!(
        t.starts_with(
            "method: PURGE\nscheme: http\nauthority: 127.0.0.1\npath-with-query: /headers\n"
        ),
        "{t}"
    );
    assert!(t.contains("header x-a: 1\n"), "{t}");

    let r = c.request("POST", "/headers", &[], b"");
    assert!(r.text().starts_with("method: POST\n"), "{}", r.text());
}

#[test]
fn big_echo_env_stderr_routes() {
    let _g = shared();
    let srv = Server::start(&[]);

    for n in [0usize, 1, 26, 100_000, (1 << 20) + 7] {
        let r = srv.get(&format!("/big/{n}"));
        assert_eq!(r.status, 200, "/big/{n}");
        assert_eq!(r.body.len(), n, "/big/{n}: length");
        assert!(
            r.body
                .iter()
                .enumerate()
                .all(|(i, &b)| b == b'a' + (i % 26) as u8),
            "/big/{n}: content"
        );
    }

    // Plain echo with content-length.
    let mut c = srv.conn();
    let r = c.request(
        "POST",
        "/echo",
        &[
            ("Content-Type", "application/x-test"),
            ("X-Echo-Tag", "t1"),
            ("X-Other", "no"),
        ],
        b"some body bytes",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"some body bytes");
    assert_eq!(r.header("content-type"), Some("application/x-test"));
    assert_eq!(r.header("x-echo-tag"), Some("t1"));
    assert_eq!(
        r.header("x-other"),
        None,
        "only selected headers are echoed"
    );
    assert!(
        r.trailers.is_empty(),
        "no request trailers, no response trailers: {r:?}"
    );
    // Empty body.
    let r = c.request("POST", "/echo", &[], b"");
    assert_eq!((r.status, r.body.len()), (200, 0), "{r:?}");

    // No environment variables unless granted.
    let r = srv.get("/env");
    assert_eq!(r.status, 200);

    // The guest's stderr reaches warden's stderr.
    let r = srv.get("/stderr?token-7f3a9");
    assert_eq!((r.status, r.text().as_str()), (200, "ok\n"));
    assert!(
        srv.wait_stderr_line(Duration::from_secs(5), |l| l
            .contains("guest stderr: token-7f3a9")),
        "the guest's stderr line is missing:\n{}",
        srv.stderr()
    );
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let _g = shared();
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    for i in 0..3 {
        let r = c.request("GET", "/hello", &[], b"");
        assert_eq!((r.status, r.body.as_slice()), (200, HELLO), "request {i}");
        assert_ne!(r.header("connection"), Some("close"), "{r:?}");
    }
    let r = c.request("POST", "/echo", &[], b"ping");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ping"[..]));
    let r = c.request("GET", "/status/404", &[], b"");
    assert_eq!(r.status, 404);
    let r = c.request("GET", "/big/70000", &[], b"");
    assert_eq!((r.status, r.body.len()), (200, 70000));
    // A chunked request body on the same connection.
    let mut req = request_bytes("POST", "/consume", &[("Transfer-Encoding", "chunked")], b"");
    req.extend(chunk(b"abc"));
    req.extend(chunk(b"defg"));
    req.extend_from_slice(b"0\r\n\r\n");
    c.send(&req);
    let r = c.read_response().expect("response to chunked POST");
    assert_eq!((r.status, r.text().as_str()), (200, "read 7 bytes\n"));
    // Pipelined: two requests in one write, two responses in order.
    let mut two = request_bytes("GET", "/status/201", &[], b"");
    two.extend(request_bytes("GET", "/hello", &[], b""));
    c.send(&two);
    let a = c.read_response().expect("first pipelined response");
    let b = c.read_response().expect("second pipelined response");
    assert_eq!((a.status, b.status, b.body.as_slice()), (201, 200, HELLO));
    let r = c.request("GET", "/hello", &[], b"");
    assert_eq!(r.status, 200);
}

#[test]
fn echo_streams_body_as_it_arrives_and_copies_trailers() {
    let _g = shared();
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    c.read_timeout(Duration::from_secs(10));
    c.send(&request_bytes(
        "POST",
        "/echo",
        &[
            ("Transfer-Encoding", "chunked"),
            ("Content-Type", "text/x-stream"),
            ("X-Echo-Id", "s-1"),
            // Willing to receive trailers (RFC 9110 §10.1.4) and which ones.
            ("TE", "trailers"),
            ("Trailer", "x-checksum"),
        ],
        b"",
    ));
    c.send(&chunk(b"first-part"));
    // The response and the first bytes must come back before the rest of
    // the request body is sent.
    let (status, headers) = c
        .read_head()
        .expect("echo response head before the body ended");
    assert_eq!(status, 200, "{headers:?}");
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(get("content-type").as_deref(), Some("text/x-stream"));
    assert_eq!(get("x-echo-id").as_deref(), Some("s-1"));
    assert!(
        get("transfer-encoding").is_some_and(|v| v.contains("chunked")),
        "a streamed response of unknown length is chunked: {headers:?}"
    );
    let mut got = Vec::new();
    while got.len() < b"first-part".len() {
        match c
            .read_chunk()
            .expect("first echoed bytes while the request is still open")
        {
            Some(d) => got.extend(d),
            None => panic!("body ended early: {got:?}"),
        }
    }
    assert_eq!(got, b"first-part");
    c.send(&chunk(b"second-part"));
    c.send(b"0\r\nx-checksum: abc123\r\n\r\n");
    while let Some(d) = c.read_chunk().expect("rest of the echo") {
        got.extend(d);
    }
    let trailers = c.read_fields().expect("response trailers");
    assert_eq!(got, b"first-partsecond-part");
    assert_eq!(
        trailers,
        vec![("x-checksum".to_owned(), "abc123".to_owned())],
        "request trailers copied into the response trailers"
    );
    // The connection is still usable.
    let r = c.request("GET", "/hello", &[], b"");
    assert_eq!(r.status, 200);
}

/// docs/http.md: trailers given to `outgoing-body.finish` must be declared
/// in the response's `trailer` header; an undeclared one makes `finish` fail
/// and the response is aborted, never silently cut short. Without a
/// `trailer` request header the echo guest does not declare the trailers
/// it copies.
#[test]
fn undeclared_response_trailers_abort_the_response() {
    let _g = shared();
    let srv = Server::start(&[]);

    let mut c = srv.conn();
    c.read_timeout(Duration::from_secs(10));
    let mut req = request_bytes(
        "POST",
        "/echo",
        &[("Transfer-Encoding", "chunked"), ("TE", "trailers")],
        b"",
    );
    req.extend(chunk(b"payload"));
    req.extend_from_slice(b"0\r\nx-undeclared: 1\r\n\r\n");
    c.send(&req);
    match c.read_response() {
        Err(_) => {}
        Ok(r) => panic!("HTTP/1.1: a response with an undeclared trailer was completed: {r:?}"),
    }

    let base = format!("http://{}", srv.addr);
    block_on(async {
        let client = h2_connect(srv.addr).await;
        let mut t = http::HeaderMap::new();
        t.insert("x-undeclared", "1".parse().unwrap());
        // Aborted either way: reset before the response head (when the
        // guest's error reaches hyper before the head is flushed, h2 drops
        // the queued head with the stream) or after it, mid-body.
        let r = h2_try_request(
            &client,
            "POST",
            &format!("{base}/echo"),
            &[],
            b"payload",
            Some(t),
        )
        .await;
        assert!(
            !r.as_ref().is_ok_and(|r| r.error.is_none()),
            "h2: a response with an undeclared trailer was completed: {:?}",
            r.as_ref()
                .map(|r| (r.status, String::from_utf8_lossy(&r.body), &r.trailers))
        );
        // The connection is still fine for other streams.
        let r = h2_request(&client, "GET", &format!("{base}/hello"), &[], b"", None)
            .await
            .complete();
        assert_eq!(r.status, 200);
    });
    assert_eq!(srv.get("/hello").status, 200);
}

#[test]
fn echo_of_a_large_body_is_full_duplex() {
    let _g = shared();
    let srv = Server::start(&[]);
    let mut c = srv.conn();
    const N: usize = 4 << 20;
    let data: Arc<Vec<u8>> = Arc::new((0..N).map(|i| (i * 7 % 251) as u8).collect());
    c.send(&request_bytes(
        "POST",
        "/echo",
        &[("Transfer-Encoding", "chunked")],
        b"",
    ));
    let mut w = c.s.try_clone().unwrap();
    let d = data.clone();
    // The writer sends while the reader reads: neither side may wait for
    // the whole body.
    let writer = std::thread::spawn(move || -> io::Result<()> {
        for piece in d.chunks(16 * 1024) {
            w.write_all(&chunk(piece))?;
        }
        w.write_all(b"0\r\n\r\n")
    });
    let r = c.read_response().expect("echo of 4 MiB");
    writer.join().unwrap().expect("writing the request body");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), N);
    assert!(r.body == *data, "echoed bytes differ");
}

#[test]
fn h2c_prior_knowledge() {
    let _g = shared();
    let srv = Server::start(&[]);
    let base = format!("http://{}", srv.addr);
    block_on(async {
        let client = h2_connect(srv.addr).await;

        let r = h2_request(&client, "GET", &format!("{base}/hello"), &[], b"", None)
            .await
            .complete();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, HELLO);
        assert_eq!(
            r.headers.get("content-type").map(|v| v.to_str().unwrap()),
            Some("text/plain")
        );

        let r = h2_request(
            &client,
            "GET",
            &format!("{base}/headers?h2=1"),
            &[("x-h2", "yes")],
            b"",
            None,
        )
        .await
        .complete();
        assert_eq!(r.status, 200);
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            format!(
                "method: GET\nscheme: http\nauthority: {}\npath-with-query: /headers?h2=1\nheader x-h2: yes\n",
                srv.addr
            )
        );

        let r = h2_request(
            &client,
            "GET",
            &format!("{base}/status/418"),
            &[],
            b"",
            None,
        )
        .await
        .complete();
        assert_eq!((r.status, r.body.as_slice()), (418, &b"status 418\n"[..]));

        // Echo with trailers, declared in a `trailer` header (docs/http.md:
        // the guest echoes it, so its response declares them too).
        let mut t = http::HeaderMap::new();
        t.insert("x-checksum", "h2sum".parse().unwrap());
        let r = h2_request(
            &client,
            "POST",
            &format!("{base}/echo"),
            &[
                ("x-echo-h2", "1"),
                ("content-type", "text/plain"),
                ("trailer", "x-checksum"),
            ],
            b"h2 body",
            Some(t),
        )
        .await
        .complete();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"h2 body");
        assert_eq!(
            r.headers.get("x-echo-h2").map(|v| v.to_str().unwrap()),
            Some("1")
        );
        let tr = r.trailers.expect("response trailers over h2");
        assert_eq!(
            tr.get("x-checksum").map(|v| v.to_str().unwrap()),
            Some("h2sum")
        );

        let r = h2_request(
            &client,
            "GET",
            &format!("{base}/big/300000"),
            &[],
            b"",
            None,
        )
        .await
        .complete();
        assert_eq!((r.status, r.body.len()), (200, 300000));

        // A request body beyond the initial 64 KiB flow-control window.
        let big: Vec<u8> = (0..(3usize << 20) + 5).map(|i| (i % 253) as u8).collect();
        let r = h2_request(&client, "POST", &format!("{base}/echo"), &[], &big, None)
            .await
            .complete();
        assert_eq!(r.status, 200);
        assert!(
            r.body == big,
            "3 MiB echoed over h2 differ ({} bytes back)",
            r.body.len()
        );

        // Streams on one connection run concurrently.
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let client = client.clone();
            let uri = format!("{base}/sleep/500");
            tasks.push(tokio::spawn(async move {
                h2_request(&client, "GET", &uri, &[], b"", None)
                    .await
                    .complete()
            }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"slept 500\n"[..]));
        }
        let took = t0.elapsed();
        assert!(
            took < Duration::from_millis(1500),
            "4 concurrent h2 streams of /sleep/500 took {took:?}"
        );
    });
}

#[test]
fn requests_run_concurrently() {
    let _g = shared();
    let srv = Server::start(&[]);
    // Warm up (first instance, first connection).
    assert_eq!(srv.get("/hello").status, 200);
    let t0 = Instant::now();
    let addr = srv.addr;
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || Conn::open(addr).request("GET", "/sleep/500", &[], b""))
        })
        .collect();
    for h in handles {
        let r = h.join().unwrap();
        assert_eq!((r.status, r.text().as_str()), (200, "slept 500\n"));
    }
    let took = t0.elapsed();
    println!("8 parallel /sleep/500: {took:?}");
    assert!(took >= Duration::from_millis(500));
    assert!(
        took < Duration::from_millis(1500),
        "8 parallel /sleep/500 took {took:?}: requests are not concurrent (serially: 4 s)"
    );
}

// ---------------------------------------------------------------------------
// 2. Bad input, limits, failing guests.

#[test]
fn malformed_requests_get_400_and_the_server_keeps_serving() {
    let _g = shared();
    let srv = Server::start(&[]);
    for raw in [
        &b"this is not http\r\n\r\n"[..],
        b"GET /hello HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n",
        b"GET /hel lo HTTP/1.1\r\nhost: x\r\n\r\n",
    ] {
        let mut c = srv.conn();
        c.read_timeout(Duration::from_secs(10));
        c.send(raw);
        let r = c.read_head();
        match r {
            Ok((status, _)) => assert_eq!(status, 400, "{:?}", String::from_utf8_lossy(raw)),
            Err(e) => panic!("no 400 for {:?}: {e}", String::from_utf8_lossy(raw)),
        }
        let r = srv.get("/hello");
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, HELLO),
            "after a malformed request"
        );
    }
}

#[test]
fn oversized_header_gets_431() {
    let _g = shared();
    let srv = Server::start(&["--max-header-size", "16384"]);
    let small = "a".repeat(4000);
    let r = srv
        .conn()
        .request("GET", "/hello", &[("X-Big", &small)], b"");
    assert_eq!(
        r.status, 200,
        "a 4000-byte header is under --max-header-size 16384"
    );
    let big = "a".repeat(20000);
    let mut c = srv.conn();
    c.send(&request_bytes("GET", "/hello", &[("X-Big", &big)], b""));
    match c.read_head() {
        Ok((status, _)) => assert_eq!(
            status, 431,
            "20000-byte header over --max-header-size 16384"
        ),
        Err(e) => panic!("no 431 for a header over --max-header-size: {e}"),
    }
    assert_eq!(srv.get("/hello").status, 200, "still serving");
    drop(srv);

    // The default limit: 64 KiB.
    let srv = Server::start(&[]);
    let r = srv
        .conn()
        .request("GET", "/hello", &[("X-Big", &"b".repeat(48 * 1024))], b"");
    assert_eq!(
        r.status, 200,
        "48 KiB of header is under the default 64 KiB"
    );
    let mut c = srv.conn();
    c.send(&request_bytes(
        "GET",
        "/hello",
        &[("X-Big", &"b".repeat(80 * 1024))],
        b"",
    ));
    match c.read_head() {
        Ok((status, _)) => assert_eq!(status, 431, "80 KiB header over the default 64 KiB"),
        Err(e) => panic!("no 431 for an 80 KiB header: {e}"),
    }
    assert_eq!(srv.get("/hello").status, 200, "still serving");
}

#[test]
fn body_over_max_body_size_gets_413() {
    let _g = shared();
    let srv = Server::start(&["--max-body-size", "1024"]);
    let body = vec![b'x'; 2048];

    // Declared too large up front.
    let mut c = srv.conn();
    c.send(&request_bytes("POST", "/echo", &[], &body));
    match c.read_head() {
        Ok((status, h)) => assert_eq!(
            status, 413,
            "content-length 2048 over --max-body-size 1024: {h:?}"
        ),
        Err(e) => panic!("no 413 for content-length over the limit: {e}"),
    }

    // Exactly at the limit is fine.
    let r = srv.conn().request("POST", "/consume", &[], &body[..1024]);
    assert_eq!((r.status, r.text().as_str()), (200, "read 1024 bytes\n"));

    // Chunked, found too large while the guest reads it.
    let mut c = srv.conn();
    let mut req = request_bytes("POST", "/consume", &[("Transfer-Encoding", "chunked")], b"");
    for piece in body.chunks(256) {
        req.extend(chunk(piece));
    }
    req.extend_from_slice(b"0\r\n\r\n");
    c.send(&req);
    match c.read_head() {
        Ok((status, h)) => assert_eq!(
            status, 413,
            "chunked 2048 bytes over --max-body-size 1024: {h:?}"
        ),
        Err(e) => panic!("no 413 for a chunked body over the limit: {e}"),
    }

    // h2, no content-length.
    let base = format!("http://{}", srv.addr);
    block_on(async {
        let client = h2_connect(srv.addr).await;
        let r = h2_request(
            &client,
            "POST",
            &format!("{base}/consume"),
            &[],
            &body,
            None,
        )
        .await;
        assert_eq!(
            r.status, 413,
            "h2 body of 2048 bytes over --max-body-size 1024"
        );
        let r = h2_request(
            &client,
            "POST",
            &format!("{base}/consume"),
            &[],
            &body[..1000],
            None,
        )
        .await
        .complete();
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"read 1000 bytes\n"[..])
        );
    });

    assert_eq!(srv.get("/hello").status, 200, "still serving");
}

#[test]
fn a_stalled_client_does_not_block_others() {
    let _g = shared();
    let srv = Server::start(&[]);
    // Half a request head, then nothing.
    let mut head = srv.conn();
    head.send(b"GET /hello HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ");
    // A whole head and a tenth of the body: the guest waits in its read.
    let mut body = srv.conn();
    body.send(&request_bytes(
        "POST",
        "/consume",
        &[("Content-Length", "100")],
        b"",
    ));
    body.send(&[b'y'; 10]);
    std::thread::sleep(Duration::from_millis(300));

    let t0 = Instant::now();
    for _ in 0..5 {
        let r = srv.get("/hello");
        assert_eq!((r.status, r.body.as_slice()), (200, HELLO));
    }
    let r = srv.get("/sleep/100");
    assert_eq!(r.status, 200);
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "others were held up by stalled clients: {took:?}"
    );

    // The stalled ones finish normally once they go on.
    body.send(&[b'y'; 90]);
    let r = body
        .read_response()
        .expect("response once the body is complete");
    assert_eq!((r.status, r.text().as_str()), (200, "read 100 bytes\n"));
    head.send(b"1\r\n\r\n");
    let r = head
        .read_response()
        .expect("response once the head is complete");
    assert_eq!((r.status, r.body.as_slice()), (200, HELLO));
}

#[test]
fn trap_is_500_logged_with_the_request_id_and_the_server_keeps_serving() {
    let _g = shared();
    let srv = Server::start(&[]);
    // Requests 1..=4, then the trap is request 5 (ids count from 1).
    let mut c = srv.conn();
    for _ in 0..4 {
        assert_eq!(c.request("GET", "/hello", &[], b"").status, 200);
    }
    let r = c.request("GET", "/trap", &[], b"");
    assert_eq!(r.status, 500, "{r:?}");
    let words = ["trap", "unreachable", "panic", "error", "fail"];
    assert!(
        srv.wait_stderr_line(Duration::from_secs(5), |l| {
            let low = l.to_ascii_lowercase();
            words.iter().any(|w| low.contains(w)) && tokens(l).any(|t| t == "5")
        }),
        "no log line about the trap naming request id 5:\n{}",
        srv.stderr()
    );
    // Still serving, on a new connection and after another trap.
    let r = srv.get("/hello");
    assert_eq!((r.status, r.body.as_slice()), (200, HELLO));
    assert_eq!(srv.get("/trap").status, 500);
    assert_eq!(srv.get("/hello").status, 200);
    assert!(alive(srv.pid()));
}

#[test]
fn no_response_is_500() {
    let _g = shared();
    let srv = Server::start(&[]);
    let r = srv.get("/no-response");
    assert_eq!(r.status, 500, "{r:?}");
    let r = srv.get("/no-response");
    assert_eq!(r.status, 500, "{r:?}");
    assert_eq!(srv.get("/hello").status, 200);
}

/// A busy guest is stopped at the per-request timeout: 504, and it stops
/// burning CPU.
fn check_timeout_504(flag: &[&str]) {
    let srv = Server::start(flag);
    assert_eq!(srv.get("/hello").status, 200);
    let t0 = Instant::now();
    let r = srv.get("/loop");
    let took = t0.elapsed();
    assert_eq!(r.status, 504, "{flag:?}: {r:?}");
    assert!(
        took >= Duration::from_millis(900),
        "{flag:?}: 504 after only {took:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "{flag:?}: 504 only after {took:?}"
    );
    // The looping instance was interrupted, not abandoned on a thread.
    std::thread::sleep(Duration::from_millis(300));
    let c0 = cpu_ticks(srv.pid());
    std::thread::sleep(Duration::from_secs(1));
    let burnt = cpu_ticks(srv.pid()) - c0;
    let hz = clock_ticks_per_second();
    assert!(
        burnt * 2 < hz,
        "{flag:?}: warden used {burnt} ticks ({hz}/s) of CPU in the second after the 504: the loop still runs"
    );
    let r = srv.get("/sleep/10");
    assert_eq!(r.status, 200, "{flag:?}: a short request after the timeout");
}

#[test]
fn busy_loop_hits_the_request_timeout_504() {
    let _g = shared();
    check_timeout_504(&["--request-timeout", "1s"]);
    check_timeout_504(&["-W", "timeout=1s"]);
}

/// The timeout is wall time: it also ends a guest that is blocked in a host
/// call (a clock wait, a read of a request body that stalls), not only one
/// that computes.
#[test]
fn request_timeout_also_ends_a_guest_blocked_in_a_wait() {
    let _g = shared();
    let srv = Server::start(&["--request-timeout", "1s"]);
    let mut failures = Vec::new();

    let t0 = Instant::now();
    let r = srv.get("/sleep/5000");
    let took = t0.elapsed();
    if r.status != 504 || took > Duration::from_secs(3) {
        failures.push(format!(
            "GET /sleep/5000 with --request-timeout 1s: expected 504 after ~1 s, got {} after {took:?}",
            r.status
        ));
    }

    let mut c = srv.conn();
    c.read_timeout(Duration::from_secs(6));
    let t0 = Instant::now();
    c.send(&request_bytes(
        "POST",
        "/consume",
        &[("Content-Length", "100")],
        b"",
    ));
    c.send(&[b'y'; 10]);
    match c.read_head() {
        Ok((status, _)) if status == 504 && t0.elapsed() < Duration::from_secs(3) => {}
        Ok((status, _)) => failures.push(format!(
            "POST /consume whose body stalls after 10 of 100 bytes, --request-timeout 1s: \
             expected 504 after ~1 s, got {status} after {:?}",
            t0.elapsed()
        )),
        Err(e) => failures.push(format!(
            "POST /consume whose body stalls after 10 of 100 bytes, --request-timeout 1s: \
             expected 504 after ~1 s, got no response within {:?} ({e})",
            t0.elapsed()
        )),
    }
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        srv.stderr()
    );
}

// ---------------------------------------------------------------------------
// 3. Grants reach the served component.

#[test]
fn env_and_dir_grants_reach_the_component() {
    let _g = shared();
    let dir = tempdir();
    std::fs::write(dir.path().join("note.txt"), "granted file\n").unwrap();
    let host = dir.path().to_str().unwrap().to_owned();

    let srv = Server::start_with(
        Warden::new().host_env("WARDEN_TEST_HOST_SECRET", "leak"),
        &[
            "--env",
            "GREETING=hello-env",
            "--dir",
            &format!("{host}::/data"),
        ],
    );
    let r = srv.get("/env");
    assert_eq!(r.status, 200);
    let env = r.text();
    assert!(
        env.lines().any(|l| l == "GREETING=hello-env"),
        "--env missing: {env:?}"
    );
    assert!(
        !env.contains("WARDEN_TEST_HOST_SECRET"),
        "host environment leaked: {env:?}"
    );
    let r = srv.get("/file/data/note.txt");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "granted file\n"),
        "--dir grant"
    );
    let r = srv.get("/file/data/missing.txt");
    assert_eq!(r.status, 404, "{}", r.text());
    let r = srv.get("/file/etc/hostname");
    assert_eq!(r.status, 404, "outside the grant: {}", r.text());
    drop(srv);

    // Without the grants: nothing.
    let srv = Server::start_with(Warden::new().host_env("GREETING", "from-host"), &[]);
    let env = srv.get("/env").text();
    assert!(!env.contains("GREETING"), "env without --env: {env:?}");
    let r = srv.get("/file/data/note.txt");
    assert_eq!(r.status, 404, "file without --dir: {}", r.text());
}

// ---------------------------------------------------------------------------
// 4. Graceful shutdown.

#[test]
fn sigterm_lets_in_flight_requests_finish_then_exits_0() {
    let _g = shared();
    let srv = Server::start(&[]);
    let addr = srv.addr;
    // An idle keep-alive connection must not hold the shutdown up.
    let mut idle = srv.conn();
    assert_eq!(idle.request("GET", "/hello", &[], b"").status, 200);
    // The in-flight request.
    let mut busy = srv.conn();
    let sent = Instant::now();
    busy.send(&request_bytes("GET", "/sleep/1500", &[], b""));
    std::thread::sleep(Duration::from_millis(400));

    srv.signal("TERM");
    let signalled = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    // No new connections (the in-flight request is still running).
    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Err(e) => assert_eq!(
            e.kind(),
            io::ErrorKind::ConnectionRefused,
            "connect after SIGTERM: {e}"
        ),
        Ok(mut s) => {
            // Accepted by the kernel: it must at least not be served.
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let _ = s.write_all(&request_bytes("GET", "/hello", &[], b""));
            let mut b = Vec::new();
            let _ = s.read_to_end(&mut b);
            panic!(
                "a new connection was accepted after SIGTERM (listener still open); it read {:?}",
                String::from_utf8_lossy(&b)
            );
        }
    }
    let r = busy
        .read_response()
        .expect("the in-flight request's response after SIGTERM");
    assert_eq!((r.status, r.text().as_str()), (200, "slept 1500\n"));
    assert!(sent.elapsed() >= Duration::from_millis(1500));

    let out = srv.run.finish();
    let took = signalled.elapsed();
    assert!(
        !out.timed_out,
        "warden did not exit after SIGTERM: {}",
        out.describe()
    );
    assert_eq!(
        out.code,
        Some(0),
        "exit status after SIGTERM: {}",
        out.describe()
    );
    assert!(
        took < Duration::from_secs(5),
        "exit took {took:?} after SIGTERM (in-flight request needed ~1.1 s): {}",
        out.describe()
    );
    // The idle connection was closed.
    idle.read_timeout(Duration::from_secs(2));
    assert!(
        matches!(idle.fill(), Ok(0) | Err(_)),
        "idle connection still open after exit"
    );
}

/// In-flight requests get at most 30 s after SIGTERM; then warden exits 0
/// anyway.
#[test]
fn sigterm_waits_at_most_30_s_for_in_flight_requests() {
    let _g = shared();
    let srv = Server::start(&[]);
    let mut busy = srv.conn();
    busy.send(&request_bytes("GET", "/sleep/120000", &[], b""));
    std::thread::sleep(Duration::from_millis(400));
    srv.signal("TERM");
    let t0 = Instant::now();
    let out = srv.run.finish();
    let took = t0.elapsed();
    assert!(!out.timed_out, "{}", out.describe());
    assert_eq!(out.code, Some(0), "{}", out.describe());
    assert!(
        took > Duration::from_secs(28) && took < Duration::from_secs(36),
        "exit {took:?} after SIGTERM with a 120 s request in flight (expected ~30 s): {}",
        out.describe()
    );
}

#[test]
fn sigint_on_an_idle_server_exits_0() {
    let _g = shared();
    let srv = Server::start(&[]);
    assert_eq!(srv.get("/hello").status, 200);
    srv.signal("INT");
    let t0 = Instant::now();
    let out = srv.run.finish();
    assert!(!out.timed_out, "{}", out.describe());
    assert_eq!(out.code, Some(0), "{}", out.describe());
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "exit took {:?}",
        t0.elapsed()
    );
}

// ---------------------------------------------------------------------------
// 5. Load.

/// 64 keep-alive connections hammer `/hello` for 10 s after an 8 s warm-up:
/// no errors, and the server's memory is flat after warm-up.
///
/// The warm-up is long because the first seconds ramp up while the worker
/// pool grows to the offered concurrency and each new thread's stack and
/// malloc caches get touched (CI measured 21.7 → 24.5 MiB over the first
/// 10 s on a busy 2-core machine; a 90 s run here then stayed within
/// ±1 MiB). A leak of even 8 bytes a request would add over 1 MiB in the
/// 10 s measured (≈ 130k requests), so the end may exceed the RSS at the
/// end of the warm-up by at most 8 %.
#[test]
fn load_64_keep_alive_connections_for_10_s() {
    const CONNS: usize = 64;
    const WARMUP: Duration = Duration::from_secs(8);
    const RUN: Duration = Duration::from_secs(10);
    /// End over the RSS at the end of the warm-up.
    const RSS_GROWTH_LIMIT: f64 = 0.08;

    let _g = exclusive();
    let srv = Server::start(&[]);
    let addr = srv.addr;
    let pid = srv.pid();
    assert_eq!(srv.get("/hello").status, 200);

    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let req = request_bytes("GET", "/hello", &[], b"");
    let start = Instant::now();
    let workers: Vec<_> = (0..CONNS)
        .map(|_| {
            let (ok, errors, first_error, stop, req) = (
                ok.clone(),
                errors.clone(),
                first_error.clone(),
                stop.clone(),
                req.clone(),
            );
            std::thread::spawn(move || {
                let fail = |what: String| {
                    errors.fetch_add(1, Ordering::Relaxed);
                    first_error.lock().unwrap().get_or_insert(what);
                };
                let mut conn = match Conn::try_open(addr) {
                    Ok(c) => c,
                    Err(e) => return fail(format!("connect: {e}")),
                };
                while !stop.load(Ordering::Relaxed) {
                    let r = conn.try_send(&req).and_then(|_| conn.read_response());
                    match r {
                        Ok(r) if r.status == 200 && r.body == HELLO => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => fail(format!("bad response {} {:?}", r.status, r.text())),
                        Err(e) => {
                            fail(format!("i/o: {e}"));
                            match Conn::try_open(addr) {
                                Ok(c) => conn = c,
                                Err(e) => return fail(format!("reconnect: {e}")),
                            }
                        }
                    }
                }
            })
        })
        .collect();

    std::thread::sleep(WARMUP);
    let warm_ok = ok.load(Ordering::Relaxed);
    let rss_warm = rss_kib(pid);
    let threads_warm = proc_status(pid, "Threads:");
    let mut samples = vec![rss_warm];
    while start.elapsed() < WARMUP + RUN {
        std::thread::sleep(Duration::from_secs(1));
        samples.push(rss_kib(pid));
    }
    let rss_end = rss_kib(pid);
    let threads_end = proc_status(pid, "Threads:");
    let measured = start.elapsed() - WARMUP;
    let end_ok = ok.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let total = ok.load(Ordering::Relaxed);
    let errs = errors.load(Ordering::Relaxed);
    let rps = (end_ok - warm_ok) as f64 / measured.as_secs_f64();
    let growth = rss_end as f64 / rss_warm as f64 - 1.0;
    println!(
        "load: {CONNS} keep-alive connections, GET /hello: {total} responses in {:.1} s, \
         {rps:.0} requests/s after warm-up, {errs} errors; \
         RSS after {WARMUP:?} warm-up {rss_warm} KiB, at the end {rss_end} KiB ({:+.1} %); \
         samples (KiB, 1/s): {samples:?}; threads {threads_warm} then {threads_end}",
        start.elapsed().as_secs_f64(),
        growth * 100.0
    );
    assert_eq!(
        errs,
        0,
        "{errs} errors under load, first: {:?}",
        first_error.lock().unwrap()
    );
    assert!(total > 0);
    assert!(
        growth < RSS_GROWTH_LIMIT,
        "RSS grew {:.1} % (over {:.0} %) from {rss_warm} KiB to {rss_end} KiB: samples {samples:?}, \
         threads {threads_warm} then {threads_end}",
        growth * 100.0,
        RSS_GROWTH_LIMIT * 100.0
    );
    // Healthy afterwards.
    let r = srv.get("/hello");
    assert_eq!((r.status, r.body.as_slice()), (200, HELLO));
}
