//! The scenarios that talk to the test server (crates/warden-cli/tests/
//! http_client.rs). The server's routes:
//!
//! - `/hello...`: 200, `Content-Type: text/plain`, `X-Test: a`, `X-Test: b`,
//!   `Content-Length`; the body describes the request it got: the request
//!   line, then `name: value` for every header (names lower-case, in order),
//!   then `framing: chunked|length|none`, `body-bytes: N`,
//!   `body-fnv: HEX`. A HEAD gets the same headers and no body.
//! - `/echo`: 200, chunked; the request body back in three chunks, then as
//!   trailers the request's trailers plus `x-server-trailer: done`; header
//!   `X-Request-Framing: chunked|length|none`.
//! - `/large`: 200 with `X-Len`, `X-Sum` (FNV-1a of the request body, hex)
//!   and the request body back, with `Content-Length`.
//! - `/stall`: reads the request and never answers (until the client goes).
//! - `/stall-body`: `Content-Length: 100`, sends `0123456789`, stalls.
//! - `/cut`: `Content-Length: 1000`, sends 100 bytes, closes.
//! - `/malformed`: answers `HELLO WORLD` and closes.
//! - anything else: 404, with the same body as `/hello`.

use crate::check::{check, eq, eqs, fail};
use crate::fields::{assert_immutable, get};
use crate::net::*;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme,
};

fn code_name(c: &ErrorCode) -> String {
    format!("{c:?}")
}

fn fault_text(f: &Fault) -> String {
    format!("{f:?}")
}

