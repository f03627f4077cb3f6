//! Helpers for outgoing requests: building a request for the test server,
//! waiting on futures and streams with a monotonic deadline (nothing here
//! can block past it), reading bodies and trailers, writing bodies.

use wasip2::clocks::monotonic_clock;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method,
    OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::poll::{poll, Pollable};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

pub const MS: u64 = 1_000_000;
pub const SEC: u64 = 1_000_000_000;

/// Monotonic time in nanoseconds.
pub fn now() -> u64 {
    monotonic_clock::now()
}

/// A deadline `ns` from now.
pub fn after(ns: u64) -> u64 {
    now() + ns
}

/// Waits until `p` is ready or the deadline passes; true when ready.
pub fn wait(p: &Pollable, deadline: u64) -> bool {
    if p.ready() {
        return true;
    }
    let t = monotonic_clock::subscribe_instant(deadline);
    poll(&[p, &t]).contains(&0)
}

/// Where the test server is: from the URL argument, e.g.
/// `http://127.0.0.1:8080` or `https://127.0.0.1:8443/ignored`.
#[derive(Clone, Debug)]
pub struct Target {
    pub scheme: Scheme,
    pub authority: String,
}

impl Target {
    pub fn parse(url: &str) -> Target {
        let (scheme, rest) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("URL without scheme: {url:?}"));
        let scheme = match scheme {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => Scheme::Other(other.to_string()),
        };
        let authority = rest.split('/').next().unwrap_or("").to_string();
        Target { scheme, authority }
    }
}

/// A request to `t` with `method`, `path` and `headers`.
pub fn request(
    t: &Target,
    method: Method,
    path: &str,
    headers: &[(&str, &[u8])],
) -> OutgoingRequest {
    let list: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    let fields = Fields::from_list(&list).expect("valid request headers");
    let req = OutgoingRequest::new(fields);
    req.set_method(&method).expect("set-method");
    req.set_scheme(Some(&t.scheme)).expect("set-scheme");
    req.set_authority(Some(&t.authority))
        .expect("set-authority");
    req.set_path_with_query(Some(path))
        .expect("set-path-with-query");
    req
}

/// `request-options` with the given timeouts (nanoseconds).
pub fn options(
    connect: Option<u64>,
    first_byte: Option<u64>,
    between: Option<u64>,
) -> RequestOptions {
    let o = RequestOptions::new();
    o.set_connect_timeout(connect).expect("set-connect-timeout");
    o.set_first_byte_timeout(first_byte)
        .expect("set-first-byte-timeout");
    o.set_between_bytes_timeout(between)
        .expect("set-between-bytes-timeout");
    o
}

/// How waiting for something ended, when it did not succeed.
#[derive(Debug)]
pub enum Fault {
    /// `handle` or the future gave this error code.
    Code(ErrorCode),
    /// A stream operation failed; its `http-error-code`, if any.
    Stream(Option<ErrorCode>),
    /// A stream was closed.
    Closed,
    /// Nothing happened before the deadline.
    Timeout,
    /// Something the WIT says cannot happen (e.g. a future taken twice).
    #[allow(dead_code)] // shown through `Debug`
    Other(String),
}

impl Fault {
    /// The HTTP error code behind this fault, if any.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Fault::Code(c) => Some(c),
            Fault::Stream(Some(c)) => Some(c),
            _ => None,
        }
    }
}

pub fn stream_fault(e: StreamError) -> Fault {
    match e {
        StreamError::Closed => Fault::Closed,
        StreamError::LastOperationFailed(err) => {
            Fault::Stream(wasip2::http::types::http_error_code(&err))
        }
    }
}

/// Waits for the response future.
pub fn await_response(
    fut: &FutureIncomingResponse,
    deadline: u64,
) -> Result<IncomingResponse, Fault> {
    loop {
        match fut.get() {
            Some(Ok(Ok(r))) => return Ok(r),
            Some(Ok(Err(e))) => return Err(Fault::Code(e)),
            Some(Err(())) => {
                return Err(Fault::Other(
                    "future-incoming-response.get: already taken".into(),
                ))
            }
            None => {
                if !wait(&fut.subscribe(), deadline) {
                    return Err(Fault::Timeout);
                }
            }
        }
    }
}

/// `handle` then wait for the response: an error from either is a fault.
pub fn send(
    req: OutgoingRequest,
    opts: Option<RequestOptions>,
    deadline: u64,
) -> Result<IncomingResponse, Fault> {
    let fut = outgoing_handler::handle(req, opts).map_err(Fault::Code)?;
    await_response(&fut, deadline)
}

