//! `request` — the `request`, `response` and `request-options` resources
//! without any network: constructors, accessors, rejected values, the
//! immutability of options attached to a request, and a guest-made body
//! read back through `consume-body`.

use crate::check::{eq, fail};
use crate::fields::{entries, get};
use crate::net::*;
use wasip3::http::types::{
    ErrorCode, Fields, Method, Request, RequestOptions, RequestOptionsError, Response, Scheme,
};
use wasip3::wit_future;

pub async fn run() {
    defaults();
    methods();
    paths();
    schemes();
    authorities();
    options();
    response();
    body_round_trip().await;
}

fn defaults() {
    let (req, _sent) = new_request(Fields::new(), None, None);
    eq("new: method", Method::Get, req.get_method());
    eq("new: path-with-query", None, req.get_path_with_query());
    eq("new: scheme", None, req.get_scheme());
    eq("new: authority", None, req.get_authority());
    eq("new: options", true, req.get_options().is_none());
    eq(
        "new: headers",
        Vec::<(String, String)>::new(),
        entries(&req.get_headers()),
    );
}

fn methods() {
    let (req, _sent) = new_request(Fields::new(), None, None);
    for m in [
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
        Method::Get,
        Method::Other("PURGE".into()),
        Method::Other("x-custom".into()),
    ] {
        let name = format!("set-method {m:?}");
        eq(&name, Ok(()), req.set_method(&m));
        eq(&format!("get-method after {name}"), m, req.get_method());
    }
    req.set_method(&Method::Post).unwrap();
    for bad in ["", "BAD METHOD", "GET\r\n", "a:b", "caf\u{e9}", "(x)"] {
        eq(
            &format!("set-method other({bad:?})"),
            Err(()),
            req.set_method(&Method::Other(bad.into())),
        );
    }
    eq(
        "method unchanged by rejected ones",
        Method::Post,
        req.get_method(),
    );
}

fn paths() {
    let (req, _sent) = new_request(Fields::new(), None, None);
    for p in ["/", "/a/b?c=d&e=%20f", "/x?"] {
        eq(
            &format!("set-path-with-query {p:?}"),
            Ok(()),
            req.set_path_with_query(Some(p)),
        );
        eq(
            &format!("get-path-with-query after {p:?}"),
            Some(p.to_string()),
            req.get_path_with_query(),
        );
    }
    req.set_path_with_query(Some("/keep")).unwrap();
    for bad in ["/a b", "/a\nb", "/a\rb", "/tab\there", "/nul\0"] {
        eq(
            &format!("set-path-with-query {bad:?}"),
            Err(()),
            req.set_path_with_query(Some(bad)),
        );
    }
    eq(
        "path unchanged by rejected ones",
        Some("/keep".to_string()),
        req.get_path_with_query(),
    );
    eq(
        "set-path-with-query none",
        Ok(()),
        req.set_path_with_query(None),
    );
    eq("get-path-with-query none", None, req.get_path_with_query());
}

fn schemes() {
    let (req, _sent) = new_request(Fields::new(), None, None);
    for s in [
        Scheme::Http,
        Scheme::Https,
        Scheme::Other("ftp".into()),
        Scheme::Other("git+ssh".into()),
        Scheme::Other("a1.b-c".into()),
    ] {
        eq(
            &format!("set-scheme {s:?}"),
            Ok(()),
            req.set_scheme(Some(&s)),
        );
        eq(
            &format!("get-scheme after {s:?}"),
            Some(s),
            req.get_scheme(),
        );
    }
    req.set_scheme(Some(&Scheme::Https)).unwrap();
    for bad in ["", "1http", "ht tp", "http:", "-x", "caf\u{e9}"] {
        eq(
            &format!("set-scheme other({bad:?})"),
            Err(()),
            req.set_scheme(Some(&Scheme::Other(bad.into()))),
        );
    }
    eq(
        "scheme unchanged by rejected ones",
        Some(Scheme::Https),
        req.get_scheme(),
    );
    eq("set-scheme none", Ok(()), req.set_scheme(None));
    eq("get-scheme none", None, req.get_scheme());
}

