//! `wasi:http/types` requests, responses, options and futures, and
//! `wasi:http/outgoing-handler`.

use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    self as wit, ErrorCode, HostFutureIncomingResponse, HostIncomingRequest, HostIncomingResponse,
    HostOutgoingRequest, HostOutgoingResponse, HostRequestOptions, HostResponseOutparam, Method,
    Scheme, StatusCode,
};
use crate::body::{ChannelBody, FieldList, IncomingBody, OutgoingBody, Slot};
use crate::client::{ResponseParts, Timeouts};
use crate::fields::Fields;
use crate::HttpView;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use warden_kernel::held::Held;
use warden_kernel::Errno;
use warden_p2::io::{IoError, Pollable};
use wasmtime::component::Resource;

/// An `incoming-request`, as `warden serve` received it.
pub struct IncomingRequest {
    pub method: Method,
    pub scheme: Option<Scheme>,
    pub authority: Option<String>,
    pub path_with_query: Option<String>,
    pub headers: FieldList,
    pub body: Option<IncomingBody>,
}

/// An `outgoing-request` being built.
pub struct OutgoingRequest {
    method: Method,
    scheme: Option<Scheme>,
    authority: Option<String>,
    path_with_query: Option<String>,
    headers: FieldList,
    /// The headers' charge against the instance's fields budget.
    _held: Option<Held>,
    /// The host side of the body, once the guest asked for it.
    body: Option<ChannelBody>,
    body_given: bool,
}

/// `request-options`, in nanoseconds.
#[derive(Default)]
pub struct RequestOptions {
    connect: Option<u64>,
    first_byte: Option<u64>,
    between_bytes: Option<u64>,
}

/// Where a served guest puts its response.
pub struct ResponseOutparam {
    pub tx: Option<oneshot::Sender<Result<http::Response<ChannelBody>, ErrorCode>>>,
}

/// An `incoming-response` of an outgoing request.
pub struct IncomingResponse {
    status: u16,
    headers: FieldList,
    body: Option<IncomingBody>,
}

/// An `outgoing-response` a served guest builds.
pub struct OutgoingResponse {
    status: u16,
    headers: FieldList,
    /// The headers' charge against the instance's fields budget.
    _held: Option<Held>,
    body: Option<ChannelBody>,
    body_given: bool,
}

/// A `future-incoming-response`.
pub struct FutureIncomingResponse {
    slot: Arc<Slot<Result<ResponseParts, ErrorCode>>>,
}

fn method_to_http(m: &Method) -> Result<http::Method, ErrorCode> {
    Ok(match m {
        Method::Get => http::Method::GET,
        Method::Head => http::Method::HEAD,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Connect => http::Method::CONNECT,
        Method::Options => http::Method::OPTIONS,
        Method::Trace => http::Method::TRACE,
        Method::Patch => http::Method::PATCH,
        Method::Other(s) => http::Method::from_bytes(s.as_bytes())
            .map_err(|_| ErrorCode::HttpRequestMethodInvalid)?,
    })
}

