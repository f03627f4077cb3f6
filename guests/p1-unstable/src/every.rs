//! Every other function of `wasi_unstable`, each with at least one exact
//! success result and one exact errno, following docs/p1-semantics.md.
//!
//! Runs after the layout checks in `main.rs`, inside the preopen at fd 3:
//! everything it creates lives under `x/`, so `u.txt` and `d` stay as the
//! test expects. Expects `--env UNSTABLE=yes` and nothing else in the
//! environment.

use crate::{open, put_u16, put_u32, put_u64, seek, u16_at, u32_at, u64_at, wasi, Checks};
use crate::{EBADF, EINVAL, ENOENT, SENTINEL};

// errno values (the same numbers as preview1)
const EEXIST: u16 = 20;
const EFAULT: u16 = 21;
const EISDIR: u16 = 31;
const ENAMETOOLONG: u16 = 37;
const ENOTDIR: u16 = 54;
const ENOTEMPTY: u16 = 55;
const ENOTSOCK: u16 = 57;
const ENOTSUP: u16 = 58;
const EPERM: u16 = 63;
const ENOTCAPABLE: u16 = 76;

// rights (snapshot 0 has bits 0..=28; bit 29, sock_accept, is preview1's)
const R_FD_DATASYNC: u64 = 1 << 0;
const R_FD_READ: u64 = 1 << 1;
const R_FD_SEEK: u64 = 1 << 2;
const R_FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
const R_FD_SYNC: u64 = 1 << 4;
const R_FD_TELL: u64 = 1 << 5;
const R_FD_WRITE: u64 = 1 << 6;
const R_FD_ADVISE: u64 = 1 << 7;
const R_FD_ALLOCATE: u64 = 1 << 8;
const R_PATH_CREATE_DIRECTORY: u64 = 1 << 9;
const R_PATH_CREATE_FILE: u64 = 1 << 10;
const R_PATH_LINK_SOURCE: u64 = 1 << 11;
const R_PATH_LINK_TARGET: u64 = 1 << 12;
const R_PATH_OPEN: u64 = 1 << 13;
const R_FD_READDIR: u64 = 1 << 14;
const R_PATH_READLINK: u64 = 1 << 15;
const R_PATH_RENAME_SOURCE: u64 = 1 << 16;
const R_PATH_RENAME_TARGET: u64 = 1 << 17;
const R_PATH_FILESTAT_GET: u64 = 1 << 18;
const R_PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
const R_PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
const R_FD_FILESTAT_GET: u64 = 1 << 21;
const R_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
const R_FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
const R_PATH_SYMLINK: u64 = 1 << 24;
const R_PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
const R_PATH_UNLINK_FILE: u64 = 1 << 26;
const R_POLL_FD_READWRITE: u64 = 1 << 27;
/// Every right snapshot 0 defines.
const R_ALL_SNAPSHOT0: u64 = (1 << 29) - 1;

/// Rights that apply to a regular file (the contract's list).
const FILE_RIGHTS: u64 = R_FD_DATASYNC
    | R_FD_READ
    | R_FD_SEEK
    | R_FD_FDSTAT_SET_FLAGS
    | R_FD_SYNC
    | R_FD_TELL
    | R_FD_WRITE
    | R_FD_ADVISE
    | R_FD_ALLOCATE
    | R_FD_FILESTAT_GET
    | R_FD_FILESTAT_SET_SIZE
    | R_FD_FILESTAT_SET_TIMES
    | R_POLL_FD_READWRITE;

/// Rights that apply to a directory (the contract's list).
const DIR_RIGHTS: u64 = R_FD_FDSTAT_SET_FLAGS
    | R_FD_SYNC
    | R_FD_ADVISE
    | R_PATH_CREATE_DIRECTORY
    | R_PATH_CREATE_FILE
    | R_PATH_LINK_SOURCE
    | R_PATH_LINK_TARGET
    | R_PATH_OPEN
    | R_FD_READDIR
    | R_PATH_READLINK
    | R_PATH_RENAME_SOURCE
    | R_PATH_RENAME_TARGET
    | R_PATH_FILESTAT_GET
    | R_PATH_FILESTAT_SET_SIZE
    | R_PATH_FILESTAT_SET_TIMES
    | R_FD_FILESTAT_GET
    | R_FD_FILESTAT_SET_TIMES
    | R_PATH_SYMLINK
    | R_PATH_REMOVE_DIRECTORY
    | R_PATH_UNLINK_FILE
    | R_POLL_FD_READWRITE;

const O_CREAT: u32 = 1;
const O_DIRECTORY: u32 = 2;
const O_EXCL: u32 = 4;

const FDFLAGS_APPEND: u32 = 1;

const FST_ATIM: u32 = 1;
const FST_ATIM_NOW: u32 = 2;
const FST_MTIM: u32 = 4;
const FST_MTIM_NOW: u32 = 8;

const ADVICE_SEQUENTIAL: u32 = 1;

const FILETYPE_DIRECTORY: u8 = 3;
const FILETYPE_REGULAR_FILE: u8 = 4;
const FILETYPE_SYMBOLIC_LINK: u8 = 7;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;

const SIG_NONE: u32 = 0;
const SIG_CHLD: u32 = 16;
const SIG_STOP: u32 = 18;

const SDFLAGS_RD_WR: u32 = 3;

/// An address no guest memory reaches: every access through it → `fault`.
const BAD: u32 = 0xFFFF_FFF0;

fn bad<T>() -> *mut T {
    BAD as usize as *mut T
}

/// Grows memory by one page that nothing else uses and returns the first
/// byte past its end, for checks that place a struct at the very end.
fn scratch_end() -> Option<usize> {
    let old = core::arch::wasm32::memory_grow(0, 1);
    if old == usize::MAX {
        return None;
    }
    Some(core::arch::wasm32::memory_size(0) * 65536)
}

fn fdstat(fd: u32) -> Result<[u8; 24], u16> {
    let mut b = [SENTINEL; 24];
    match unsafe { wasi::fd_fdstat_get(fd, b.as_mut_ptr()) } {
        0 => Ok(b),
        e => Err(e),
    }
}

/// `fs_rights_base` of `fd`, or the errno.
fn rights_of(fd: u32) -> Result<u64, u16> {
    fdstat(fd).map(|b| u64_at(&b, 8))
}

fn fstat(fd: u32) -> Result<[u8; 56], u16> {
    let mut b = [SENTINEL; 56];
    match unsafe { wasi::fd_filestat_get(fd, b.as_mut_ptr()) } {
        0 => Ok(b),
        e => Err(e),
    }
}

fn stat_at(fd: u32, flags: u32, path: &str) -> Result<[u8; 56], u16> {
    let mut b = [SENTINEL; 56];
    match unsafe {
        wasi::path_filestat_get(fd, flags, path.as_ptr(), path.len() as u32, b.as_mut_ptr())
    } {
        0 => Ok(b),
        e => Err(e),
    }
}

fn size_of(fd: u32) -> Result<u64, u16> {
    fstat(fd).map(|b| u64_at(&b, 24))
}

fn write(fd: u32, data: &[u8]) -> Result<u32, u16> {
    let iov = [data.as_ptr() as u32, data.len() as u32];
    let mut n = u32::MAX;
    match unsafe { wasi::fd_write(fd, iov.as_ptr(), 1, &mut n) } {
        0 => Ok(n),
        e => Err(e),
    }
}

fn read(fd: u32, buf: &mut [u8]) -> Result<u32, u16> {
    let iov = [buf.as_mut_ptr() as u32, buf.len() as u32];
    let mut n = u32::MAX;
    match unsafe { wasi::fd_read(fd, iov.as_ptr(), 1, &mut n) } {
        0 => Ok(n),
        e => Err(e),
    }
}

fn pwrite(fd: u32, data: &[u8], off: u64) -> Result<u32, u16> {
    let iov = [data.as_ptr() as u32, data.len() as u32];
    let mut n = u32::MAX;
    match unsafe { wasi::fd_pwrite(fd, iov.as_ptr(), 1, off, &mut n) } {
        0 => Ok(n),
        e => Err(e),
    }
}

fn pread(fd: u32, buf: &mut [u8], off: u64) -> Result<u32, u16> {
    let iov = [buf.as_mut_ptr() as u32, buf.len() as u32];
    let mut n = u32::MAX;
    match unsafe { wasi::fd_pread(fd, iov.as_ptr(), 1, off, &mut n) } {
        0 => Ok(n),
        e => Err(e),
    }
}

/// The first 64 bytes of the file (via fd_pread at 0), as a fixed buffer
/// and a length.
fn contents(fd: u32) -> ([u8; 64], usize) {
    let mut b = [0u8; 64];
    let n = pread(fd, &mut b, 0).unwrap_or(0) as usize;
    (b, n)
}

fn tell(fd: u32) -> Result<u64, u16> {
    let mut pos = u64::MAX;
    match unsafe { wasi::fd_tell(fd, &mut pos) } {
        0 => Ok(pos),
        e => Err(e),
    }
}

fn mkdir(fd: u32, path: &str) -> u16 {
    unsafe { wasi::path_create_directory(fd, path.as_ptr(), path.len() as u32) }
}

fn rmdir(fd: u32, path: &str) -> u16 {
    unsafe { wasi::path_remove_directory(fd, path.as_ptr(), path.len() as u32) }
}

fn unlink(fd: u32, path: &str) -> u16 {
    unsafe { wasi::path_unlink_file(fd, path.as_ptr(), path.len() as u32) }
}

fn link(old_fd: u32, old: &str, new_fd: u32, new: &str) -> u16 {
    unsafe {
        wasi::path_link(
            old_fd,
            0,
            old.as_ptr(),
            old.len() as u32,
            new_fd,
            new.as_ptr(),
            new.len() as u32,
        )
    }
}

