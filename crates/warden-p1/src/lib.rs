//! # warden-p1
//!
//! WASI 0.1 for core modules: every function of `wasi_snapshot_preview1`,
//! and the same functions under the older `wasi_unstable` name with its
//! layouts, as a thin translation onto [`warden_kernel::Kernel`].
//!
//! Each host function is declared once, in [`add_to_linker`], with its WASI
//! name and named parameters; the declaration generates the binding and its
//! trace line. The implementations live one file per function group, named
//! as WASI names them: [`args`] (args and environ), [`clock`], [`fd`],
//! [`path`], [`poll`], [`proc`], [`random`], [`sock`].
//!
//! Host functions are synchronous: a guest's `fd_read` is one `read(2)`
//! into the guest's own buffer, with no async runtime or thread hop.

pub mod abi;
pub mod args;
pub mod clock;
pub mod fd;
pub mod memory;
pub mod path;
pub mod poll;
pub mod proc;
pub mod random;
pub mod sock;

use abi::Abi;
use memory::GuestMemory;
use warden_kernel::{Errno, Kernel};
use wasmtime::{Caller, Linker, Memory};

/// What the store's data must give the p1 layer.
pub trait WasiP1View: 'static {
    fn kernel(&mut self) -> &mut Kernel;
    /// Where the guest's exported memory is remembered after the first call.
    fn p1_memory(&mut self) -> &mut Option<Memory>;
}

/// Why a host function did not return success.
pub enum Fail {
    /// A WASI error, returned to the guest.
    Errno(Errno),
    /// The guest must stop (exit, a signal, or a trap).
    Trap(wasmtime::Error),
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Fail {
        Fail::Errno(e)
    }
}

/// A wait that the guest's time limit ended is a trap naming it.
impl From<warden_kernel::poll::WaitError> for Fail {
    fn from(e: warden_kernel::poll::WaitError) -> Fail {
        match e {
            warden_kernel::poll::WaitError::Errno(e) => Fail::Errno(e),
            warden_kernel::poll::WaitError::TimeLimit => {
                Fail::Trap(wasmtime::Error::new(warden_kernel::poll::DeadlineExceeded))
            }
        }
    }
}

/// The result of a host function's implementation.
pub type HostResult = Result<(), Fail>;

/// What an implementation works with: guest memory, the kernel, the ABI.
pub struct Cx<'a> {
    pub mem: GuestMemory<'a>,
    pub kernel: &'a mut Kernel,
    pub abi: Abi,
}

fn guest_memory<T: WasiP1View>(caller: &mut Caller<'_, T>) -> wasmtime::Result<Memory> {
    if let Some(m) = *caller.data_mut().p1_memory() {
        return Ok(m);
    }
    let m = caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| {
            wasmtime::format_err!("the module calls WASI but exports no memory named `memory`")
        })?;
    *caller.data_mut().p1_memory() = Some(m);
    Ok(m)
}

/// Runs one host function: finds memory, calls the implementation, turns
/// the outcome into an errno for the guest or a trap.
fn host_call<T: WasiP1View>(
    caller: &mut Caller<'_, T>,
    abi: Abi,
    imp: impl FnOnce(&mut Cx<'_>) -> HostResult,
    trace: impl FnOnce(Errno),
) -> wasmtime::Result<i32> {
    let memory = guest_memory(caller)?;
    let (bytes, data) = memory.data_and_store_mut(caller);
    let mut cx = Cx {
        mem: GuestMemory(bytes),
        kernel: data.kernel(),
        abi,
    };
    let errno = match imp(&mut cx) {
        Ok(()) => Errno::Success,
        Err(Fail::Errno(e)) => e,
        Err(Fail::Trap(t)) => return Err(t),
    };
    trace(errno);
    Ok(errno as i32)
}

/// Declares WASI functions once: name, named parameters, implementation.
macro_rules! wasi_functions {
    ($linker:ident, $abi:ident, $wanted:ident; $( fn $name:ident ( $( $arg:ident : $ty:ty ),* ) => $imp:path; )*) => {
        $(
            if $wanted($abi.module(), stringify!($name)) { $linker.func_wrap(
                $abi.module(),
                stringify!($name),
                move |mut caller: Caller<'_, T>, $( $arg: $ty ),*| -> wasmtime::Result<i32> {
                    // The clock is read only when someone traces.
                    let started = tracing::enabled!(target: "wasi", tracing::Level::TRACE)
                        .then(std::time::Instant::now);
                    host_call(
                        &mut caller,
                        $abi,
                        |cx| $imp(cx, $( $arg ),*),
                        |errno| {
                            if let Some(started) = started {
                                let args: Vec<String> = vec![$( format!("{}={:?}", stringify!($arg), $arg) ),*];
                                tracing::trace!(
                                    target: "wasi",
                                    interface = $abi.module(),
                                    function = stringify!($name),
                                    args = %args.join(", "),
                                    result = errno.name(),
                                    duration_ns = started.elapsed().as_nanos() as u64,
                                    "{}::{}({}) -> {}", $abi.module(), stringify!($name), args.join(", "), errno.name()
                                );
                            }
                        },
                    )
                },
            )?; }
        )*
    };
}

/// Adds every WASI 0.1 function, under both `wasi_snapshot_preview1` and
/// `wasi_unstable`, to `linker`.
pub fn add_to_linker<T: WasiP1View>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    add_to_linker_for(linker, |_, _| true)
}

