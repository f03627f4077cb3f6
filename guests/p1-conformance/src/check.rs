//! Check bookkeeping and small helpers shared by every group.
//!
//! A check prints nothing on success. A failure prints
//! `FAIL <name>: expected X got Y` to stderr and the run goes on.

use core::fmt::Debug;
use std::cell::Cell;
use wasi::Errno;

thread_local! {
    static CHECKS: Cell<u32> = const { Cell::new(0) };
    static FAILS: Cell<u32> = const { Cell::new(0) };
}

/// An address far outside any guest memory smaller than 4 GiB.
pub const OOB: u32 = 0xFFFF_FFF0;

/// Every right defined by preview1 (bits 0..=29).
pub const ALL_RIGHTS: wasi::Rights = (1 << 30) - 1;

/// Rights that apply to a regular file (docs/p1-semantics.md).
pub const FILE_RIGHTS: wasi::Rights = wasi::RIGHTS_FD_DATASYNC
    | wasi::RIGHTS_FD_READ
    | wasi::RIGHTS_FD_SEEK
    | wasi::RIGHTS_FD_FDSTAT_SET_FLAGS
    | wasi::RIGHTS_FD_SYNC
    | wasi::RIGHTS_FD_TELL
    | wasi::RIGHTS_FD_WRITE
    | wasi::RIGHTS_FD_ADVISE
    | wasi::RIGHTS_FD_ALLOCATE
    | wasi::RIGHTS_FD_FILESTAT_GET
    | wasi::RIGHTS_FD_FILESTAT_SET_SIZE
    | wasi::RIGHTS_FD_FILESTAT_SET_TIMES
    | wasi::RIGHTS_POLL_FD_READWRITE;

/// Rights that apply to a directory (docs/p1-semantics.md).
pub const DIR_RIGHTS: wasi::Rights = wasi::RIGHTS_FD_FDSTAT_SET_FLAGS
    | wasi::RIGHTS_FD_SYNC
    | wasi::RIGHTS_FD_ADVISE
    | wasi::RIGHTS_PATH_CREATE_DIRECTORY
    | wasi::RIGHTS_PATH_CREATE_FILE
    | wasi::RIGHTS_PATH_LINK_SOURCE
    | wasi::RIGHTS_PATH_LINK_TARGET
    | wasi::RIGHTS_PATH_OPEN
    | wasi::RIGHTS_FD_READDIR
    | wasi::RIGHTS_PATH_READLINK
    | wasi::RIGHTS_PATH_RENAME_SOURCE
    | wasi::RIGHTS_PATH_RENAME_TARGET
    | wasi::RIGHTS_PATH_FILESTAT_GET
    | wasi::RIGHTS_PATH_FILESTAT_SET_SIZE
    | wasi::RIGHTS_PATH_FILESTAT_SET_TIMES
    | wasi::RIGHTS_FD_FILESTAT_GET
    | wasi::RIGHTS_FD_FILESTAT_SET_TIMES
    | wasi::RIGHTS_PATH_SYMLINK
    | wasi::RIGHTS_PATH_REMOVE_DIRECTORY
    | wasi::RIGHTS_PATH_UNLINK_FILE
    | wasi::RIGHTS_POLL_FD_READWRITE;

/// The first byte past the end of linear memory right now.
pub fn mem_end() -> u32 {
    (core::arch::wasm32::memory_size(0) as u32).wrapping_mul(65536)
}

/// Human form of an errno code: `BADF(8)`.
pub fn errname(code: u32) -> String {
    if code <= 76 {
        // Errno is repr(transparent) over u16 and `name` covers 0..=76.
        let e: Errno = unsafe { core::mem::transmute::<u16, Errno>(code as u16) };
        format!("{}({})", e.name(), code)
    } else {
        format!("?({code})")
    }
}

fn e(e: Errno) -> String {
    errname(e.raw() as u32)
}

fn count() {
    CHECKS.with(|c| c.set(c.get() + 1));
}

pub fn fail(name: &str, expected: impl AsRef<str>, got: impl AsRef<str>) {
    FAILS.with(|c| c.set(c.get() + 1));
    eprintln!(
        "FAIL {name}: expected {} got {}",
        expected.as_ref(),
        got.as_ref()
    );
}

pub fn checks() -> u32 {
    CHECKS.with(|c| c.get())
}

pub fn failures() -> u32 {
    FAILS.with(|c| c.get())
}

/// Expect success; returns the value so later checks can use it.
pub fn ok<T>(name: &str, r: Result<T, Errno>) -> Option<T> {
    count();
    match r {
        Ok(v) => Some(v),
        Err(err) => {
            fail(name, "success", e(err));
            None
        }
    }
}

/// Expect the call to fail with exactly `want`.
pub fn err<T>(name: &str, want: Errno, r: Result<T, Errno>) {
    count();
    match r {
        Ok(_) => fail(name, e(want), "success"),
        Err(got) if got == want => {}
        Err(got) => fail(name, e(want), e(got)),
    }
}

/// Expect a raw import's return value to be exactly `want`.
pub fn raw(name: &str, want: Errno, got: i32) {
    count();
    if got != want.raw() as i32 {
        if got == 0 {
            fail(name, e(want), "success");
        } else {
            fail(name, e(want), errname(got as u32));
        }
    }
}

pub fn eq<T: PartialEq + Debug>(name: &str, want: T, got: T) -> bool {
    count();
    if want != got {
        fail(name, format!("{want:?}"), format!("{got:?}"));
        return false;
    }
    true
}

pub fn truth(name: &str, cond: bool, expected: &str, got: impl Debug) -> bool {
    count();
    if !cond {
        fail(name, expected, format!("{got:?}"));
    }
    cond
}