fn rename(fd: u32, old: &str, new_fd: u32, new: &str) -> u16 {
    unsafe {
        wasi::path_rename(
            fd,
            old.as_ptr(),
            old.len() as u32,
            new_fd,
            new.as_ptr(),
            new.len() as u32,
        )
    }
}

fn symlink(target: &str, fd: u32, name: &str) -> u16 {
    unsafe {
        wasi::path_symlink(
            target.as_ptr(),
            target.len() as u32,
            fd,
            name.as_ptr(),
            name.len() as u32,
        )
    }
}

fn readlink(fd: u32, path: &str, buf: &mut [u8]) -> Result<u32, u16> {
    let mut used = u32::MAX;
    match unsafe {
        wasi::path_readlink(
            fd,
            path.as_ptr(),
            path.len() as u32,
            buf.as_mut_ptr(),
            buf.len() as u32,
            &mut used,
        )
    } {
        0 => Ok(used),
        e => Err(e),
    }
}

fn set_times_at(fd: u32, flags: u32, path: &str, atim: u64, mtim: u64, fst: u32) -> u16 {
    unsafe {
        wasi::path_filestat_set_times(fd, flags, path.as_ptr(), path.len() as u32, atim, mtim, fst)
    }
}

/// path_open with every argument.
#[allow(clippy::too_many_arguments)]
fn open_full(
    dir: u32,
    dirflags: u32,
    path: &str,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
) -> Result<u32, u16> {
    let mut fd = u32::MAX;
    match unsafe {
        wasi::path_open(
            dir,
            dirflags,
            path.as_ptr(),
            path.len() as u32,
            oflags,
            base,
            inheriting,
            fdflags,
            &mut fd,
        )
    } {
        0 => Ok(fd),
        e => Err(e),
    }
}

/// Opens `path`, then narrows it to exactly `base` and `inheriting` with
/// fd_fdstat_set_rights: the rights asked at path_open do not narrow a
/// descriptor (it inherits what its directory may hand on, as in Wasmtime;
/// they only choose the access mode), so narrowing is an explicit act.
fn open_limited(dir: u32, path: &str, oflags: u32, base: u64, inheriting: u64) -> Result<u32, u16> {
    let fd = open(dir, path, oflags, base, inheriting)?;
    match unsafe { wasi::fd_fdstat_set_rights(fd, base, inheriting) } {
        0 => Ok(fd),
        e => Err(e),
    }
}

fn readdir(fd: u32, buf: &mut [u8], cookie: u64) -> Result<usize, u16> {
    let mut used = u32::MAX;
    match unsafe { wasi::fd_readdir(fd, buf.as_mut_ptr(), buf.len() as u32, cookie, &mut used) } {
        0 => Ok(used as usize),
        e => Err(e),
    }
}

/// Runs every call of a table and checks each errno.
fn table(c: &mut Checks, cases: &[(&str, u16, u16)]) {
    for &(name, got, expected) in cases {
        c.eq(name, got, expected);
    }
}

pub(crate) fn run(c: &mut Checks) {
    args_environ(c);
    clocks(c);
    proc_random(c);

    if !c.eq("path_create_directory x errno", mkdir(3, "x"), 0) {
        return;
    }
    let f = match open(3, "x/f", O_CREAT | O_EXCL, FILE_RIGHTS, 0) {
        Ok(fd) => fd,
        Err(e) => {
            c.eq("path_open x/f (creat|excl, file rights) errno", e, 0);
            return;
        }
    };
    let ino = fstat(f).map(|b| u64_at(&b, 8)).unwrap_or(0);

    let end = scratch_end();
    c.truth(
        "memory.grow by one page",
        end.is_some(),
        format_args!("success"),
    );

    file_ops(c, f, end);
    shrunk_file(c);
    closed_fd(c);
    directory_kinds(c, f);
    paths(c, f, ino);
    directory_fd(c, ino);
    renumber(c, ino);
    prestat(c, f);
    poll(c, f, end);
    sockets(c, f);

    c.eq("fd_close(x/f) errno", unsafe { wasi::fd_close(f) }, 0);
    preopen_last(c);
}

// ---- args_get, args_sizes_get, environ_get, environ_sizes_get ----
fn args_environ(c: &mut Checks) {
    let mut size = 0u32;
    let mut argv: [*mut u8; 16] = [core::ptr::null_mut(); 16];
    let mut buf = [0u8; 1024];
    c.eq(
        "args_sizes_get(argc at 0xFFFFFFF0) -> fault",
        unsafe { wasi::args_sizes_get(bad(), &mut size) },
        EFAULT,
    );
    c.eq(
        "args_get(argv at 0xFFFFFFF0) -> fault",
        unsafe { wasi::args_get(bad(), buf.as_mut_ptr()) },
        EFAULT,
    );
    c.eq(
        "args_get(argv_buf at 0xFFFFFFF0) -> fault",
        unsafe { wasi::args_get(argv.as_mut_ptr(), bad()) },
        EFAULT,
    );

    let (mut count, mut size) = (u32::MAX, u32::MAX);
    let e = unsafe { wasi::environ_sizes_get(&mut count, &mut size) };
    c.eq("environ_sizes_get errno", e, 0);
    c.eq("environ_sizes_get count", count, 1);
    c.eq("environ_sizes_get size (UNSTABLE=yes\\0)", size, 13);
    let mut envp: [*mut u8; 4] = [core::ptr::null_mut(); 4];
    let mut ebuf = [SENTINEL; 32];
    let e = unsafe { wasi::environ_get(envp.as_mut_ptr(), ebuf.as_mut_ptr()) };
    c.eq("environ_get errno", e, 0);
    c.eq(
        "environ_get string",
        &ebuf[..14],
        b"UNSTABLE=yes\0\xAA".as_slice(),
    );
    c.eq(
        "environ[0] points at environ_buf",
        envp[0] as usize,
        ebuf.as_ptr() as usize,
    );
    c.eq(
        "environ_sizes_get(size at 0xFFFFFFF0) -> fault",
        unsafe { wasi::environ_sizes_get(&mut count, bad()) },
        EFAULT,
    );
    c.eq(
        "environ_get(environ at 0xFFFFFFF0) -> fault",
        unsafe { wasi::environ_get(bad(), ebuf.as_mut_ptr()) },
        EFAULT,
    );
}

// ---- clock_res_get, clock_time_get ----
fn clocks(c: &mut Checks) {
    for (name, id) in [
        ("clock_res_get(realtime)", CLOCK_REALTIME),
        ("clock_res_get(monotonic)", CLOCK_MONOTONIC),
    ] {
        let mut res = u64::MAX;
        let e = unsafe { wasi::clock_res_get(id, &mut res) };
        c.eq(name, (e, res), (0, 1));
    }
    let mut res = 0u64;
    c.eq(
        "clock_res_get(process_cputime) errno",
        unsafe { wasi::clock_res_get(2, &mut res) },
        0,
    );
    c.eq(
        "clock_res_get(thread_cputime) errno",
        unsafe { wasi::clock_res_get(3, &mut res) },
        0,
    );
    c.eq(
        "clock_res_get(clock 99) -> inval",
        unsafe { wasi::clock_res_get(99, &mut res) },
        EINVAL,
    );
    c.eq(
        "clock_res_get(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::clock_res_get(CLOCK_MONOTONIC, bad()) },
        EFAULT,
    );

    let (mut t1, mut t2) = (0u64, 0u64);
    let e1 = unsafe { wasi::clock_time_get(CLOCK_MONOTONIC, 0, &mut t1) };
    let e2 = unsafe { wasi::clock_time_get(CLOCK_MONOTONIC, 0, &mut t2) };
    c.eq("clock_time_get(monotonic) errno", (e1, e2), (0, 0));
    c.truth(
        "monotonic clock does not go back",
        t1 > 0 && t2 >= t1,
        format_args!("0 < t1 <= t2, got {t1}, {t2}"),
    );
    let mut wall = 0u64;
    let e = unsafe { wasi::clock_time_get(CLOCK_REALTIME, 1, &mut wall) };
    c.eq("clock_time_get(realtime) errno", e, 0);
    c.truth(
        "realtime is after 2020",
        wall > 1_577_836_800_000_000_000,
        format_args!("> 2020-01-01 in ns, got {wall}"),
    );
    c.eq(
        "clock_time_get(clock 99) -> inval",
        unsafe { wasi::clock_time_get(99, 0, &mut t1) },
        EINVAL,
    );
    c.eq(
        "clock_time_get(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::clock_time_get(CLOCK_REALTIME, 0, bad()) },
        EFAULT,
    );
}

// ---- proc_raise, sched_yield, random_get ----
fn proc_random(c: &mut Checks) {
    c.eq(
        "proc_raise(none) -> success",
        unsafe { wasi::proc_raise(SIG_NONE) },
        0,
    );
    c.eq(
        "proc_raise(chld) -> success",
        unsafe { wasi::proc_raise(SIG_CHLD) },
        0,
    );
    c.eq(
        "proc_raise(stop) -> notsup",
        unsafe { wasi::proc_raise(SIG_STOP) },
        ENOTSUP,
    );
    c.eq(
        "proc_raise(99) -> inval",
        unsafe { wasi::proc_raise(99) },
        EINVAL,
    );
    c.eq("sched_yield errno", unsafe { wasi::sched_yield() }, 0);

    let mut buf = [SENTINEL; 64];
    c.eq(
        "random_get(64) errno",
        unsafe { wasi::random_get(buf.as_mut_ptr(), 64) },
        0,
    );
    c.truth(
        "random_get fills the buffer",
        buf.iter().filter(|&&b| b == SENTINEL).count() < 8,
        format_args!("fewer than 8 of 64 bytes left at 0xAA"),
    );
    let mut one = [SENTINEL; 4];
    c.eq(
        "random_get(0 bytes) errno",
        unsafe { wasi::random_get(one.as_mut_ptr(), 0) },
        0,
    );
    c.eq("random_get(0 bytes) writes nothing", one, [SENTINEL; 4]);
    c.eq(
        "random_get(at 0xFFFFFFF0, 32) -> fault",
        unsafe { wasi::random_get(bad(), 32) },
        EFAULT,
    );
}

