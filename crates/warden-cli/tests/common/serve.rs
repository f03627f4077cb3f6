//! `warden serve` under test: starting a server on loopback and finding its
//! port, reading its process's figures from `/proc`, an exact HTTP/1.1
//! client (so malformed and half-sent requests are possible) and h2c with
//! prior knowledge. Shared by http_serve.rs and serve_attack.rs.

use super::{guest_p2, Running, Warden};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The server under test.

pub fn proxy() -> PathBuf {
    guest_p2("p2-http-proxy")
}

pub struct Server {
    pub run: Running,
    pub addr: SocketAddr,
}

impl Server {
    /// `warden serve --addr 127.0.0.1:0 EXTRA... p2_http_proxy.wasm`.
    pub fn start(extra: &[&str]) -> Server {
        Server::start_with(Warden::new(), extra)
    }

    pub fn start_with(w: Warden, extra: &[&str]) -> Server {
        Server::start_wasm(w, &proxy(), extra)
    }

    /// `warden serve --addr 127.0.0.1:0 EXTRA... WASM`.
    pub fn start_wasm(w: Warden, wasm: &std::path::Path, extra: &[&str]) -> Server {
        let run = w
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .arg(wasm)
            .timeout(Duration::from_secs(300))
            .spawn();
        let end = Instant::now() + Duration::from_secs(120);
        loop {
            let err = run.stderr_now();
            // Only complete lines count.
            let lines: Vec<&str> = err
                .split_inclusive('\n')
                .filter(|l| l.ends_with('\n'))
                .map(|l| l.trim_end_matches(['\n', '\r']))
                .collect();
            let serving: Vec<&&str> = lines
                .iter()
                .filter(|l| l.contains("Serving HTTP on"))
                .collect();
            if let Some(line) = serving.first() {
                assert_eq!(
                    serving.len(),
                    1,
                    "more than one `Serving HTTP on` line:\n{err}"
                );
                let addr = line
                    .strip_prefix("Serving HTTP on http://")
                    .and_then(|r| r.strip_suffix('/'))
                    .unwrap_or_else(|| {
                        panic!("the line is not exactly `Serving HTTP on http://ADDR/`: {line:?}")
                    });
                let addr: SocketAddr = addr
                    .parse()
                    .unwrap_or_else(|e| panic!("bad address in {line:?}: {e}"));
                assert_eq!(addr.ip().to_string(), "127.0.0.1", "{line}");
                assert_ne!(
                    addr.port(),
                    0,
                    "port 0 printed instead of the real port: {line}"
                );
                return Server { run, addr };
            }
            if !alive(run.id()) {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "warden serve exited before listening:\n{}",
                    run.stderr_now()
                );
            }
            if Instant::now() > end {
                panic!("warden serve did not print `Serving HTTP on ...` within 120 s:\n{err}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.run.id()
    }

    pub fn stderr(&self) -> String {
        self.run.stderr_now()
    }

    /// Wait until some stderr line satisfies `pred`.
    pub fn wait_stderr_line(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if self.stderr().lines().any(&pred) {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A fresh connection.
    pub fn conn(&self) -> Conn {
        Conn::open(self.addr)
    }

    /// One request on a fresh connection.
    pub fn get(&self, path: &str) -> Resp {
        self.conn().request("GET", path, &[], b"")
    }

    pub fn signal(&self, sig: &str) {
        let st = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} failed");
    }
}

/// The process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s
                .rsplit_once(')')
                .map(|(_, r)| r.trim_start())
                .unwrap_or("");
            !(state.starts_with('Z') || state.starts_with('X'))
        }
        Err(_) => false,
    }
}

/// VmRSS of `pid` in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    proc_status(pid, "VmRSS:")
}

/// A number from `/proc/PID/status` (`VmRSS:`, `Threads:`…).
pub fn proc_status(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    let line = s
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} line"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// User + system CPU time of `pid`, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    let rest = s.rsplit_once(')').unwrap().1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the comm field: state is field 3; utime 14, stime 15 (1-based).
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// The words of `line` split on anything not alphanumeric.
pub fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
}

