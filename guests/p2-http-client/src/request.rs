//! `request` — the accessors of `outgoing-request`, `outgoing-response` and
//! `request-options`, without any network.

use crate::check::{eq, fail};
use wasip2::http::types::{
    Fields, Method, OutgoingRequest, OutgoingResponse, RequestOptions, Scheme,
};

pub fn run() {
    outgoing_request();
    options();
    outgoing_response();
}

fn outgoing_request() {
    let req = OutgoingRequest::new(Fields::new());
    eq("default method", Method::Get, req.method());
    eq("default path-with-query", None, req.path_with_query());
    eq("default scheme", None, req.scheme());
    eq("default authority", None, req.authority());

    // Methods.
    for m in [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
        Method::Other("PURGE".into()),
    ] {
        let name = format!("set-method {m:?}");
        eq(&name, Ok(()), req.set_method(&m));
        eq(&format!("{name}: method()"), m, req.method());
    }
    for bad in ["", "BAD METHOD", "GE\nT", "GET\r\n", "(x)"] {
        eq(
            &format!("set-method other({bad:?})"),
            Err(()),
            req.set_method(&Method::Other(bad.into())),
        );
    }
    eq(
        "method unchanged after invalid set",
        Method::Other("PURGE".into()),
        req.method(),
    );

    // Path with query.
    for p in ["/", "/a/b", "/a/b?c=d&e=%20f", "/?q", "/caf%C3%A9"] {
        eq(
            &format!("set-path-with-query {p:?}"),
            Ok(()),
            req.set_path_with_query(Some(p)),
        );
        eq(
            &format!("path-with-query after {p:?}"),
            Some(p.to_string()),
            req.path_with_query(),
        );
    }
    for bad in ["/a b", "/a\nb", "/a\r\nHost: x", "/nul\0"] {
        eq(
            &format!("set-path-with-query {bad:?}"),
            Err(()),
            req.set_path_with_query(Some(bad)),
        );
    }
    eq(
        "path unchanged after invalid set",
        Some("/caf%C3%A9".to_string()),
        req.path_with_query(),
    );
    eq(
        "set-path-with-query none",
        Ok(()),
        req.set_path_with_query(None),
    );
    eq("path-with-query none", None, req.path_with_query());

    // Scheme.
    for s in [Scheme::Http, Scheme::Https, Scheme::Other("ftp".into())] {
        let name = format!("set-scheme {s:?}");
        eq(&name, Ok(()), req.set_scheme(Some(&s)));
        eq(&format!("{name}: scheme()"), Some(s), req.scheme());
    }
    for bad in ["", "not a scheme", "1abc", "a:b", "x/y"] {
        eq(
            &format!("set-scheme other({bad:?})"),
            Err(()),
            req.set_scheme(Some(&Scheme::Other(bad.into()))),
        );
    }
    eq(
        "scheme unchanged after invalid set",
        Some(Scheme::Other("ftp".into())),
        req.scheme(),
    );
    eq("set-scheme none", Ok(()), req.set_scheme(None));
    eq("scheme none", None, req.scheme());

    // Authority.
    for a in [
        "example.com",
        "example.com:8080",
        "127.0.0.1:80",
        "[::1]:443",
        "[::1]",
    ] {
        eq(
            &format!("set-authority {a:?}"),
            Ok(()),
            req.set_authority(Some(a)),
        );
        eq(
            &format!("authority after {a:?}"),
            Some(a.to_string()),
            req.authority(),
        );
    }
    for bad in ["bad authority", "a/b", "a?b", "a#b", "a\nb", "[::1"] {
        eq(
            &format!("set-authority {bad:?}"),
            Err(()),
            req.set_authority(Some(bad)),
        );
    }
    eq(
        "authority unchanged after invalid set",
        Some("[::1]".to_string()),
        req.authority(),
    );
    eq("set-authority none", Ok(()), req.set_authority(None));
    eq("authority none", None, req.authority());

    // The body: once.
    let b1 = req.body();
    eq("outgoing-request body first", true, b1.is_ok());
    eq("outgoing-request body second", true, req.body().is_err());
    // The outgoing-body resource belongs to the request; drop it first.
    drop(b1);
}

fn options() {
    let o = RequestOptions::new();
    eq(
        "options: connect-timeout default",
        None,
        o.connect_timeout(),
    );
    eq(
        "options: first-byte-timeout default",
        None,
        o.first_byte_timeout(),
    );
    eq(
        "options: between-bytes-timeout default",
        None,
        o.between_bytes_timeout(),
    );
    let (a, b, c) = (1_500_000_000u64, 2_000_000u64, 7u64);
    eq(
        "set-connect-timeout",
        Ok(()),
        o.set_connect_timeout(Some(a)),
    );
    eq(
        "set-first-byte-timeout",
        Ok(()),
        o.set_first_byte_timeout(Some(b)),
    );
    eq(
        "set-between-bytes-timeout",
        Ok(()),
        o.set_between_bytes_timeout(Some(c)),
    );
    eq("connect-timeout", Some(a), o.connect_timeout());
    eq("first-byte-timeout", Some(b), o.first_byte_timeout());
    eq("between-bytes-timeout", Some(c), o.between_bytes_timeout());
    eq(
        "set-connect-timeout none",
        Ok(()),
        o.set_connect_timeout(None),
    );
    eq(
        "set-first-byte-timeout none",
        Ok(()),
        o.set_first_byte_timeout(None),
    );
    eq(
        "set-between-bytes-timeout none",
        Ok(()),
        o.set_between_bytes_timeout(None),
    );
    eq("connect-timeout none", None, o.connect_timeout());
    eq("first-byte-timeout none", None, o.first_byte_timeout());
    eq(
        "between-bytes-timeout none",
        None,
        o.between_bytes_timeout(),
    );
}

fn outgoing_response() {
    let r = OutgoingResponse::new(Fields::new());
    eq("outgoing-response default status", 200u16, r.status_code());
    for s in [201u16, 204, 404, 599] {
        eq(
            &format!("set-status-code {s}"),
            Ok(()),
            r.set_status_code(s),
        );
        eq(&format!("status-code after {s}"), s, r.status_code());
    }
    for bad in [0u16, 99, 1000, 65535] {
        eq(
            &format!("set-status-code {bad}"),
            Err(()),
            r.set_status_code(bad),
        );
    }
    eq(
        "status unchanged after invalid set",
        599u16,
        r.status_code(),
    );
    match r.body() {
        Ok(b) => {
            eq("outgoing-response body second", true, r.body().is_err());
            drop(b);
        }
        Err(()) => fail("outgoing-response body first", "ok", "err"),
    }
}
