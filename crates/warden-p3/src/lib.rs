//! # warden-p3
//!
//! A first slice of WASI 0.3 (component-model async) for components,
//! generated from the vendored WIT (`wit/p3`) and translated onto
//! [`warden_kernel::Kernel`]: wasi:cli (environment, exit, stdin, stdout,
//! stderr), wasi:clocks (monotonic-clock, system-clock) and wasi:random.

pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/p3",
        inline: "
            package warden:p3;

            world cli-slice {
                import wasi:cli/environment@0.3.2;
                import wasi:cli/exit@0.3.2;
                import wasi:cli/stdin@0.3.2;
                import wasi:cli/stdout@0.3.2;
                import wasi:cli/stderr@0.3.2;
                import wasi:clocks/monotonic-clock@0.3.2;
                import wasi:clocks/system-clock@0.3.2;
                import wasi:random/random@0.3.2;
                import wasi:random/insecure@0.3.2;
                import wasi:random/insecure-seed@0.3.2;
                export wasi:cli/run@0.3.2;
            }
        ",
        world: "warden:p3/cli-slice",
        imports: {
            "wasi:cli/stdin.read-via-stream": store | trappable,
            "wasi:cli/stdout.write-via-stream": store | trappable,
            "wasi:cli/stderr.write-via-stream": store | trappable,
            default: trappable,
        },
    });
}

pub mod cli;
pub mod clocks;
pub mod random;

use warden_kernel::Kernel;
use wasmtime::component::HasData;

/// The [`HasData`] marker of the WASI 0.3 host functions: their view of the
/// store is a [`WasiP3Ctx`], a borrow of the run's kernel.
pub struct WasiP3;

impl HasData for WasiP3 {
    type Data<'a> = WasiP3Ctx<'a>;
}

/// What a WASI 0.3 host function sees of the store: the kernel shared with
/// the WASI 0.1 and 0.2 layers (stdio are its descriptors 0, 1 and 2).
pub struct WasiP3Ctx<'a> {
    pub kernel: &'a mut Kernel,
}

/// Adds the WASI 0.3 interfaces of this slice (wasi:cli environment, exit,
/// stdin, stdout, stderr; wasi:clocks monotonic-clock, system-clock;
/// wasi:random) to `linker`, for a store whose data is `T`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> WasiP3Ctx<'_>,
) -> wasmtime::Result<()> {
    bindings::CliSlice::add_to_linker::<T, WasiP3>(linker, get)
}