// ---- file operations on a regular file with every file right ----
fn file_ops(c: &mut Checks, f: u32, end: Option<usize>) {
    match fdstat(f) {
        Err(e) => {
            c.eq("fd_fdstat_get(file) errno", e, 0);
        }
        Ok(st) => {
            c.eq(
                "fd_fdstat_get(file) filetype@0",
                st[0],
                FILETYPE_REGULAR_FILE,
            );
            c.eq("fd_fdstat_get(file) flags@2", u16_at(&st, 2), 0);
            c.eq(
                "fd_fdstat_get(file) rights_base@8",
                u64_at(&st, 8),
                FILE_RIGHTS,
            );
            c.eq(
                "fd_fdstat_get(file) rights_inheriting@16",
                u64_at(&st, 16),
                0,
            );
        }
    }
    c.eq(
        "fd_fdstat_get(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_fdstat_get(f, bad()) },
        EFAULT,
    );

    c.eq("fd_write 0123456789", write(f, b"0123456789"), Ok(10));
    c.eq("fd_tell after write", tell(f), Ok(10));
    c.eq(
        "fd_tell(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_tell(f, bad()) },
        EFAULT,
    );

    // fd_pread / fd_pwrite: at an offset, the position stays.
    let mut b = [0u8; 4];
    c.eq("fd_pread(4 bytes at 2)", pread(f, &mut b, 2), Ok(4));
    c.eq("fd_pread data", &b, b"2345");
    c.eq("fd_pread past the end", pread(f, &mut b, 100), Ok(0));
    c.eq("fd_pwrite AB at 8", pwrite(f, b"AB", 8), Ok(2));
    c.eq("fd_tell after pread/pwrite unchanged", tell(f), Ok(10));
    let (buf, n) = contents(f);
    c.eq("file after fd_pwrite", &buf[..n], b"01234567AB".as_slice());
    let iov_bad = [BAD, 4u32];
    let mut nn = 0u32;
    c.eq(
        "fd_pread(iovec buffer at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_pread(f, iov_bad.as_ptr(), 1, 0, &mut nn) },
        EFAULT,
    );
    c.eq(
        "fd_pwrite(iovec buffer at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_pwrite(f, iov_bad.as_ptr(), 1, 0, &mut nn) },
        EFAULT,
    );
    c.eq(
        "fd_read(iovec buffer at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_read(f, iov_bad.as_ptr(), 1, &mut nn) },
        EFAULT,
    );
    c.eq(
        "fd_write(iovecs at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_write(f, bad(), 1, &mut nn) },
        EFAULT,
    );

    // fd_read from a position set by fd_seek (SET = 2 in snapshot 0)
    c.eq("fd_seek(7, SET=2)", seek(f, 7, 2), Ok(7));
    let mut r = [0u8; 8];
    c.eq("fd_read at 7", read(f, &mut r), Ok(3));
    c.eq("fd_read data at 7", &r[..3], b"7AB".as_slice());
    c.eq("fd_read at the end", read(f, &mut r), Ok(0));

    // fd_advise
    c.eq(
        "fd_advise(sequential)",
        unsafe { wasi::fd_advise(f, 0, 10, ADVICE_SEQUENTIAL) },
        0,
    );
    c.eq(
        "fd_advise(advice 6) -> inval",
        unsafe { wasi::fd_advise(f, 0, 10, 6) },
        EINVAL,
    );

    // fd_allocate grows, never shrinks
    c.eq(
        "fd_allocate(0, 100)",
        unsafe { wasi::fd_allocate(f, 0, 100) },
        0,
    );
    c.eq("size after fd_allocate(0, 100)", size_of(f), Ok(100));
    c.eq(
        "fd_allocate(10, 20)",
        unsafe { wasi::fd_allocate(f, 10, 20) },
        0,
    );
    c.eq("size after fd_allocate(10, 20)", size_of(f), Ok(100));
    c.eq(
        "fd_allocate(len 0) -> inval",
        unsafe { wasi::fd_allocate(f, 0, 0) },
        EINVAL,
    );

    // fd_filestat_set_size
    c.eq(
        "fd_filestat_set_size(5)",
        unsafe { wasi::fd_filestat_set_size(f, 5) },
        0,
    );
    c.eq("size after fd_filestat_set_size(5)", size_of(f), Ok(5));
    let (buf, n) = contents(f);
    c.eq(
        "file after fd_filestat_set_size(5)",
        &buf[..n],
        b"01234".as_slice(),
    );

    // fd_filestat_set_times: exact nanoseconds at atim@32 / mtim@40
    c.eq(
        "fd_filestat_set_times(atim, mtim)",
        unsafe {
            wasi::fd_filestat_set_times(f, 1_000_000_123, 2_000_000_456, FST_ATIM | FST_MTIM)
        },
        0,
    );
    match fstat(f) {
        Ok(st) => {
            c.eq(
                "atim@32 after fd_filestat_set_times",
                u64_at(&st, 32),
                1_000_000_123,
            );
            c.eq(
                "mtim@40 after fd_filestat_set_times",
                u64_at(&st, 40),
                2_000_000_456,
            );
        }
        Err(e) => {
            c.eq("fd_filestat_get after set_times errno", e, 0);
        }
    }
    c.eq(
        "fd_filestat_set_times(mtim only)",
        unsafe { wasi::fd_filestat_set_times(f, 7, 3_000_000_000, FST_MTIM) },
        0,
    );
    c.eq(
        "atim@32 kept, mtim@40 set",
        fstat(f).map(|st| (u64_at(&st, 32), u64_at(&st, 40))),
        Ok((1_000_000_123, 3_000_000_000)),
    );
    c.eq(
        "fd_filestat_set_times(atim|atim_now) -> inval",
        unsafe { wasi::fd_filestat_set_times(f, 0, 0, FST_ATIM | FST_ATIM_NOW) },
        EINVAL,
    );
    c.eq(
        "fd_filestat_set_times(mtim|mtim_now) -> inval",
        unsafe { wasi::fd_filestat_set_times(f, 0, 0, FST_MTIM | FST_MTIM_NOW) },
        EINVAL,
    );
    c.eq(
        "fd_filestat_get(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_filestat_get(f, bad()) },
        EFAULT,
    );

    // fd_filestat_get into the last 56 bytes of memory: snapshot 0's
    // filestat fits there (preview1's 64 bytes would not).
    if let Some(end) = end {
        let at = (end - 56) as *mut u8;
        let e = unsafe { wasi::fd_filestat_get(f, at) };
        c.eq("fd_filestat_get into the last 56 bytes of memory", e, 0);
        let size = unsafe { core::ptr::read_volatile(at.add(24) as *const u64) };
        let ft = unsafe { core::ptr::read_volatile(at.add(16)) };
        c.eq(
            "filestat at the end of memory: (filetype@16, size@24)",
            (ft, size),
            (FILETYPE_REGULAR_FILE, 5),
        );
        c.eq(
            "fd_filestat_get into the last 48 bytes of memory -> fault",
            unsafe { wasi::fd_filestat_get(f, (end - 48) as *mut u8) },
            EFAULT,
        );
    }

    // fd_datasync, fd_sync
    c.eq("fd_datasync(file)", unsafe { wasi::fd_datasync(f) }, 0);
    c.eq("fd_sync(file)", unsafe { wasi::fd_sync(f) }, 0);

    // fd_fdstat_set_flags: append
    c.eq(
        "fd_fdstat_set_flags(append)",
        unsafe { wasi::fd_fdstat_set_flags(f, FDFLAGS_APPEND) },
        0,
    );
    c.eq(
        "fd_fdstat_get flags@2 after set_flags(append)",
        fdstat(f).map(|st| u16_at(&st, 2)),
        Ok(FDFLAGS_APPEND as u16),
    );
    c.eq("fd_write with append", write(f, b"zz"), Ok(2));
    let (buf, n) = contents(f);
    c.eq("append wrote at the end", &buf[..n], b"01234zz".as_slice());
    c.eq(
        "fd_fdstat_set_flags(0x20) -> inval",
        unsafe { wasi::fd_fdstat_set_flags(f, 0x20) },
        EINVAL,
    );
    c.eq(
        "fd_fdstat_set_flags(0)",
        unsafe { wasi::fd_fdstat_set_flags(f, 0) },
        0,
    );
    c.eq(
        "fd_fdstat_get flags@2 after set_flags(0)",
        fdstat(f).map(|st| u16_at(&st, 2)),
        Ok(0),
    );
}

