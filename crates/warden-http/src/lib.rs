//! # warden-http
//!
//! `wasi:http` 0.2 for Warden: the `types` resources (fields, requests,
//! responses, bodies, trailers), `outgoing-handler` on hyper + rustls, and
//! the glue `warden serve` uses to hand an incoming request to a
//! `wasi:http/proxy` component.
//!
//! Bodies cross between the guest and hyper through host pipes: the guest
//! side is an ordinary `wasi:io` stream of `warden-p2` (so `poll`, blocking
//! reads and non-blocking writes work unchanged), the host side is a tokio
//! task. Futures (`future-incoming-response`, `future-trailers`) are a slot
//! plus a pipe that becomes readable when the slot is filled, so they join
//! the same `poll(2)` as every other pollable.
//!
//! What Warden promises where the WIT leaves a choice: `docs/http.md`.

pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/p2",
        world: "wasi:http/proxy",
        imports: { default: trappable | tracing },
        with: {
            "wasi:io": warden_p2::bindings::wasi::io,
            "wasi:clocks": warden_p2::bindings::wasi::clocks,
            "wasi:random": warden_p2::bindings::wasi::random,
            "wasi:cli": warden_p2::bindings::wasi::cli,
            "wasi:http/types.fields": crate::fields::Fields,
            "wasi:http/types.incoming-request": crate::types::IncomingRequest,
            "wasi:http/types.outgoing-request": crate::types::OutgoingRequest,
            "wasi:http/types.request-options": crate::types::RequestOptions,
            "wasi:http/types.response-outparam": crate::types::ResponseOutparam,
            "wasi:http/types.incoming-response": crate::types::IncomingResponse,
            "wasi:http/types.incoming-body": crate::body::IncomingBody,
            "wasi:http/types.future-trailers": crate::body::FutureTrailers,
            "wasi:http/types.outgoing-response": crate::types::OutgoingResponse,
            "wasi:http/types.outgoing-body": crate::body::OutgoingBody,
            "wasi:http/types.future-incoming-response": crate::types::FutureIncomingResponse,
        },
    });
}

pub mod body;
pub mod client;
pub mod error;
pub mod fields;
pub mod p3;
pub mod policy;
pub mod runtime;
pub mod server;
pub mod target;
pub mod types;

pub use bindings::wasi::http::types::ErrorCode;
pub use policy::HttpPolicy;

use std::sync::Arc;
use warden_p2::WasiP2;

/// What one store's guest may do with HTTP: the egress grants and the
/// client (connection pool, TLS roots) its requests go through.
#[derive(Clone)]
pub struct WasiHttp {
    pub client: Arc<client::Client>,
    /// How a 0.2 guest's outgoing bodies are buffered.
    pub body_buffering: BodyBuffering,
}

/// Wasmtime's `-S http-outgoing-body-buffer-chunks` and
/// `-S http-outgoing-body-chunk-size`: how many writes of a 0.2 outgoing
/// body may wait for the peer before `check-write` grants nothing, and the
/// most bytes one write may carry.
#[derive(Clone, Debug)]
pub struct BodyBuffering {
    pub chunks: usize,
    pub chunk_size: u64,
}

impl Default for BodyBuffering {
    fn default() -> BodyBuffering {
        BodyBuffering {
            chunks: body::QUEUED_FRAMES,
            chunk_size: 1 << 20,
        }
    }
}

impl WasiHttp {
    pub fn new(client: Arc<client::Client>) -> WasiHttp {
        WasiHttp {
            client,
            body_buffering: BodyBuffering::default(),
        }
    }
}

/// The view the `wasi:http` host functions work on: the store's `wasi:io`
/// resources (bodies are `wasi:io` streams) and its HTTP grants.
pub struct HttpView<'a> {
    pub wasi: &'a mut WasiP2,
    pub http: &'a WasiHttp,
}

struct HasHttp;

impl wasmtime::component::HasData for HasHttp {
    type Data<'a> = HttpView<'a>;
}

/// Adds `wasi:http/types` and `wasi:http/outgoing-handler` (every 0.2.x) to
/// `linker`. The other interfaces of the proxy world come from
/// `warden_p2::add_to_linker`.
pub fn add_to_linker<T: 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> HttpView<'_>,
) -> wasmtime::Result<()> {
    let options = bindings::wasi::http::types::LinkOptions::default();
    bindings::wasi::http::types::add_to_linker::<T, HasHttp>(linker, &options, get)?;
    bindings::wasi::http::outgoing_handler::add_to_linker::<T, HasHttp>(linker, get)?;
    Ok(())
}
