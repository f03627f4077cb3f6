//! # warden-p2
//!
//! WASI 0.2 for components, generated from the vendored WIT (`wit/p2`) and
//! translated onto [`warden_kernel::Kernel`].

pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/p2",
        world: "wasi:cli/command",
        imports: { default: trappable | tracing },
        with: {
            "wasi:io/streams.input-stream": crate::io::InputStream,
            "wasi:io/streams.output-stream": crate::io::OutputStream,
            "wasi:io/poll.pollable": crate::io::Pollable,
            "wasi:io/error.error": crate::io::IoError,
            "wasi:filesystem/types.descriptor": crate::filesystem::Descriptor,
            "wasi:filesystem/types.directory-entry-stream": crate::filesystem::DirectoryEntryStream,
            "wasi:cli/terminal-input.terminal-input": crate::cli::TerminalInput,
            "wasi:cli/terminal-output.terminal-output": crate::cli::TerminalOutput,
            "wasi:sockets/network.network": crate::sockets::Network,
            "wasi:sockets/tcp.tcp-socket": crate::sockets::TcpSocket,
            "wasi:sockets/udp.udp-socket": crate::sockets::UdpSocket,
            "wasi:sockets/udp.incoming-datagram-stream": crate::sockets::IncomingDatagramStream,
            "wasi:sockets/udp.outgoing-datagram-stream": crate::sockets::OutgoingDatagramStream,
            "wasi:sockets/ip-name-lookup.resolve-address-stream": crate::sockets::ResolveAddressStream,
        },
    });
}

pub mod cli;
pub mod clocks;
pub mod config;
pub mod filesystem;
pub mod io;
pub mod keyvalue;
pub mod random;
pub mod sockets;

use warden_kernel::Kernel;
use wasmtime::component::ResourceTable;

/// The state of one component instance: the shared kernel and the table of
/// its WASI 0.2 resources.
pub struct WasiP2 {
    pub kernel: Kernel,
    pub table: ResourceTable,
}

impl WasiP2 {
    pub fn new(kernel: Kernel) -> WasiP2 {
        WasiP2 {
            kernel,
            table: ResourceTable::new(),
        }
    }
}

pub use warden_kernel::poll::DeadlineExceeded;

/// Adds every WASI 0.2 interface of the `wasi:cli/command` world to
/// `linker`, for a store whose data is `T`.
pub fn add_to_linker<T: 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &mut WasiP2,
) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    let options = bindings::LinkOptions::default();
    bindings::Command::add_to_linker::<T, HasSelf<WasiP2>>(linker, &options, get)
}
