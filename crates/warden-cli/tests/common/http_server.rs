//! Loopback test servers for the wasi:http client tests (http_client.rs
//! for 0.2, http_client_p3.rs for 0.3), included with
//! `#[path = "common/http_server.rs"] mod http_server;`: a small HTTP/1.1
//! server over `std::net` (and rustls for https) whose every response —
//! stalls, cuts, trailers, garbage — is exactly what the route says, a test
//! CA (rcgen) with a certificate for 127.0.0.1, and an HTTP/2-only TLS
//! server (ALPN `h2`).
//!
//! Routes of [`Server`]: see [`respond`].
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long a server connection may sit idle before the server drops it.
pub const IDLE: Duration = Duration::from_secs(15);

/// A loopback HTTP/1.1 (or https) server on a thread per connection.
pub struct Server {
    pub addr: SocketAddr,
    /// Connections accepted so far.
    conns: Arc<AtomicUsize>,
}

impl Server {
    pub fn http() -> Server {
        Server::start(None, "127.0.0.1:0")
    }

    pub fn https() -> Server {
        Server::start(Some(tls_config()), "127.0.0.1:0")
    }

    pub fn start(tls: Option<Arc<rustls::ServerConfig>>, addr: &str) -> Server {
        let l = TcpListener::bind(addr).expect("bind test server");
        Server::serve(l, tls)
    }

    pub fn serve(l: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
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

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    pub fn connections(&self) -> usize {
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
pub fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------
// TLS: a test CA and a server certificate for 127.0.0.1

pub struct TestPki {
    pub ca_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

pub fn pki() -> &'static TestPki {
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

pub fn tls_config() -> Arc<rustls::ServerConfig> {
    pki().config.clone()
}

/// An https server that speaks only HTTP/2 (ALPN `h2`): the client must
/// negotiate it and send the request over HTTP/2. Answers like the
/// HTTP/1.1 server's `/hello` (request line, then the authority as a host
/// line) and counts the requests it served.
pub struct H2Server {
    pub addr: SocketAddr,
    pub served: Arc<AtomicUsize>,
}

pub fn h2_server() -> H2Server {
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

/// A listener with backlog 0 whose queue is already full: the kernel drops
/// further SYNs, so connecting to its address hangs (until a connect
/// timeout). `None` when connecting does not hang on this host. Keep the
/// returned socket and connections alive for as long as needed.
pub fn hanging_listener() -> Option<(socket2::Socket, SocketAddr, Vec<std::net::TcpStream>)> {
    use socket2::{Domain, Socket, Type};
    let l = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    l.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    l.listen(0).unwrap();
    let addr: SocketAddr = l.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => fillers.push(s),
            Err(_) => return Some((l, addr, fillers)),
        }
    }
    None
}