// ---- fd_fdstat_set_rights, then notcapable for each file call ----
fn shrunk_file(c: &mut Checks) {
    let g = match open(3, "x/f", 0, FILE_RIGHTS, 0) {
        Ok(fd) => fd,
        Err(e) => {
            c.eq("path_open x/f again errno", e, 0);
            return;
        }
    };
    c.eq(
        "fd_fdstat_set_rights(fd_read | fd_seek | fd_filestat_get)",
        unsafe { wasi::fd_fdstat_set_rights(g, R_FD_READ | R_FD_SEEK | R_FD_FILESTAT_GET, 0) },
        0,
    );
    c.eq(
        "rights after fd_fdstat_set_rights",
        rights_of(g),
        Ok(R_FD_READ | R_FD_SEEK | R_FD_FILESTAT_GET),
    );
    c.eq(
        "fd_fdstat_set_rights adding fd_write -> notcapable",
        unsafe { wasi::fd_fdstat_set_rights(g, R_FD_READ | R_FD_WRITE, 0) },
        ENOTCAPABLE,
    );
    c.eq(
        "fd_fdstat_set_rights adding an inheriting right -> notcapable",
        unsafe { wasi::fd_fdstat_set_rights(g, R_FD_READ, R_FD_READ) },
        ENOTCAPABLE,
    );
    c.eq(
        "a refused fd_fdstat_set_rights changes nothing",
        rights_of(g),
        Ok(R_FD_READ | R_FD_SEEK | R_FD_FILESTAT_GET),
    );
    let mut b = [0u8; 3];
    c.eq("fd_read with fd_read right", read(g, &mut b), Ok(3));
    c.eq("fd_read data", &b, b"012");
    c.eq(
        "fd_write without fd_write right -> notcapable",
        write(g, b"q"),
        Err(ENOTCAPABLE),
    );
    c.eq(
        "fd_fdstat_set_rights(0, 0)",
        unsafe { wasi::fd_fdstat_set_rights(g, 0, 0) },
        0,
    );
    c.eq("rights after shrinking to none", rights_of(g), Ok(0));

    let mut pos = 0u64;
    let mut nn = 0u32;
    let mut buf = [0u8; 4];
    let iov = [buf.as_mut_ptr() as u32, 4u32];
    let mut st = [0u8; 56];
    table(
        c,
        &[
            (
                "fd_advise without right -> notcapable",
                unsafe { wasi::fd_advise(g, 0, 0, 0) },
                ENOTCAPABLE,
            ),
            (
                "fd_allocate without right -> notcapable",
                unsafe { wasi::fd_allocate(g, 0, 1) },
                ENOTCAPABLE,
            ),
            (
                "fd_datasync without right -> notcapable",
                unsafe { wasi::fd_datasync(g) },
                ENOTCAPABLE,
            ),
            (
                "fd_fdstat_set_flags without right -> notcapable",
                unsafe { wasi::fd_fdstat_set_flags(g, 0) },
                ENOTCAPABLE,
            ),
            (
                "fd_filestat_get without right -> notcapable",
                unsafe { wasi::fd_filestat_get(g, st.as_mut_ptr()) },
                ENOTCAPABLE,
            ),
            (
                "fd_filestat_set_size without right -> notcapable",
                unsafe { wasi::fd_filestat_set_size(g, 0) },
                ENOTCAPABLE,
            ),
            (
                "fd_filestat_set_times without right -> notcapable",
                unsafe { wasi::fd_filestat_set_times(g, 0, 0, FST_MTIM_NOW) },
                ENOTCAPABLE,
            ),
            (
                "fd_pread without right -> notcapable",
                unsafe { wasi::fd_pread(g, iov.as_ptr(), 1, 0, &mut nn) },
                ENOTCAPABLE,
            ),
            (
                "fd_pwrite without right -> notcapable",
                unsafe { wasi::fd_pwrite(g, iov.as_ptr(), 1, 0, &mut nn) },
                ENOTCAPABLE,
            ),
            (
                "fd_read without right -> notcapable",
                unsafe { wasi::fd_read(g, iov.as_ptr(), 1, &mut nn) },
                ENOTCAPABLE,
            ),
            (
                "fd_seek without right -> notcapable",
                unsafe { wasi::fd_seek(g, 0, 2, &mut pos) },
                ENOTCAPABLE,
            ),
            (
                "fd_sync without right -> notcapable",
                unsafe { wasi::fd_sync(g) },
                ENOTCAPABLE,
            ),
            (
                "fd_tell without right -> notcapable",
                unsafe { wasi::fd_tell(g, &mut pos) },
                ENOTCAPABLE,
            ),
            (
                "fd_write without right -> notcapable",
                unsafe { wasi::fd_write(g, iov.as_ptr(), 1, &mut nn) },
                ENOTCAPABLE,
            ),
        ],
    );

    // poll: an fd subscription needs poll_fd_readwrite; the error is in the event.
    let mut sub = [0u8; 56];
    put_u64(&mut sub, 0, 0x5151);
    sub[8] = EVENTTYPE_FD_READ;
    put_u32(&mut sub, 16, g);
    let mut ev = [SENTINEL; 32];
    let mut nevents = 0u32;
    let e = unsafe { wasi::poll_oneoff(sub.as_ptr(), ev.as_mut_ptr(), 1, &mut nevents) };
    c.eq(
        "poll_oneoff(fd without poll right) errno, nevents",
        (e, nevents),
        (0, 1),
    );
    c.eq(
        "event error without poll_fd_readwrite -> notcapable",
        (u64_at(&ev, 0), u16_at(&ev, 8)),
        (0x5151, ENOTCAPABLE),
    );

    c.eq(
        "fd_close(no-rights fd) errno",
        unsafe { wasi::fd_close(g) },
        0,
    );
}

// ---- badf for each fd call on a closed fd ----
fn closed_fd(c: &mut Checks) {
    let x = match open(3, "x/f", 0, R_FD_READ, 0) {
        Ok(fd) => fd,
        Err(e) => {
            c.eq("path_open x/f (read) errno", e, 0);
            return;
        }
    };
    c.eq("fd_close errno", unsafe { wasi::fd_close(x) }, 0);
    let mut pos = 0u64;
    let mut nn = 0u32;
    let mut fl = 0u16;
    let mut nfd = 0u32;
    let mut buf = [0u8; 64];
    let iov = [buf.as_mut_ptr() as u32, 4u32];
    let bp = buf.as_mut_ptr();
    let p = "f";
    table(
        c,
        &[
            (
                "fd_advise(closed) -> badf",
                unsafe { wasi::fd_advise(x, 0, 0, 0) },
                EBADF,
            ),
            (
                "fd_allocate(closed) -> badf",
                unsafe { wasi::fd_allocate(x, 0, 1) },
                EBADF,
            ),
            (
                "fd_close(closed) -> badf",
                unsafe { wasi::fd_close(x) },
                EBADF,
            ),
            (
                "fd_datasync(closed) -> badf",
                unsafe { wasi::fd_datasync(x) },
                EBADF,
            ),
            (
                "fd_fdstat_get(closed) -> badf",
                unsafe { wasi::fd_fdstat_get(x, bp) },
                EBADF,
            ),
            (
                "fd_fdstat_set_flags(closed) -> badf",
                unsafe { wasi::fd_fdstat_set_flags(x, 0) },
                EBADF,
            ),
            (
                "fd_fdstat_set_rights(closed) -> badf",
                unsafe { wasi::fd_fdstat_set_rights(x, 0, 0) },
                EBADF,
            ),
            (
                "fd_filestat_get(closed) -> badf",
                unsafe { wasi::fd_filestat_get(x, bp) },
                EBADF,
            ),
            (
                "fd_filestat_set_size(closed) -> badf",
                unsafe { wasi::fd_filestat_set_size(x, 0) },
                EBADF,
            ),
            (
                "fd_filestat_set_times(closed) -> badf",
                unsafe { wasi::fd_filestat_set_times(x, 0, 0, FST_MTIM_NOW) },
                EBADF,
            ),
            (
                "fd_pread(closed) -> badf",
                unsafe { wasi::fd_pread(x, iov.as_ptr(), 1, 0, &mut nn) },
                EBADF,
            ),
            (
                "fd_prestat_get(closed) -> badf",
                unsafe { wasi::fd_prestat_get(x, bp) },
                EBADF,
            ),
            (
                "fd_prestat_dir_name(closed) -> badf",
                unsafe { wasi::fd_prestat_dir_name(x, bp, 64) },
                EBADF,
            ),
            (
                "fd_pwrite(closed) -> badf",
                unsafe { wasi::fd_pwrite(x, iov.as_ptr(), 1, 0, &mut nn) },
                EBADF,
            ),
            (
                "fd_read(closed) -> badf",
                unsafe { wasi::fd_read(x, iov.as_ptr(), 1, &mut nn) },
                EBADF,
            ),
            (
                "fd_readdir(closed) -> badf",
                unsafe { wasi::fd_readdir(x, bp, 64, 0, &mut nn) },
                EBADF,
            ),
            (
                "fd_renumber(closed, 3) -> badf",
                unsafe { wasi::fd_renumber(x, 3) },
                EBADF,
            ),
            (
                "fd_renumber(3, closed) -> badf",
                unsafe { wasi::fd_renumber(3, x) },
                EBADF,
            ),
            (
                "fd_seek(closed) -> badf",
                unsafe { wasi::fd_seek(x, 0, 0, &mut pos) },
                EBADF,
            ),
            (
                "fd_sync(closed) -> badf",
                unsafe { wasi::fd_sync(x) },
                EBADF,
            ),
            (
                "fd_tell(closed) -> badf",
                unsafe { wasi::fd_tell(x, &mut pos) },
                EBADF,
            ),
            (
                "fd_write(closed) -> badf",
                unsafe { wasi::fd_write(x, iov.as_ptr(), 1, &mut nn) },
                EBADF,
            ),
            (
                "path_create_directory(closed) -> badf",
                unsafe { wasi::path_create_directory(x, p.as_ptr(), 1) },
                EBADF,
            ),
            (
                "path_filestat_get(closed) -> badf",
                unsafe { wasi::path_filestat_get(x, 0, p.as_ptr(), 1, bp) },
                EBADF,
            ),
            (
                "path_filestat_set_times(closed) -> badf",
                unsafe { wasi::path_filestat_set_times(x, 0, p.as_ptr(), 1, 0, 0, FST_MTIM_NOW) },
                EBADF,
            ),
            (
                "path_link(closed source dir) -> badf",
                unsafe { wasi::path_link(x, 0, p.as_ptr(), 1, 3, "x/l".as_ptr(), 3) },
                EBADF,
            ),
            (
                "path_link(closed target dir) -> badf",
                unsafe { wasi::path_link(3, 0, "x/f".as_ptr(), 3, x, p.as_ptr(), 1) },
                EBADF,
            ),
            (
                "path_open(closed) -> badf",
                unsafe { wasi::path_open(x, 0, p.as_ptr(), 1, 0, 0, 0, 0, &mut nfd) },
                EBADF,
            ),
            (
                "path_readlink(closed) -> badf",
                unsafe { wasi::path_readlink(x, p.as_ptr(), 1, bp, 64, &mut nn) },
                EBADF,
            ),
            (
                "path_remove_directory(closed) -> badf",
                unsafe { wasi::path_remove_directory(x, p.as_ptr(), 1) },
                EBADF,
            ),
            (
                "path_rename(closed source dir) -> badf",
                unsafe { wasi::path_rename(x, p.as_ptr(), 1, 3, "x/r".as_ptr(), 3) },
                EBADF,
            ),
            (
                "path_rename(closed target dir) -> badf",
                unsafe { wasi::path_rename(3, "x/f".as_ptr(), 3, x, p.as_ptr(), 1) },
                EBADF,
            ),
            (
                "path_symlink(closed) -> badf",
                unsafe { wasi::path_symlink(p.as_ptr(), 1, x, "s".as_ptr(), 1) },
                EBADF,
            ),
            (
                "path_unlink_file(closed) -> badf",
                unsafe { wasi::path_unlink_file(x, p.as_ptr(), 1) },
                EBADF,
            ),
            (
                "sock_accept(closed) -> badf",
                unsafe { wasi::sock_accept(x, 0, &mut nfd) },
                EBADF,
            ),
            (
                "sock_recv(closed) -> badf",
                unsafe { wasi::sock_recv(x, iov.as_ptr(), 1, 0, &mut nn, &mut fl) },
                EBADF,
            ),
            (
                "sock_send(closed) -> badf",
                unsafe { wasi::sock_send(x, iov.as_ptr(), 1, 0, &mut nn) },
                EBADF,
            ),
            (
                "sock_shutdown(closed) -> badf",
                unsafe { wasi::sock_shutdown(x, SDFLAGS_RD_WR) },
                EBADF,
            ),
        ],
    );
    // Nothing was created by the failed calls.
    c.eq(
        "path_link(closed target) created nothing",
        stat_at(3, 0, "x/l").err(),
        Some(ENOENT),
    );
    c.eq(
        "path_rename(closed target) moved nothing",
        stat_at(3, 0, "x/f").is_ok(),
        true,
    );
}

