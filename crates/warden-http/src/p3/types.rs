//! `wasi:http/types@0.3.2` resources and `wasi:http/client@0.3.2`.

use super::bindings::wasi::http::client;
use super::bindings::wasi::http::types::{
    self as wit, FieldName, FieldValue, HeaderError, HostFields, HostRequest, HostRequestOptions,
    HostRequestWithStore, HostResponse, HostResponseWithStore, Method, RequestOptionsError, Scheme,
    StatusCode,
};
use super::body::{host_body, Body, Trailers};
use super::{ErrorCode as P3, HttpP3View, WasiHttpP3};
use crate::client::Timeouts;
use crate::fields::{answer, FieldError, Fields};
use crate::ErrorCode as P2;
use std::time::Duration;
use tokio::sync::oneshot;
use wasmtime::component::{Access, Accessor, FutureReader, Resource, StreamReader};

/// A `request`.
pub struct Request {
    pub method: http::Method,
    pub scheme: Option<Scheme>,
    pub authority: Option<String>,
    pub path_with_query: Option<String>,
    pub headers: Fields,
    pub options: Option<RequestOptions>,
    pub body: Body,
}

/// A `response`.
pub struct Response {
    pub status: u16,
    pub headers: Fields,
    pub body: Body,
}

/// `request-options`, in nanoseconds.
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    connect: Option<u64>,
    first_byte: Option<u64>,
    between_bytes: Option<u64>,
    immutable: bool,
}

impl RequestOptions {
    /// The timeouts of a request sent with these options.
    pub fn timeouts(o: Option<&RequestOptions>) -> Timeouts {
        let mut t = Timeouts::default();
        if let Some(o) = o {
            let nanos = |n: Option<u64>, d| n.map_or(d, Duration::from_nanos);
            t.connect = nanos(o.connect, t.connect);
            t.first_byte = nanos(o.first_byte, t.first_byte);
            t.between_bytes = nanos(o.between_bytes, t.between_bytes);
        }
        t
    }
}

impl From<FieldError> for HeaderError {
    fn from(e: FieldError) -> HeaderError {
        match e {
            FieldError::InvalidSyntax => HeaderError::InvalidSyntax,
            FieldError::Forbidden => HeaderError::Forbidden,
            FieldError::Immutable => HeaderError::Immutable,
            FieldError::SizeExceeded | FieldError::HeldTotal(_) => HeaderError::SizeExceeded,
        }
    }
}

pub(crate) fn method_to_http(m: &Method) -> Option<http::Method> {
    Some(match m {
        Method::Get => http::Method::GET,
        Method::Head => http::Method::HEAD,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Connect => http::Method::CONNECT,
        Method::Options => http::Method::OPTIONS,
        Method::Trace => http::Method::TRACE,
        Method::Patch => http::Method::PATCH,
        Method::Other(s) => http::Method::from_bytes(s.as_bytes()).ok()?,
    })
}

fn method_from_http(m: &http::Method) -> Method {
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

impl HttpP3View<'_> {
    fn fields(&mut self, f: &Resource<Fields>) -> wasmtime::Result<&mut Fields> {
        Ok(self.table.get_mut(f)?)
    }
    /// Fields the guest hands over become immutable (WIT).
    fn take_fields(&mut self, f: Resource<Fields>) -> wasmtime::Result<Fields> {
        let mut f = self.table.delete(f)?;
        f.immutable = true;
        Ok(f)
    }
}

impl wit::Host for HttpP3View<'_> {}

impl HostFields for HttpP3View<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<Fields>> {
        Ok(self.table.push(Fields::charged(self.held))?)
    }
    fn from_list(
        &mut self,
        list: Vec<(FieldName, FieldValue)>,
    ) -> wasmtime::Result<Result<Resource<Fields>, HeaderError>> {
        match answer(Fields::from_list(list, self.held), false)? {
            Ok(f) => Ok(Ok(self.table.push(f)?)),
            Err(e) => Ok(Err(e)),
        }
    }
    fn get(&mut self, f: Resource<Fields>, name: FieldName) -> wasmtime::Result<Vec<FieldValue>> {
        Ok(self.fields(&f)?.get_all(&name))
    }
    fn has(&mut self, f: Resource<Fields>, name: FieldName) -> wasmtime::Result<bool> {
        Ok(self.fields(&f)?.has(&name))
    }
    fn set(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
        values: Vec<FieldValue>,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        answer(self.fields(&f)?.set(&name, values), false)
    }
    fn delete(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        answer(self.fields(&f)?.delete(&name).map(drop), false)
    }
    fn get_and_delete(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
    ) -> wasmtime::Result<Result<Vec<FieldValue>, HeaderError>> {
        answer(self.fields(&f)?.delete(&name), false)
    }
    fn append(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
        value: FieldValue,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        answer(self.fields(&f)?.append(&name, value), false)
    }
    fn copy_all(&mut self, f: Resource<Fields>) -> wasmtime::Result<Vec<(FieldName, FieldValue)>> {
        Ok(self.fields(&f)?.entries.clone())
    }
    fn clone(&mut self, f: Resource<Fields>) -> wasmtime::Result<Resource<Fields>> {
        let copy = self.table.get(&f)?.clone_mutable(self.held);
        match answer::<_, HeaderError>(copy, false)? {
            Ok(copy) => Ok(self.table.push(copy)?),
            Err(e) => wasmtime::bail!("cannot copy the fields: {e:?}"),
        }
    }
    fn drop(&mut self, f: Resource<Fields>) -> wasmtime::Result<()> {
        self.table.delete(f)?;
        Ok(())
    }
}