// ---------------------------------------------------------------------------
// A small exact HTTP/1.1 client.

pub struct Conn {
    pub s: TcpStream,
    pub buf: Vec<u8>,
}

/// Header or trailer fields: lower-case names, in order.
pub type Fields = Vec<(String, String)>;

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Fields,
    pub body: Vec<u8>,
    pub trailers: Fields,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Request bytes: the request line, a `host` header unless `headers` has
/// one, `headers`, `content-length` when there is a body or the method is
/// POST/PUT (unless `headers` sets `transfer-encoding` or `content-length`),
/// then the body.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    let mut r = format!("{method} {path} HTTP/1.1\r\n");
    if !has("host") {
        r.push_str("host: 127.0.0.1\r\n");
    }
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has("content-length")
        && !has("transfer-encoding")
        && (!body.is_empty() || method == "POST" || method == "PUT")
    {
        r.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    r.push_str("\r\n");
    let mut v = r.into_bytes();
    v.extend_from_slice(body);
    v
}

/// One chunk of a chunked body.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut v = format!("{:x}\r\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\r\n");
    v
}

pub fn eof() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "connection closed mid-response",
    )
}

pub fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        Conn::try_open(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"))
    }

    pub fn try_open(addr: SocketAddr) -> io::Result<Conn> {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_write_timeout(Some(Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(Conn { s, buf: Vec::new() })
    }

    pub fn read_timeout(&self, t: Duration) {
        self.s.set_read_timeout(Some(t)).unwrap();
    }

    pub fn send(&mut self, data: &[u8]) {
        self.s.write_all(data).expect("send to warden serve");
    }

    pub fn try_send(&mut self, data: &[u8]) -> io::Result<()> {
        self.s.write_all(data)
    }

    /// Read more bytes into the buffer; 0 at end of stream.
    pub fn fill(&mut self) -> io::Result<usize> {
        let mut tmp = [0u8; 16384];
        let n = self.s.read(&mut tmp)?;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    pub fn read_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            if self.buf.len() > 1 << 20 {
                return Err(bad("line over 1 MiB".into()));
            }
            if self.fill()? == 0 {
                return Err(eof());
            }
        }
    }

    pub fn read_n(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if self.fill()? == 0 {
                return Err(eof());
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    pub fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while self.fill()? != 0 {}
        Ok(std::mem::take(&mut self.buf))
    }

    pub fn read_fields(&mut self) -> io::Result<Fields> {
        let mut fields = Vec::new();
        loop {
            let line = self.read_line()?;
            if line.is_empty() {
                return Ok(fields);
            }
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| bad(format!("bad header line {line:?}")))?;
            fields.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }

    /// Status and headers of the next final response (1xx are skipped).
    pub fn read_head(&mut self) -> io::Result<(u16, Fields)> {
        loop {
            let line = self.read_line()?;
            let mut parts = line.splitn(3, ' ');
            let version = parts.next().unwrap_or("");
            if !version.starts_with("HTTP/1.") {
                return Err(bad(format!("bad status line {line:?}")));
            }
            let status: u16 = parts
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
            let headers = self.read_fields()?;
            if (100..200).contains(&status) {
                continue;
            }
            return Ok((status, headers));
        }
    }

    /// The next chunk of a chunked body; `None` after the last chunk (the
    /// trailers follow: [`Conn::read_fields`]).
    pub fn read_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        let line = self.read_line()?;
        let size = line.split(';').next().unwrap_or("").trim();
        let n =
            usize::from_str_radix(size, 16).map_err(|_| bad(format!("bad chunk size {line:?}")))?;
        if n == 0 {
            return Ok(None);
        }
        let data = self.read_n(n)?;
        if self.read_n(2)? != b"\r\n" {
            return Err(bad("chunk not followed by CRLF".into()));
        }
        Ok(Some(data))
    }

    pub fn read_body(
        &mut self,
        status: u16,
        headers: &[(String, String)],
    ) -> io::Result<(Vec<u8>, Fields)> {
        let get = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        if status == 204 || status == 304 {
            return Ok((Vec::new(), Vec::new()));
        }
        if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            let mut body = Vec::new();
            while let Some(c) = self.read_chunk()? {
                body.extend_from_slice(&c);
            }
            let trailers = self.read_fields()?;
            return Ok((body, trailers));
        }
        if let Some(n) = get("content-length") {
            let n: usize = n
                .parse()
                .map_err(|_| bad(format!("bad content-length {n:?}")))?;
            return Ok((self.read_n(n)?, Vec::new()));
        }
        Ok((self.read_to_end()?, Vec::new()))
    }

    pub fn read_response(&mut self) -> io::Result<Resp> {
        let (status, headers) = self.read_head()?;
        let (body, trailers) = self.read_body(status, &headers)?;
        Ok(Resp {
            status,
            headers,
            body,
            trailers,
        })
    }

    /// Send one request and read its response (panics on I/O errors).
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        self.send(&request_bytes(method, path, headers, body));
        self.read_response()
            .unwrap_or_else(|e| panic!("{method} {path}: reading the response: {e}"))
    }
}

