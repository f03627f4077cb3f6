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
//! The servers are a small HTTP/1.1 implementation over `std::net` (and
//! rustls for https) so that each response — stalls, cuts, trailers,
//! garbage — is exactly what the test says. Routes: see
//! guests/p2-http-client/src/client.rs.

mod common;

use common::{free_port, guest_p2, tempdir, Output, Warden};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const GUEST: &str = "p2-http-client";

/// How long a server connection may sit idle before the server drops it.
const IDLE: Duration = Duration::from_secs(15);

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
// The test servers

/// A loopback HTTP/1.1 (or https) server on a thread per connection.
struct Server {
    addr: SocketAddr,
    /// Connections accepted so far.
    conns: Arc<AtomicUsize>,
}

impl Server {
    fn http() -> Server {
        Server::start(None, "127.0.0.1:0")
    }

    fn https() -> Server {
        Server::start(Some(tls_config()), "127.0.0.1:0")
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>, addr: &str) -> Server {
        let l = TcpListener::bind(addr).expect("bind test server");
        Server::serve(l, tls)
    }

    fn serve(l: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let addr = l.local_addr().unwrap();
        let conns = Arc::new(AtomicUsize::new(0));
        let n = conns.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { continue };
                n.fetch_add(1, Ordering::SeqCst);
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = s.set_read_timeout(Some(IDLE));
                    let _ = s.set_write_timeout(Some(IDLE));
                    let _ = s.set_nodelay(true);
                    match tls {
                        None => {
                            let _ = serve_conn(Conn::new(s));
                        }
                        Some(cfg) => {
                            let Ok(c) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            let _ = serve_conn(Conn::new(rustls::StreamOwned::new(c, s)));
                        }
                    }
                });
            }
        });
        Server { addr, conns }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn authority(&self) -> String {
        self.addr.to_string()
    }

    fn connections(&self) -> usize {
        self.conns.load(Ordering::SeqCst)
    }
}

/// A buffered connection.
struct Conn<S> {
    s: S,
    buf: Vec<u8>,
}

impl<S: Read + Write> Conn<S> {
    fn new(s: S) -> Self {
        Conn { s, buf: Vec::new() }
    }

    /// Reads more bytes into the buffer; false at EOF.
    fn fill(&mut self) -> io::Result<bool> {
        let mut b = [0u8; 64 * 1024];
        let n = self.s.read(&mut b)?;
        self.buf.extend_from_slice(&b[..n]);
        Ok(n > 0)
    }

    /// One CRLF-terminated line, without the CRLF; `None` at EOF.
    fn line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let l = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return Ok(Some(l));
            }
            if self.buf.len() > 64 * 1024 {
                return Err(io::Error::other("line too long"));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn exact(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill()? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn send(&mut self, b: &[u8]) -> io::Result<()> {
        self.s.write_all(b)?;
        self.s.flush()
    }

    /// Blocks until the peer closes (or the idle timeout), discarding input.
    fn wait_for_close(&mut self) {
        let mut b = [0u8; 4096];
        while let Ok(n) = self.s.read(&mut b) {
            if n == 0 {
                break;
            }
        }
    }
}

/// A parsed request.
struct Req {
    method: String,
    target: String,
    /// Names lower-case, in order.
    headers: Vec<(String, String)>,
    framing: &'static str,
    body: Vec<u8>,
    trailers: Vec<(String, String)>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The `/hello` body: what the server saw.
    fn describe(&self) -> String {
        let mut s = format!("{} {}\n", self.method, self.target);
        for (n, v) in &self.headers {
            s += &format!("{n}: {v}\n");
        }
        s += &format!(
            "framing: {}\nbody-bytes: {}\nbody-fnv: {:016x}\n",
            self.framing,
            self.body.len(),
            fnv1a(&self.body)
        );
        s
    }
}

fn parse_fields<S: Read + Write>(c: &mut Conn<S>) -> io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let l = c.line()?.ok_or(io::ErrorKind::UnexpectedEof)?;
        if l.is_empty() {
            return Ok(out);
        }
        let (n, v) = l
            .split_once(':')
            .ok_or_else(|| io::Error::other(format!("bad field line {l:?}")))?;
        out.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
}