/// The WIT method of a host request.
pub fn method_from_http(m: &http::Method) -> Method {
    match *m {
        http::Method::GET => Method::Get,
        http::Method::HEAD => Method::Head,
        http::Method::POST => Method::Post,
        http::Method::PUT => Method::Put,
        http::Method::DELETE => Method::Delete,
        http::Method::CONNECT => Method::Connect,
        http::Method::OPTIONS => Method::Options,
        http::Method::TRACE => Method::Trace,
        http::Method::PATCH => Method::Patch,
        ref other => Method::Other(other.as_str().to_owned()),
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The scheme as stored: `other("https")` becomes `https`; `None` when it
/// is not a scheme (rules in [`crate::target`]).
fn known_scheme(s: Scheme) -> Option<Scheme> {
    use crate::target::{classify_scheme, SchemeKind};
    match s {
        Scheme::Other(o) => match classify_scheme(&o)? {
            SchemeKind::Http => Some(Scheme::Http),
            SchemeKind::Https => Some(Scheme::Https),
            SchemeKind::Other => Some(Scheme::Other(o)),
        },
        known => Some(known),
    }
}

impl HttpView<'_> {
    fn immutable_headers(&mut self, list: FieldList) -> wasmtime::Result<Resource<Fields>> {
        self.push_fields(Fields::immutable(list))
    }
}

impl HostIncomingRequest for HttpView<'_> {
    fn method(&mut self, r: Resource<IncomingRequest>) -> wasmtime::Result<Method> {
        Ok(self.wasi.table.get(&r)?.method.clone())
    }
    fn path_with_query(
        &mut self,
        r: Resource<IncomingRequest>,
    ) -> wasmtime::Result<Option<String>> {
        Ok(self.wasi.table.get(&r)?.path_with_query.clone())
    }
    fn scheme(&mut self, r: Resource<IncomingRequest>) -> wasmtime::Result<Option<Scheme>> {
        Ok(self.wasi.table.get(&r)?.scheme.clone())
    }
    fn authority(&mut self, r: Resource<IncomingRequest>) -> wasmtime::Result<Option<String>> {
        Ok(self.wasi.table.get(&r)?.authority.clone())
    }
    fn headers(&mut self, r: Resource<IncomingRequest>) -> wasmtime::Result<Resource<Fields>> {
        let h = self.wasi.table.get(&r)?.headers.clone();
        self.immutable_headers(h)
    }
    fn consume(
        &mut self,
        r: Resource<IncomingRequest>,
    ) -> wasmtime::Result<Result<Resource<IncomingBody>, ()>> {
        match self.wasi.table.get_mut(&r)?.body.take() {
            Some(b) => Ok(Ok(self.wasi.table.push(b)?)),
            None => Ok(Err(())),
        }
    }
    fn drop(&mut self, r: Resource<IncomingRequest>) -> wasmtime::Result<()> {
        self.wasi.table.delete(r)?;
        Ok(())
    }
}

impl HostOutgoingRequest for HttpView<'_> {
    fn new(&mut self, headers: Resource<Fields>) -> wasmtime::Result<Resource<OutgoingRequest>> {
        let (headers, held) = self.take_fields(headers)?;
        Ok(self.wasi.table.push(OutgoingRequest {
            method: Method::Get,
            scheme: None,
            authority: None,
            path_with_query: None,
            headers,
            _held: held,
            body: None,
            body_given: false,
        })?)
    }
    fn body(
        &mut self,
        r: Resource<OutgoingRequest>,
    ) -> wasmtime::Result<Result<Resource<crate::body::OutgoingBody>, ()>> {
        let req = self.wasi.table.get_mut(&r)?;
        if req.body_given {
            return Ok(Err(()));
        }
        req.body_given = true;
        let (body, host) = OutgoingBody::new(
            &req.headers,
            self.wasi.kernel.deadline,
            &self.http.body_buffering,
        )?;
        req.body = Some(host);
        Ok(Ok(self.wasi.table.push(body)?))
    }
    fn method(&mut self, r: Resource<OutgoingRequest>) -> wasmtime::Result<Method> {
        Ok(self.wasi.table.get(&r)?.method.clone())
    }
    fn set_method(
        &mut self,
        r: Resource<OutgoingRequest>,
        m: Method,
    ) -> wasmtime::Result<Result<(), ()>> {
        if let Method::Other(s) = &m {
            if !is_token(s) {
                return Ok(Err(()));
            }
        }
        self.wasi.table.get_mut(&r)?.method = m;
        Ok(Ok(()))
    }
    fn path_with_query(
        &mut self,
        r: Resource<OutgoingRequest>,
    ) -> wasmtime::Result<Option<String>> {
        Ok(self.wasi.table.get(&r)?.path_with_query.clone())
    }
    fn set_path_with_query(
        &mut self,
        r: Resource<OutgoingRequest>,
        p: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        if p.as_deref()
            .is_some_and(|p| !crate::target::valid_path_with_query(p))
        {
            return Ok(Err(()));
        }
        self.wasi.table.get_mut(&r)?.path_with_query = p.map(crate::target::stored_path_with_query);
        Ok(Ok(()))
    }
    fn scheme(&mut self, r: Resource<OutgoingRequest>) -> wasmtime::Result<Option<Scheme>> {
        Ok(self.wasi.table.get(&r)?.scheme.clone())
    }
    fn set_scheme(
        &mut self,
        r: Resource<OutgoingRequest>,
        s: Option<Scheme>,
    ) -> wasmtime::Result<Result<(), ()>> {
        let s = match s {
            Some(s) => match known_scheme(s) {
                Some(s) => Some(s),
                None => return Ok(Err(())),
            },
            None => None,
        };
        self.wasi.table.get_mut(&r)?.scheme = s;
        Ok(Ok(()))
    }
    fn authority(&mut self, r: Resource<OutgoingRequest>) -> wasmtime::Result<Option<String>> {
        Ok(self.wasi.table.get(&r)?.authority.clone())
    }
    fn set_authority(
        &mut self,
        r: Resource<OutgoingRequest>,
        a: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        if let Some(a) = &a {
            if !crate::target::valid_authority(a) {
                return Ok(Err(()));
            }
        }
        self.wasi.table.get_mut(&r)?.authority = a;
        Ok(Ok(()))
    }
    fn headers(&mut self, r: Resource<OutgoingRequest>) -> wasmtime::Result<Resource<Fields>> {
        let h = self.wasi.table.get(&r)?.headers.clone();
        self.immutable_headers(h)
    }
    fn drop(&mut self, r: Resource<OutgoingRequest>) -> wasmtime::Result<()> {
        self.wasi.table.delete(r)?;
        Ok(())
    }
}

