//! The scenarios that talk to a loopback server started by
//! crates/warden-cli/tests/http_client_p3.rs (the routes of
//! tests/common/http_server.rs):
//!
//! - `/hello...`: 200, `Content-Type: text/plain`, `X-Test: a`, `X-Test: b`,
//!   `Content-Length`; the body describes the request: the request line,
//!   `name: value` for every header, `framing: chunked|length|none`,
//!   `body-bytes: N`, `body-fnv: HEX`.
//! - `/echo`: 200, chunked; the request body back, then as trailers the
//!   request's trailers plus `x-server-trailer: done`.
//! - `/stall`: never answers. `/stall-body`: `Content-Length: 100`, sends
//!   10 bytes, stalls. `/cut`: `Content-Length: 1000`, 100 bytes, closes.
//!   `/malformed`: `HELLO WORLD`. Anything else: 404 with the `/hello` body.

use crate::check::{check, eq, eqs, fail};
use crate::fields::{assert_immutable, entries, get};
use crate::net::*;
use wasip3::http::types::{ErrorCode, Method, Request, RequestOptions, Response};
use wasip3::wit_future;

/// FNV-1a, 64 bits (the server computes the same).
fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The exact `/hello` body the server sends for a request without a body
/// (lines sorted: the order of the headers is hyper's).
fn hello_lines(request_line: &str, headers: &[(&str, &str)], authority: &str) -> Vec<String> {
    let mut l = vec![request_line.to_string(), format!("host: {authority}")];
    l.extend(headers.iter().map(|(n, v)| format!("{n}: {v}")));
    l.push("framing: none".into());
    l.push("body-bytes: 0".into());
    l.push(format!("body-fnv: {:016x}", fnv1a(b"")));
    l.sort();
    l
}

fn sorted_lines(body: &[u8]) -> Vec<String> {
    let mut l: Vec<String> = text(body).lines().map(str::to_string).collect();
    l.sort();
    l
}

async fn must_send(what: &str, req: Request, ns: u64) -> Option<Response> {
    match send(req, ns).await {
        Ok(r) => Some(r),
        Err(f) => {
            fail(&format!("{what}: send"), "a response", format!("{f:?}"));
            None
        }
    }
}

/// `get URL`: a GET with headers; status, headers (immutable), the exact
/// body, no trailers; a custom method; a 404.
pub async fn get_scenario(t: &Target) {
    let req = request(
        t,
        "/hello?x=1&y=%20z",
        &[("x-guest", b"one"), ("X-Multi", b"a"), ("x-multi", b"b")],
        None,
    );
    let Some(resp) = must_send("get", req, 10 * SEC).await else {
        return;
    };
    eq("get: status", 200u16, resp.get_status_code());
    let h = resp.get_headers();
    eqs("get: header x-test", vec!["a", "b"], get(&h, "x-test"));
    eqs(
        "get: header X-TEST (case)",
        vec!["a", "b"],
        get(&h, "X-TEST"),
    );
    eqs(
        "get: content-type",
        vec!["text/plain"],
        get(&h, "content-type"),
    );
    assert_immutable("get: response headers", &h, None);
    let body = read_body(resp, 10 * SEC).await;
    eq("get: body stalled", false, body.stalled);
    eq(
        "get: body",
        hello_lines(
            "GET /hello?x=1&y=%20z",
            &[("x-guest", "one"), ("x-multi", "a"), ("x-multi", "b")],
            &t.authority,
        ),
        sorted_lines(&body.bytes),
    );
    eqs(
        "get: content-length matches the body",
        vec![body.bytes.len().to_string()],
        get(&h, "content-length"),
    );
    check(
        "get: trailers",
        matches!(body.trailers, Some(Ok(None))),
        "some(ok(none))",
        format!("{:?}", body.trailers),
    );
    // Headers taken before consume-body stay valid (and immutable).
    eqs(
        "get: headers after consume-body",
        vec!["a", "b"],
        get(&h, "x-test"),
    );

    let req = request(t, "/hello/purge", &[], None);
    req.set_method(&Method::Other("PURGE".into())).unwrap();
    if let Some(resp) = must_send("purge", req, 10 * SEC).await {
        eq("purge: status", 200u16, resp.get_status_code());
        let body = read_body(resp, 10 * SEC).await;
        eq(
            "purge: body",
            hello_lines("PURGE /hello/purge", &[], &t.authority),
            sorted_lines(&body.bytes),
        );
    }

    let req = request(t, "/missing", &[], None);
    if let Some(resp) = must_send("404", req, 10 * SEC).await {
        eq("404: status", 404u16, resp.get_status_code());
        let body = read_body(resp, 10 * SEC).await;
        eq(
            "404: body",
            hello_lines("GET /missing", &[], &t.authority),
            sorted_lines(&body.bytes),
        );
    }
}

/// `hello URL`: one GET `/hello` that must succeed.
pub async fn hello_scenario(t: &Target) {
    let req = request(t, "/hello", &[], None);
    if let Some(resp) = must_send("hello", req, 10 * SEC).await {
        eq("hello: status", 200u16, resp.get_status_code());
        let body = read_body(resp, 10 * SEC).await;
        eq(
            "hello: body",
            hello_lines("GET /hello", &[], &t.authority),
            sorted_lines(&body.bytes),
        );
    }
}