/// Resolves a request's outcome future, if it is still the host's to resolve.
fn resolve(sent: Option<oneshot::Sender<Result<(), P3>>>, outcome: Result<(), P2>) {
    if let Some(sent) = sent {
        let _ = sent.send(outcome.map_err(Into::into));
    }
}

/// The guest's end of a body's outcome, `future<result<_, error-code>>`.
type Outcome = FutureReader<Result<(), P3>>;

/// A `future<result<_, error-code>>` for the guest and its sender.
fn result_future<T: 'static>(
    access: &mut Access<'_, T, WasiHttpP3>,
) -> wasmtime::Result<(oneshot::Sender<Result<(), P3>>, Outcome)> {
    let (tx, rx) = oneshot::channel();
    let future = FutureReader::new(access, async move {
        Ok::<_, wasmtime::Error>(rx.await.unwrap_or(Ok(())))
    })?;
    Ok((tx, future))
}

impl<T: 'static> HostRequestWithStore<T> for WasiHttpP3 {
    fn new(
        mut access: Access<'_, T, Self>,
        headers: Resource<Fields>,
        contents: Option<StreamReader<u8>>,
        trailers: FutureReader<Trailers>,
        options: Option<Resource<RequestOptions>>,
    ) -> wasmtime::Result<(Resource<Request>, FutureReader<Result<(), P3>>)> {
        let (result, future) = result_future(&mut access)?;
        let mut view = access.get();
        let headers = view.take_fields(headers)?;
        let options = match options {
            Some(o) => {
                let mut o = view.table.delete(o)?;
                o.immutable = true;
                Some(o)
            }
            None => None,
        };
        let req = view.table.push(Request {
            method: http::Method::GET,
            scheme: None,
            authority: None,
            path_with_query: None,
            headers,
            options,
            body: Body::Guest {
                contents,
                trailers,
                result: Some(result),
            },
        })?;
        Ok((req, future))
    }

    fn consume_body(
        mut access: Access<'_, T, Self>,
        req: Resource<Request>,
        mut res: FutureReader<Result<(), P3>>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Trailers>)> {
        let getter = access.getter();
        let req = access.get().table.delete(req)?;
        res.close(&mut access)?;
        req.body.consume(&mut access, getter)
    }

    fn drop(mut access: Access<'_, T, Self>, req: Resource<Request>) -> wasmtime::Result<()> {
        let req = access.get().table.delete(req)?;
        req.body.close(&mut access)
    }
}

