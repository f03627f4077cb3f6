//! The guest side of serving: an incoming host request becomes an
//! `incoming-request` and a `response-outparam` in a store's table.

use crate::bindings::wasi::http::types::{ErrorCode, Scheme};
use crate::body::{ChannelBody, IncomingBody};
use crate::types::{method_from_http, IncomingRequest, ResponseOutparam};
use crate::HttpView;
use bytes::Bytes;
use std::time::Duration;
use tokio::sync::oneshot;
use wasmtime::component::Resource;

/// What the guest answers: a response whose body it may still be writing,
/// or the error it gave instead.
pub type GuestResponse = Result<http::Response<ChannelBody>, ErrorCode>;

/// Limits on what a served request may send.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// Most bytes of request body the guest is given.
    pub max_body: u64,
    /// Longest wait between two frames of the request body.
    pub between_bytes: Duration,
}

/// A request ready to hand to a guest (made on the server's side, moved to
/// the worker thread).
pub struct PreparedRequest {
    request: IncomingRequest,
    outparam: ResponseOutparam,
}

/// Makes the guest's view of `req`. The receiver gets the response once the
/// guest sets it (or an error when the guest drops the outparam unset).
pub fn prepare<B>(
    req: http::Request<B>,
    limits: RequestLimits,
) -> std::io::Result<(PreparedRequest, oneshot::Receiver<GuestResponse>)>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: crate::body::BodyErrorCode + Send,
{
    let (parts, body) = req.into_parts();
    let (authority, path) = authority_and_path(&parts);
    let body = IncomingBody::spawn(
        body,
        limits.between_bytes,
        Some((limits.max_body, |max| {
            ErrorCode::HttpRequestBodySize(Some(max))
        })),
        None,
    )?;
    let (tx, rx) = oneshot::channel();
    Ok((
        PreparedRequest {
            request: IncomingRequest {
                method: method_from_http(&parts.method),
                scheme: Some(Scheme::Http),
                authority,
                path_with_query: Some(path),
                headers: crate::fields::from_header_map(&parts.headers),
                body: Some(body),
            },
            outparam: ResponseOutparam { tx: Some(tx) },
        },
        rx,
    ))
}

/// The authority and path of a served request: HTTP/1.1 carries the
/// authority in `Host`, HTTP/2 in the URI.
pub fn authority_and_path(parts: &http::request::Parts) -> (Option<String>, String) {
    let authority = parts
        .uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    (authority, path)
}

impl HttpView<'_> {
    /// Puts a prepared request into this store's table, for the guest's
    /// `incoming-handler.handle`.
    pub fn push_request(
        &mut self,
        p: PreparedRequest,
    ) -> wasmtime::Result<(Resource<IncomingRequest>, Resource<ResponseOutparam>)> {
        let req = self.wasi.table.push(p.request)?;
        let out = self.wasi.table.push(p.outparam)?;
        Ok((req, out))
    }
}