// ---- kinds: file calls on a directory, directory calls on a file ----
fn directory_kinds(c: &mut Checks, f: u32) {
    match fdstat(3) {
        Err(e) => {
            c.eq("fd_fdstat_get(3) errno", e, 0);
        }
        Ok(st) => {
            c.eq("fd_fdstat_get(3) filetype@0", st[0], FILETYPE_DIRECTORY);
            c.eq("fd_fdstat_get(3) flags@2", u16_at(&st, 2), 0);
            c.eq(
                "preopen rights_base = every directory right",
                u64_at(&st, 8),
                DIR_RIGHTS,
            );
            c.eq(
                "preopen rights_inheriting has every snapshot-0 right",
                u64_at(&st, 16) & R_ALL_SNAPSHOT0,
                R_ALL_SNAPSHOT0,
            );
        }
    }
    c.eq(
        "fd_filestat_get(3) filetype@16",
        fstat(3).map(|st| st[16]),
        Ok(FILETYPE_DIRECTORY),
    );
    c.eq("fd_sync(3)", unsafe { wasi::fd_sync(3) }, 0);
    c.eq("fd_advise(3)", unsafe { wasi::fd_advise(3, 0, 0, 0) }, 0);
    c.eq(
        "fd_fdstat_set_flags(3, 0)",
        unsafe { wasi::fd_fdstat_set_flags(3, 0) },
        0,
    );

    let mut pos = 0u64;
    let mut nn = 0u32;
    let mut buf = [0u8; 64];
    let iov = [buf.as_mut_ptr() as u32, 4u32];
    table(
        c,
        &[
            (
                "fd_read(dir) -> isdir",
                unsafe { wasi::fd_read(3, iov.as_ptr(), 1, &mut nn) },
                EISDIR,
            ),
            (
                "fd_pread(dir) -> isdir",
                unsafe { wasi::fd_pread(3, iov.as_ptr(), 1, 0, &mut nn) },
                EISDIR,
            ),
            (
                "fd_write(dir) -> isdir",
                unsafe { wasi::fd_write(3, iov.as_ptr(), 1, &mut nn) },
                EISDIR,
            ),
            (
                "fd_pwrite(dir) -> isdir",
                unsafe { wasi::fd_pwrite(3, iov.as_ptr(), 1, 0, &mut nn) },
                EISDIR,
            ),
            (
                "fd_seek(dir) -> isdir",
                unsafe { wasi::fd_seek(3, 0, 0, &mut pos) },
                EISDIR,
            ),
            (
                "fd_tell(dir) -> isdir",
                unsafe { wasi::fd_tell(3, &mut pos) },
                EISDIR,
            ),
            (
                "fd_allocate(dir) -> isdir",
                unsafe { wasi::fd_allocate(3, 0, 1) },
                EISDIR,
            ),
            (
                "fd_filestat_set_size(dir) -> isdir",
                unsafe { wasi::fd_filestat_set_size(3, 0) },
                EISDIR,
            ),
            (
                "fd_datasync(dir) -> isdir",
                unsafe { wasi::fd_datasync(3) },
                EISDIR,
            ),
        ],
    );

    let mut nfd = 0u32;
    let bp = buf.as_mut_ptr();
    let p = "q";
    table(
        c,
        &[
            (
                "fd_readdir(file) -> notdir",
                unsafe { wasi::fd_readdir(f, bp, 64, 0, &mut nn) },
                ENOTDIR,
            ),
            (
                "path_create_directory(file) -> notdir",
                unsafe { wasi::path_create_directory(f, p.as_ptr(), 1) },
                ENOTDIR,
            ),
            (
                "path_filestat_get(file) -> notdir",
                unsafe { wasi::path_filestat_get(f, 0, p.as_ptr(), 1, bp) },
                ENOTDIR,
            ),
            (
                "path_filestat_set_times(file) -> notdir",
                unsafe { wasi::path_filestat_set_times(f, 0, p.as_ptr(), 1, 0, 0, FST_MTIM_NOW) },
                ENOTDIR,
            ),
            (
                "path_link(file as source dir) -> notdir",
                unsafe { wasi::path_link(f, 0, p.as_ptr(), 1, 3, "x/l".as_ptr(), 3) },
                ENOTDIR,
            ),
            (
                "path_link(file as target dir) -> notdir",
                unsafe { wasi::path_link(3, 0, "x/f".as_ptr(), 3, f, p.as_ptr(), 1) },
                ENOTDIR,
            ),
            (
                "path_open(file) -> notdir",
                unsafe { wasi::path_open(f, 0, p.as_ptr(), 1, 0, 0, 0, 0, &mut nfd) },
                ENOTDIR,
            ),
            (
                "path_readlink(file) -> notdir",
                unsafe { wasi::path_readlink(f, p.as_ptr(), 1, bp, 64, &mut nn) },
                ENOTDIR,
            ),
            (
                "path_remove_directory(file) -> notdir",
                unsafe { wasi::path_remove_directory(f, p.as_ptr(), 1) },
                ENOTDIR,
            ),
            (
                "path_rename(file as source dir) -> notdir",
                unsafe { wasi::path_rename(f, p.as_ptr(), 1, 3, "x/r".as_ptr(), 3) },
                ENOTDIR,
            ),
            (
                "path_rename(file as target dir) -> notdir",
                unsafe { wasi::path_rename(3, "x/f".as_ptr(), 3, f, p.as_ptr(), 1) },
                ENOTDIR,
            ),
            (
                "path_symlink(file) -> notdir",
                unsafe { wasi::path_symlink("f".as_ptr(), 1, f, p.as_ptr(), 1) },
                ENOTDIR,
            ),
            (
                "path_unlink_file(file) -> notdir",
                unsafe { wasi::path_unlink_file(f, p.as_ptr(), 1) },
                ENOTDIR,
            ),
        ],
    );
}

