//! Serving a wasi:http@0.3 component: an incoming host request becomes a
//! `request` resource; the guest's `handle` result becomes the response
//! hyper sends ([`crate::server::GuestResponse`], as for 0.2).

use super::body::{host_body, Body};
use super::types::{Request, Response};
use super::{ErrorCode as P3, Getter};
use crate::fields::Fields;
use crate::server::{GuestResponse, RequestLimits};
use bytes::Bytes;
use tokio::sync::oneshot;
use wasmtime::component::{Accessor, Resource, TypedFunc};

/// The type of `wasi:http/handler@0.3.x#handle`.
pub type HandleFunc = TypedFunc<(Resource<Request>,), (Result<Resource<Response>, P3>,)>;

/// A request ready to hand to a guest, and where its response goes.
pub struct PreparedRequest {
    request: Request,
    tx: oneshot::Sender<GuestResponse>,
}

/// Makes the guest's view of `req`. The receiver gets the response once
/// the guest's `handle` returns it (or its error).
pub fn prepare<B>(
    req: http::Request<B>,
    limits: RequestLimits,
) -> (PreparedRequest, oneshot::Receiver<GuestResponse>)
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: crate::body::BodyErrorCode,
{
    let (parts, body) = req.into_parts();
    let (authority, path) = crate::server::authority_and_path(&parts);
    let body = host_body(
        body,
        limits.between_bytes,
        Some((limits.max_body, |max| {
            crate::ErrorCode::HttpRequestBodySize(Some(max))
        })),
        None,
    );
    let (tx, rx) = oneshot::channel();
    (
        PreparedRequest {
            request: Request {
                method: parts.method,
                scheme: Some(super::bindings::wasi::http::types::Scheme::Http),
                authority,
                path_with_query: Some(path),
                headers: Fields::immutable(crate::fields::from_header_map(&parts.headers)),
                options: None,
                body: Body::Host(body),
            },
            tx,
        },
        rx,
    )
}

/// Calls the guest's `handle` with `prepared`, sends the response on, and
/// waits until its body has been handed to hyper (the guest may go on
/// writing it after `handle` returns). Runs inside `run_concurrent`.
pub async fn call_handler<T: Send + 'static>(
    accessor: &Accessor<T>,
    getter: Getter<T>,
    handle: HandleFunc,
    prepared: PreparedRequest,
) -> wasmtime::Result<()> {
    let PreparedRequest { request, tx } = prepared;
    let req = accessor.with(|mut access| getter(access.data_mut()).table.push(request))?;
    let (result,) = handle.call_concurrent(accessor, (req,)).await?;
    let res = match result {
        Ok(res) => res,
        Err(code) => {
            let _ = tx.send(Err(code.into()));
            return Ok(());
        }
    };
    let (ended_tx, ended_rx) = oneshot::channel();
    let response = accessor.with(|mut access| -> wasmtime::Result<_> {
        let res = getter(access.data_mut()).table.delete(res)?;
        let body =
            res.body
                .into_hyper(&mut access, getter, &res.headers.entries, Some(ended_tx))?;
        let mut response = http::Response::new(body);
        *response.status_mut() = http::StatusCode::from_u16(res.status)
            .map_err(|_| wasmtime::Error::msg(format!("invalid status {}", res.status)))?;
        *response.headers_mut() = crate::fields::to_header_map(&res.headers.entries);
        Ok(response)
    })?;
    if tx.send(Ok(response)).is_err() {
        return Ok(());
    }
    // Keep the guest running until its body is over (or abandoned).
    let _ = ended_rx.await;
    Ok(())
}