/// `post URL`: a POST to `/echo` whose body is streamed in three writes
/// while `send` waits, with trailers; the response body and trailers come
/// back exactly; the transmission future resolves `ok`.
pub async fn post_scenario(t: &Target) {
    let chunks: Vec<Vec<u8>> = vec![
        b"first chunk;".to_vec(),
        vec![b'x'; 100_000],
        b";last".to_vec(),
    ];
    let all: Vec<u8> = chunks.concat();
    let (tx, rx) = body_stream();
    let (ttx, trx) = wit_future::new::<TrailersResult>(|| Ok(None));
    let headers = fields(&[
        ("content-type", b"application/octet-stream"),
        ("trailer", b"x-checksum, x-trailer-two"),
    ]);
    let (req, sent) = Request::new(headers, Some(rx), trx, None);
    aim(&req, t, "/echo");
    req.set_method(&Method::Post).unwrap();
    let sum = format!("{:016x}", fnv1a(&all));
    let trailers = fields(&[("x-checksum", sum.as_bytes()), ("x-trailer-two", b"2")]);
    let writer = async {
        let n = write_chunks(tx, chunks, 50 * MS).await;
        let w = ttx.write(Ok(Some(trailers))).await;
        (n, w.is_ok())
    };
    let Some((resp, (n, wrote))) = deadline(15 * SEC, join(send(req, 15 * SEC), writer)).await
    else {
        fail("post: send and write", "done within 15 s", "a stall");
        return;
    };
    eq("post: bytes written", all.len(), n);
    eq("post: trailers written", true, wrote);
    let resp = match resp {
        Ok(r) => r,
        Err(f) => {
            fail("post: send", "a response", format!("{f:?}"));
            return;
        }
    };
    eq("post: status", 200u16, resp.get_status_code());
    eqs(
        "post: framing seen by the server",
        vec!["chunked"],
        get(&resp.get_headers(), "x-request-framing"),
    );
    let body = read_body(resp, 10 * SEC).await;
    eq("post: body stalled", false, body.stalled);
    eq("post: body length", all.len(), body.bytes.len());
    check(
        "post: body",
        body.bytes == all,
        "the bytes sent",
        "other bytes",
    );
    let want = vec![
        ("x-checksum".to_string(), sum.clone()),
        ("x-trailer-two".to_string(), "2".to_string()),
        ("x-server-trailer".to_string(), "done".to_string()),
    ];
    match &body.trailer_fields {
        Some(f) => {
            let mut got = entries(f);
            got.sort();
            let mut w = want.clone();
            w.sort();
            eq("post: response trailers", w, got);
            assert_immutable("post: response trailers", f, None);
        }
        None => fail(
            "post: response trailers",
            "ok(some)",
            format!("{:?}", body.trailers),
        ),
    }
    match deadline(5 * SEC, sent).await {
        None => fail("post: request.new future", "resolved", "a stall"),
        Some(r) => eq("post: request.new future", Ok(()), r),
    }
}

/// `length URL`: `content-length` and the bytes written disagree.
pub async fn length_scenario(t: &Target) {
    for (declared, write, what) in [(10u64, 5usize, "short"), (4, 10, "long")] {
        let (tx, rx) = body_stream();
        let cl = declared.to_string();
        let (req, sent) =
            crate::net::new_request(fields(&[("content-length", cl.as_bytes())]), Some(rx), None);
        aim(&req, t, "/hello");
        req.set_method(&Method::Post).unwrap();
        let writer = write_chunks(tx, vec![vec![b'y'; write]], 0);
        let Some((r, _)) = deadline(10 * SEC, join(send(req, 10 * SEC), writer)).await else {
            fail(
                &format!("length {what}: send"),
                "done within 10 s",
                "a stall",
            );
            continue;
        };
        let code = ErrorCode::HttpRequestBodySize(Some(write as u64));
        match r {
            Err(Fault::Code(c)) => eqs(&format!("length {what}: send error"), &code, &c),
            other => fail(
                &format!("length {what}: send"),
                format!("{code:?}"),
                format!("{:?}", other.map(|r| r.get_status_code())),
            ),
        }
        match deadline(5 * SEC, sent).await {
            None => fail(
                &format!("length {what}: request.new future"),
                "resolved",
                "a stall",
            ),
            Some(r) => eq(&format!("length {what}: request.new future"), Err(code), r),
        }
    }
}

/// Sends `req` and expects the error `code`.
async fn expect_error(what: &str, req: Request, code: ErrorCode, ns: u64) {
    match send(req, ns).await {
        Err(Fault::Code(c)) => eqs(&format!("{what}: error"), &code, &c),
        Err(f) => fail(
            &format!("{what}: error"),
            format!("{code:?}"),
            format!("{f:?}"),
        ),
        Ok(r) => fail(
            &format!("{what}: error"),
            format!("{code:?}"),
            format!("a response with status {}", r.get_status_code()),
        ),
    }
}

