//! wasi:http@0.3 (`wit/p3/deps/http.wit`, 0.3.2): `types`, `client` and
//! the serving side of `handler`, on the same rules and client as 0.2.
//!
//! Fields are [`crate::fields::Fields`] with its checks; outgoing requests
//! go through [`crate::client::Client`] (grants, pool, TLS, timeouts and
//! error mapping). What is new here is only how bodies cross: a guest's
//! `stream<u8>` and trailers `future` are piped into the frame channel
//! hyper reads ([`crate::body::ChannelBody`]), and a hyper body is produced
//! into a guest's stream (`body.rs`).

pub mod body;
pub mod conv;
pub mod server;
pub mod types;

pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/p3",
        inline: "
            package warden:http-p3;

            world http-slice {
                import wasi:http/types@0.3.2;
                import wasi:http/client@0.3.2;
            }
        ",
        world: "warden:http-p3/http-slice",
        imports: {
            "wasi:http/client.send": store | trappable | tracing,
            "wasi:http/types.[drop]request": store | trappable | tracing,
            "wasi:http/types.[drop]response": store | trappable | tracing,
            "wasi:http/types.[static]request.new": store | trappable | tracing,
            "wasi:http/types.[static]request.consume-body": store | trappable | tracing,
            "wasi:http/types.[static]response.new": store | trappable | tracing,
            "wasi:http/types.[static]response.consume-body": store | trappable | tracing,
            default: trappable | tracing,
        },
        with: {
            "wasi:clocks": warden_p3::bindings::wasi::clocks,
            "wasi:http/types.fields": crate::fields::Fields,
            "wasi:http/types.request": crate::p3::types::Request,
            "wasi:http/types.request-options": crate::p3::types::RequestOptions,
            "wasi:http/types.response": crate::p3::types::Response,
        },
    });
}

pub use bindings::wasi::http::types::ErrorCode;

use crate::WasiHttp;
use wasmtime::component::{HasData, ResourceTable};

/// What the wasi:http@0.3 host functions see of the store: its resource
/// table (shared with the WASI 0.2 and 0.3 layers) and the HTTP grants.
pub struct HttpP3View<'a> {
    pub table: &'a mut ResourceTable,
    /// The instance's budget for the `fields` it makes.
    pub held: &'a warden_kernel::held::HeldBytes,
    pub http: &'a WasiHttp,
}

/// The [`HasData`] marker of the wasi:http@0.3 host functions.
pub struct WasiHttpP3;

impl HasData for WasiHttpP3 {
    type Data<'a> = HttpP3View<'a>;
}

/// The getter every 0.3 host function reaches the store's view through.
pub type Getter<T> = fn(&mut T) -> HttpP3View<'_>;

/// Adds `wasi:http/types@0.3.2` and `wasi:http/client@0.3.2` to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: Getter<T>,
) -> wasmtime::Result<()> {
    bindings::wasi::http::types::add_to_linker::<T, WasiHttpP3>(linker, get)?;
    bindings::wasi::http::client::add_to_linker::<T, WasiHttpP3>(linker, get)?;
    Ok(())
}
