//! `warden serve` of a wasi:http@0.3 service (guests/p3-http-proxy, routes
//! at the top of its src/lib.rs), end to end on loopback: HTTP/1.1 with a
//! tiny std::net client (`Connection: close`, chunked bodies and trailers
//! decoded here). Every wait is bounded; a server left running is killed
//! when its `Running` is finished.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest_p2, Running, Warden};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

struct Server {
    run: Running,
    addr: SocketAddr,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let wasm = guest_p2("p3-http-proxy");
        let run = Warden::new()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .arg(&wasm)
            .timeout(Duration::from_secs(120))
            .spawn();
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let err = run.stderr_now();
            // Only a complete line: the address may still be arriving.
            let complete = err.split_inclusive('\n').filter(|l| l.ends_with('\n'));
            if let Some(line) = complete
                .map(str::trim_end)
                .find(|l| l.contains("Serving HTTP on http://"))
            {
                let addr = line
                    .split("http://")
                    .nth(1)
                    .and_then(|a| a.trim_end().strip_suffix('/'))
                    .and_then(|a| a.parse().ok())
                    .unwrap_or_else(|| panic!("bad serving line {line:?}"));
                return Server { run, addr };
            }
            assert!(
                Instant::now() < end,
                "warden serve did not start within 60 s:\n{err}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One request on a fresh connection; the whole response.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Req) -> Resp {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
            self.addr
        );
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        let mut bytes = Vec::new();
        match body {
            Req::Empty => head.push_str("\r\n"),
            Req::Fixed(b) => {
                head.push_str(&format!("content-length: {}\r\n\r\n", b.len()));
                bytes.extend_from_slice(b);
            }
            Req::Chunked(chunks, trailers) => {
                head.push_str("transfer-encoding: chunked\r\n\r\n");
                for c in chunks {
                    bytes.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
                    bytes.extend_from_slice(c);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n");
                for (n, v) in trailers {
                    bytes.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
                }
                bytes.extend_from_slice(b"\r\n");
            }
        }
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&bytes).unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        parse(&raw)
    }

    fn stderr(&self) -> String {
        self.run.stderr_now()
    }

    /// Stderr once it contains `needle` (up to 10 s): log lines are written
    /// by the server's threads and read by ours, so they may trail the
    /// response that caused them.
    fn stderr_with(&self, needle: &str) -> String {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let err = self.stderr();
            if err.contains(needle) || Instant::now() >= end {
                return err;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

enum Req<'a> {
    Empty,
    Fixed(&'a [u8]),
    Chunked(&'a [&'a [u8]], &'a [(&'a str, &'a str)]),
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    trailers: Vec<(String, String)>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect()
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut rest = &raw[split + 4..];
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in {head:?}"));
    let headers = fields(head.split_once("\r\n").map_or("", |h| h.1));
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let mut body = Vec::new();
    let mut trailers = Vec::new();
    if chunked {
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size");
            let size =
                usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap();
            rest = &rest[eol + 2..];
            if size == 0 {
                trailers = fields(&String::from_utf8_lossy(rest).replace("\r\n", "\n"));
                break;
            }
            body.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
    } else {
        body = rest.to_vec();
    }
    Resp {
        status,
        headers,
        body,
        trailers,
    }
}

#[test]
fn routes_bodies_headers_and_trailers() {
    let srv = Server::start(&[]);
    let r = srv.request("GET", "/hello", &[], Req::Empty);
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "hello from warden p3\n")
    );
    assert_eq!(r.header("content-type"), Some("text/plain"));

    let r = srv.request("GET", "/status/418", &[], Req::Empty);
    assert_eq!(r.status, 418);

    let r = srv.request("GET", "/headers", &[("x-test", "yes")], Req::Empty);
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(text.contains("x-test: yes\n"), "{text}");
    assert!(text.contains("path: /headers\n"), "{text}");
    assert!(
        text.contains(&format!("authority: {}\n", srv.addr)),
        "{text}"
    );
    // Forbidden headers never reach the guest.
    assert!(!text.contains("connection:"), "{text}");

    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let r = srv.request("POST", "/echo", &[], Req::Fixed(&big));
    assert_eq!(r.status, 200);
    assert!(
        r.body == big,
        "echoed {} bytes, sent {}",
        r.body.len(),
        big.len()
    );

    let r = srv.request(
        "POST",
        "/echo",
        &[("trailer", "x-sum"), ("te", "trailers")],
        Req::Chunked(&[b"abc", b"defg"], &[("x-sum", "42")]),
    );
    assert_eq!((r.status, r.text().as_str()), (200, "abcdefg"));
    assert_eq!(
        r.trailers,
        vec![("x-sum".to_owned(), "42".to_owned())],
        "{r:?}"
    );
}

#[test]
fn trap_is_500_and_timeout_is_504_and_the_server_goes_on() {
    let srv = Server::start(&["--request-timeout", "1s"]);
    let r = srv.request("GET", "/trap", &[], Req::Empty);
    assert_eq!(r.status, 500, "{}", srv.stderr());
    let t = Instant::now();
    let r = srv.request("GET", "/sleep", &[], Req::Empty);
    assert_eq!(r.status, 504, "{}", srv.stderr());
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let r = srv.request("GET", "/hello", &[], Req::Empty);
    assert_eq!(r.status, 200);
    // The access log names each request.
    let err = srv.stderr_with("GET /sleep -> 504");
    assert!(err.contains("GET /sleep -> 504"), "{err}");
    let err = srv.stderr_with("GET /trap -> 500");
    assert!(err.contains("GET /trap -> 500"), "{err}");
}

#[test]
fn outgoing_requests_follow_the_grants() {
    let srv = Server::start(&["--allow-http", "127.0.0.1"]);
    let url = format!("http://{}/hello", srv.addr);
    let r = srv.request("GET", "/fetch", &[("x-fetch-url", &url)], Req::Empty);
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "hello from warden p3\n"),
        "{}",
        srv.stderr()
    );
    assert_eq!(r.header("content-type"), Some("text/plain"));
    // Not granted: HTTP-request-denied, which warden serve answers with 403.
    let r = srv.request(
        "GET",
        "/fetch",
        &[("x-fetch-url", "http://localhost:1/")],
        Req::Empty,
    );
    assert_eq!(r.status, 403, "{}", srv.stderr());
    let err = srv.stderr_with("--allow-http localhost:1");
    assert!(err.contains("--allow-http localhost:1"), "{err}");
}

#[test]
fn sigterm_stops_gracefully() {
    let srv = Server::start(&[]);
    assert_eq!(srv.request("GET", "/hello", &[], Req::Empty).status, 200);
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &srv.run.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = srv.run.finish();
    assert!(!out.timed_out, "{}", out.describe());
    assert_eq!(out.code, Some(0), "{}", out.describe());
}