/// Expect `r` to succeed with exactly `want`.
pub fn ok_eq<T: PartialEq + Debug>(name: &str, want: T, r: Result<T, Errno>) -> bool {
    count();
    match r {
        Ok(v) if v == want => true,
        Ok(v) => {
            fail(name, format!("{want:?}"), format!("{v:?}"));
            false
        }
        Err(err) => {
            fail(name, format!("{want:?}"), e(err));
            false
        }
    }
}

/// Expect a filetype.
pub fn ftype(name: &str, want: wasi::Filetype, got: wasi::Filetype) -> bool {
    count();
    if want != got {
        fail(name, ftname(want.raw()), ftname(got.raw()));
        return false;
    }
    true
}

pub fn ftname(t: u8) -> String {
    let n = match t {
        0 => "unknown",
        1 => "block_device",
        2 => "character_device",
        3 => "directory",
        4 => "regular_file",
        5 => "socket_dgram",
        6 => "socket_stream",
        7 => "symbolic_link",
        _ => "?",
    };
    format!("{n}({t})")
}

/// Rights as a readable bit list, for failure messages.
pub fn rights_eq(name: &str, want: wasi::Rights, got: wasi::Rights) -> bool {
    count();
    if want != got {
        fail(
            name,
            format!("{want:#x}"),
            format!(
                "{got:#x} (missing {:#x}, extra {:#x})",
                want & !got,
                got & !want
            ),
        );
        return false;
    }
    true
}

// ---- small wrappers used by several groups ----

pub fn open(
    dir: wasi::Fd,
    path: &str,
    oflags: wasi::Oflags,
    base: wasi::Rights,
) -> Result<wasi::Fd, Errno> {
    unsafe { wasi::path_open(dir, 0, path, oflags, base, 0, 0) }
}

pub fn open_dir(
    dir: wasi::Fd,
    path: &str,
    base: wasi::Rights,
    inh: wasi::Rights,
) -> Result<wasi::Fd, Errno> {
    unsafe { wasi::path_open(dir, 0, path, wasi::OFLAGS_DIRECTORY, base, inh, 0) }
}

/// Opens `path` and then narrows the descriptor to exactly `base` with
/// `fd_fdstat_set_rights`. The rights asked at `path_open` do not narrow a
/// descriptor (it inherits what its directory may hand on, as in Wasmtime;
/// they only choose the access mode): shrinking rights is an explicit act.
pub fn open_limited(
    dir: wasi::Fd,
    path: &str,
    oflags: wasi::Oflags,
    base: wasi::Rights,
) -> Result<wasi::Fd, Errno> {
    let fd = open(dir, path, oflags, base)?;
    unsafe { wasi::fd_fdstat_set_rights(fd, base, 0) }?;
    Ok(fd)
}

/// [`open_dir`], narrowed to exactly `base` and `inh` (see [`open_limited`]).
pub fn open_dir_limited(
    dir: wasi::Fd,
    path: &str,
    base: wasi::Rights,
    inh: wasi::Rights,
) -> Result<wasi::Fd, Errno> {
    let fd = open_dir(dir, path, base, inh)?;
    unsafe { wasi::fd_fdstat_set_rights(fd, base, inh) }?;
    Ok(fd)
}

pub fn close(fd: wasi::Fd) {
    let _ = unsafe { wasi::fd_close(fd) };
}

pub fn write_all(fd: wasi::Fd, data: &[u8]) -> Result<usize, Errno> {
    let iov = [wasi::Ciovec {
        buf: data.as_ptr(),
        buf_len: data.len(),
    }];
    unsafe { wasi::fd_write(fd, &iov) }
}

pub fn pread_vec(fd: wasi::Fd, len: usize, off: u64) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; len];
    let iov = [wasi::Iovec {
        buf: buf.as_mut_ptr(),
        buf_len: len,
    }];
    let n = unsafe { wasi::fd_pread(fd, &iov, off) }?;
    buf.truncate(n);
    Ok(buf)
}

/// Create (or truncate) `path` under `dir` holding `data`.
pub fn make_file(dir: wasi::Fd, path: &str, data: &[u8]) -> bool {
    let name = format!("setup.make_file {path}");
    let Some(fd) = ok(
        &name,
        open(
            dir,
            path,
            wasi::OFLAGS_CREAT | wasi::OFLAGS_TRUNC,
            FILE_RIGHTS,
        ),
    ) else {
        return false;
    };
    let r = ok_eq(&format!("{name} write"), data.len(), write_all(fd, data));
    close(fd);
    r
}

pub fn filestat(dir: wasi::Fd, path: &str, follow: bool) -> Result<wasi::Filestat, Errno> {
    let flags = if follow {
        wasi::LOOKUPFLAGS_SYMLINK_FOLLOW
    } else {
        0
    };
    unsafe { wasi::path_filestat_get(dir, flags, path) }
}

pub fn exists(dir: wasi::Fd, path: &str) -> bool {
    filestat(dir, path, false).is_ok()
}

pub fn monotonic() -> u64 {
    unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1).unwrap_or(0) }
}

pub fn realtime() -> u64 {
    unsafe { wasi::clock_time_get(wasi::CLOCKID_REALTIME, 1).unwrap_or(0) }
}

/// Like [`err`] for calls that return a new descriptor: one opened by
/// mistake is closed again, so later lowest-free-number checks stay valid.
pub fn err_fd(name: &str, want: Errno, r: Result<wasi::Fd, Errno>) {
    if let Ok(fd) = r {
        close(fd);
    }
    err(name, want, r);
}