// ---------------------------------------------------------------------------
// h2c with prior knowledge.

pub struct H2Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    pub trailers: Option<http::HeaderMap>,
    /// The body or trailers failed (e.g. the stream was reset).
    pub error: Option<String>,
}

impl H2Resp {
    /// Panics if the body or trailers failed.
    pub fn complete(self) -> Self {
        if let Some(e) = &self.error {
            panic!("{e}");
        }
        self
    }
}

pub type H2 = h2::client::SendRequest<bytes::Bytes>;

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(60), f)
                .await
                .expect("h2 exchange took over 60 s")
        })
}

pub async fn h2_connect(addr: SocketAddr) -> H2 {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (client, conn) = h2::client::handshake(tcp)
        .await
        .expect("h2 handshake with prior knowledge");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

pub async fn h2_request(
    client: &H2,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    trailers: Option<http::HeaderMap>,
) -> H2Resp {
    h2_try_request(client, method, uri, headers, body, trailers)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// [`h2_request`], or the error that reset the stream before its response
/// head arrived.
pub async fn h2_try_request(
    client: &H2,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    trailers: Option<http::HeaderMap>,
) -> Result<H2Resp, String> {
    let mut client = client.clone().ready().await.expect("h2 connection ready");
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(()).unwrap();
    let end = body.is_empty() && trailers.is_none();
    let (fut, mut stream) = client.send_request(req, end).expect("h2 send_request");
    if !end {
        if !body.is_empty() {
            stream
                .send_data(bytes::Bytes::copy_from_slice(body), trailers.is_none())
                .expect("h2 send data");
        }
        if let Some(t) = trailers {
            stream.send_trailers(t).expect("h2 send trailers");
        }
    }
    let resp = fut.await.map_err(|e| format!("h2 {method} {uri}: {e}"))?;
    let status = resp.status().as_u16();
    let (parts, mut recv) = resp.into_parts();
    let mut data = Vec::new();
    let mut error = None;
    while let Some(c) = recv.data().await {
        match c {
            Ok(c) => {
                let _ = recv.flow_control().release_capacity(c.len());
                data.extend_from_slice(&c);
            }
            Err(e) => {
                error = Some(format!("h2 {method} {uri}: body: {e}"));
                break;
            }
        }
    }
    let mut trailers = None;
    if error.is_none() {
        match recv.trailers().await {
            Ok(t) => trailers = t,
            Err(e) => error = Some(format!("h2 {method} {uri}: trailers: {e}")),
        }
    }
    Ok(H2Resp {
        status,
        headers: parts.headers,
        body: data,
        trailers,
        error,
    })
}
