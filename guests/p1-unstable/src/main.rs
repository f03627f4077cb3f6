//! A guest that imports only the old `wasi_unstable` module (WASI snapshot 0)
//! and checks the layouts that differ from preview1:
//!
//! - filestat: dev u64@0, ino u64@8, filetype u8@16, nlink u32@20,
//!   size u64@24, atim u64@32, mtim u64@40, ctim u64@48; 56 bytes in all
//!   (preview1: nlink is u64 and the struct is 64 bytes);
//! - whence: CUR=0, END=1, SET=2 (preview1: SET=0, CUR=1, END=2);
//! - subscription: userdata u64@0, tag u8@8, clock.identifier u64@16,
//!   clock.clock_id u32@24, timeout u64@32, precision u64@40, flags u16@48;
//!   56 bytes (preview1: no identifier, 48 bytes). Events are 32 bytes in both.
//!
//! Then `every.rs` calls every other function of the module (all 45 of
//! snapshot 0, plus `sock_accept`, which Warden also provides under the old
//! name), each with an exact success result and exact errnos (`badf`,
//! `notcapable`, `noent`, `exist`, `notdir`, `isdir`, `inval`, `fault`, ...)
//! as docs/p1-semantics.md specifies.
//!
//! Usage: `p1-unstable.wasm check ARG` with a preopen at fd 3 named `/dir`
//! (an empty writable directory) and `--env UNSTABLE=yes`; prints
//! `FAIL <name>: ...` per failure and `ok <n> checks`, then proc_exit(0) or
//! proc_exit(1).
//! `p1-unstable.wasm exit` calls proc_exit(42) at once;
//! `p1-unstable.wasm raise` calls proc_raise(term), which ends the guest.
//!
//! No std: std would import `wasi_snapshot_preview1`.

#![no_std]
#![no_main]

use core::fmt::Write;

mod every;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut w = Out::new(2);
    let _ = writeln!(w, "panic: {info}");
    w.flush();
    unsafe { wasi::proc_exit(101) }
}