// ---- path_* on the preopen ----
fn paths(c: &mut Checks, f: u32, ino: u64) {
    // path_create_directory
    c.eq("path_create_directory x/e", mkdir(3, "x/e"), 0);
    c.eq(
        "path_create_directory x/e again -> exist",
        mkdir(3, "x/e"),
        EEXIST,
    );
    c.eq(
        "path_create_directory x/nope/e -> noent",
        mkdir(3, "x/nope/e"),
        ENOENT,
    );
    c.eq(
        "path_create_directory x/f/e -> notdir",
        mkdir(3, "x/f/e"),
        ENOTDIR,
    );
    c.eq(
        "path_create_directory ../e -> perm",
        mkdir(3, "../e"),
        EPERM,
    );
    c.eq("path_create_directory \"\" -> noent", mkdir(3, ""), ENOENT);

    // path_filestat_get
    c.eq(
        "path_filestat_get x/e filetype@16",
        stat_at(3, 0, "x/e").map(|st| st[16]),
        Ok(FILETYPE_DIRECTORY),
    );
    c.eq(
        "path_filestat_get x/f (ino@8, filetype@16, nlink@20, size@24)",
        stat_at(3, 0, "x/f").map(|st| (u64_at(&st, 8), st[16], u32_at(&st, 20), u64_at(&st, 24))),
        Ok((ino, FILETYPE_REGULAR_FILE, 1, 7)),
    );
    c.eq(
        "path_filestat_get x/nope -> noent",
        stat_at(3, 0, "x/nope").err(),
        Some(ENOENT),
    );
    c.eq(
        "path_filestat_get x/f/ -> notdir",
        stat_at(3, 0, "x/f/").err(),
        Some(ENOTDIR),
    );
    c.eq(
        "path_filestat_get (flags 2) -> inval",
        stat_at(3, 2, "x/f").err(),
        Some(EINVAL),
    );
    c.eq(
        "path_filestat_get(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::path_filestat_get(3, 0, "x/f".as_ptr(), 3, bad()) },
        EFAULT,
    );
    c.eq(
        "path_filestat_get(path at 0xFFFFFFF0) -> fault",
        unsafe { wasi::path_filestat_get(3, 0, bad(), 3, [0u8; 56].as_mut_ptr()) },
        EFAULT,
    );

    // path_filestat_set_times
    c.eq(
        "path_filestat_set_times x/f",
        set_times_at(
            3,
            1,
            "x/f",
            3_000_000_789,
            4_000_000_012,
            FST_ATIM | FST_MTIM,
        ),
        0,
    );
    c.eq(
        "path_filestat_get x/f (atim@32, mtim@40) after set_times",
        stat_at(3, 0, "x/f").map(|st| (u64_at(&st, 32), u64_at(&st, 40))),
        Ok((3_000_000_789, 4_000_000_012)),
    );
    c.eq(
        "fd_filestat_get sees the same mtim@40",
        fstat(f).map(|st| u64_at(&st, 40)),
        Ok(4_000_000_012),
    );
    c.eq(
        "path_filestat_set_times x/nope -> noent",
        set_times_at(3, 1, "x/nope", 0, 0, FST_MTIM_NOW),
        ENOENT,
    );
    c.eq(
        "path_filestat_set_times (mtim|mtim_now) -> inval",
        set_times_at(3, 1, "x/f", 0, 0, FST_MTIM | FST_MTIM_NOW),
        EINVAL,
    );
    c.eq(
        "path_filestat_set_times ../x -> perm",
        set_times_at(3, 1, "../x", 0, 0, FST_MTIM_NOW),
        EPERM,
    );

    // path_link: a second name, nlink (u32@20) becomes 2
    c.eq("path_link x/f -> x/g", link(3, "x/f", 3, "x/g"), 0);
    c.eq(
        "path_filestat_get x/g (ino@8, nlink@20)",
        stat_at(3, 0, "x/g").map(|st| (u64_at(&st, 8), u32_at(&st, 20))),
        Ok((ino, 2)),
    );
    c.eq(
        "fd_filestat_get nlink@20 after path_link",
        fstat(f).map(|st| u32_at(&st, 20)),
        Ok(2),
    );
    c.eq(
        "path_link onto an existing name -> exist",
        link(3, "x/f", 3, "x/g"),
        EEXIST,
    );
    c.eq(
        "path_link from a missing name -> noent",
        link(3, "x/nope", 3, "x/n"),
        ENOENT,
    );
    c.eq(
        "path_link out of the preopen -> perm",
        link(3, "x/f", 3, "../g"),
        EPERM,
    );

    // path_open errnos
    c.eq(
        "path_open x/nope -> noent",
        open(3, "x/nope", 0, R_FD_READ, 0),
        Err(ENOENT),
    );
    c.eq(
        "path_open x/f creat|excl -> exist",
        open(3, "x/f", O_CREAT | O_EXCL, R_FD_READ, 0),
        Err(EEXIST),
    );
    c.eq(
        "path_open x/f directory -> notdir",
        open(3, "x/f", O_DIRECTORY, 0, 0),
        Err(ENOTDIR),
    );
    c.eq(
        "path_open x/e with fd_write -> isdir",
        open(3, "x/e", 0, R_FD_WRITE, 0),
        Err(EISDIR),
    );
    c.eq(
        "path_open oflags 0x10 -> inval",
        open(3, "x/f", 0x10, R_FD_READ, 0),
        Err(EINVAL),
    );
    c.eq(
        "path_open ../x -> perm",
        open(3, "../x", 0, 0, 0),
        Err(EPERM),
    );
    c.eq(
        "path_open(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::path_open(3, 0, "x/f".as_ptr(), 3, 0, R_FD_READ, 0, 0, bad()) },
        EFAULT,
    );
    match open_limited(3, "x/e", O_DIRECTORY, R_FD_READDIR, 0) {
        Ok(fd) => {
            c.eq(
                "path_open x/e (directory) fdstat (filetype, rights)",
                fdstat(fd).map(|st| (st[0], u64_at(&st, 8))),
                Ok((FILETYPE_DIRECTORY, R_FD_READDIR)),
            );
            c.eq("fd_close(x/e) errno", unsafe { wasi::fd_close(fd) }, 0);
        }
        Err(e) => {
            c.eq("path_open x/e (directory) errno", e, 0);
        }
    }

    // path_symlink, path_readlink
    c.eq("path_symlink f -> x/s", symlink("f", 3, "x/s"), 0);
    c.eq(
        "path_symlink onto an existing name -> exist",
        symlink("f", 3, "x/s"),
        EEXIST,
    );
    c.eq(
        "path_symlink into x/nope -> noent",
        symlink("f", 3, "x/nope/s"),
        ENOENT,
    );
    c.eq(
        "path_symlink empty target -> noent",
        symlink("", 3, "x/s2"),
        ENOENT,
    );
    c.eq(
        "path_filestat_get x/s (no follow) filetype@16",
        stat_at(3, 0, "x/s").map(|st| st[16]),
        Ok(FILETYPE_SYMBOLIC_LINK),
    );
    c.eq(
        "path_filestat_get x/s (follow) ino@8",
        stat_at(3, 1, "x/s").map(|st| (st[16], u64_at(&st, 8))),
        Ok((FILETYPE_REGULAR_FILE, ino)),
    );
    let mut lb = [SENTINEL; 8];
    c.eq("path_readlink x/s", readlink(3, "x/s", &mut lb), Ok(1));
    c.eq("path_readlink x/s contents", &lb[..2], b"f\xAA".as_slice());
    c.eq(
        "path_readlink x/f (not a link) -> inval",
        readlink(3, "x/f", &mut lb),
        Err(EINVAL),
    );
    c.eq(
        "path_readlink x/nope -> noent",
        readlink(3, "x/nope", &mut lb),
        Err(ENOENT),
    );
    c.eq(
        "path_readlink(buffer at 0xFFFFFFF0) -> fault",
        unsafe { wasi::path_readlink(3, "x/s".as_ptr(), 3, bad(), 8, &mut 0u32) },
        EFAULT,
    );
    // The symlink opened with symlink_follow unset → loop (O_NOFOLLOW).
    c.eq(
        "path_open x/s without symlink_follow -> loop",
        open_full(3, 0, "x/s", 0, R_FD_READ, 0, 0),
        Err(32),
    );

    // path_rename
    c.eq("path_rename x/g -> x/h", rename(3, "x/g", 3, "x/h"), 0);
    c.eq(
        "x/g is gone after rename",
        stat_at(3, 0, "x/g").err(),
        Some(ENOENT),
    );
    c.eq(
        "x/h is the same file",
        stat_at(3, 0, "x/h").map(|st| u64_at(&st, 8)),
        Ok(ino),
    );
    c.eq(
        "path_rename x/nope -> noent",
        rename(3, "x/nope", 3, "x/n"),
        ENOENT,
    );
    c.eq(
        "path_rename out of the preopen -> perm",
        rename(3, "x/h", 3, "../h"),
        EPERM,
    );

    // path_unlink_file
    c.eq("path_unlink_file x/h", unlink(3, "x/h"), 0);
    c.eq(
        "path_unlink_file x/h again -> noent",
        unlink(3, "x/h"),
        ENOENT,
    );
    c.eq(
        "path_unlink_file x/e (a directory) -> isdir",
        unlink(3, "x/e"),
        EISDIR,
    );
    c.eq(
        "fd_filestat_get nlink@20 after unlink",
        fstat(f).map(|st| u32_at(&st, 20)),
        Ok(1),
    );

    // path_remove_directory
    c.eq("path_create_directory x/e/sub", mkdir(3, "x/e/sub"), 0);
    c.eq(
        "path_remove_directory x/e (not empty) -> notempty",
        rmdir(3, "x/e"),
        ENOTEMPTY,
    );
    c.eq(
        "path_remove_directory x/f (a file) -> notdir",
        rmdir(3, "x/f"),
        ENOTDIR,
    );
    c.eq("path_remove_directory x/e/sub", rmdir(3, "x/e/sub"), 0);
    c.eq("path_remove_directory x/e", rmdir(3, "x/e"), 0);
    c.eq(
        "path_remove_directory x/e again -> noent",
        rmdir(3, "x/e"),
        ENOENT,
    );
    c.eq("x/e is gone", stat_at(3, 0, "x/e").err(), Some(ENOENT));
}

