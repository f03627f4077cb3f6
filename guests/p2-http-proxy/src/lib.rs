//! A `wasi:http/proxy` component served by `warden serve` in the tests
//! (crates/warden-cli/tests/http_serve.rs) and the serve benchmark
//! (bench/serve). It routes on the request path:
//!
//! | path | answer |
//! |---|---|
//! | `/hello` | 200, `hello from warden\n`, `content-type: text/plain` |
//! | `/echo` | 200; streams the request body back chunk by chunk as it arrives, copies the request trailers into the response trailers; echoes the request headers `content-type`, `trailer` and every `x-echo-*` |
//! | `/consume` | reads the whole request body, then 200 `read N bytes\n`; when reading fails, hands the body's error code to `response-outparam.set` |
//! | `/headers` | 200, text: `method: M`, `scheme: S`, `authority: A`, `path-with-query: P`, then `header NAME: VALUE` for every header in order |
//! | `/status/NNN` | status NNN, body `status NNN\n` (empty for 1xx, 204, 304); 400 if NNN is not a valid status |
//! | `/trap` | panics (a trap: the release profile aborts on panic) |
//! | `/no-response` | returns without setting the response |
//! | `/loop` | busy loops forever, calling nothing |
//! | `/sleep/MS` | waits MS milliseconds on a monotonic-clock pollable, then 200 `slept MS\n` |
//! | `/big/N` | 200, N bytes `abc...zabc...` streamed (no content-length) |
//! | `/env` | 200, every environment variable as `NAME=VALUE\n` |
//! | `/file/PATH` | 200 and the contents of the guest file `/PATH` (through the preopens); 404 and the reason otherwise |
//! | `/stderr?TEXT` | writes `guest stderr: TEXT\n` to stderr, then 200 `ok\n` |
//! | `/count` | 200, `N\n`: how many requests this instance has handled (1 when every request gets a fresh instance) |
//! | `/alloc/N` | reserves and touches N bytes of memory: 200 `allocated N bytes\n`, or 507 `cannot allocate N bytes\n` when memory cannot grow |
//! | `/resources/N` | holds N fresh `fields` resources at once, then 200 `held N\n` (a trap once the host's resource limit is reached) |
//! | `/fields/N` | holds N `fields`, each with one 100,000-byte value, then 200 `held N\n`; a value refused is 413 `refused after I\n` (0.2 traps instead, past `-S max-http-fields-size` or `-S max-http-fields-total`) |
//! | anything else | 404 `not found\n` |

use std::sync::atomic::{AtomicU32, Ordering};
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse,
    ResponseOutparam, Scheme,
};
use wasip2::io::streams::{OutputStream, StreamError};

/// Requests handled by this instance.
static HANDLED: AtomicU32 = AtomicU32::new(0);

struct Proxy;