impl HostRequestOptions for HttpView<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<RequestOptions>> {
        Ok(self.wasi.table.push(RequestOptions::default())?)
    }
    fn connect_timeout(&mut self, o: Resource<RequestOptions>) -> wasmtime::Result<Option<u64>> {
        Ok(self.wasi.table.get(&o)?.connect)
    }
    fn set_connect_timeout(
        &mut self,
        o: Resource<RequestOptions>,
        d: Option<u64>,
    ) -> wasmtime::Result<Result<(), ()>> {
        self.wasi.table.get_mut(&o)?.connect = d;
        Ok(Ok(()))
    }
    fn first_byte_timeout(&mut self, o: Resource<RequestOptions>) -> wasmtime::Result<Option<u64>> {
        Ok(self.wasi.table.get(&o)?.first_byte)
    }
    fn set_first_byte_timeout(
        &mut self,
        o: Resource<RequestOptions>,
        d: Option<u64>,
    ) -> wasmtime::Result<Result<(), ()>> {
        self.wasi.table.get_mut(&o)?.first_byte = d;
        Ok(Ok(()))
    }
    fn between_bytes_timeout(
        &mut self,
        o: Resource<RequestOptions>,
    ) -> wasmtime::Result<Option<u64>> {
        Ok(self.wasi.table.get(&o)?.between_bytes)
    }
    fn set_between_bytes_timeout(
        &mut self,
        o: Resource<RequestOptions>,
        d: Option<u64>,
    ) -> wasmtime::Result<Result<(), ()>> {
        self.wasi.table.get_mut(&o)?.between_bytes = d;
        Ok(Ok(()))
    }
    fn drop(&mut self, o: Resource<RequestOptions>) -> wasmtime::Result<()> {
        self.wasi.table.delete(o)?;
        Ok(())
    }
}

