//! A WASI 0.2.0 command component (bindings: `wasi` 0.13.0+wasi-0.2.0).
//!
//! `run`: writes `hello from wasi 0.2.0` to stdout, then the contents of
//! `hello.txt` in the preopen `/data`, then `args: <n>` (the number of
//! arguments). Any failure is reported on stderr and `run` returns an error
//! (exit status 1).
//!
//! It is `no_std` on purpose (see Cargo.toml): the component must import
//! nothing but `@0.2.0` interfaces.

#![no_std]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use wasi::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};

struct Command;

impl wasi::exports::cli::run::Guest for Command {
    fn run() -> Result<(), ()> {
        run().map_err(|e| {
            let err = wasi::cli::stderr::get_stderr();
            let _ = err.blocking_write_and_flush(format!("p2-v020: {e}\n").as_bytes());
        })
    }
}

wasi::cli::command::export!(Command with_types_in wasi);

fn print(text: &[u8]) -> Result<(), String> {
    let out = wasi::cli::stdout::get_stdout();
    for chunk in text.chunks(4096) {
        out.blocking_write_and_flush(chunk)
            .map_err(|e| format!("stdout: {e:?}"))?;
    }
    Ok(())
}

fn run() -> Result<(), String> {
    print(b"hello from wasi 0.2.0\n")?;
    let (dir, _) = wasi::filesystem::preopens::get_directories()
        .into_iter()
        .find(|(_, name)| name == "/data")
        .ok_or("no preopen named /data")?;
    let file = dir
        .open_at(
            PathFlags::SYMLINK_FOLLOW,
            "hello.txt",
            OpenFlags::empty(),
            DescriptorFlags::READ,
        )
        .map_err(|e| format!("open hello.txt: {e:?}"))?;
    let mut data = Vec::new();
    loop {
        let (chunk, eof) = file
            .read(4096, data.len() as u64)
            .map_err(|e| format!("read hello.txt: {e:?}"))?;
        data.extend_from_slice(&chunk);
        if eof || chunk.is_empty() {
            break;
        }
    }
    print(&data)?;
    let args = wasi::cli::environment::get_arguments();
    print(format!("args: {}\n", args.len()).as_bytes())?;
    Ok(())
}

/// A bump allocator over `memory.grow`: this short-lived program never
/// needs to free.
mod alloc_impl {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::Cell;

    struct Bump {
        next: Cell<usize>,
        end: Cell<usize>,
    }

    // Single-threaded wasm.
    unsafe impl Sync for Bump {}

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let align = layout.align();
            let mut start = (self.next.get() + align - 1) & !(align - 1);
            if self.next.get() == 0 || start + layout.size() > self.end.get() {
                let pages = (layout.size() + align) / 65536 + 1;
                let old = core::arch::wasm32::memory_grow(0, pages);
                if old == usize::MAX {
                    return core::ptr::null_mut();
                }
                let base = old * 65536;
                self.end.set(base + pages * 65536);
                start = (base + align - 1) & !(align - 1);
            }
            self.next.set(start + layout.size());
            start as *mut u8
        }

        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    }

    #[global_allocator]
    static ALLOC: Bump = Bump {
        next: Cell::new(0),
        end: Cell::new(0),
    };
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