impl HostRequest for HttpP3View<'_> {
    fn get_method(&mut self, r: Resource<Request>) -> wasmtime::Result<Method> {
        Ok(method_from_http(&self.table.get(&r)?.method))
    }
    fn set_method(&mut self, r: Resource<Request>, m: Method) -> wasmtime::Result<Result<(), ()>> {
        let Some(m) = method_to_http(&m) else {
            return Ok(Err(()));
        };
        self.table.get_mut(&r)?.method = m;
        Ok(Ok(()))
    }
    fn get_path_with_query(&mut self, r: Resource<Request>) -> wasmtime::Result<Option<String>> {
        Ok(self.table.get(&r)?.path_with_query.clone())
    }
    fn set_path_with_query(
        &mut self,
        r: Resource<Request>,
        p: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        if p.as_deref()
            .is_some_and(|p| !crate::target::valid_path_with_query(p))
        {
            return Ok(Err(()));
        }
        self.table.get_mut(&r)?.path_with_query = p.map(crate::target::stored_path_with_query);
        Ok(Ok(()))
    }
    fn get_scheme(&mut self, r: Resource<Request>) -> wasmtime::Result<Option<Scheme>> {
        Ok(self.table.get(&r)?.scheme.clone())
    }
    fn set_scheme(
        &mut self,
        r: Resource<Request>,
        s: Option<Scheme>,
    ) -> wasmtime::Result<Result<(), ()>> {
        use crate::target::{classify_scheme, SchemeKind};
        // `other("https")` is stored as `https` (rules in crate::target).
        let s = match s {
            Some(Scheme::Other(o)) => match classify_scheme(&o) {
                None => return Ok(Err(())),
                Some(SchemeKind::Http) => Some(Scheme::Http),
                Some(SchemeKind::Https) => Some(Scheme::Https),
                Some(SchemeKind::Other) => Some(Scheme::Other(o)),
            },
            other => other,
        };
        self.table.get_mut(&r)?.scheme = s;
        Ok(Ok(()))
    }
    fn get_authority(&mut self, r: Resource<Request>) -> wasmtime::Result<Option<String>> {
        Ok(self.table.get(&r)?.authority.clone())
    }
    fn set_authority(
        &mut self,
        r: Resource<Request>,
        a: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        if let Some(a) = &a {
            if !crate::target::valid_authority(a) {
                return Ok(Err(()));
            }
        }
        self.table.get_mut(&r)?.authority = a;
        Ok(Ok(()))
    }
    fn get_options(
        &mut self,
        r: Resource<Request>,
    ) -> wasmtime::Result<Option<Resource<RequestOptions>>> {
        let Some(o) = self.table.get(&r)?.options.clone() else {
            return Ok(None);
        };
        Ok(Some(self.table.push(RequestOptions {
            immutable: true,
            ..o
        })?))
    }
    fn get_headers(&mut self, r: Resource<Request>) -> wasmtime::Result<Resource<Fields>> {
        let entries = self.table.get(&r)?.headers.entries.clone();
        Ok(self.table.push(Fields::immutable(entries))?)
    }
}

impl HostRequestOptions for HttpP3View<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<RequestOptions>> {
        Ok(self.table.push(RequestOptions::default())?)
    }
    fn get_connect_timeout(
        &mut self,
        o: Resource<RequestOptions>,
    ) -> wasmtime::Result<Option<u64>> {
        Ok(self.table.get(&o)?.connect)
    }
    fn set_connect_timeout(
        &mut self,
        o: Resource<RequestOptions>,
        d: Option<u64>,
    ) -> wasmtime::Result<Result<(), RequestOptionsError>> {
        set_option(self, o, |o| &mut o.connect, d)
    }
    fn get_first_byte_timeout(
        &mut self,
        o: Resource<RequestOptions>,
    ) -> wasmtime::Result<Option<u64>> {
        Ok(self.table.get(&o)?.first_byte)
    }
    fn set_first_byte_timeout(
        &mut self,
        o: Resource<RequestOptions>,
        d: Option<u64>,
    ) -> wasmtime::Result<Result<(), RequestOptionsError>> {
        set_option(self, o, |o| &mut o.first_byte, d)
    }
    fn get_between_bytes_timeout(
        &mut self,
        o: Resource<RequestOptions>,
    ) -> wasmtime::Result<Option<u64>> {
        Ok(self.table.get(&o)?.between_bytes)
    }
    fn set_between_bytes_timeout(
        &mut self,
        o: Resource<RequestOptions>,
        d: Option<u64>,
    ) -> wasmtime::Result<Result<(), RequestOptionsError>> {
        set_option(self, o, |o| &mut o.between_bytes, d)
    }
    fn clone(&mut self, o: Resource<RequestOptions>) -> wasmtime::Result<Resource<RequestOptions>> {
        let copy = RequestOptions {
            immutable: false,
            ..self.table.get(&o)?.clone()
        };
        Ok(self.table.push(copy)?)
    }
    fn drop(&mut self, o: Resource<RequestOptions>) -> wasmtime::Result<()> {
        self.table.delete(o)?;
        Ok(())
    }
}

fn set_option(
    view: &mut HttpP3View<'_>,
    o: Resource<RequestOptions>,
    field: fn(&mut RequestOptions) -> &mut Option<u64>,
    d: Option<u64>,
) -> wasmtime::Result<Result<(), RequestOptionsError>> {
    let o = view.table.get_mut(&o)?;
    if o.immutable {
        return Ok(Err(RequestOptionsError::Immutable));
    }
    *field(o) = d;
    Ok(Ok(()))
}