// ---- a directory opened with path_open: readdir, set_times, rights ----
fn directory_fd(c: &mut Checks, ino: u64) {
    // x now holds f and s.
    let dx = match open_limited(3, "x", O_DIRECTORY, DIR_RIGHTS, FILE_RIGHTS) {
        Ok(fd) => fd,
        Err(e) => {
            c.eq("path_open x (directory) errno", e, 0);
            return;
        }
    };
    c.eq(
        "path_open x: (filetype, rights_base, rights_inheriting)",
        fdstat(dx).map(|st| (st[0], u64_at(&st, 8), u64_at(&st, 16))),
        Ok((FILETYPE_DIRECTORY, DIR_RIGHTS, FILE_RIGHTS)),
    );

    let mut buf = [0u8; 512];
    match readdir(dx, &mut buf, 0) {
        Err(e) => {
            c.eq("fd_readdir(x) errno", e, 0);
        }
        Ok(used) => {
            let mut off = 0;
            let mut idx = 0u64;
            let mut seen = [false; 4]; // . .. f s
            while off + 24 <= used {
                let next = u64_at(&buf, off);
                let d_ino = u64_at(&buf, off + 8);
                let len = u32_at(&buf, off + 16) as usize;
                let ty = buf[off + 20];
                if off + 24 + len > used {
                    break;
                }
                idx += 1;
                c.eq("x dirent d_next is index + 1", next, idx);
                let name = &buf[off + 24..off + 24 + len];
                match name {
                    b"." => {
                        seen[0] = c.eq(
                            "x: '.' first, a directory",
                            (idx, ty),
                            (1, FILETYPE_DIRECTORY),
                        )
                    }
                    b".." => {
                        seen[1] = c.eq(
                            "x: '..' second, a directory",
                            (idx, ty),
                            (2, FILETYPE_DIRECTORY),
                        )
                    }
                    b"f" => {
                        seen[2] = c.eq(
                            "x/f dirent (d_ino, d_type)",
                            (d_ino, ty),
                            (ino, FILETYPE_REGULAR_FILE),
                        )
                    }
                    b"s" => seen[3] = c.eq("x/s dirent d_type", ty, FILETYPE_SYMBOLIC_LINK),
                    _ => {
                        c.truth(
                            "x has only . .. f s",
                            false,
                            format_args!("no entry {:?}", core::str::from_utf8(name)),
                        );
                    }
                }
                off += 24 + len;
            }
            c.eq("fd_readdir(x) read to the end", off, used);
            c.eq("fd_readdir(x) saw . .. f s", seen, [true; 4]);
        }
    }
    // Too small for the next entry: as much as fits, bufused == buf_len.
    let mut small = [SENTINEL; 16];
    c.eq(
        "fd_readdir(10-byte buffer) bufused",
        readdir(dx, &mut small[..10], 0),
        Ok(10),
    );
    c.eq(
        "fd_readdir(10-byte buffer) d_next of '.'",
        u64_at(&small, 0),
        1,
    );
    c.eq(
        "fd_readdir(10 bytes) leaves the rest",
        &small[10..],
        [SENTINEL; 6].as_slice(),
    );
    // cookie 3 continues after . .. and one more entry.
    c.eq(
        "fd_readdir(cookie 3): one entry of 25 bytes",
        readdir(dx, &mut buf, 3).map(|used| (used, u64_at(&buf, 0), u32_at(&buf, 16))),
        Ok((25, 4, 1)),
    );
    c.eq(
        "fd_readdir(buffer at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_readdir(dx, bad(), 64, 0, &mut 0u32) },
        EFAULT,
    );

    // fd_filestat_set_times on a directory fd
    c.eq(
        "fd_filestat_set_times(dir x, mtim)",
        unsafe { wasi::fd_filestat_set_times(dx, 0, 5_000_000_000, FST_MTIM) },
        0,
    );
    c.eq(
        "x mtim@40 after fd_filestat_set_times",
        fstat(dx).map(|st| u64_at(&st, 40)),
        Ok(5_000_000_000),
    );

    // Paths relative to dx; `..` may not climb above it.
    c.eq(
        "path_filestat_get(x fd, f) ino",
        stat_at(dx, 0, "f").map(|st| u64_at(&st, 8)),
        Ok(ino),
    );
    c.eq(
        "path_filestat_get(x fd, ../u.txt) -> perm",
        stat_at(dx, 0, "../u.txt").err(),
        Some(EPERM),
    );

    // path_open: file rights beyond the directory's inheriting set.
    match open_limited(3, "x", O_DIRECTORY, DIR_RIGHTS, R_FD_READ | R_FD_SEEK) {
        Err(e) => {
            c.eq("path_open x (inheriting read|seek) errno", e, 0);
        }
        Ok(dy) => {
            c.eq(
                "path_open f asking fd_write beyond inheriting -> notcapable",
                open(dy, "f", 0, R_FD_READ | R_FD_WRITE, 0),
                Err(ENOTCAPABLE),
            );
            // A right beyond the inheriting set that does not write is not
            // granted, and does not fail the open (the rights asked only
            // choose the access mode).
            match open(dy, "f", 0, R_FD_READ | R_FD_TELL, 0) {
                Ok(fd) => {
                    c.eq(
                        "path_open f asking fd_tell beyond inheriting: not granted",
                        rights_of(fd).map(|r| r & R_FD_TELL),
                        Ok(0),
                    );
                    let _ = unsafe { wasi::fd_close(fd) };
                }
                Err(e) => {
                    c.eq("path_open f asking fd_tell beyond inheriting errno", e, 0);
                }
            }
            // Within the inheriting set: the file gets all of it that
            // applies to a file and to reading (the rights asked only chose
            // the access mode).
            match open(dy, "f", 0, R_FD_READ | R_PATH_OPEN, 0) {
                Ok(fd) => {
                    c.eq(
                        "path_open f within inheriting: rights",
                        rights_of(fd),
                        Ok(R_FD_READ | R_FD_SEEK),
                    );
                    let _ = unsafe { wasi::fd_close(fd) };
                }
                Err(e) => {
                    c.eq("path_open f within inheriting errno", e, 0);
                }
            }
            let _ = unsafe { wasi::fd_close(dy) };
        }
    }

    // Shrink dx to nothing: every directory call → notcapable.
    c.eq(
        "fd_fdstat_set_rights(dir x, 0, 0)",
        unsafe { wasi::fd_fdstat_set_rights(dx, 0, 0) },
        0,
    );
    let mut nn = 0u32;
    let mut nfd = 0u32;
    let bp = buf.as_mut_ptr();
    let p = "f";
    let q = "q";
    table(
        c,
        &[
            (
                "fd_readdir without right -> notcapable",
                unsafe { wasi::fd_readdir(dx, bp, 64, 0, &mut nn) },
                ENOTCAPABLE,
            ),
            (
                "fd_sync(dir) without right -> notcapable",
                unsafe { wasi::fd_sync(dx) },
                ENOTCAPABLE,
            ),
            (
                "fd_advise(dir) without right -> notcapable",
                unsafe { wasi::fd_advise(dx, 0, 0, 0) },
                ENOTCAPABLE,
            ),
            (
                "fd_filestat_get(dir) without right -> notcapable",
                unsafe { wasi::fd_filestat_get(dx, bp) },
                ENOTCAPABLE,
            ),
            (
                "fd_filestat_set_times(dir) without right -> notcapable",
                unsafe { wasi::fd_filestat_set_times(dx, 0, 0, FST_MTIM_NOW) },
                ENOTCAPABLE,
            ),
            (
                "fd_fdstat_set_flags(dir) without right -> notcapable",
                unsafe { wasi::fd_fdstat_set_flags(dx, 0) },
                ENOTCAPABLE,
            ),
            (
                "path_create_directory without right -> notcapable",
                unsafe { wasi::path_create_directory(dx, q.as_ptr(), 1) },
                ENOTCAPABLE,
            ),
            (
                "path_filestat_get without right -> notcapable",
                unsafe { wasi::path_filestat_get(dx, 0, p.as_ptr(), 1, bp) },
                ENOTCAPABLE,
            ),
            (
                "path_filestat_set_times without right -> notcapable",
                unsafe { wasi::path_filestat_set_times(dx, 0, p.as_ptr(), 1, 0, 0, FST_MTIM_NOW) },
                ENOTCAPABLE,
            ),
            (
                "path_link (source) without right -> notcapable",
                unsafe { wasi::path_link(dx, 0, p.as_ptr(), 1, 3, "x/l".as_ptr(), 3) },
                ENOTCAPABLE,
            ),
            (
                "path_link (target) without right -> notcapable",
                unsafe { wasi::path_link(3, 0, "x/f".as_ptr(), 3, dx, q.as_ptr(), 1) },
                ENOTCAPABLE,
            ),
            (
                "path_open without right -> notcapable",
                unsafe { wasi::path_open(dx, 0, p.as_ptr(), 1, 0, 0, 0, 0, &mut nfd) },
                ENOTCAPABLE,
            ),
            (
                "path_readlink without right -> notcapable",
                unsafe { wasi::path_readlink(dx, "s".as_ptr(), 1, bp, 64, &mut nn) },
                ENOTCAPABLE,
            ),
            (
                "path_remove_directory without right -> notcapable",
                unsafe { wasi::path_remove_directory(dx, q.as_ptr(), 1) },
                ENOTCAPABLE,
            ),
            (
                "path_rename (source) without right -> notcapable",
                unsafe { wasi::path_rename(dx, p.as_ptr(), 1, 3, "x/r".as_ptr(), 3) },
                ENOTCAPABLE,
            ),
            (
                "path_rename (target) without right -> notcapable",
                unsafe { wasi::path_rename(3, "x/f".as_ptr(), 3, dx, q.as_ptr(), 1) },
                ENOTCAPABLE,
            ),
            (
                "path_symlink without right -> notcapable",
                unsafe { wasi::path_symlink("f".as_ptr(), 1, dx, q.as_ptr(), 1) },
                ENOTCAPABLE,
            ),
            (
                "path_unlink_file without right -> notcapable",
                unsafe { wasi::path_unlink_file(dx, p.as_ptr(), 1) },
                ENOTCAPABLE,
            ),
        ],
    );
    c.eq(
        "nothing changed in x after the refused calls",
        (
            stat_at(3, 0, "x/f").is_ok(),
            stat_at(3, 0, "x/q").err(),
            stat_at(3, 0, "x/l").err(),
        ),
        (true, Some(ENOENT), Some(ENOENT)),
    );
    c.eq("fd_close(dir x) errno", unsafe { wasi::fd_close(dx) }, 0);
}