fn read_request<S: Read + Write>(c: &mut Conn<S>) -> io::Result<Option<Req>> {
    let line = loop {
        match c.line()? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let headers = parse_fields(c)?;
    let mut req = Req {
        method,
        target,
        headers,
        framing: "none",
        body: Vec::new(),
        trailers: Vec::new(),
    };
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        req.framing = "chunked";
        loop {
            let size_line = c.line()?.ok_or(io::ErrorKind::UnexpectedEof)?;
            let hex = size_line.split(';').next().unwrap_or("").trim();
            let n = usize::from_str_radix(hex, 16)
                .map_err(|_| io::Error::other(format!("bad chunk size {size_line:?}")))?;
            if n == 0 {
                req.trailers = parse_fields(c)?;
                break;
            }
            let data = c.exact(n)?;
            req.body.extend_from_slice(&data);
            let crlf = c.exact(2)?;
            if crlf != b"\r\n" {
                return Err(io::Error::other("chunk without CRLF"));
            }
        }
    } else if let Some(len) = req.header("content-length") {
        let n: usize = len
            .parse()
            .map_err(|_| io::Error::other("bad content-length"))?;
        req.framing = "length";
        req.body = c.exact(n)?;
    }
    Ok(Some(req))
}

/// Serves requests on one connection until the peer closes or a route ends it.
fn serve_conn<S: Read + Write>(mut c: Conn<S>) -> io::Result<()> {
    while let Some(req) = read_request(&mut c)? {
        if !respond(&mut c, &req)? {
            break;
        }
        if req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        {
            break;
        }
    }
    Ok(())
}

/// Answers one request; false when the connection must end.
fn respond<S: Read + Write>(c: &mut Conn<S>, req: &Req) -> io::Result<bool> {
    let path = req.path();
    match path {
        _ if path == "/hello" || path.starts_with("/hello/") => {
            let body = req.describe();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Test: a\r\nX-Test: b\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            c.send(head.as_bytes())?;
            if req.method != "HEAD" {
                c.send(body.as_bytes())?;
            }
            Ok(true)
        }
        "/echo" => {
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nX-Request-Framing: {}\r\nTrailer: x-checksum, x-trailer-two, x-server-trailer\r\n\r\n",
                req.framing
            )
            .into_bytes();
            let third = req.body.len().div_ceil(3).max(1);
            for chunk in req.body.chunks(third) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n");
            for (n, v) in &req.trailers {
                out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
            }
            out.extend_from_slice(b"x-server-trailer: done\r\n\r\n");
            c.send(&out)?;
            Ok(true)
        }
        "/large" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nX-Len: {}\r\nX-Sum: {:016x}\r\nContent-Length: {}\r\n\r\n",
                req.body.len(),
                fnv1a(&req.body),
                req.body.len()
            );
            c.send(head.as_bytes())?;
            c.send(&req.body)?;
            Ok(true)
        }
        "/stall" => {
            c.wait_for_close();
            Ok(false)
        }
        "/stall-body" => {
            c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")?;
            c.wait_for_close();
            Ok(false)
        }
        "/cut" => {
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
            out.extend_from_slice(&[b'x'; 100]);
            c.send(&out)?;
            Ok(false)
        }
        "/malformed" => {
            c.send(b"HELLO WORLD\r\n\r\n")?;
            Ok(false)
        }
        _ => {
            let body = req.describe();
            let head = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            c.send(head.as_bytes())?;
            c.send(body.as_bytes())?;
            Ok(true)
        }
    }
}

/// FNV-1a, 64 bits (the guest computes the same).
fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------
// TLS: a test CA and a server certificate for 127.0.0.1

struct TestPki {
    ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Warden http_client test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TestPki {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        }
    })
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    pki().config.clone()
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

/// An https server that speaks only HTTP/2 (ALPN `h2`): the client must
/// negotiate it and send the request over HTTP/2. Answers like the
/// HTTP/1.1 server's `/hello` (request line, then the authority as a host
/// line) and counts the requests it served.
struct H2Server {
    addr: SocketAddr,
    served: Arc<AtomicUsize>,
}

fn h2_server() -> H2Server {
    let mut config = (*pki().config).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, counter) = (acceptor.clone(), counter.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut conn) = h2::server::handshake(tls).await else {
                        return;
                    };
                    while let Some(Ok((req, mut respond))) = conn.accept().await {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let body = format!(
                            "{} {}\nhost: {}\n",
                            req.method(),
                            req.uri().path_and_query().map_or("/", |p| p.as_str()),
                            req.uri().authority().map_or("", |a| a.as_str()),
                        );
                        let resp = http::Response::builder()
                            .status(200)
                            .header("content-type", "text/plain")
                            .body(())
                            .unwrap();
                        if let Ok(mut send) = respond.send_response(resp, false) {
                            let _ = send.send_data(bytes::Bytes::from(body), true);
                        }
                    }
                });
            }
        });
    });
    H2Server { addr, served }
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