impl HostResponseOutparam for HttpView<'_> {
    fn send_informational(
        &mut self,
        _o: Resource<ResponseOutparam>,
        status: u16,
        headers: Resource<Fields>,
    ) -> wasmtime::Result<Result<(), ErrorCode>> {
        self.take_fields(headers)?;
        if !(100..200).contains(&status) {
            return Ok(Err(ErrorCode::HttpProtocolError));
        }
        Ok(Err(ErrorCode::InternalError(Some(
            "informational responses are not supported".into(),
        ))))
    }
    fn set(
        &mut self,
        o: Resource<ResponseOutparam>,
        response: Result<Resource<OutgoingResponse>, ErrorCode>,
    ) -> wasmtime::Result<()> {
        let mut param = self.wasi.table.delete(o)?;
        let response = match response {
            Ok(r) => {
                let r = self.wasi.table.delete(r)?;
                let mut builder = http::Response::builder().status(r.status);
                if let Some(h) = builder.headers_mut() {
                    *h = crate::fields::to_header_map(&r.headers);
                }
                let body = r.body.unwrap_or_else(ChannelBody::empty);
                builder
                    .body(body)
                    .map_err(|e| ErrorCode::InternalError(Some(e.to_string())))
            }
            Err(code) => Err(code),
        };
        if let Some(tx) = param.tx.take() {
            let _ = tx.send(response);
        }
        Ok(())
    }
    fn drop(&mut self, o: Resource<ResponseOutparam>) -> wasmtime::Result<()> {
        self.wasi.table.delete(o)?;
        Ok(())
    }
}

impl HostIncomingResponse for HttpView<'_> {
    fn status(&mut self, r: Resource<IncomingResponse>) -> wasmtime::Result<StatusCode> {
        Ok(self.wasi.table.get(&r)?.status)
    }
    fn headers(&mut self, r: Resource<IncomingResponse>) -> wasmtime::Result<Resource<Fields>> {
        let h = self.wasi.table.get(&r)?.headers.clone();
        self.immutable_headers(h)
    }
    fn consume(
        &mut self,
        r: Resource<IncomingResponse>,
    ) -> wasmtime::Result<Result<Resource<IncomingBody>, ()>> {
        match self.wasi.table.get_mut(&r)?.body.take() {
            Some(b) => Ok(Ok(self.wasi.table.push(b)?)),
            None => Ok(Err(())),
        }
    }
    fn drop(&mut self, r: Resource<IncomingResponse>) -> wasmtime::Result<()> {
        self.wasi.table.delete(r)?;
        Ok(())
    }
}

impl HostOutgoingResponse for HttpView<'_> {
    fn new(&mut self, headers: Resource<Fields>) -> wasmtime::Result<Resource<OutgoingResponse>> {
        let (headers, held) = self.take_fields(headers)?;
        Ok(self.wasi.table.push(OutgoingResponse {
            status: 200,
            headers,
            _held: held,
            body: None,
            body_given: false,
        })?)
    }
    fn status_code(&mut self, r: Resource<OutgoingResponse>) -> wasmtime::Result<StatusCode> {
        Ok(self.wasi.table.get(&r)?.status)
    }
    fn set_status_code(
        &mut self,
        r: Resource<OutgoingResponse>,
        s: StatusCode,
    ) -> wasmtime::Result<Result<(), ()>> {
        if !crate::target::valid_status(s) {
            return Ok(Err(()));
        }
        self.wasi.table.get_mut(&r)?.status = s;
        Ok(Ok(()))
    }
    fn headers(&mut self, r: Resource<OutgoingResponse>) -> wasmtime::Result<Resource<Fields>> {
        let h = self.wasi.table.get(&r)?.headers.clone();
        self.immutable_headers(h)
    }
    fn body(
        &mut self,
        r: Resource<OutgoingResponse>,
    ) -> wasmtime::Result<Result<Resource<crate::body::OutgoingBody>, ()>> {
        let resp = self.wasi.table.get_mut(&r)?;
        if resp.body_given {
            return Ok(Err(()));
        }
        resp.body_given = true;
        let (body, host) = OutgoingBody::new(
            &resp.headers,
            self.wasi.kernel.deadline,
            &self.http.body_buffering,
        )?;
        resp.body = Some(host);
        Ok(Ok(self.wasi.table.push(body)?))
    }
    fn drop(&mut self, r: Resource<OutgoingResponse>) -> wasmtime::Result<()> {
        self.wasi.table.delete(r)?;
        Ok(())
    }
}