impl<T: 'static> HostResponseWithStore<T> for WasiHttpP3 {
    fn new(
        mut access: Access<'_, T, Self>,
        headers: Resource<Fields>,
        contents: Option<StreamReader<u8>>,
        trailers: FutureReader<Trailers>,
    ) -> wasmtime::Result<(Resource<Response>, FutureReader<Result<(), P3>>)> {
        let (result, future) = result_future(&mut access)?;
        let mut view = access.get();
        let headers = view.take_fields(headers)?;
        let res = view.table.push(Response {
            status: 200,
            headers,
            body: Body::Guest {
                contents,
                trailers,
                result: Some(result),
            },
        })?;
        Ok((res, future))
    }

    fn consume_body(
        mut access: Access<'_, T, Self>,
        res: Resource<Response>,
        mut fut: FutureReader<Result<(), P3>>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Trailers>)> {
        let getter = access.getter();
        let res = access.get().table.delete(res)?;
        fut.close(&mut access)?;
        res.body.consume(&mut access, getter)
    }

    fn drop(mut access: Access<'_, T, Self>, res: Resource<Response>) -> wasmtime::Result<()> {
        let res = access.get().table.delete(res)?;
        res.body.close(&mut access)
    }
}

impl HostResponse for HttpP3View<'_> {
    fn get_status_code(&mut self, r: Resource<Response>) -> wasmtime::Result<StatusCode> {
        Ok(self.table.get(&r)?.status)
    }
    fn set_status_code(
        &mut self,
        r: Resource<Response>,
        s: StatusCode,
    ) -> wasmtime::Result<Result<(), ()>> {
        if !crate::target::valid_status(s) {
            return Ok(Err(()));
        }
        self.table.get_mut(&r)?.status = s;
        Ok(Ok(()))
    }
    fn get_headers(&mut self, r: Resource<Response>) -> wasmtime::Result<Resource<Fields>> {
        let entries = self.table.get(&r)?.headers.entries.clone();
        Ok(self.table.push(Fields::immutable(entries))?)
    }
}

impl client::Host for HttpP3View<'_> {}

impl<T: 'static> client::HostWithStore<T> for WasiHttpP3 {
    async fn send(
        accessor: &Accessor<T, Self>,
        req: Resource<Request>,
    ) -> wasmtime::Result<Result<Resource<Response>, P3>> {
        let getter = accessor.getter();
        // Check and build the request, and start moving its body.
        let prepared = accessor.with(|mut access| -> wasmtime::Result<_> {
            let view = access.get();
            let client = view.http.client.clone();
            let mut req = view.table.delete(req)?;
            let sent = req.body.take_outcome();
            let tls = match &req.scheme {
                None | Some(Scheme::Https) => Some(true),
                Some(Scheme::Http) => Some(false),
                Some(Scheme::Other(_)) => None,
            };
            let target = match client.target(tls, req.authority.as_deref()) {
                Ok(t) => t,
                Err(code) => {
                    resolve(sent, Err(code.clone()));
                    req.body.close(&mut access)?;
                    return Ok(Err(code));
                }
            };
            let uri = match crate::client::origin_form(req.path_with_query.as_deref()) {
                Ok(u) => u,
                Err(code) => {
                    resolve(sent, Err(code.clone()));
                    req.body.close(&mut access)?;
                    return Ok(Err(code));
                }
            };
            let timeouts = RequestOptions::timeouts(req.options.as_ref());
            let (ended_tx, ended_rx) = oneshot::channel();
            let body =
                req.body
                    .into_hyper(&mut access, getter, &req.headers.entries, Some(ended_tx))?;
            let mut request = http::Request::new(body);
            *request.method_mut() = req.method;
            *request.uri_mut() = uri;
            *request.headers_mut() = crate::fields::to_header_map(&req.headers.entries);
            Ok(Ok((client, target, request, timeouts, ended_rx, sent)))
        })?;
        let (client, target, request, timeouts, ended, sent) = match prepared {
            Ok(p) => p,
            Err(code) => return Ok(Err(code.into())),
        };
        let fetched = crate::runtime::runtime()
            .spawn(async move { client.fetch(target, request, timeouts).await })
            .await;
        let (resp, back) = match fetched {
            Ok(Ok(r)) => r,
            Ok(Err(code)) => {
                // A body the guest failed carries its own code.
                let mut ended = ended;
                let code = match ended.try_recv() {
                    Ok(Err(body_code)) => body_code,
                    _ => code,
                };
                resolve(sent, Err(code.clone()));
                return Ok(Err(code.into()));
            }
            Err(e) => {
                let code = P2::InternalError(Some(e.to_string()));
                resolve(sent, Err(code.clone()));
                return Ok(Err(code.into()));
            }
        };
        // The request went out: its outcome is how its body ends.
        if sent.is_some() {
            crate::runtime::runtime()
                .spawn(async move { resolve(sent, ended.await.unwrap_or(Ok(()))) });
        }
        let (parts, body) = resp.into_parts();
        let body = host_body(body, timeouts.between_bytes, None, back);
        let response = Response {
            status: parts.status.as_u16(),
            headers: Fields::immutable(crate::fields::from_header_map(&parts.headers)),
            body: Body::Host(body),
        };
        accessor.with(|mut access| Ok(Ok(access.get().table.push(response)?)))
    }
}