/// Reads `stream` to its end or first fault; returns what was read, and the
/// fault (`None` when the stream ended with `closed`).
pub fn read_stream(s: &InputStream, deadline: u64) -> (Vec<u8>, Option<Fault>) {
    let mut out = Vec::new();
    loop {
        match s.read(1 << 16) {
            Ok(b) if b.is_empty() => {
                if !wait(&s.subscribe(), deadline) {
                    return (out, Some(Fault::Timeout));
                }
            }
            Ok(b) => out.extend_from_slice(&b),
            Err(StreamError::Closed) => return (out, None),
            Err(e) => return (out, Some(stream_fault(e))),
        }
    }
}

/// The body of a response: its bytes, how the stream ended, and the body
/// resource itself (for the trailers).
pub struct Body {
    pub bytes: Vec<u8>,
    pub fault: Option<Fault>,
    pub body: IncomingBody,
}

/// Consumes `resp` and reads its body stream to the end.
pub fn read_body(resp: &IncomingResponse, deadline: u64) -> Result<Body, Fault> {
    let body = resp
        .consume()
        .map_err(|()| Fault::Other("incoming-response.consume failed".into()))?;
    let (bytes, fault) = {
        let s = body
            .stream()
            .map_err(|()| Fault::Other("incoming-body.stream failed".into()))?;
        read_stream(&s, deadline)
    };
    Ok(Body { bytes, fault, body })
}

/// `incoming-body.finish` and wait for the trailers: `Ok(None)` for none,
/// `Ok(Some(entries))` for trailers (after `inspect` ran on them, while the
/// resource is alive).
pub fn trailers(
    body: IncomingBody,
    deadline: u64,
    inspect: &dyn Fn(&Fields),
) -> Result<Option<Vec<(String, String)>>, Fault> {
    let ft = IncomingBody::finish(body);
    loop {
        match ft.get() {
            Some(Ok(Ok(None))) => {
                check_taken_twice(&ft);
                return Ok(None);
            }
            Some(Ok(Ok(Some(t)))) => {
                inspect(&t);
                let e = crate::fields::entries(&t);
                drop(t);
                check_taken_twice(&ft);
                return Ok(Some(e));
            }
            Some(Ok(Err(e))) => return Err(Fault::Code(e)),
            Some(Err(())) => return Err(Fault::Other("future-trailers.get: already taken".into())),
            None => {
                if !wait(&ft.subscribe(), deadline) {
                    return Err(Fault::Timeout);
                }
            }
        }
    }
}

fn check_taken_twice(ft: &wasip2::http::types::FutureTrailers) {
    let again = ft.get();
    crate::check::check(
        "future-trailers.get a second time",
        matches!(again, Some(Err(()))),
        "some(err)",
        match again {
            None => "none",
            Some(Ok(_)) => "some(ok(..))",
            Some(Err(())) => "some(err)",
        },
    );
}

/// Writes all of `data` to `out` through `check-write`/`write`, waiting on
/// the stream's pollable with the deadline; then flushes.
pub fn write_all(out: &OutputStream, data: &[u8], deadline: u64) -> Result<(), Fault> {
    let mut off = 0;
    while off < data.len() {
        let n = out.check_write().map_err(stream_fault)?;
        if n == 0 {
            if !wait(&out.subscribe(), deadline) {
                return Err(Fault::Timeout);
            }
            continue;
        }
        let k = (n as usize).min(data.len() - off).min(1 << 16);
        out.write(&data[off..off + k]).map_err(stream_fault)?;
        off += k;
    }
    flush(out, deadline)
}

/// `flush`, then wait until `check-write` says the flush completed.
pub fn flush(out: &OutputStream, deadline: u64) -> Result<(), Fault> {
    out.flush().map_err(stream_fault)?;
    loop {
        match out.check_write() {
            Ok(n) if n > 0 => return Ok(()),
            Ok(_) => {
                if !wait(&out.subscribe(), deadline) {
                    return Err(Fault::Timeout);
                }
            }
            Err(e) => return Err(stream_fault(e)),
        }
    }
}

/// `outgoing-body.write`, expecting success.
pub fn body_stream(b: &OutgoingBody) -> OutputStream {
    b.write().expect("outgoing-body.write")
}

/// FNV-1a, 64 bits: the checksum the test server computes too.
pub fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Deterministic pseudo-random bytes (xorshift64*), the same as the test's.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        for b in r.to_le_bytes() {
            if v.len() < len {
                v.push(b);
            }
        }
    }
    v
}