impl wasip2::exports::http::incoming_handler::Guest for Proxy {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let handled = HANDLED.fetch_add(1, Ordering::SeqCst) + 1;
        let pq = request.path_with_query().unwrap_or_default();
        let (path, query) = match pq.split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (pq.clone(), String::new()),
        };
        match path.as_str() {
            "/hello" => {
                let body = b"hello from warden\n";
                let h = fields(&[
                    ("content-type", "text/plain"),
                    ("content-length", &body.len().to_string()),
                ]);
                respond(out, 200, h, body);
            }
            "/echo" => echo(request, out),
            "/consume" => consume(request, out),
            "/headers" => {
                let text = describe(&request);
                respond(
                    out,
                    200,
                    fields(&[("content-type", "text/plain")]),
                    text.as_bytes(),
                );
            }
            "/trap" => panic!("p2-http-proxy: /trap requested"),
            "/no-response" => drop(out),
            "/loop" => {
                let mut i: u64 = 0;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            "/env" => {
                let mut text = String::new();
                for (k, v) in wasip2::cli::environment::get_environment() {
                    text.push_str(&format!("{k}={v}\n"));
                }
                respond(
                    out,
                    200,
                    fields(&[("content-type", "text/plain")]),
                    text.as_bytes(),
                );
            }
            "/stderr" => {
                let line = format!("guest stderr: {query}\n");
                let err = wasip2::cli::stderr::get_stderr();
                for chunk in line.as_bytes().chunks(4096) {
                    err.blocking_write_and_flush(chunk).expect("write stderr");
                }
                drop(err);
                respond(out, 200, fields(&[("content-type", "text/plain")]), b"ok\n");
            }
            "/count" => respond(
                out,
                200,
                fields(&[("content-type", "text/plain")]),
                format!("{handled}\n").as_bytes(),
            ),
            p if p.starts_with("/fields/") => {
                let n: usize = p["/fields/".len()..].parse().unwrap_or(0);
                let value = vec![b'v'; 100_000];
                let mut held = Vec::new();
                for i in 0..n {
                    let f = Fields::new();
                    if f.append("x-big", &value).is_err() {
                        respond(
                            out,
                            413,
                            Fields::new(),
                            format!("refused after {i}\n").as_bytes(),
                        );
                        return;
                    }
                    held.push(f);
                }
                respond(
                    out,
                    200,
                    Fields::new(),
                    format!("held {}\n", held.len()).as_bytes(),
                );
            }
            p if p.starts_with("/resources/") => {
                let n: usize = p["/resources/".len()..].parse().unwrap_or(0);
                let held: Vec<Fields> = (0..n).map(|_| Fields::new()).collect();
                respond(
                    out,
                    200,
                    Fields::new(),
                    format!("held {}\n", held.len()).as_bytes(),
                );
            }
            p if p.starts_with("/alloc/") => match p["/alloc/".len()..].parse::<usize>() {
                Ok(n) => {
                    let mut v: Vec<u8> = Vec::new();
                    if v.try_reserve_exact(n).is_err() {
                        respond(
                            out,
                            507,
                            Fields::new(),
                            format!("cannot allocate {n} bytes\n").as_bytes(),
                        );
                    } else {
                        v.resize(n, 1);
                        let sum: usize = std::hint::black_box(&v)
                            .iter()
                            .step_by(4096)
                            .map(|&b| b as usize)
                            .sum();
                        assert!(sum <= n);
                        respond(
                            out,
                            200,
                            Fields::new(),
                            format!("allocated {n} bytes\n").as_bytes(),
                        );
                    }
                }
                Err(_) => respond(out, 400, Fields::new(), b"invalid size\n"),
            },
            p if p.starts_with("/status/") => {
                let status = p["/status/".len()..].parse::<u16>().ok();
                let resp = OutgoingResponse::new(Fields::new());
                match status.map(|s| (s, resp.set_status_code(s))) {
                    Some((s, Ok(()))) => {
                        let body = if matches!(s, 100..=199 | 204 | 304) {
                            String::new()
                        } else {
                            format!("status {s}\n")
                        };
                        send(out, resp, body.as_bytes());
                    }
                    _ => respond(out, 400, Fields::new(), b"invalid status\n"),
                }
            }
            p if p.starts_with("/sleep/") => match p["/sleep/".len()..].parse::<u64>() {
                Ok(ms) => {
                    wasip2::clocks::monotonic_clock::subscribe_duration(ms * 1_000_000).block();
                    respond(out, 200, Fields::new(), format!("slept {ms}\n").as_bytes());
                }
                Err(_) => respond(out, 400, Fields::new(), b"invalid duration\n"),
            },
            p if p.starts_with("/big/") => match p["/big/".len()..].parse::<u64>() {
                Ok(n) => big(out, n),
                Err(_) => respond(out, 400, Fields::new(), b"invalid size\n"),
            },
            p if p.starts_with("/file/") => file(out, &p["/file".len()..]),
            _ => respond(
                out,
                404,
                fields(&[("content-type", "text/plain")]),
                b"not found\n",
            ),
        }
    }
}

wasip2::http::proxy::export!(Proxy);

/// A mutable `fields` holding `pairs`.
fn fields(pairs: &[(&str, &str)]) -> Fields {
    let f = Fields::new();
    for (k, v) in pairs {
        f.append(k, v.as_bytes()).expect("append header");
    }
    f
}

/// Answer `status` with `headers` and the whole `body`.
fn respond(out: ResponseOutparam, status: u16, headers: Fields, body: &[u8]) {
    let resp = OutgoingResponse::new(headers);
    resp.set_status_code(status).expect("status");
    send(out, resp, body);
}

/// Set `resp` as the response, then write `body` and finish it.
fn send(out: ResponseOutparam, resp: OutgoingResponse, body: &[u8]) {
    let ob = resp.body().expect("outgoing body");
    ResponseOutparam::set(out, Ok(resp));
    let stream = ob.write().expect("body stream");
    write_all(&stream, body).expect("write body");
    drop(stream);
    OutgoingBody::finish(ob, None).expect("finish body");
}

/// Write all of `data` (as much per call as the stream accepts), then flush.
fn write_all(stream: &OutputStream, mut data: &[u8]) -> Result<(), StreamError> {
    while !data.is_empty() {
        let n = stream.check_write()?;
        if n == 0 {
            stream.subscribe().block();
            continue;
        }
        let k = (n as usize).min(data.len());
        stream.write(&data[..k])?;
        data = &data[k..];
    }
    stream.blocking_flush()
}

fn method_name(m: Method) -> String {
    match m {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(s) => s,
    }
}

/// The `/headers` text.
fn describe(request: &IncomingRequest) -> String {
    let scheme = match request.scheme() {
        None => "none".to_owned(),
        Some(Scheme::Http) => "http".to_owned(),
        Some(Scheme::Https) => "https".to_owned(),
        Some(Scheme::Other(s)) => s,
    };
    let mut text = format!(
        "method: {}\nscheme: {}\nauthority: {}\npath-with-query: {}\n",
        method_name(request.method()),
        scheme,
        request.authority().unwrap_or_else(|| "none".into()),
        request.path_with_query().unwrap_or_else(|| "none".into()),
    );
    let headers = request.headers();
    for (name, value) in headers.entries() {
        text.push_str(&format!(
            "header {name}: {}\n",
            String::from_utf8_lossy(&value)
        ));
    }
    text
}