impl HostFutureIncomingResponse for HttpView<'_> {
    fn subscribe(
        &mut self,
        f: Resource<FutureIncomingResponse>,
    ) -> wasmtime::Result<Resource<Pollable>> {
        let p = self.wasi.table.get(&f)?.slot.pollable();
        Ok(self.wasi.table.push(p)?)
    }
    fn get(
        &mut self,
        f: Resource<FutureIncomingResponse>,
    ) -> wasmtime::Result<Option<Result<Result<Resource<IncomingResponse>, ErrorCode>, ()>>> {
        let taken = self.wasi.table.get(&f)?.slot.take();
        Ok(match taken {
            None => None,
            Some(None) => Some(Err(())),
            Some(Some(Err(code))) => Some(Ok(Err(code))),
            Some(Some(Ok(parts))) => {
                let r = self.wasi.table.push(IncomingResponse {
                    status: parts.status,
                    headers: parts.headers,
                    body: Some(parts.body),
                })?;
                Some(Ok(Ok(r)))
            }
        })
    }
    fn drop(&mut self, f: Resource<FutureIncomingResponse>) -> wasmtime::Result<()> {
        self.wasi.table.delete(f)?;
        Ok(())
    }
}

impl wit::Host for HttpView<'_> {
    fn http_error_code(&mut self, e: Resource<IoError>) -> wasmtime::Result<Option<ErrorCode>> {
        let IoError(errno) = *self.wasi.table.get(&e)?;
        Ok(match errno {
            Errno::Timedout => Some(ErrorCode::ConnectionReadTimeout),
            Errno::Connreset => Some(ErrorCode::HttpResponseIncomplete),
            Errno::Fbig => Some(ErrorCode::HttpRequestBodySize(None)),
            Errno::Pipe => Some(ErrorCode::ConnectionTerminated),
            _ => None,
        })
    }
}

fn nanos(n: Option<u64>, default: Duration) -> Duration {
    n.map_or(default, Duration::from_nanos)
}

impl outgoing_handler::Host for HttpView<'_> {
    fn handle(
        &mut self,
        r: Resource<OutgoingRequest>,
        options: Option<Resource<RequestOptions>>,
    ) -> wasmtime::Result<Result<Resource<FutureIncomingResponse>, ErrorCode>> {
        let req = self.wasi.table.delete(r)?;
        let mut timeouts = Timeouts::default();
        if let Some(o) = options {
            let o = self.wasi.table.delete(o)?;
            timeouts.connect = nanos(o.connect, timeouts.connect);
            timeouts.first_byte = nanos(o.first_byte, timeouts.first_byte);
            timeouts.between_bytes = nanos(o.between_bytes, timeouts.between_bytes);
        }
        let tls = match &req.scheme {
            None | Some(Scheme::Https) => Some(true),
            Some(Scheme::Http) => Some(false),
            Some(Scheme::Other(_)) => None,
        };
        let client = self.http.client.clone();
        let target = match client.target(tls, req.authority.as_deref()) {
            Ok(t) => t,
            Err(code) => return Ok(Err(code)),
        };
        let method = match method_to_http(&req.method) {
            Ok(m) => m,
            Err(code) => return Ok(Err(code)),
        };
        let uri = match crate::client::origin_form(req.path_with_query.as_deref()) {
            Ok(u) => u,
            Err(code) => return Ok(Err(code)),
        };
        let mut builder = http::Request::builder().method(method).uri(uri);
        if let Some(h) = builder.headers_mut() {
            *h = crate::fields::to_header_map(&req.headers);
        }
        let body = req.body.unwrap_or_else(ChannelBody::empty);
        let request = match builder.body(body) {
            Ok(r) => r,
            Err(_) => return Ok(Err(ErrorCode::HttpRequestUriInvalid)),
        };
        let slot = Slot::new()?;
        client.send(target, request, timeouts, slot.clone());
        Ok(Ok(self.wasi.table.push(FutureIncomingResponse { slot })?))
    }
}