mod wasi {
    #[link(wasm_import_module = "wasi_unstable")]
    extern "C" {
        pub fn args_sizes_get(argc: *mut u32, argv_buf_size: *mut u32) -> u16;
        pub fn args_get(argv: *mut *mut u8, argv_buf: *mut u8) -> u16;
        pub fn clock_time_get(id: u32, precision: u64, time: *mut u64) -> u16;
        pub fn fd_prestat_get(fd: u32, buf: *mut u8) -> u16;
        pub fn fd_prestat_dir_name(fd: u32, path: *mut u8, len: u32) -> u16;
        pub fn path_open(
            fd: u32,
            dirflags: u32,
            path: *const u8,
            path_len: u32,
            oflags: u32,
            rights_base: u64,
            rights_inheriting: u64,
            fdflags: u32,
            opened: *mut u32,
        ) -> u16;
        pub fn path_create_directory(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn path_filestat_get(
            fd: u32,
            flags: u32,
            path: *const u8,
            path_len: u32,
            buf: *mut u8,
        ) -> u16;
        pub fn fd_filestat_get(fd: u32, buf: *mut u8) -> u16;
        pub fn fd_write(fd: u32, iovs: *const u32, iovs_len: u32, nwritten: *mut u32) -> u16;
        pub fn fd_read(fd: u32, iovs: *const u32, iovs_len: u32, nread: *mut u32) -> u16;
        pub fn fd_seek(fd: u32, offset: i64, whence: u32, newoffset: *mut u64) -> u16;
        pub fn fd_readdir(fd: u32, buf: *mut u8, len: u32, cookie: u64, used: *mut u32) -> u16;
        pub fn fd_close(fd: u32) -> u16;
        pub fn poll_oneoff(subs: *const u8, events: *mut u8, nsubs: u32, nevents: *mut u32) -> u16;
        pub fn proc_exit(code: u32) -> !;

        // The rest of the module, called by `every.rs`.
        pub fn environ_get(environ: *mut *mut u8, environ_buf: *mut u8) -> u16;
        pub fn environ_sizes_get(count: *mut u32, buf_size: *mut u32) -> u16;
        pub fn clock_res_get(id: u32, resolution: *mut u64) -> u16;
        pub fn fd_advise(fd: u32, offset: u64, len: u64, advice: u32) -> u16;
        pub fn fd_allocate(fd: u32, offset: u64, len: u64) -> u16;
        pub fn fd_datasync(fd: u32) -> u16;
        pub fn fd_fdstat_get(fd: u32, buf: *mut u8) -> u16;
        pub fn fd_fdstat_set_flags(fd: u32, flags: u32) -> u16;
        pub fn fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64) -> u16;
        pub fn fd_filestat_set_size(fd: u32, size: u64) -> u16;
        pub fn fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32) -> u16;
        pub fn fd_pread(
            fd: u32,
            iovs: *const u32,
            iovs_len: u32,
            offset: u64,
            nread: *mut u32,
        ) -> u16;
        pub fn fd_pwrite(
            fd: u32,
            iovs: *const u32,
            iovs_len: u32,
            offset: u64,
            nwritten: *mut u32,
        ) -> u16;
        pub fn fd_renumber(fd: u32, to: u32) -> u16;
        pub fn fd_sync(fd: u32) -> u16;
        pub fn fd_tell(fd: u32, offset: *mut u64) -> u16;
        pub fn path_filestat_set_times(
            fd: u32,
            flags: u32,
            path: *const u8,
            path_len: u32,
            atim: u64,
            mtim: u64,
            fst_flags: u32,
        ) -> u16;
        pub fn path_link(
            old_fd: u32,
            old_flags: u32,
            old_path: *const u8,
            old_path_len: u32,
            new_fd: u32,
            new_path: *const u8,
            new_path_len: u32,
        ) -> u16;
        pub fn path_readlink(
            fd: u32,
            path: *const u8,
            path_len: u32,
            buf: *mut u8,
            buf_len: u32,
            used: *mut u32,
        ) -> u16;
        pub fn path_remove_directory(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn path_rename(
            fd: u32,
            old_path: *const u8,
            old_path_len: u32,
            new_fd: u32,
            new_path: *const u8,
            new_path_len: u32,
        ) -> u16;
        pub fn path_symlink(
            old_path: *const u8,
            old_path_len: u32,
            fd: u32,
            new_path: *const u8,
            new_path_len: u32,
        ) -> u16;
        pub fn path_unlink_file(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn proc_raise(sig: u32) -> u16;
        pub fn sched_yield() -> u16;
        pub fn random_get(buf: *mut u8, len: u32) -> u16;
        pub fn sock_recv(
            fd: u32,
            ri_data: *const u32,
            ri_data_len: u32,
            ri_flags: u32,
            ro_datalen: *mut u32,
            ro_flags: *mut u16,
        ) -> u16;
        pub fn sock_send(
            fd: u32,
            si_data: *const u32,
            si_data_len: u32,
            si_flags: u32,
            so_datalen: *mut u32,
        ) -> u16;
        pub fn sock_shutdown(fd: u32, how: u32) -> u16;
        /// Not in snapshot 0, but Warden provides it under the old name too.
        pub fn sock_accept(fd: u32, flags: u32, fd_out: *mut u32) -> u16;
    }
}

// errno values (identical in snapshot 0 and preview1)
const EBADF: u16 = 8;
const EINVAL: u16 = 28;
const ENOENT: u16 = 44;

// rights (identical bit positions in snapshot 0)
const R_FD_READ: u64 = 1 << 1;
const R_FD_SEEK: u64 = 1 << 2;
const R_FD_TELL: u64 = 1 << 5;
const R_FD_WRITE: u64 = 1 << 6;
const R_PATH_OPEN: u64 = 1 << 13;
const R_FD_READDIR: u64 = 1 << 14;
const R_PATH_FILESTAT_GET: u64 = 1 << 18;
const R_FD_FILESTAT_GET: u64 = 1 << 21;
const R_POLL_FD_READWRITE: u64 = 1 << 27;

const O_CREAT: u32 = 1;
const O_DIRECTORY: u32 = 2;
const O_TRUNC: u32 = 8;

// snapshot-0 whence
const WHENCE_CUR: u32 = 0;
const WHENCE_END: u32 = 1;
const WHENCE_SET: u32 = 2;

const FILETYPE_DIRECTORY: u8 = 3;
const FILETYPE_REGULAR_FILE: u8 = 4;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;

/// Unbuffered-ish writer to a WASI fd over a fixed buffer.
struct Out {
    fd: u32,
    buf: [u8; 512],
    len: usize,
}

impl Out {
    fn new(fd: u32) -> Out {
        Out {
            fd,
            buf: [0; 512],
            len: 0,
        }
    }
    fn flush(&mut self) {
        let mut off = 0;
        while off < self.len {
            let iov = [self.buf[off..].as_ptr() as u32, (self.len - off) as u32];
            let mut n = 0u32;
            let e = unsafe { wasi::fd_write(self.fd, iov.as_ptr(), 1, &mut n) };
            if e != 0 || n == 0 {
                break;
            }
            off += n as usize;
        }
        self.len = 0;
    }
}

impl Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

struct Checks {
    n: u32,
    failed: u32,
    err: Out,
}

impl Checks {
    fn eq<T: PartialEq + core::fmt::Debug>(&mut self, name: &str, got: T, expected: T) -> bool {
        self.n += 1;
        if got != expected {
            self.failed += 1;
            let _ = writeln!(self.err, "FAIL {name}: expected {expected:?} got {got:?}");
            self.err.flush();
            false
        } else {
            true
        }
    }
    fn truth(&mut self, name: &str, ok: bool, what: core::fmt::Arguments) -> bool {
        self.n += 1;
        if !ok {
            self.failed += 1;
            let _ = writeln!(self.err, "FAIL {name}: expected {what}");
            self.err.flush();
        }
        ok
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}
fn put_u16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn now(clock: u32) -> u64 {
    let mut t = 0u64;
    let e = unsafe { wasi::clock_time_get(clock, 1, &mut t) };
    if e != 0 {
        return 0;
    }
    t
}

fn open(dir: u32, path: &str, oflags: u32, base: u64, inheriting: u64) -> Result<u32, u16> {
    let mut fd = u32::MAX;
    let e = unsafe {
        wasi::path_open(
            dir,
            1,
            path.as_ptr(),
            path.len() as u32,
            oflags,
            base,
            inheriting,
            0,
            &mut fd,
        )
    };
    if e == 0 {
        Ok(fd)
    } else {
        Err(e)
    }
}

fn seek(fd: u32, off: i64, whence: u32) -> Result<u64, u16> {
    let mut pos = u64::MAX;
    let e = unsafe { wasi::fd_seek(fd, off, whence, &mut pos) };
    if e == 0 {
        Ok(pos)
    } else {
        Err(e)
    }
}

const SENTINEL: u8 = 0xAA;

// The wasm32-wasip1 target always links wasi-libc's crt1-command.o, whose
// `_start` calls `__wasi_init_tp`, `__wasm_call_ctors`, `__main_void`,
// `__wasm_call_dtors` and `__wasi_proc_exit`. Defining those here keeps
// wasi-libc (and its preview1 imports) out of the module entirely.

#[no_mangle]
pub extern "C" fn __wasi_init_tp() {}

#[no_mangle]
pub extern "C" fn __wasm_call_dtors() {}

#[no_mangle]
pub extern "C" fn __wasi_proc_exit(code: u32) -> ! {
    unsafe { wasi::proc_exit(code) }
}

/// Slice comparison lowers to `memcmp`, which wasi-libc would provide.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        let (x, y) = (
            core::ptr::read_volatile(a.add(i)),
            core::ptr::read_volatile(b.add(i)),
        );
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// # Safety
/// As for [`memcmp`].
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    memcmp(a, b, n)
}

