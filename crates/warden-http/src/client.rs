//! Outgoing requests: connections (TCP, TLS with rustls, HTTP/1.1 or
//! HTTP/2 by ALPN), a pool per destination, timeouts and the mapping of
//! failures onto `error-code`.

use crate::bindings::wasi::http::types::{DnsErrorPayload, ErrorCode, TlsAlertReceivedPayload};
use crate::body::{ChannelBody, FieldList, IncomingBody, Slot};
use crate::error::hyper_error_code;
use crate::policy::HttpPolicy;
use crate::runtime::runtime;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;

/// Defaults where the guest sets no `request-options` (docs/http.md).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
pub const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(600);
pub const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(600);

/// Timeouts of one request.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_byte: Duration,
    pub between_bytes: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: CONNECT_TIMEOUT,
            first_byte: FIRST_BYTE_TIMEOUT,
            between_bytes: BETWEEN_BYTES_TIMEOUT,
        }
    }
}

/// What runs when a response body has ended cleanly.
pub type Done = Box<dyn FnOnce() + Send>;

/// A granted destination.
#[derive(Clone, Debug)]
pub struct Target {
    pub tls: bool,
    pub host: String,
    pub port: u16,
}

/// A request path in origin form (`/` when unset).
pub fn origin_form(path: Option<&str>) -> Result<http::Uri, ErrorCode> {
    let path = path.unwrap_or("/");
    let path = if path.starts_with('/') || path == "*" {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    path.parse().map_err(|_| ErrorCode::HttpRequestUriInvalid)
}

/// A response as it arrives, before the guest takes it.
pub struct ResponseParts {
    pub status: u16,
    pub headers: FieldList,
    pub body: IncomingBody,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    tls: bool,
    host: String,
    port: u16,
}

enum Conn {
    H1(http1::SendRequest<ChannelBody>),
    H2(http2::SendRequest<ChannelBody>),
}

/// Idle HTTP/1.1 connections and shared HTTP/2 connections per
/// destination.
#[derive(Default)]
struct Pool {
    idle: HashMap<PoolKey, Vec<http1::SendRequest<ChannelBody>>>,
    h2: HashMap<PoolKey, http2::SendRequest<ChannelBody>>,
}

/// Most idle HTTP/1.1 connections kept per destination.
const MAX_IDLE: usize = 16;

/// The HTTP client of one sandbox: its grants, TLS roots and pool.
pub struct Client {
    pub policy: HttpPolicy,
    tls: Arc<rustls::ClientConfig>,
    pool: Mutex<Pool>,
    warned: Mutex<std::collections::HashSet<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read CA certificates from `{0}`: {1}")]
    Ca(String, String),
}

impl Client {
    /// A client trusting the webpki roots and the PEM certificates in
    /// `extra_ca_files`.
    pub fn new(
        policy: HttpPolicy,
        extra_ca_files: &[std::path::PathBuf],
    ) -> Result<Client, ClientError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for path in extra_ca_files {
            let shown = path.display().to_string();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| ClientError::Ca(shown.clone(), e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ClientError::Ca(shown.clone(), e.to_string()))?;
            if certs.is_empty() {
                return Err(ClientError::Ca(shown, "no certificate in it".into()));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| ClientError::Ca(shown.clone(), e.to_string()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Client {
            policy,
            tls: Arc::new(tls),
            pool: Mutex::new(Pool::default()),
            warned: Mutex::new(Default::default()),
        })
    }

    /// Logs once per destination that a request was denied.
    pub fn warn_denied(&self, host: &str, port: u16) {
        let shown = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        if warned.insert(shown.clone()) {
            tracing::warn!(
                target: "warden::http",
                "outgoing HTTP request to {shown} denied; grant it with --allow-http {shown}"
            );
        }
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where a request goes, once granted: `tls` is `None` for a scheme
    /// other than http and https. A denied destination is logged and
    /// refused with `HTTP-request-denied` (docs/http.md).
    pub fn target(&self, tls: Option<bool>, authority: Option<&str>) -> Result<Target, ErrorCode> {
        let tls = tls.ok_or(ErrorCode::HttpProtocolError)?;
        let authority = authority.ok_or(ErrorCode::HttpRequestUriInvalid)?;
        let (host, port) =
            crate::policy::split_authority(authority).ok_or(ErrorCode::HttpRequestUriInvalid)?;
        if host.is_empty() {
            return Err(ErrorCode::HttpRequestUriInvalid);
        }
        let port = port.unwrap_or(if tls { 443 } else { 80 });
        if !self.policy.allows(host, port) {
            self.warn_denied(host, port);
            return Err(ErrorCode::HttpRequestDenied);
        }
        Ok(Target {
            tls,
            host: host.to_owned(),
            port,
        })
    }

    /// Sends `req` (its URI in origin form) to `target` and fills `slot`
    /// with the response or the error.
    pub fn send(
        self: &Arc<Self>,
        target: Target,
        req: http::Request<ChannelBody>,
        timeouts: Timeouts,
        slot: Arc<Slot<Result<ResponseParts, ErrorCode>>>,
    ) {
        let client = self.clone();
        runtime().spawn(async move {
            let r = client.send_inner(target, req, timeouts).await;
            slot.fill(r);
        });
    }

    async fn send_inner(
        self: &Arc<Self>,
        target: Target,
        req: http::Request<ChannelBody>,
        t: Timeouts,
    ) -> Result<ResponseParts, ErrorCode> {
        let (resp, back) = self.fetch(target, req, t).await?;
        let (parts, body) = resp.into_parts();
        let body = IncomingBody::spawn(body, t.between_bytes, None, back)
            .map_err(|e| ErrorCode::InternalError(Some(e.to_string())))?;
        Ok(ResponseParts {
            status: parts.status.as_u16(),
            headers: crate::fields::from_header_map(&parts.headers),
            body,
        })
    }

    /// Sends `req` to `target` on a pooled or new connection, within the
    /// connect and first-byte timeouts. Returns the response head and body
    /// as hyper gives them, and what to run once the body has ended cleanly
    /// (it returns an HTTP/1.1 connection to the pool). Runs on
    /// [`runtime`].
    pub async fn fetch(
        self: &Arc<Self>,
        target: Target,
        mut req: http::Request<ChannelBody>,
        t: Timeouts,
    ) -> Result<(http::Response<hyper::body::Incoming>, Option<Done>), ErrorCode> {
        let key = PoolKey {
            tls: target.tls,
            host: target.host,
            port: target.port,
        };
        let conn = match self.take_idle(&key) {
            Some(c) => c,
            None => tokio::time::timeout(t.connect, self.connect(&key))
                .await
                .map_err(|_| ErrorCode::ConnectionTimeout)??,
        };
        let response = match conn {
            Conn::H1(mut sender) => {
                let authority = if key.host.contains(':') {
                    format!("[{}]:{}", key.host, key.port)
                } else {
                    format!("{}:{}", key.host, key.port)
                };
                let default_port = if key.tls { 443 } else { 80 };
                let host_header = if key.port == default_port {
                    authority
                        .rsplit_once(':')
                        .map(|(h, _)| h.to_owned())
                        .unwrap_or(authority)
                } else {
                    authority
                };
                if let Ok(v) = http::HeaderValue::from_str(&host_header) {
                    req.headers_mut().insert(http::header::HOST, v);
                }
                let resp = tokio::time::timeout(t.first_byte, sender.send_request(req))
                    .await
                    .map_err(|_| ErrorCode::ConnectionReadTimeout)?
                    .map_err(|e| hyper_error_code(&e))?;
                let (client, key) = (self.clone(), key.clone());
                let back: Done = Box::new(move || client.put_idle(key, sender));
                (resp, Some(back))
            }
            Conn::H2(mut sender) => {
                let scheme = if key.tls { "https" } else { "http" };
                let host = if key.host.contains(':') {
                    format!("[{}]", key.host)
                } else {
                    key.host.clone()
                };
                let path = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/".into());
                *req.uri_mut() = format!("{scheme}://{host}:{}{path}", key.port)
                    .parse()
                    .map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
                let resp = tokio::time::timeout(t.first_byte, sender.send_request(req))
                    .await
                    .map_err(|_| ErrorCode::ConnectionReadTimeout)?
                    .map_err(|e| hyper_error_code(&e))?;
                (resp, None)
            }
        };
        Ok(response)
    }

    fn take_idle(&self, key: &PoolKey) -> Option<Conn> {
        let mut pool = self.pool();
        if let Some(h2) = pool.h2.get(key) {
            if h2.is_ready() {
                return Some(Conn::H2(h2.clone()));
            }
            pool.h2.remove(key);
        }
        let idle = pool.idle.get_mut(key)?;
        while let Some(s) = idle.pop() {
            if s.is_ready() {
                return Some(Conn::H1(s));
            }
        }
        None
    }

    fn put_idle(&self, key: PoolKey, sender: http1::SendRequest<ChannelBody>) {
        if sender.is_closed() {
            return;
        }
        let mut pool = self.pool();
        let idle = pool.idle.entry(key).or_default();
        if idle.len() < MAX_IDLE {
            idle.push(sender);
        }
    }

    async fn connect(&self, key: &PoolKey) -> Result<Conn, ErrorCode> {
        let addrs: Vec<_> = tokio::net::lookup_host((key.host.as_str(), key.port))
            .await
            .map_err(|e| dns_error(&e))?
            .collect();
        if addrs.is_empty() {
            return Err(dns_error(&std::io::Error::other("no addresses")));
        }
        let mut last = ErrorCode::ConnectionRefused;
        let mut tcp = None;
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = connect_error(&e),
            }
        }
        let tcp = tcp.ok_or(last)?;
        let _ = tcp.set_nodelay(true);
        if !key.tls {
            return self.handshake_h1(TokioIo::new(tcp)).await;
        }
        let name = rustls::pki_types::ServerName::try_from(key.host.clone())
            .map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| tls_error(&e))?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        if h2 {
            let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .map_err(|e| hyper_error_code(&e))?;
            runtime().spawn(conn);
            self.pool().h2.insert(key.clone(), sender.clone());
            Ok(Conn::H2(sender))
        } else {
            self.handshake_h1(TokioIo::new(tls)).await
        }
    }

    async fn handshake_h1<IO>(&self, io: TokioIo<IO>) -> Result<Conn, ErrorCode>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = http1::handshake(io)
            .await
            .map_err(|e| hyper_error_code(&e))?;
        runtime().spawn(conn);
        Ok(Conn::H1(sender))
    }
}

fn dns_error(e: &std::io::Error) -> ErrorCode {
    ErrorCode::DnsError(DnsErrorPayload {
        rcode: Some(e.to_string()),
        info_code: None,
    })
}

fn connect_error(e: &std::io::Error) -> ErrorCode {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => ErrorCode::ConnectionRefused,
        K::TimedOut => ErrorCode::ConnectionTimeout,
        K::HostUnreachable | K::NetworkUnreachable => ErrorCode::DestinationUnavailable,
        K::AddrNotAvailable => ErrorCode::DestinationIpUnroutable,
        _ => ErrorCode::ConnectionTerminated,
    }
}

fn tls_error(e: &std::io::Error) -> ErrorCode {
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return match e.kind() {
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
                ErrorCode::TlsProtocolError
            }
            _ => connect_error(e),
        };
    };
    match tls {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            ErrorCode::TlsCertificateError
        }
        rustls::Error::AlertReceived(alert) => {
            ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
                alert_id: Some(u8::from(*alert)),
                alert_message: Some(format!("{alert:?}")),
            })
        }
        _ => ErrorCode::TlsProtocolError,
    }
}