// ---- fd_renumber ----
fn renumber(c: &mut Checks, ino: u64) {
    let (a, b) = match (
        open_limited(3, "x/f", 0, R_FD_READ | R_FD_FILESTAT_GET, 0),
        open(3, "u.txt", 0, R_FD_READ, 0),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            c.eq(
                "path_open for fd_renumber",
                (a.err(), b.err()),
                (None, None),
            );
            return;
        }
    };
    c.eq("fd_renumber(a, b)", unsafe { wasi::fd_renumber(a, b) }, 0);
    c.eq("fd_renumber: a is closed", fdstat(a).err(), Some(EBADF));
    c.eq(
        "fd_renumber: b is now x/f",
        fstat(b).map(|st| u64_at(&st, 8)),
        Ok(ino),
    );
    c.eq(
        "fd_renumber(b, b) is a no-op",
        unsafe { wasi::fd_renumber(b, b) },
        0,
    );
    c.eq(
        "b still open after fd_renumber(b, b)",
        rights_of(b),
        Ok(R_FD_READ | R_FD_FILESTAT_GET),
    );
    c.eq(
        "fd_renumber(b, closed a) -> badf",
        unsafe { wasi::fd_renumber(b, a) },
        EBADF,
    );
    c.eq(
        "b still open after a refused fd_renumber",
        fdstat(b).is_ok(),
        true,
    );
    c.eq("fd_close(b) errno", unsafe { wasi::fd_close(b) }, 0);
}

// ---- fd_prestat_get, fd_prestat_dir_name beyond the basics ----
fn prestat(c: &mut Checks, f: u32) {
    let mut pb = [0u8; 8];
    c.eq(
        "fd_prestat_get(open file, not a preopen) -> badf",
        unsafe { wasi::fd_prestat_get(f, pb.as_mut_ptr()) },
        EBADF,
    );
    c.eq(
        "fd_prestat_dir_name(open file, not a preopen) -> badf",
        unsafe { wasi::fd_prestat_dir_name(f, pb.as_mut_ptr(), 8) },
        EBADF,
    );
    c.eq(
        "fd_prestat_get(stdin) -> badf",
        unsafe { wasi::fd_prestat_get(0, pb.as_mut_ptr()) },
        EBADF,
    );
    c.eq(
        "fd_prestat_get(result at 0xFFFFFFF0) -> fault",
        unsafe { wasi::fd_prestat_get(3, bad()) },
        EFAULT,
    );
    c.eq(
        "fd_prestat_dir_name(3, len 2) -> nametoolong",
        unsafe { wasi::fd_prestat_dir_name(3, pb.as_mut_ptr(), 2) },
        ENAMETOOLONG,
    );
    let mut name = [SENTINEL; 8];
    c.eq(
        "fd_prestat_dir_name(3, len 8)",
        unsafe { wasi::fd_prestat_dir_name(3, name.as_mut_ptr(), 8) },
        0,
    );
    c.eq(
        "fd_prestat_dir_name writes the name only",
        &name,
        b"/dir\xAA\xAA\xAA\xAA",
    );
}

// ---- poll_oneoff beyond the layout checks ----
fn poll(c: &mut Checks, f: u32, end: Option<usize>) {
    // fd_write on a regular file: ready at once, event type 2.
    let mut sub = [0u8; 56];
    put_u64(&mut sub, 0, 0x77);
    sub[8] = EVENTTYPE_FD_WRITE;
    put_u32(&mut sub, 16, f);
    let mut ev = [SENTINEL; 32];
    let mut nevents = 0u32;
    let e = unsafe { wasi::poll_oneoff(sub.as_ptr(), ev.as_mut_ptr(), 1, &mut nevents) };
    c.eq(
        "poll_oneoff(fd_write file) errno, nevents",
        (e, nevents),
        (0, 1),
    );
    c.eq(
        "fd_write event (userdata, error, type)",
        (u64_at(&ev, 0), u16_at(&ev, 8), ev[10]),
        (0x77, 0, EVENTTYPE_FD_WRITE),
    );
    // An unknown tag → inval.
    sub[8] = 3;
    c.eq(
        "poll_oneoff(tag 3) -> inval",
        unsafe { wasi::poll_oneoff(sub.as_ptr(), ev.as_mut_ptr(), 1, &mut nevents) },
        EINVAL,
    );
    c.eq(
        "poll_oneoff(subscriptions at 0xFFFFFFF0) -> fault",
        unsafe { wasi::poll_oneoff(bad(), ev.as_mut_ptr(), 1, &mut nevents) },
        EFAULT,
    );
    sub[8] = EVENTTYPE_FD_WRITE;
    c.eq(
        "poll_oneoff(events at 0xFFFFFFF0) -> fault",
        unsafe { wasi::poll_oneoff(sub.as_ptr(), bad(), 1, &mut nevents) },
        EFAULT,
    );

    // A 56-byte subscription in the last 56 bytes of memory is read
    // whole; in the last 48 bytes it runs past the end → fault.
    let Some(end) = end else { return };
    let mut clock = [0u8; 56];
    put_u64(&mut clock, 0, 0xE0D);
    clock[8] = EVENTTYPE_CLOCK;
    put_u64(&mut clock, 16, 0);
    put_u32(&mut clock, 24, CLOCK_MONOTONIC);
    put_u64(&mut clock, 32, 0);
    put_u16(&mut clock, 48, 0);
    for (off, want) in [(56usize, 0u16), (48, EFAULT)] {
        let at = (end - off) as *mut u8;
        for (i, &b) in clock.iter().enumerate().take(off) {
            unsafe { core::ptr::write_volatile(at.add(i), b) };
        }
        let e = unsafe { wasi::poll_oneoff(at, ev.as_mut_ptr(), 1, &mut nevents) };
        if off == 56 {
            c.eq(
                "poll_oneoff(subscription in the last 56 bytes of memory)",
                (e, nevents, u64_at(&ev, 0)),
                (want, 1, 0xE0D),
            );
        } else {
            c.eq(
                "poll_oneoff(subscription in the last 48 bytes of memory) -> fault",
                e,
                want,
            );
        }
    }
}

// ---- sock_*: errno cases only ----
fn sockets(c: &mut Checks, f: u32) {
    let mut buf = [0u8; 8];
    let iov = [buf.as_mut_ptr() as u32, 8u32];
    let mut nn = 0u32;
    let mut fl = 0u16;
    let mut nfd = 0u32;
    table(
        c,
        &[
            (
                "sock_accept(file) -> notsock",
                unsafe { wasi::sock_accept(f, 0, &mut nfd) },
                ENOTSOCK,
            ),
            (
                "sock_accept(stdin) -> notsock",
                unsafe { wasi::sock_accept(0, 0, &mut nfd) },
                ENOTSOCK,
            ),
            (
                "sock_accept(dir) -> notsock",
                unsafe { wasi::sock_accept(3, 0, &mut nfd) },
                ENOTSOCK,
            ),
            (
                "sock_recv(file) -> notsock",
                unsafe { wasi::sock_recv(f, iov.as_ptr(), 1, 0, &mut nn, &mut fl) },
                ENOTSOCK,
            ),
            (
                "sock_recv(dir) -> notsock",
                unsafe { wasi::sock_recv(3, iov.as_ptr(), 1, 0, &mut nn, &mut fl) },
                ENOTSOCK,
            ),
            (
                "sock_send(file) -> notsock",
                unsafe { wasi::sock_send(f, iov.as_ptr(), 1, 0, &mut nn) },
                ENOTSOCK,
            ),
            (
                "sock_send(stdout) -> notsock",
                unsafe { wasi::sock_send(1, iov.as_ptr(), 1, 0, &mut nn) },
                ENOTSOCK,
            ),
            (
                "sock_shutdown(file) -> notsock",
                unsafe { wasi::sock_shutdown(f, SDFLAGS_RD_WR) },
                ENOTSOCK,
            ),
            (
                "sock_shutdown(dir) -> notsock",
                unsafe { wasi::sock_shutdown(3, SDFLAGS_RD_WR) },
                ENOTSOCK,
            ),
        ],
    );
}

// ---- last: the preopen itself is renumbered over and closed ----
fn preopen_last(c: &mut Checks) {
    let fd = match open(3, "u.txt", 0, R_FD_READ, 0) {
        Ok(fd) => fd,
        Err(e) => {
            c.eq("path_open u.txt errno", e, 0);
            return;
        }
    };
    c.eq(
        "fd_renumber(u.txt, 3) over the preopen",
        unsafe { wasi::fd_renumber(fd, 3) },
        0,
    );
    let mut pb = [0u8; 8];
    c.eq(
        "fd 3 is no preopen any more -> badf",
        unsafe { wasi::fd_prestat_get(3, pb.as_mut_ptr()) },
        EBADF,
    );
    let mut b = [0u8; 16];
    c.eq("fd_read(3) reads u.txt", read(3, &mut b), Ok(14));
    c.eq("fd_read(3) data", &b[..14], b"hello unstable".as_slice());
    c.eq("fd_close(3)", unsafe { wasi::fd_close(3) }, 0);
    c.eq(
        "fd_close(3) again -> badf",
        unsafe { wasi::fd_close(3) },
        EBADF,
    );
}