/// Adds the WASI 0.1 functions `wanted(module, name)` names (the ones a
/// module imports): each definition costs its type's registration in the
/// engine, about a fifth of a warm start-up when all 94 are defined for a
/// hello world that imports four.
pub fn add_to_linker_for<T: WasiP1View>(
    linker: &mut Linker<T>,
    wanted: impl Fn(&str, &str) -> bool,
) -> wasmtime::Result<()> {
    for abi in [Abi::Preview1, Abi::Unstable] {
        wasi_functions! { linker, abi, wanted;
            fn args_get(argv: u32, argv_buf: u32) => args::args_get;
            fn args_sizes_get(argc_ptr: u32, argv_buf_size_ptr: u32) => args::args_sizes_get;
            fn environ_get(environ: u32, environ_buf: u32) => args::environ_get;
            fn environ_sizes_get(environc_ptr: u32, environ_buf_size_ptr: u32) => args::environ_sizes_get;
            fn clock_res_get(id: u32, resolution_ptr: u32) => clock::clock_res_get;
            fn clock_time_get(id: u32, precision: u64, time_ptr: u32) => clock::clock_time_get;
            fn fd_advise(fd: u32, offset: u64, len: u64, advice: u32) => fd::fd_advise;
            fn fd_allocate(fd: u32, offset: u64, len: u64) => fd::fd_allocate;
            fn fd_close(fd: u32) => fd::fd_close;
            fn fd_datasync(fd: u32) => fd::fd_datasync;
            fn fd_fdstat_get(fd: u32, stat_ptr: u32) => fd::fd_fdstat_get;
            fn fd_fdstat_set_flags(fd: u32, flags: u32) => fd::fd_fdstat_set_flags;
            fn fd_fdstat_set_rights(fd: u32, fs_rights_base: u64, fs_rights_inheriting: u64) => fd::fd_fdstat_set_rights;
            fn fd_filestat_get(fd: u32, stat_ptr: u32) => fd::fd_filestat_get;
            fn fd_filestat_set_size(fd: u32, size: u64) => fd::fd_filestat_set_size;
            fn fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32) => fd::fd_filestat_set_times;
            fn fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread_ptr: u32) => fd::fd_pread;
            fn fd_prestat_get(fd: u32, prestat_ptr: u32) => fd::fd_prestat_get;
            fn fd_prestat_dir_name(fd: u32, path: u32, path_len: u32) => fd::fd_prestat_dir_name;
            fn fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten_ptr: u32) => fd::fd_pwrite;
            fn fd_read(fd: u32, iovs: u32, iovs_len: u32, nread_ptr: u32) => fd::fd_read;
            fn fd_readdir(fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused_ptr: u32) => fd::fd_readdir;
            fn fd_renumber(fd: u32, to: u32) => fd::fd_renumber;
            fn fd_seek(fd: u32, offset: i64, whence: u32, newoffset_ptr: u32) => fd::fd_seek;
            fn fd_sync(fd: u32) => fd::fd_sync;
            fn fd_tell(fd: u32, offset_ptr: u32) => fd::fd_tell;
            fn fd_write(fd: u32, iovs: u32, iovs_len: u32, nwritten_ptr: u32) => fd::fd_write;
            fn path_create_directory(fd: u32, path: u32, path_len: u32) => path::path_create_directory;
            fn path_filestat_get(fd: u32, flags: u32, path: u32, path_len: u32, stat_ptr: u32) => path::path_filestat_get;
            fn path_filestat_set_times(fd: u32, flags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32) => path::path_filestat_set_times;
            fn path_link(old_fd: u32, old_flags: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32) => path::path_link;
            fn path_open(fd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32, fs_rights_base: u64, fs_rights_inheriting: u64, fdflags: u32, fd_ptr: u32) => path::path_open;
            fn path_readlink(fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, bufused_ptr: u32) => path::path_readlink;
            fn path_remove_directory(fd: u32, path: u32, path_len: u32) => path::path_remove_directory;
            fn path_rename(fd: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32) => path::path_rename;
            fn path_symlink(old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32) => path::path_symlink;
            fn path_unlink_file(fd: u32, path: u32, path_len: u32) => path::path_unlink_file;
            fn poll_oneoff(subscriptions: u32, events: u32, nsubscriptions: u32, nevents_ptr: u32) => poll::poll_oneoff;
            fn proc_raise(sig: u32) => proc::proc_raise;
            fn sched_yield() => proc::sched_yield;
            fn random_get(buf: u32, buf_len: u32) => random::random_get;
            fn sock_accept(fd: u32, flags: u32, fd_ptr: u32) => sock::sock_accept;
            fn sock_recv(fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, ro_datalen_ptr: u32, ro_flags_ptr: u32) => sock::sock_recv;
            fn sock_send(fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, so_datalen_ptr: u32) => sock::sock_send;
            fn sock_shutdown(fd: u32, how: u32) => sock::sock_shutdown;
        }
        // proc_exit returns nothing: it never returns at all.
        if !wanted(abi.module(), "proc_exit") {
            continue;
        }
        linker.func_wrap(
            abi.module(),
            "proc_exit",
            move |_caller: Caller<'_, T>, rval: u32| -> wasmtime::Result<()> {
                tracing::trace!(
                    target: "wasi",
                    interface = abi.module(),
                    function = "proc_exit",
                    args = %format_args!("rval={rval}"),
                    result = "exit",
                    duration_ns = 0u64,
                    "{}::proc_exit(rval={})", abi.module(), rval
                );
                Err(proc::proc_exit(rval))
            },
        )?;
    }
    Ok(())
}