fn options(connect: Option<u64>, first: Option<u64>, between: Option<u64>) -> RequestOptions {
    let o = RequestOptions::new();
    o.set_connect_timeout(connect).unwrap();
    o.set_first_byte_timeout(first).unwrap();
    o.set_between_bytes_timeout(between).unwrap();
    o
}

/// `denied URL`: no grant covers the URL → `HTTP-request-denied` at once.
pub async fn denied_scenario(t: &Target) {
    for i in 0..2 {
        let req = request(t, "/hello", &[], None);
        expect_error(
            &format!("denied {i}"),
            req,
            ErrorCode::HttpRequestDenied,
            5 * SEC,
        )
        .await;
    }
}

pub async fn refused_scenario(t: &Target) {
    let req = request(t, "/hello", &[], None);
    expect_error("refused", req, ErrorCode::ConnectionRefused, 10 * SEC).await;
}

pub async fn connect_timeout_scenario(t: &Target) {
    let req = request(t, "/hello", &[], Some(options(Some(300 * MS), None, None)));
    let start = wasip3::clocks::monotonic_clock::now();
    expect_error(
        "connect-timeout",
        req,
        ErrorCode::ConnectionTimeout,
        10 * SEC,
    )
    .await;
    let took = wasip3::clocks::monotonic_clock::now() - start;
    check(
        "connect-timeout: took 300 ms to 5 s",
        (300 * MS..5 * SEC).contains(&took),
        "300 ms..5 s",
        format!("{} ms", took / MS),
    );
}

pub async fn first_byte_scenario(t: &Target) {
    let req = request(t, "/stall", &[], Some(options(None, Some(300 * MS), None)));
    let start = wasip3::clocks::monotonic_clock::now();
    expect_error(
        "first-byte-timeout",
        req,
        ErrorCode::ConnectionReadTimeout,
        10 * SEC,
    )
    .await;
    let took = wasip3::clocks::monotonic_clock::now() - start;
    check(
        "first-byte-timeout: took 300 ms to 5 s",
        (300 * MS..5 * SEC).contains(&took),
        "300 ms..5 s",
        format!("{} ms", took / MS),
    );
}

pub async fn between_bytes_scenario(t: &Target) {
    let req = request(
        t,
        "/stall-body",
        &[],
        Some(options(None, None, Some(300 * MS))),
    );
    let Some(resp) = must_send("between-bytes-timeout", req, 10 * SEC).await else {
        return;
    };
    eq(
        "between-bytes-timeout: status",
        200u16,
        resp.get_status_code(),
    );
    let body = read_body(resp, 10 * SEC).await;
    eq("between-bytes-timeout: body stalled", false, body.stalled);
    eq(
        "between-bytes-timeout: bytes before the stall",
        "0123456789".to_string(),
        text(&body.bytes),
    );
    eq(
        "between-bytes-timeout: trailers future",
        Some(Err(ErrorCode::ConnectionReadTimeout)),
        body.trailers,
    );
}

pub async fn cut_scenario(t: &Target) {
    let req = request(t, "/cut", &[], None);
    let Some(resp) = must_send("cut", req, 10 * SEC).await else {
        return;
    };
    eq("cut: status", 200u16, resp.get_status_code());
    let body = read_body(resp, 10 * SEC).await;
    eq("cut: body stalled", false, body.stalled);
    eq("cut: bytes before the cut", vec![b'x'; 100], body.bytes);
    eq(
        "cut: trailers future",
        Some(Err(ErrorCode::HttpResponseIncomplete)),
        body.trailers,
    );
}

pub async fn malformed_scenario(t: &Target) {
    let req = request(t, "/malformed", &[], None);
    expect_error("malformed", req, ErrorCode::HttpProtocolError, 10 * SEC).await;
}

/// `https URL`: two GETs over https (HTTP/1.1 or HTTP/2, as the server's
/// ALPN says).
pub async fn https_scenario(t: &Target) {
    for path in ["/hello", "/hello/2"] {
        let req = request(t, path, &[], None);
        let what = format!("https {path}");
        if let Some(resp) = must_send(&what, req, 10 * SEC).await {
            eq(&format!("{what}: status"), 200u16, resp.get_status_code());
            let body = read_body(resp, 10 * SEC).await;
            let l: Vec<String> = text(&body.bytes).lines().map(str::to_string).collect();
            eq(
                &format!("{what}: request line seen by the server"),
                Some(format!("GET {path}")),
                l.first().cloned(),
            );
            let host = format!("host: {}", t.authority);
            check(
                &format!("{what}: host seen by the server"),
                l.contains(&host),
                &host,
                format!("{l:?}"),
            );
            check(
                &format!("{what}: trailers"),
                matches!(body.trailers, Some(Ok(None))),
                "some(ok(none))",
                format!("{:?}", body.trailers),
            );
        }
    }
}

pub async fn https_untrusted_scenario(t: &Target) {
    let req = request(t, "/hello", &[], None);
    expect_error(
        "https untrusted",
        req,
        ErrorCode::TlsCertificateError,
        10 * SEC,
    )
    .await;
}
