//! # warden-p3
//!
//! A first slice of WASI 0.3 (component-model async) for components,
//! generated from the vendored WIT (`wit/p3`) and translated onto
//! [`warden_kernel::Kernel`]: wasi:cli (environment, exit, stdin, stdout,
//! stderr), wasi:clocks (monotonic-clock, system-clock), wasi:random and
//! wasi:filesystem (types, preopens).

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
                import wasi:cli/terminal-input@0.3.2;
                import wasi:cli/terminal-output@0.3.2;
                import wasi:cli/terminal-stdin@0.3.2;
                import wasi:cli/terminal-stdout@0.3.2;
                import wasi:cli/terminal-stderr@0.3.2;
                import wasi:clocks/monotonic-clock@0.3.2;
                import wasi:clocks/system-clock@0.3.2;
                import wasi:random/random@0.3.2;
                import wasi:random/insecure@0.3.2;
                import wasi:random/insecure-seed@0.3.2;
                import wasi:filesystem/types@0.3.2;
                import wasi:filesystem/preopens@0.3.2;
                import wasi:sockets/types@0.3.2;
                import wasi:sockets/ip-name-lookup@0.3.2;
                export wasi:cli/run@0.3.2;
            }
        ",
        world: "warden:p3/cli-slice",
        imports: {
            "wasi:cli/stdin.read-via-stream": store | trappable | tracing,
            "wasi:cli/stdout.write-via-stream": store | trappable | tracing,
            "wasi:cli/stderr.write-via-stream": store | trappable | tracing,
            "wasi:filesystem/types.[method]descriptor.read-via-stream": store | trappable | tracing,
            "wasi:filesystem/types.[method]descriptor.write-via-stream": store | trappable | tracing,
            "wasi:filesystem/types.[method]descriptor.append-via-stream": store | trappable | tracing,
            "wasi:filesystem/types.[method]descriptor.read-directory": store | trappable | tracing,
            "wasi:sockets/types.[method]tcp-socket.listen": store | trappable | tracing,
            "wasi:sockets/types.[method]tcp-socket.send": store | trappable | tracing,
            "wasi:sockets/types.[method]tcp-socket.receive": store | trappable | tracing,
            default: trappable | tracing,
        },
        with: {
            "wasi:cli/terminal-input.terminal-input": crate::cli::TerminalInput,
            "wasi:cli/terminal-output.terminal-output": crate::cli::TerminalOutput,
            "wasi:filesystem/types.descriptor": crate::filesystem::Descriptor,
            "wasi:sockets/types.tcp-socket": crate::sockets::TcpSocket,
            "wasi:sockets/types.udp-socket": crate::sockets::UdpSocket,
        },
    });
}

pub mod cli;
pub mod clocks;
pub mod filesystem;
pub mod random;
mod readiness;
pub mod sockets;

use tokio::sync::oneshot;
use warden_kernel::Kernel;
use wasmtime::component::{Access, FutureReader, HasData, ResourceTable, Source};

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
    /// The store's resource table (shared with the WASI 0.2 layer: a
    /// component that imports both keeps all its resources in one table).
    pub table: &'a mut ResourceTable,
}

/// The sending half of a `future<result<_, E>>` that reports how a stream
/// ended; sent once.
pub(crate) type Done<E> = oneshot::Sender<Result<(), E>>;

/// The guest's end of a stream's outcome: `future<result<_, E>>`.
pub(crate) type Outcome<E> = FutureReader<Result<(), E>>;

/// A `future<result<_, E>>` for the guest and the sender that resolves it.
/// A sender dropped unsent (the run ended first) resolves it to `ok`.
pub(crate) fn done_future<T: Send + 'static, E>(
    access: &mut Access<'_, T, WasiP3>,
) -> wasmtime::Result<(Done<E>, Outcome<E>)>
where
    Result<(), E>: wasmtime::component::Lower + wasmtime::component::Lift + Send + Sync + 'static,
{
    let (tx, rx) = oneshot::channel();
    let future = FutureReader::new(access, async move {
        Ok::<_, wasmtime::Error>(rx.await.unwrap_or(Ok(())))
    })?;
    Ok((tx, future))
}

/// Adds the WASI 0.3 interfaces of this slice (wasi:cli environment, exit,
/// stdin, stdout, stderr; wasi:clocks monotonic-clock, system-clock;
/// wasi:random; wasi:filesystem types and preopens) to `linker`, for a store
/// whose data is `T`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> WasiP3Ctx<'_>,
) -> wasmtime::Result<()> {
    bindings::CliSlice::add_to_linker::<T, WasiP3>(linker, get)
}

/// Most bytes one consume step takes from a guest's `stream<u8>` write: a
/// large write is taken in chunks (as Wasmtime takes it), so one task's
/// write of hundreds of megabytes cannot hold the thread — the other tasks,
/// and the time limit's check — for the whole of it; the guest sees a
/// partial write and offers the rest.
const MAX_CONSUME: usize = 1 << 20;

/// Writes the bytes a guest offers on a `stream<u8>` with `write`, straight
/// from the guest's buffer, until all are taken, [`MAX_CONSUME`] are, or a
/// write fails (a write that takes nothing fails with `zero`); what was
/// written is marked read.
/// Shared by the consumers of stdout/stderr and of file write streams.
pub(crate) fn write_direct<D: 'static, E>(
    store: wasmtime::StoreContextMut<D>,
    source: Source<'_, u8>,
    zero: E,
    mut write: impl FnMut(&[u8]) -> Result<usize, E>,
) -> Result<(), E> {
    let mut src = source.as_direct(store);
    let mut written = 0;
    let outcome = loop {
        let left = &src.remaining()[written..];
        let bytes = &left[..left.len().min(MAX_CONSUME - written)];
        if bytes.is_empty() {
            break Ok(());
        }
        match write(bytes) {
            Ok(0) => break Err(zero),
            Ok(n) => written += n,
            Err(e) => break Err(e),
        }
    };
    src.mark_read(written);
    outcome
}