/// `/echo`: the response is set before the body is read, and each chunk read
/// is written and flushed at once, so the client sees its bytes come back
/// while it is still sending.
fn echo(request: IncomingRequest, out: ResponseOutparam) {
    let h = Fields::new();
    let req_headers = request.headers();
    for (name, value) in req_headers.entries() {
        if name == "content-type" || name == "trailer" || name.starts_with("x-echo-") {
            h.append(&name, &value).expect("append echoed header");
        }
    }
    drop(req_headers);
    let body = request.consume().expect("request body");
    let input = body.stream().expect("request body stream");
    let resp = OutgoingResponse::new(h);
    let ob = resp.body().expect("outgoing body");
    ResponseOutparam::set(out, Ok(resp));
    let output = ob.write().expect("response body stream");
    loop {
        match input.blocking_read(64 * 1024) {
            Ok(chunk) => {
                if write_all(&output, &chunk).is_err() {
                    // The client went away: abandon the response.
                    return;
                }
            }
            Err(StreamError::Closed) => break,
            // Reading failed (client gone, or over a host limit): leave the
            // response unfinished, which tells the host it is incomplete.
            Err(StreamError::LastOperationFailed(_)) => return,
        }
    }
    drop(input);
    let trailers = IncomingBody::finish(body);
    trailers.subscribe().block();
    let copied = match trailers.get() {
        Some(Ok(Ok(Some(t)))) => Some(t.clone()),
        Some(Ok(Ok(None))) => None,
        Some(Ok(Err(_))) | Some(Err(())) | None => return,
    };
    drop(trailers);
    drop(output);
    let _ = OutgoingBody::finish(ob, copied);
}

/// `/consume`: read the whole body first, then answer with its length. A
/// read error is passed on to the host as the response's error code.
fn consume(request: IncomingRequest, out: ResponseOutparam) {
    let body = request.consume().expect("request body");
    let input = body.stream().expect("request body stream");
    let mut n: u64 = 0;
    loop {
        match input.blocking_read(64 * 1024) {
            Ok(chunk) => n += chunk.len() as u64,
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                let code = wasip2::http::types::http_error_code(&e)
                    .unwrap_or_else(|| ErrorCode::InternalError(Some(e.to_debug_string())));
                ResponseOutparam::set(out, Err(code));
                return;
            }
        }
    }
    drop(input);
    drop(IncomingBody::finish(body));
    respond(
        out,
        200,
        fields(&[("content-type", "text/plain")]),
        format!("read {n} bytes\n").as_bytes(),
    );
}

/// `/big/N`: N bytes of `abc..z` repeated, in pieces as large as the stream
/// takes.
fn big(out: ResponseOutparam, n: u64) {
    let resp = OutgoingResponse::new(fields(&[("content-type", "application/octet-stream")]));
    let ob = resp.body().expect("outgoing body");
    ResponseOutparam::set(out, Ok(resp));
    let stream = ob.write().expect("body stream");
    // 64 KiB + 26 so any offset modulo 26 starts a full 64 KiB window.
    let pattern: Vec<u8> = (0..65536 + 26).map(|i| b'a' + (i % 26) as u8).collect();
    let mut sent: u64 = 0;
    while sent < n {
        let room = match stream.check_write() {
            Ok(0) => {
                stream.subscribe().block();
                continue;
            }
            Ok(room) => room,
            Err(_) => return,
        };
        let k = room.min(n - sent).min(65536) as usize;
        let start = (sent % 26) as usize;
        if stream.write(&pattern[start..start + k]).is_err() {
            return;
        }
        sent += k as u64;
    }
    if stream.blocking_flush().is_err() {
        return;
    }
    drop(stream);
    let _ = OutgoingBody::finish(ob, None);
}

/// `/file/PATH`: the guest file `/PATH`, through the preopened directories.
fn file(out: ResponseOutparam, path: &str) {
    use wasip2::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};
    let text = |status: u16, msg: String| (status, msg.into_bytes());
    let (status, body) = 'found: {
        for (dir, name) in wasip2::filesystem::preopens::get_directories() {
            let prefix = name.trim_end_matches('/');
            let Some(rest) = path.strip_prefix(prefix) else {
                continue;
            };
            if !rest.starts_with('/') {
                continue;
            }
            let rel = rest.trim_start_matches('/');
            let f = match dir.open_at(
                PathFlags::empty(),
                rel,
                OpenFlags::empty(),
                DescriptorFlags::READ,
            ) {
                Ok(f) => f,
                Err(e) => break 'found text(404, format!("cannot open {path}: {e:?}\n")),
            };
            let mut data = Vec::new();
            loop {
                match f.read(65536, data.len() as u64) {
                    Ok((chunk, eof)) => {
                        data.extend_from_slice(&chunk);
                        if eof || chunk.is_empty() {
                            break;
                        }
                    }
                    Err(e) => break 'found text(500, format!("cannot read {path}: {e:?}\n")),
                }
            }
            break 'found (200, data);
        }
        text(404, format!("no preopened directory holds {path}\n"))
    };
    respond(
        out,
        status,
        fields(&[("content-type", "text/plain")]),
        &body,
    );
}