fn authorities() {
    let (req, _sent) = new_request(Fields::new(), None, None);
    for a in [
        "example.com",
        "example.com:8080",
        "127.0.0.1",
        "127.0.0.1:80",
        "[::1]",
        "[::1]:8080",
    ] {
        eq(
            &format!("set-authority {a:?}"),
            Ok(()),
            req.set_authority(Some(a)),
        );
        eq(
            &format!("get-authority after {a:?}"),
            Some(a.to_string()),
            req.get_authority(),
        );
    }
    req.set_authority(Some("keep.example")).unwrap();
    for bad in [
        "bad host",
        "a/b",
        "host:port",
        "host:99999",
        "[::1",
        "a\r\nb",
        "x?y",
    ] {
        eq(
            &format!("set-authority {bad:?}"),
            Err(()),
            req.set_authority(Some(bad)),
        );
    }
    eq(
        "authority unchanged by rejected ones",
        Some("keep.example".to_string()),
        req.get_authority(),
    );
    eq("set-authority none", Ok(()), req.set_authority(None));
    eq("get-authority none", None, req.get_authority());
}

fn options() {
    let o = RequestOptions::new();
    eq("options new: connect", None, o.get_connect_timeout());
    eq("options new: first-byte", None, o.get_first_byte_timeout());
    eq(
        "options new: between-bytes",
        None,
        o.get_between_bytes_timeout(),
    );
    eq(
        "options set connect",
        Ok(()),
        o.set_connect_timeout(Some(1 * SEC)),
    );
    eq(
        "options set first-byte",
        Ok(()),
        o.set_first_byte_timeout(Some(2 * SEC)),
    );
    eq(
        "options set between-bytes",
        Ok(()),
        o.set_between_bytes_timeout(Some(3 * SEC)),
    );
    eq(
        "options get connect",
        Some(1 * SEC),
        o.get_connect_timeout(),
    );
    eq(
        "options get first-byte",
        Some(2 * SEC),
        o.get_first_byte_timeout(),
    );
    eq(
        "options get between-bytes",
        Some(3 * SEC),
        o.get_between_bytes_timeout(),
    );
    eq(
        "options set connect none",
        Ok(()),
        o.set_connect_timeout(None),
    );
    eq("options get connect none", None, o.get_connect_timeout());
    o.set_connect_timeout(Some(4 * SEC)).unwrap();

    let c = o.clone();
    eq(
        "options clone: connect",
        Some(4 * SEC),
        c.get_connect_timeout(),
    );
    eq(
        "options clone: between-bytes",
        Some(3 * SEC),
        c.get_between_bytes_timeout(),
    );
    eq(
        "options clone is mutable",
        Ok(()),
        c.set_connect_timeout(Some(9 * SEC)),
    );
    eq(
        "options original unchanged by clone",
        Some(4 * SEC),
        o.get_connect_timeout(),
    );

    // Attached to a request: `get-options` gives an immutable copy.
    let (req, _sent) = new_request(Fields::new(), None, Some(o));
    match req.get_options() {
        None => fail("get-options", "some", "none"),
        Some(got) => {
            eq(
                "get-options: connect",
                Some(4 * SEC),
                got.get_connect_timeout(),
            );
            eq(
                "get-options: first-byte",
                Some(2 * SEC),
                got.get_first_byte_timeout(),
            );
            eq(
                "get-options: between-bytes",
                Some(3 * SEC),
                got.get_between_bytes_timeout(),
            );
            let im = || Err(RequestOptionsError::Immutable);
            eq(
                "get-options: set connect",
                im(),
                got.set_connect_timeout(Some(SEC)),
            );
            eq(
                "get-options: set first-byte",
                im(),
                got.set_first_byte_timeout(None),
            );
            eq(
                "get-options: set between-bytes",
                im(),
                got.set_between_bytes_timeout(Some(SEC)),
            );
            eq(
                "get-options: unchanged",
                Some(4 * SEC),
                got.get_connect_timeout(),
            );
            let c = got.clone();
            eq(
                "get-options: clone is mutable",
                Ok(()),
                c.set_connect_timeout(Some(SEC)),
            );
            eq(
                "get-options: clone changed",
                Some(SEC),
                c.get_connect_timeout(),
            );
            drop(c);
            drop(got);
        }
    }
    match req.get_options() {
        Some(again) => eq(
            "get-options again: unchanged",
            Some(4 * SEC),
            again.get_connect_timeout(),
        ),
        None => fail("get-options again", "some", "none"),
    }
    drop(req);
}