/// The body of a `/hello` echo as lines.
fn lines(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Checks the response is a `/hello` echo of `request_line` with a `host`
/// header equal to the authority; returns its body lines.
fn check_hello(what: &str, t: &Target, resp: &IncomingResponse, request_line: &str) -> Vec<String> {
    eq(&format!("{what}: status"), 200u16, resp.status());
    let b = match read_body(resp, after(5 * SEC)) {
        Ok(b) => b,
        Err(f) => {
            fail(&format!("{what}: body"), "a body", fault_text(&f));
            return Vec::new();
        }
    };
    if let Some(f) = &b.fault {
        fail(
            &format!("{what}: body stream"),
            "closed at the end",
            fault_text(f),
        );
    }
    let l = lines(&b.bytes);
    eq(
        &format!("{what}: request line seen by the server"),
        Some(request_line),
        l.first().map(String::as_str),
    );
    let host = format!("host: {}", t.authority);
    check(
        &format!("{what}: host header seen by the server"),
        l.contains(&host),
        &host,
        format!("{l:?}"),
    );
    l
}

/// `get URL`: GET with headers, response status, headers, body and
/// trailers; the single-use rules of futures and bodies; HEAD; 404; PURGE.
pub fn get_scenario(t: &Target) {
    let req = request(
        t,
        Method::Get,
        "/hello?x=1&y=%20z",
        &[("x-guest", b"one"), ("X-Multi", b"a"), ("x-multi", b"b")],
    );
    let fut = match outgoing_handler::handle(req, None) {
        Ok(f) => f,
        Err(e) => {
            fail("get: handle", "ok", code_name(&e));
            return;
        }
    };
    let resp = match await_response(&fut, after(5 * SEC)) {
        Ok(r) => r,
        Err(f) => {
            fail("get: response", "a response", fault_text(&f));
            return;
        }
    };
    check(
        "get: future-incoming-response.get a second time",
        matches!(fut.get(), Some(Err(()))),
        "some(err)",
        "something else",
    );
    eq("get: status", 200u16, resp.status());
    {
        let h = resp.headers();
        eqs("get: header x-test", vec!["a", "b"], get(&h, "x-test"));
        eqs(
            "get: header X-TEST (case)",
            vec!["a", "b"],
            get(&h, "X-TEST"),
        );
        eqs(
            "get: header content-type",
            vec!["text/plain"],
            get(&h, "Content-Type"),
        );
        eq("get: has x-test", true, h.has("x-test"));
        eq("get: has absent", false, h.has("x-absent"));
        let names: Vec<String> = h.entries().into_iter().map(|(n, _)| n).collect();
        check(
            "get: response header names are lower-case",
            names.iter().all(|n| *n == n.to_ascii_lowercase()),
            "lower-case names",
            format!("{names:?}"),
        );
        assert_immutable("get: incoming-response headers", &h, None);
    }
    let b = match read_body(&resp, after(5 * SEC)) {
        Ok(b) => b,
        Err(f) => {
            fail("get: body", "a body", fault_text(&f));
            return;
        }
    };
    check(
        "get: incoming-response.consume a second time",
        resp.consume().is_err(),
        "err",
        "ok",
    );
    check(
        "get: incoming-body.stream a second time",
        b.body.stream().is_err(),
        "err",
        "ok",
    );
    if let Some(f) = &b.fault {
        fail("get: body stream end", "closed", fault_text(f));
    }
    let l = lines(&b.bytes);
    eq(
        "get: request line seen by the server",
        Some("GET /hello?x=1&y=%20z"),
        l.first().map(String::as_str),
    );
    for want in [
        format!("host: {}", t.authority),
        "x-guest: one".to_string(),
        "body-bytes: 0".to_string(),
    ] {
        check(
            &format!("get: server saw {want:?}"),
            l.contains(&want),
            &want,
            format!("{l:?}"),
        );
    }
    let multi: Vec<&String> = l.iter().filter(|x| x.starts_with("x-multi:")).collect();
    check(
        "get: server saw x-multi a and b, in order",
        multi == [&"x-multi: a".to_string(), &"x-multi: b".to_string()]
            || multi == [&"x-multi: a, b".to_string()],
        "x-multi: a / x-multi: b",
        format!("{multi:?}"),
    );
    check(
        "get: no body framing on a GET without body",
        !l.contains(&"framing: chunked".to_string()),
        "no chunked body",
        format!("{l:?}"),
    );
    let body_len = b.bytes.len();
    match trailers(b.body, after(5 * SEC), &|_| {}) {
        Ok(None) => {}
        Ok(Some(e)) if e.is_empty() => {}
        Ok(Some(e)) => fail("get: trailers", "none", format!("{e:?}")),
        Err(f) => fail("get: trailers", "none", fault_text(&f)),
    }
    drop(resp);

    // The content-length header matches the body.
    check("get: body not empty", body_len > 0, "> 0", body_len);

    // HEAD: headers, no body.
    let req = request(t, Method::Head, "/hello", &[]);
    match send(req, None, after(5 * SEC)) {
        Ok(resp) => {
            eq("head: status", 200u16, resp.status());
            {
                let h = resp.headers();
                eqs("head: header x-test", vec!["a", "b"], get(&h, "x-test"));
            }
            match read_body(&resp, after(5 * SEC)) {
                Ok(b) => {
                    eq("head: body", 0usize, b.bytes.len());
                    check(
                        "head: body stream end",
                        b.fault.is_none(),
                        "closed",
                        format!("{:?}", b.fault),
                    );
                }
                Err(f) => fail("head: body", "empty body", fault_text(&f)),
            }
        }
        Err(f) => fail("head: response", "a response", fault_text(&f)),
    }

    // PURGE: a method of our own reaches the server as such.
    let req = request(t, Method::Other("PURGE".into()), "/hello/purge", &[]);
    match send(req, None, after(5 * SEC)) {
        Ok(resp) => {
            check_hello("purge", t, &resp, "PURGE /hello/purge");
        }
        Err(f) => fail("purge: response", "a response", fault_text(&f)),
    }

    // 404 passes through as a response, not an error.
    let req = request(t, Method::Get, "/missing", &[]);
    match send(req, None, after(5 * SEC)) {
        Ok(resp) => {
            eq("404: status", 404u16, resp.status());
            if let Ok(b) = read_body(&resp, after(5 * SEC)) {
                check(
                    "404: body stream end",
                    b.fault.is_none(),
                    "closed",
                    format!("{:?}", b.fault),
                );
            }
        }
        Err(f) => fail("404: response", "a 404 response", fault_text(&f)),
    }

    // No path: `none` means an empty path, sent as `/`.
    let req = request(t, Method::Get, "/", &[]);
    req.set_path_with_query(None).unwrap();
    match send(req, None, after(5 * SEC)) {
        Ok(resp) => {
            eq("no path: status (the server 404s /)", 404u16, resp.status());
            match read_body(&resp, after(5 * SEC)) {
                Ok(b) => eq(
                    "no path: request line seen by the server",
                    Some("GET /".to_string()),
                    lines(&b.bytes).first().cloned(),
                ),
                Err(f) => fail("no path: body", "a body", fault_text(&f)),
            }
        }
        Err(f) => fail("no path: response", "a response", fault_text(&f)),
    };
}

/// `hello URL`: one GET /hello; the grant tests run this.
pub fn hello_scenario(t: &Target) {
    let req = request(t, Method::Get, "/hello", &[]);
    let start = now();
    match send(req, None, after(5 * SEC)) {
        Ok(resp) => {
            check_hello("hello", t, &resp, "GET /hello");
        }
        Err(f) => fail("hello: response", "a response", fault_text(&f)),
    }
    println!("hello took {} ms", (now() - start) / MS);
}

/// `denied URL`: egress not granted: `handle` fails at once with
/// `HTTP-request-denied`.
pub fn denied_scenario(t: &Target) {
    for path in ["/hello", "/hello?again"] {
        let req = request(t, Method::Get, path, &[]);
        let start = now();
        let r = outgoing_handler::handle(req, None);
        let took = now() - start;
        match r {
            Err(e) => eq(
                &format!("denied {path}: handle error"),
                code_name(&ErrorCode::HttpRequestDenied),
                code_name(&e),
            ),
            Ok(fut) => {
                let got = await_response(&fut, after(5 * SEC));
                fail(
                    &format!("denied {path}: handle error"),
                    "handle fails with HTTP-request-denied",
                    format!("handle succeeded, then {:?}", got.map(|r| r.status())),
                );
            }
        };
        check(
            &format!("denied {path}: at once"),
            took < SEC,
            "< 1000 ms",
            format!("{} ms", took / MS),
        );
    }
}

/// Sends a body in several writes to `/echo`, with the request header
/// `Trailer: <declare>` when given and then the trailers `sent`; checks the
/// echoed body and that the response trailers are `sent` (names
/// lower-case) followed by the server's `x-server-trailer: done`.
fn post_echo(t: &Target, what: &str, declare: Option<&str>, sent: &[(&str, &str)]) {
    let mut headers: Vec<(&str, &[u8])> = vec![("content-type", b"text/plain")];
    if let Some(d) = declare {
        headers.push(("trailer", d.as_bytes()));
    }
    let req = request(t, Method::Post, "/echo", &headers);
    let body = req.body().expect("outgoing-request.body");
    let fut = match outgoing_handler::handle(req, None) {
        Ok(f) => f,
        Err(e) => {
            fail(&format!("{what}: handle"), "ok", code_name(&e));
            return;
        }
    };
    let parts: [&[u8]; 3] = [b"alpha-", b"beta-", b"gamma"];
    {
        let out = body_stream(&body);
        for (i, p) in parts.iter().enumerate() {
            if let Err(f) = write_all(&out, p, after(5 * SEC)) {
                fail(&format!("{what}: write {i}"), "ok", fault_text(&f));
            }
        }
    }
    let list: Vec<(String, Vec<u8>)> = sent
        .iter()
        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
        .collect();
    let trailers_out = Fields::from_list(&list).unwrap();
    if let Err(e) = OutgoingBody::finish(body, Some(trailers_out)) {
        fail(
            &format!("{what}: outgoing-body.finish"),
            "ok",
            code_name(&e),
        );
    }
    let resp = match await_response(&fut, after(5 * SEC)) {
        Ok(r) => r,
        Err(f) => {
            fail(&format!("{what}: response"), "a response", fault_text(&f));
            return;
        }
    };
    eq(&format!("{what}: status"), 200u16, resp.status());
    {
        let h = resp.headers();
        eqs(
            &format!("{what}: request sent chunked"),
            vec!["chunked"],
            get(&h, "x-request-framing"),
        );
    }
    let b = match read_body(&resp, after(5 * SEC)) {
        Ok(b) => b,
        Err(f) => {
            fail(&format!("{what}: body"), "a body", fault_text(&f));
            return;
        }
    };
    eq(
        &format!("{what}: echoed body"),
        "alpha-beta-gamma".to_string(),
        String::from_utf8_lossy(&b.bytes).into_owned(),
    );
    if let Some(f) = &b.fault {
        fail(&format!("{what}: body stream end"), "closed", fault_text(f));
    }
    let label = format!("{what}: response trailers");
    let first = sent.first().map(|(n, _)| n.to_ascii_uppercase());
    let first_values: Vec<&str> = sent
        .iter()
        .filter(|(n, _)| Some(n.to_ascii_uppercase()) == first)
        .map(|(_, v)| *v)
        .collect();
    let got = trailers(b.body, after(5 * SEC), &|f| {
        assert_immutable(&label, f, None);
        if let Some(name) = &first {
            eqs(
                &format!("{what}: trailer {name} (case)"),
                &first_values,
                get(f, name),
            );
        }
    });
    let mut want: Vec<(String, String)> = sent
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect();
    want.push(("x-server-trailer".into(), "done".into()));
    match got {
        Ok(Some(e)) => eq(
            &format!("{what}: trailers (request's echoed, then server's)"),
            want,
            e,
        ),
        Ok(None) => fail(&format!("{what}: trailers"), "some trailers", "none"),
        Err(f) => fail(
            &format!("{what}: trailers"),
            "some trailers",
            fault_text(&f),
        ),
    }
}

/// `post URL`: a streamed, chunked request body with declared trailers,
/// echoed back with response trailers; then a body written and finished
/// before `handle` is called.
pub fn post_scenario(t: &Target) {
    post_echo(
        t,
        "post",
        Some("x-checksum, x-trailer-two"),
        &[("x-checksum", "fnv-1234"), ("X-Trailer-Two", "2")],
    );
    body_before_handle(t);
}

/// `trailers-undeclared URL`: trailers passed to `outgoing-body.finish`
/// without a `Trailer` header naming them. HTTP/1.1 (RFC 9110 §6.6.2,
/// hyper) only sends declared trailers, so rather than drop them silently
/// Warden fails `finish` with `internal-error` naming the rule, and the
/// request is aborted (docs/http.md).
pub fn undeclared_scenario(t: &Target) {
    let what = "undeclared trailers";
    let req = request(t, Method::Post, "/echo", &[("content-type", b"text/plain")]);
    let body = req.body().expect("outgoing-request.body");
    let fut = match outgoing_handler::handle(req, None) {
        Ok(f) => f,
        Err(e) => {
            fail(&format!("{what}: handle"), "ok", code_name(&e));
            return;
        }
    };
    {
        let out = body_stream(&body);
        if let Err(f) = write_all(&out, b"alpha-", after(5 * SEC)) {
            fail(&format!("{what}: write"), "ok", fault_text(&f));
        }
    }
    let list = vec![
        ("x-checksum".to_string(), b"fnv-1234".to_vec()),
        ("X-Trailer-Two".to_string(), b"2".to_vec()),
    ];
    let trailers_out = Fields::from_list(&list).unwrap();
    match OutgoingBody::finish(body, Some(trailers_out)) {
        Err(ErrorCode::InternalError(Some(m))) => check(
            &format!("{what}: finish names the rule"),
            m.contains("trailer"),
            "a message about the `trailer` header",
            m,
        ),
        Err(e) => fail(&format!("{what}: finish"), "internal-error", code_name(&e)),
        Ok(()) => fail(
            &format!("{what}: finish"),
            "internal-error",
            "ok (trailers lost)",
        ),
    }
    match await_response(&fut, after(5 * SEC)) {
        Err(Fault::Code(_)) => check(&format!("{what}: request aborted"), true, "", ""),
        Err(f) => fail(
            &format!("{what}: response"),
            "an error code",
            fault_text(&f),
        ),
        Ok(r) => fail(&format!("{what}: response"), "an error code", r.status()),
    }
}

/// `trailers-repeated URL`: a declared trailer with two values: both sent.
pub fn repeated_scenario(t: &Target) {
    post_echo(
        t,
        "repeated trailer",
        Some("x-rep"),
        &[("x-rep", "1"), ("x-rep", "2")],
    );
}

/// The whole body (with `content-length`) written and finished before
/// `handle`: the host keeps it until the request goes out.
fn body_before_handle(t: &Target) {
    let data = b"early body";
    let len = data.len().to_string();
    let req = request(
        t,
        Method::Post,
        "/hello/early",
        &[("content-length", len.as_bytes())],
    );
    let body = req.body().expect("body");
    {
        let out = body_stream(&body);
        if let Err(f) = write_all(&out, data, after(5 * SEC)) {
            fail("body before handle: write", "ok", fault_text(&f));
        }
    }
    if let Err(e) = OutgoingBody::finish(body, None) {
        fail("body before handle: finish", "ok", code_name(&e));
    }
    match send(req, None, after(5 * SEC)) {
        Ok(resp) => {
            let l = check_hello("body before handle", t, &resp, "POST /hello/early");
            let fnv = format!("body-fnv: {:016x}", fnv1a(data));
            for want in [
                format!("body-bytes: {}", data.len()),
                fnv,
                "framing: length".to_string(),
            ] {
                check(
                    &format!("body before handle: server saw {want:?}"),
                    l.contains(&want),
                    &want,
                    format!("{l:?}"),
                );
            }
        }
        Err(f) => fail("body before handle: response", "a response", fault_text(&f)),
    }
}

/// `length URL`: `content-length` against the bytes written.
pub fn length_scenario(t: &Target) {
    // Fewer bytes than declared: finish fails with the count written.
    let req = request(t, Method::Post, "/hello", &[("content-length", b"10")]);
    let body = req.body().expect("body");
    let fut = outgoing_handler::handle(req, None);
    {
        let out = body_stream(&body);
        if let Err(f) = write_all(&out, b"12345", after(5 * SEC)) {
            fail("short body: write 5 of 10", "ok", fault_text(&f));
        }
    }
    match OutgoingBody::finish(body, None) {
        Err(e) => eq(
            "short body: finish",
            code_name(&ErrorCode::HttpRequestBodySize(Some(5))),
            code_name(&e),
        ),
        Ok(()) => fail(
            "short body: finish",
            "HTTP-request-body-size(some(5))",
            "ok",
        ),
    }
    match fut {
        Ok(fut) => match await_response(&fut, after(5 * SEC)) {
            Err(Fault::Code(e)) => println!("note: short body: the response future gave {e:?}"),
            Err(f) => fail("short body: response", "an error code", fault_text(&f)),
            Ok(r) => fail(
                "short body: response",
                "an error code",
                format!("status {}", r.status()),
            ),
        },
        Err(e) => fail("short body: handle", "ok", code_name(&e)),
    }

    // More bytes than declared: the write that overflows fails, then and
    // there (as Wasmtime), and sends nothing of itself.
    let req = request(t, Method::Post, "/hello", &[("content-length", b"4")]);
    let body = req.body().expect("body");
    let fut = outgoing_handler::handle(req, None);
    let written = {
        let out = body_stream(&body);
        write_all(&out, b"0123456789", after(5 * SEC))
    };
    let _ = OutgoingBody::finish(body, None);
    match written {
        Err(f) => check(
            "long body: the write that overflows fails",
            matches!(f.code(), Some(ErrorCode::HttpRequestBodySize(_))),
            "stream error with HTTP-request-body-size",
            fault_text(&f),
        ),
        Ok(()) => fail(
            "long body: the write that overflows fails",
            "HTTP-request-body-size on the write",
            "the write succeeded",
        ),
    };
    // The first 4 bytes may already have gone out as a complete request, so
    // a response is as acceptable as an error here; the future must settle.
    match fut {
        Ok(fut) => match await_response(&fut, after(5 * SEC)) {
            Err(Fault::Code(e)) => println!("note: long body: the response future gave {e:?}"),
            Err(f) => fail(
                "long body: response",
                "an error code or a response",
                fault_text(&f),
            ),
            Ok(r) => println!(
                "note: long body: the response future gave status {}",
                r.status()
            ),
        },
        Err(e) => fail("long body: handle", "ok", code_name(&e)),
    }

    // Exactly as declared: sent with that length.
    let req = request(t, Method::Post, "/hello", &[("content-length", b"5")]);
    let body = req.body().expect("body");
    let fut = outgoing_handler::handle(req, None);
    {
        let out = body_stream(&body);
        if let Err(f) = write_all(&out, b"hello", after(5 * SEC)) {
            fail("exact body: write", "ok", fault_text(&f));
        }
    }
    eq(
        "exact body: finish",
        "Ok(())".to_string(),
        format!(
            "{:?}",
            OutgoingBody::finish(body, None).map_err(|e| code_name(&e))
        ),
    );
    match fut {
        Ok(fut) => match await_response(&fut, after(5 * SEC)) {
            Ok(resp) => {
                let l = check_hello("exact body", t, &resp, "POST /hello");
                for want in ["content-length: 5", "framing: length", "body-bytes: 5"] {
                    check(
                        &format!("exact body: server saw {want:?}"),
                        l.iter().any(|x| x == want),
                        want,
                        format!("{l:?}"),
                    );
                }
            }
            Err(f) => fail("exact body: response", "a response", fault_text(&f)),
        },
        Err(e) => fail("exact body: handle", "ok", code_name(&e)),
    }
}

/// `large URL`: 4 MiB up and the same 4 MiB back, checksummed.
pub fn large_scenario(t: &Target) {
    const LEN: usize = 4 << 20;
    let data = pattern(LEN, 0x5eed);
    let sum = format!("{:016x}", fnv1a(&data));
    let len = LEN.to_string();
    let req = request(
        t,
        Method::Put,
        "/large",
        &[
            ("content-length", len.as_bytes()),
            ("content-type", b"application/octet-stream"),
        ],
    );
    let body = req.body().expect("body");
    let start = now();
    let fut = match outgoing_handler::handle(req, None) {
        Ok(f) => f,
        Err(e) => {
            fail("large: handle", "ok", code_name(&e));
            return;
        }
    };
    {
        let out = body_stream(&body);
        if let Err(f) = write_all(&out, &data, after(20 * SEC)) {
            fail("large: write 4 MiB", "ok", fault_text(&f));
        }
    }
    if let Err(e) = OutgoingBody::finish(body, None) {
        fail("large: finish", "ok", code_name(&e));
    }
    let resp = match await_response(&fut, after(20 * SEC)) {
        Ok(r) => r,
        Err(f) => {
            fail("large: response", "a response", fault_text(&f));
            return;
        }
    };
    eq("large: status", 200u16, resp.status());
    {
        let h = resp.headers();
        eqs(
            "large: length seen by the server",
            vec![len.as_str()],
            get(&h, "x-len"),
        );
        eqs(
            "large: checksum seen by the server",
            vec![sum.as_str()],
            get(&h, "x-sum"),
        );
    }
    match read_body(&resp, after(20 * SEC)) {
        Ok(b) => {
            eq("large: response length", LEN, b.bytes.len());
            eq(
                "large: response checksum",
                sum.clone(),
                format!("{:016x}", fnv1a(&b.bytes)),
            );
            check(
                "large: body stream end",
                b.fault.is_none(),
                "closed",
                format!("{:?}", b.fault),
            );
        }
        Err(f) => fail("large: body", "a body", fault_text(&f)),
    }
    println!("large: 2 x 4 MiB in {} ms", (now() - start) / MS);
}

/// Expects the request to fail with `want`, either from `handle` or from
/// the response future, within `limit`; returns the time it took.
fn expect_error(
    what: &str,
    req: wasip2::http::types::OutgoingRequest,
    opts: Option<wasip2::http::types::RequestOptions>,
    want: ErrorCode,
    limit: u64,
) -> u64 {
    let start = now();
    let got = send(req, opts, after(limit));
    let took = now() - start;
    match got {
        Err(Fault::Code(e)) => eq(what, code_name(&want), code_name(&e)),
        Err(f) => fail(what, code_name(&want), fault_text(&f)),
        Ok(r) => fail(
            what,
            code_name(&want),
            format!("a response, status {}", r.status()),
        ),
    };
    took
}

/// `refused URL`: nothing listens at URL.
pub fn refused_scenario(t: &Target) {
    let req = request(t, Method::Get, "/hello", &[]);
    expect_error("refused", req, None, ErrorCode::ConnectionRefused, 5 * SEC);
}

fn check_elapsed(what: &str, took: u64, min: u64, max: u64) {
    check(
        &format!("{what}: time"),
        (min..max).contains(&took),
        format!("{}..{} ms", min / MS, max / MS),
        format!("{} ms", took / MS),
    );
}

/// `connect-timeout URL`: URL is a listener whose accept queue is full, so
/// connecting hangs; `connect-timeout` 500 ms → `connection-timeout`.
pub fn connect_timeout_scenario(t: &Target) {
    let req = request(t, Method::Get, "/hello", &[]);
    let opts = options(Some(500 * MS), None, None);
    let took = expect_error(
        "connect-timeout",
        req,
        Some(opts),
        ErrorCode::ConnectionTimeout,
        5 * SEC,
    );
    check_elapsed("connect-timeout", took, 400 * MS, 4 * SEC);
}

/// `first-byte-timeout URL`: the server never answers; `first-byte-timeout`
/// 500 ms → `connection-read-timeout`.
pub fn first_byte_scenario(t: &Target) {
    let req = request(t, Method::Get, "/stall", &[]);
    let opts = options(None, Some(500 * MS), None);
    let took = expect_error(
        "first-byte-timeout",
        req,
        Some(opts),
        ErrorCode::ConnectionReadTimeout,
        5 * SEC,
    );
    check_elapsed("first-byte-timeout", took, 400 * MS, 4 * SEC);
}

/// Reads a body that must end in `want` (the stream fails with it, or the
/// stream closes and the trailers future gives it); returns the bytes read
/// and when the fault was seen.
fn body_must_fail(
    what: &str,
    resp: &IncomingResponse,
    want: ErrorCode,
    limit: u64,
) -> (Vec<u8>, u64) {
    let b = match read_body(resp, after(limit)) {
        Ok(b) => b,
        Err(f) => {
            fail(&format!("{what}: body"), "a body", fault_text(&f));
            return (Vec::new(), now());
        }
    };
    let when = now();
    let want_name = code_name(&want);
    match &b.fault {
        Some(Fault::Stream(Some(c))) => eq(
            &format!("{what}: body stream error"),
            want_name,
            code_name(c),
        ),
        // A stream error without an HTTP error code behind it: the read
        // failed, which is what matters; say so.
        Some(Fault::Stream(None)) => {
            check(&format!("{what}: body stream error"), true, "", "");
            println!("note: {what}: the body stream failed; http-error-code gave none");
        }
        Some(f @ (Fault::Timeout | Fault::Code(_) | Fault::Other(_))) => fail(
            &format!("{what}: body stream error"),
            &want_name,
            fault_text(f),
        ),
        Some(Fault::Closed) | None => {
            // The stream just closed: the trailers must carry the error.
            match trailers(b.body, after(limit), &|_| {}) {
                Err(Fault::Code(c)) => {
                    eq(&format!("{what}: trailers error"), want_name, code_name(&c))
                }
                Err(f) => fail(
                    &format!("{what}: trailers error"),
                    &want_name,
                    fault_text(&f),
                ),
                Ok(tr) => fail(
                    &format!("{what}: body end"),
                    format!("a stream error or trailers error {want_name}"),
                    format!(
                        "stream closed, trailers ok({tr:?}) after {} bytes",
                        b.bytes.len()
                    ),
                ),
            }
            return (b.bytes, now());
        }
    }
    (b.bytes, when)
}

/// `between-bytes-timeout URL`: headers and 10 bytes, then nothing;
/// `between-bytes-timeout` 500 ms → `connection-read-timeout` on the body.
pub fn between_bytes_scenario(t: &Target) {
    let req = request(t, Method::Get, "/stall-body", &[]);
    let opts = options(None, None, Some(500 * MS));
    let resp = match send(req, Some(opts), after(5 * SEC)) {
        Ok(r) => r,
        Err(f) => {
            fail(
                "between-bytes-timeout: response",
                "a response",
                fault_text(&f),
            );
            return;
        }
    };
    eq("between-bytes-timeout: status", 200u16, resp.status());
    let start = now();
    let (bytes, when) = body_must_fail(
        "between-bytes-timeout",
        &resp,
        ErrorCode::ConnectionReadTimeout,
        5 * SEC,
    );
    eq(
        "between-bytes-timeout: bytes before the stall",
        "0123456789".to_string(),
        String::from_utf8_lossy(&bytes).into_owned(),
    );
    check_elapsed("between-bytes-timeout", when - start, 300 * MS, 4 * SEC);
}

/// `cut URL`: the server closes after 100 of 1000 bytes →
/// `HTTP-response-incomplete`.
pub fn cut_scenario(t: &Target) {
    let req = request(t, Method::Get, "/cut", &[]);
    let resp = match send(req, None, after(5 * SEC)) {
        Ok(r) => r,
        Err(f) => {
            fail("cut: response", "a response", fault_text(&f));
            return;
        }
    };
    eq("cut: status", 200u16, resp.status());
    let (bytes, _) = body_must_fail("cut", &resp, ErrorCode::HttpResponseIncomplete, 5 * SEC);
    eq("cut: bytes before the close", 100usize, bytes.len());
}

/// `malformed URL`: not HTTP → `HTTP-protocol-error`.
pub fn malformed_scenario(t: &Target) {
    let req = request(t, Method::Get, "/malformed", &[]);
    expect_error(
        "malformed response",
        req,
        None,
        ErrorCode::HttpProtocolError,
        5 * SEC,
    );
}

/// `invalid URL`: requests the handler must reject.
pub fn invalid_scenario(t: &Target) {
    let req = request(t, Method::Get, "/hello", &[]);
    req.set_scheme(Some(&Scheme::Other("ftp".into()))).unwrap();
    expect_error(
        "scheme ftp",
        req,
        None,
        ErrorCode::HttpProtocolError,
        5 * SEC,
    );

    let req = request(t, Method::Get, "/hello", &[]);
    req.set_authority(None).unwrap();
    expect_error(
        "no authority",
        req,
        None,
        ErrorCode::HttpRequestUriInvalid,
        5 * SEC,
    );
}

/// `https URL`: GET over TLS with the test CA trusted.
pub fn https_scenario(t: &Target) {
    check(
        "https: URL scheme",
        matches!(t.scheme, Scheme::Https),
        "https",
        format!("{:?}", t.scheme),
    );
    let req = request(t, Method::Get, "/hello", &[]);
    match send(req, None, after(10 * SEC)) {
        Ok(resp) => {
            check_hello("https", t, &resp, "GET /hello");
        }
        Err(f) => fail("https: response", "a response", fault_text(&f)),
    }
    // A second request (a pooled or a new connection) works too.
    let req = request(t, Method::Get, "/hello/2", &[]);
    match send(req, None, after(10 * SEC)) {
        Ok(resp) => {
            check_hello("https again", t, &resp, "GET /hello/2");
        }
        Err(f) => fail("https again: response", "a response", fault_text(&f)),
    }
}

/// `https-untrusted URL`: the server's CA is not trusted →
/// `TLS-certificate-error`.
pub fn https_untrusted_scenario(t: &Target) {
    let req = request(t, Method::Get, "/hello", &[]);
    expect_error(
        "https untrusted",
        req,
        None,
        ErrorCode::TlsCertificateError,
        10 * SEC,
    );
}

/// `permit`: prints what `check-write` grants on an outgoing body's stream
/// (`-S http-outgoing-body-chunk-size` sets it), and that a write of one
/// byte more than that traps (the test sees the trap).
pub fn permit_scenario() {
    let req = OutgoingRequest::new(Fields::new());
    let body = req.body().expect("body");
    let out = body_stream(&body);
    let permit = out.check_write().expect("check-write");
    println!("permit {permit}");
    let _ = out.write(&vec![0u8; permit as usize + 1]);
}