#[no_mangle]
pub extern "C" fn __main_void() -> i32 {
    run()
}

fn run() -> ! {
    let mut c = Checks {
        n: 0,
        failed: 0,
        err: Out::new(2),
    };
    let mut out = Out::new(1);

    // ---- args ----
    let (mut argc, mut argv_size) = (0u32, 0u32);
    let e = unsafe { wasi::args_sizes_get(&mut argc, &mut argv_size) };
    c.eq("args_sizes_get errno", e, 0);
    if argc as usize > 16 || argv_size as usize > 1024 {
        c.truth(
            "args fit",
            false,
            format_args!("at most 16 args / 1024 bytes"),
        );
        unsafe { wasi::proc_exit(1) }
    }
    let mut argv: [*mut u8; 16] = [core::ptr::null_mut(); 16];
    let mut argv_buf = [0u8; 1024];
    let e = unsafe { wasi::args_get(argv.as_mut_ptr(), argv_buf.as_mut_ptr()) };
    c.eq("args_get errno", e, 0);
    let argbuf: &[u8] = &argv_buf[..argv_size as usize];
    let mut args: [&str; 16] = [""; 16];
    {
        for (i, part) in argbuf.split(|&b| b == 0).take(argc as usize).enumerate() {
            args[i] = core::str::from_utf8(part).unwrap_or("<non-utf8>");
        }
        // the pointers must point at the strings in the buffer
        for (k, arg) in args.iter().enumerate().take(argc as usize) {
            let p = argv[k];
            c.eq(
                "argv[i] points into argv_buf",
                p as usize,
                arg.as_ptr() as usize,
            );
        }
    }
    if argc >= 2 && args[1] == "exit" {
        let _ = writeln!(out, "exiting with 42");
        out.flush();
        unsafe { wasi::proc_exit(42) }
    }
    if argc >= 2 && args[1] == "raise" {
        let _ = writeln!(out, "raising term");
        out.flush();
        let e = unsafe { wasi::proc_raise(15) };
        let _ = writeln!(c.err, "FAIL proc_raise(term) returned {e}");
        c.err.flush();
        unsafe { wasi::proc_exit(1) }
    }
    c.eq("argc", argc, 3);
    c.eq("argv[1]", args[1], "check");
    c.eq("argv[2]", args[2], "h\u{e9}llo w\u{f6}rld");

    // ---- the preopen ----
    let mut prestat = [SENTINEL; 8];
    let e = unsafe { wasi::fd_prestat_get(3, prestat.as_mut_ptr()) };
    c.eq("fd_prestat_get(3) errno", e, 0);
    c.eq("prestat tag is dir", prestat[0], 0);
    let name_len = u32_at(&prestat, 4);
    c.eq("prestat name length", name_len, 4);
    let mut name = [0u8; 4];
    let e = unsafe { wasi::fd_prestat_dir_name(3, name.as_mut_ptr(), 4) };
    c.eq("fd_prestat_dir_name errno", e, 0);
    c.eq("preopen name", &name, b"/dir");

    // ---- path_open + fd_write ----
    let rights =
        R_FD_READ | R_FD_WRITE | R_FD_SEEK | R_FD_TELL | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE;
    let fd = match open(3, "u.txt", O_CREAT | O_TRUNC, rights, 0) {
        Ok(fd) => fd,
        Err(e) => {
            c.eq("path_open u.txt errno", e, 0);
            finish(c, out)
        }
    };
    let data = b"hello unstable"; // 14 bytes
    let iov = [data.as_ptr() as u32, data.len() as u32];
    let mut n = 0u32;
    let e = unsafe { wasi::fd_write(fd, iov.as_ptr(), 1, &mut n) };
    c.eq("fd_write errno", e, 0);
    c.eq("fd_write count", n, 14);

    // ---- whence: CUR=0, END=1, SET=2 ----
    c.eq(
        "fd_seek(0, CUR=0) after write",
        seek(fd, 0, WHENCE_CUR),
        Ok(14),
    );
    c.eq("fd_seek(2, SET=2)", seek(fd, 2, WHENCE_SET), Ok(2));
    c.eq("fd_seek(3, CUR=0)", seek(fd, 3, WHENCE_CUR), Ok(5));
    c.eq("fd_seek(-4, END=1)", seek(fd, -4, WHENCE_END), Ok(10));
    c.eq("fd_seek(0, END=1)", seek(fd, 0, WHENCE_END), Ok(14));
    c.eq("fd_seek(0, whence 3) -> inval", seek(fd, 0, 3), Err(EINVAL));
    c.eq(
        "fd_seek(-1, SET=2) -> inval",
        seek(fd, -1, WHENCE_SET),
        Err(EINVAL),
    );

    // ---- fd_read ----
    c.eq(
        "fd_seek(6, SET=2) before read",
        seek(fd, 6, WHENCE_SET),
        Ok(6),
    );
    let mut rbuf = [0u8; 32];
    let iov = [rbuf.as_mut_ptr() as u32, rbuf.len() as u32];
    let mut n = 0u32;
    let e = unsafe { wasi::fd_read(fd, iov.as_ptr(), 1, &mut n) };
    c.eq("fd_read errno", e, 0);
    c.eq("fd_read data", &rbuf[..n as usize], b"unstable".as_slice());

    // ---- filestat: 56 bytes ----
    let wall = now(CLOCK_REALTIME);
    let day = 86_400_000_000_000u64;
    let mut st = [SENTINEL; 64];
    let e = unsafe { wasi::fd_filestat_get(fd, st.as_mut_ptr()) };
    c.eq("fd_filestat_get errno", e, 0);
    let ino = u64_at(&st, 8);
    c.eq("fd_filestat filetype@16", st[16], FILETYPE_REGULAR_FILE);
    c.eq("fd_filestat nlink@20 (u32)", u32_at(&st, 20), 1);
    c.eq("fd_filestat size@24", u64_at(&st, 24), 14);
    for (what, off) in [("atim@32", 32), ("mtim@40", 40), ("ctim@48", 48)] {
        let t = u64_at(&st, off);
        c.truth(
            "fd_filestat time",
            t + day > wall && t < wall + day,
            format_args!("{what} within a day of now ({wall}), got {t}"),
        );
    }
    c.eq(
        "fd_filestat leaves bytes 56..64 alone",
        &st[56..64],
        &[SENTINEL; 8],
    );

    let mut pst = [SENTINEL; 64];
    let e = unsafe { wasi::path_filestat_get(3, 1, "u.txt".as_ptr(), 5, pst.as_mut_ptr()) };
    c.eq("path_filestat_get errno", e, 0);
    c.eq(
        "path_filestat dev@0 matches fd_filestat",
        u64_at(&pst, 0),
        u64_at(&st, 0),
    );
    c.eq(
        "path_filestat ino@8 matches fd_filestat",
        u64_at(&pst, 8),
        ino,
    );
    c.eq("path_filestat filetype@16", pst[16], FILETYPE_REGULAR_FILE);
    c.eq("path_filestat nlink@20 (u32)", u32_at(&pst, 20), 1);
    c.eq("path_filestat size@24", u64_at(&pst, 24), 14);
    c.eq(
        "path_filestat mtim@40 matches fd_filestat",
        u64_at(&pst, 40),
        u64_at(&st, 40),
    );
    c.eq(
        "path_filestat leaves bytes 56..64 alone",
        &pst[56..64],
        &[SENTINEL; 8],
    );

    let e = unsafe { wasi::path_create_directory(3, "d".as_ptr(), 1) };
    c.eq("path_create_directory d errno", e, 0);
    let mut dst = [SENTINEL; 64];
    let e = unsafe { wasi::path_filestat_get(3, 1, "d".as_ptr(), 1, dst.as_mut_ptr()) };
    c.eq("path_filestat_get d errno", e, 0);
    c.eq("path_filestat d filetype@16", dst[16], FILETYPE_DIRECTORY);
    c.eq(
        "path_filestat d leaves bytes 56..64 alone",
        &dst[56..64],
        &[SENTINEL; 8],
    );
    let e = unsafe { wasi::path_filestat_get(3, 1, "nope".as_ptr(), 4, dst.as_mut_ptr()) };
    c.eq("path_filestat_get missing -> noent", e, ENOENT);

    // ---- poll_oneoff: 56-byte subscriptions ----
    {
        // A: relative 300 ms on monotonic; B: absolute realtime now+20 ms.
        // B must fire first. Each identifier's low half is an invalid clock id,
        // so a host reading the preview1 layout fails or picks the wrong one.
        let mut subs = [0u8; 112];
        put_u64(&mut subs, 0, 0xA0A0_A0A0_A0A0_A0A0);
        subs[8] = EVENTTYPE_CLOCK;
        put_u64(&mut subs, 16, 0x7777_7777_0000_0063);
        put_u32(&mut subs, 24, CLOCK_MONOTONIC);
        put_u64(&mut subs, 32, 300_000_000);
        put_u64(&mut subs, 40, 1_000);
        put_u16(&mut subs, 48, 0);
        let t0 = now(CLOCK_MONOTONIC);
        let deadline = now(CLOCK_REALTIME) + 20_000_000;
        put_u64(&mut subs, 56, 0xB0B0_B0B0_B0B0_B0B0);
        subs[56 + 8] = EVENTTYPE_CLOCK;
        put_u64(&mut subs, 56 + 16, 0x5555_5555_0000_0042);
        put_u32(&mut subs, 56 + 24, CLOCK_REALTIME);
        put_u64(&mut subs, 56 + 32, deadline);
        put_u64(&mut subs, 56 + 40, 0);
        put_u16(&mut subs, 56 + 48, 1); // subscription_clock_abstime
        let mut events = [SENTINEL; 64];
        let mut nevents = 0u32;
        let e = unsafe { wasi::poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), 2, &mut nevents) };
        let elapsed = now(CLOCK_MONOTONIC).saturating_sub(t0);
        c.eq("poll_oneoff(2 clocks) errno", e, 0);
        c.eq("poll_oneoff(2 clocks) nevents", nevents, 1);
        c.eq(
            "event userdata@0 is the abstime subscription",
            u64_at(&events, 0),
            0xB0B0_B0B0_B0B0_B0B0,
        );
        c.eq("event error@8", u16_at(&events, 8), 0);
        c.eq("event type@10", events[10], EVENTTYPE_CLOCK);
        c.truth(
            "abstime clock waited until its deadline",
            (15_000_000..250_000_000).contains(&elapsed),
            format_args!("15ms <= elapsed < 250ms, got {elapsed}ns"),
        );
        c.eq(
            "poll_oneoff writes one 32-byte event",
            &events[32..64],
            &[SENTINEL; 32],
        );

        // A relative timeout alone: waits at least its timeout.
        let mut sub = [0u8; 56];
        put_u64(&mut sub, 0, 0x1234);
        sub[8] = EVENTTYPE_CLOCK;
        put_u64(&mut sub, 16, 0xFFFF_FFFF_FFFF_FFFF);
        put_u32(&mut sub, 24, CLOCK_MONOTONIC);
        put_u64(&mut sub, 32, 30_000_000);
        put_u64(&mut sub, 40, 0);
        let t0 = now(CLOCK_MONOTONIC);
        let mut events = [SENTINEL; 32];
        let mut nevents = 0u32;
        let e = unsafe { wasi::poll_oneoff(sub.as_ptr(), events.as_mut_ptr(), 1, &mut nevents) };
        let elapsed = now(CLOCK_MONOTONIC).saturating_sub(t0);
        c.eq("poll_oneoff(relative 30ms) errno", e, 0);
        c.eq("poll_oneoff(relative 30ms) nevents", nevents, 1);
        c.eq("relative event userdata", u64_at(&events, 0), 0x1234);
        c.truth(
            "relative clock waited its timeout",
            elapsed >= 30_000_000,
            format_args!("elapsed >= 30ms, got {elapsed}ns"),
        );

        // fd_read subscription on the regular file (fd u32@16): ready at once.
        let mut sub = [0u8; 56];
        put_u64(&mut sub, 0, 0xFD);
        sub[8] = EVENTTYPE_FD_READ;
        put_u32(&mut sub, 16, fd);
        let mut events = [SENTINEL; 32];
        let mut nevents = 0u32;
        let e = unsafe { wasi::poll_oneoff(sub.as_ptr(), events.as_mut_ptr(), 1, &mut nevents) };
        c.eq("poll_oneoff(fd_read file) errno", e, 0);
        c.eq("poll_oneoff(fd_read file) nevents", nevents, 1);
        c.eq("fd_read event userdata", u64_at(&events, 0), 0xFD);
        c.eq("fd_read event error", u16_at(&events, 8), 0);
        c.eq("fd_read event type", events[10], EVENTTYPE_FD_READ);

        // A bad fd is reported in the event, not as the call's errno.
        put_u32(&mut sub, 16, 999);
        let e = unsafe { wasi::poll_oneoff(sub.as_ptr(), events.as_mut_ptr(), 1, &mut nevents) };
        c.eq("poll_oneoff(bad fd) errno", e, 0);
        c.eq("poll_oneoff(bad fd) nevents", nevents, 1);
        c.eq("bad fd event error", u16_at(&events, 8), EBADF);

        // zero subscriptions -> inval
        let e = unsafe { wasi::poll_oneoff(sub.as_ptr(), events.as_mut_ptr(), 0, &mut nevents) };
        c.eq("poll_oneoff(0 subscriptions) -> inval", e, EINVAL);
    }

    // ---- fd_readdir (same 24-byte dirent header as preview1) ----
    match open(
        3,
        ".",
        O_DIRECTORY,
        R_FD_READDIR | R_PATH_OPEN | R_PATH_FILESTAT_GET,
        0,
    ) {
        Err(e) => {
            c.eq("path_open . errno", e, 0);
        }
        Ok(dfd) => {
            let mut dirbuf = [0u8; 1024];
            let dbuf = &mut dirbuf[..];
            let mut used = 0u32;
            let e = unsafe {
                wasi::fd_readdir(dfd, dbuf.as_mut_ptr(), dbuf.len() as u32, 0, &mut used)
            };
            c.eq("fd_readdir errno", e, 0);
            let used = (used as usize).min(dbuf.len());
            let mut off = 0;
            let mut idx = 0u64;
            let (mut dot, mut dotdot, mut file, mut dir) = (false, false, false, false);
            while off + 24 <= used {
                let next = u64_at(dbuf, off);
                let d_ino = u64_at(dbuf, off + 8);
                let len = u32_at(dbuf, off + 16) as usize;
                let ty = dbuf[off + 20];
                if off + 24 + len > used {
                    break;
                }
                let nm = &dbuf[off + 24..off + 24 + len];
                idx += 1;
                c.eq("dirent d_next is index + 1", next, idx);
                match nm {
                    b"." => {
                        c.eq("'.' is entry 1", idx, 1);
                        c.eq("'.' is a directory", ty, FILETYPE_DIRECTORY);
                        dot = true;
                    }
                    b".." => {
                        c.eq("'..' is entry 2", idx, 2);
                        dotdot = true;
                    }
                    b"u.txt" => {
                        c.eq("u.txt d_type", ty, FILETYPE_REGULAR_FILE);
                        c.eq("u.txt d_ino equals filestat ino", d_ino, ino);
                        file = true;
                    }
                    b"d" => {
                        c.eq("d d_type", ty, FILETYPE_DIRECTORY);
                        dir = true;
                    }
                    _ => {
                        c.truth(
                            "no unexpected entries",
                            false,
                            format_args!("only . .. u.txt d"),
                        );
                    }
                }
                off += 24 + len;
            }
            c.truth(
                "readdir saw . .. u.txt d",
                dot && dotdot && file && dir,
                format_args!("all four entries"),
            );
            c.eq("fd_close(dir) errno", unsafe { wasi::fd_close(dfd) }, 0);
        }
    }

    // ---- fd_close ----
    c.eq("fd_close errno", unsafe { wasi::fd_close(fd) }, 0);
    c.eq(
        "fd_close twice -> badf",
        unsafe { wasi::fd_close(fd) },
        EBADF,
    );
    let mut tmp = [0u8; 64];
    c.eq(
        "fd_filestat_get on closed fd -> badf",
        unsafe { wasi::fd_filestat_get(fd, tmp.as_mut_ptr()) },
        EBADF,
    );

    // ---- every other function of the module ----
    every::run(&mut c);

    finish(c, out)
}

fn finish(mut c: Checks, mut out: Out) -> ! {
    let _ = writeln!(out, "ok {} checks", c.n - c.failed);
    out.flush();
    if c.failed > 0 {
        let _ = writeln!(c.err, "{} of {} checks failed", c.failed, c.n);
        c.err.flush();
        unsafe { wasi::proc_exit(1) }
    }
    unsafe { wasi::proc_exit(0) }
}