fn response() {
    let (tx, rx) = wit_future::new::<TrailersResult>(|| Ok(None));
    drop(tx);
    let h = fields(&[("x-r", b"1")]);
    let (resp, _sent) = Response::new(h, None, rx);
    eq("response new: status", 200u16, resp.get_status_code());
    eq(
        "response new: headers",
        vec![("x-r".to_string(), "1".to_string())],
        entries(&resp.get_headers()),
    );
    for s in [100u16, 204, 404, 599] {
        eq(
            &format!("set-status-code {s}"),
            Ok(()),
            resp.set_status_code(s),
        );
        eq(
            &format!("get-status-code after {s}"),
            s,
            resp.get_status_code(),
        );
    }
    for bad in [0u16, 1, 99, 1000, 65535] {
        eq(
            &format!("set-status-code {bad}"),
            Err(()),
            resp.set_status_code(bad),
        );
    }
    eq(
        "status unchanged by rejected ones",
        599u16,
        resp.get_status_code(),
    );
}

/// A request made with a stream and trailers gives them back through
/// `consume-body`, and its transmission future resolves `ok`.
async fn body_round_trip() {
    let (tx, rx) = body_stream();
    let (ttx, trx) = wit_future::new::<TrailersResult>(|| Ok(None));
    let (req, sent) = Request::new(fields(&[("x-h", b"1")]), Some(rx), trx, None);
    let headers = req.get_headers();
    let (res_tx, res_rx) = wit_future::new::<Result<(), ErrorCode>>(|| Ok(()));
    let (mut stream, trailers) = Request::consume_body(req, res_rx);
    eqs_headers(&headers);
    let writer = async {
        let n = write_chunks(tx, vec![b"hello ".to_vec(), b"body".to_vec()], 0).await;
        let w = ttx.write(Ok(Some(fields(&[("x-t", b"t1")])))).await;
        (n, w.is_ok())
    };
    let reader = async {
        let mut got = Vec::new();
        loop {
            let (st, chunk) = stream.read(Vec::with_capacity(1024)).await;
            match st {
                wasip3::wit_bindgen::StreamResult::Complete(_) => got.extend_from_slice(&chunk),
                _ => break,
            }
        }
        // The trailers future handed back is this component's own (it wrote
        // it): wasmtime 48 traps on reading an intra-component future whose
        // payload is not numeric ("cannot read from and write to
        // intra-component future/stream with non-numeric payload"), so it
        // is dropped unread here; trailers through the host are checked in
        // the network scenarios.
        drop(trailers);
        (got, ())
    };
    match deadline(5 * SEC, join(writer, reader)).await {
        None => fail("consume-body round trip", "done within 5 s", "a stall"),
        Some(((n, _wrote_trailers), (got, ()))) => {
            eq("consume-body: bytes written", 10usize, n);
            eq(
                "consume-body: body",
                "hello body".to_string(),
                String::from_utf8_lossy(&got).into_owned(),
            );
        }
    }
    match deadline(5 * SEC, sent).await {
        None => fail(
            "request.new future after consume-body",
            "resolved",
            "a stall",
        ),
        Some(r) => eq("request.new future after consume-body", Ok(()), r),
    }
    drop(res_tx);

    // No contents: an empty stream, trailers `none`.
    let (req, _sent) = new_request(Fields::new(), None, None);
    let (res_tx, res_rx) = wit_future::new::<Result<(), ErrorCode>>(|| Ok(()));
    let (stream, trailers) = Request::consume_body(req, res_rx);
    // (Its own trailers future: dropped unread, as above.)
    drop(trailers);
    match deadline(5 * SEC, stream.collect()).await {
        None => fail("consume-body without contents", "done", "a stall"),
        Some(bytes) => {
            eq("consume-body without contents: body", 0usize, bytes.len());
        }
    }
    drop(res_tx);
}

fn eqs_headers(h: &Fields) {
    eq(
        "headers kept after consume-body",
        vec!["1".to_string()],
        get(h, "x-h"),
    );
}
