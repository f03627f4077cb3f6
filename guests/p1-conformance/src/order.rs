//! Order of checks (docs/p1-semantics.md, Rights): fd exists (`badf`) →
//! descriptor kind → rights (`notcapable`) → arguments → the operation.
//!
//! Each call gets a bad argument (unknown flag bits, an advice value out of
//! range, an iovec array outside memory) together with a descriptor that is
//! wrong in one way, and must report the descriptor's problem; then the same
//! bad argument on a fine descriptor must still give `inval`.

use crate::check::{self, close, open, DIR_RIGHTS, FILE_RIGHTS, OOB};
use crate::ROOT;
use wasi::wasi_snapshot_preview1 as raw;

/// Lookup flag bit 1: not defined by preview1.
const BAD_LOOKUP: wasi::Lookupflags = 2;
/// Oflags bit 4: not defined by preview1.
const BAD_OFLAGS: wasi::Oflags = 0x10;
/// Advice values stop at 5 (noreuse).
const BAD_ADVICE: i32 = 9;
/// Riflags bit 3: not defined by preview1.
const BAD_RIFLAGS: wasi::Riflags = 8;
/// Fdflags bit 4 (sync): not one sock_accept accepts.
const ACCEPT_FLAGS: wasi::Fdflags = 0x10;

pub fn run() {
    check::make_file(ROOT, "order_f", b"order");
    // A descriptor number that was open and is closed again.
    let Some(closed) = check::ok(
        "order.setup.closed",
        open(ROOT, "order_f", 0, wasi::RIGHTS_FD_READ),
    ) else {
        return;
    };
    close(closed);
    closed_fd(closed);
    file_fd();
    no_rights_file();
    dir_fd();
    no_rights_dir();
    arguments_still_checked();
    // Nothing above opened a descriptor or touched the tree.
    let next = open(ROOT, "order_f", 0, wasi::RIGHTS_FD_READ);
    check::ok_eq("order.no_fd_leak", closed, next);
    if let Ok(fd) = next {
        close(fd);
    }
    check::ok_eq(
        "order.file_unchanged",
        b"order".to_vec(),
        read_all("order_f"),
    );
    check::truth(
        "order.nothing_created",
        !check::exists(ROOT, "order_x") && !check::exists(ROOT, "order_l"),
        "no order_x/order_l",
        "present",
    );
}

fn read_all(path: &str) -> Result<Vec<u8>, wasi::Errno> {
    let fd = open(ROOT, path, 0, FILE_RIGHTS)?;
    let r = check::pread_vec(fd, 64, 0);
    close(fd);
    r
}

/// fd_read / fd_write with the iovec array itself outside memory.
fn read_oob(fd: wasi::Fd) -> i32 {
    let mut n = 0u32;
    unsafe { raw::fd_read(fd as i32, OOB as i32, 1, &mut n as *mut u32 as i32) }
}

fn write_oob(fd: wasi::Fd) -> i32 {
    let mut n = 0u32;
    unsafe { raw::fd_write(fd as i32, OOB as i32, 1, &mut n as *mut u32 as i32) }
}

fn advise_bad(fd: wasi::Fd) -> i32 {
    unsafe { raw::fd_advise(fd as i32, 0, 1, BAD_ADVICE) }
}

fn recv_bad(fd: wasi::Fd) -> Result<(usize, u16), wasi::Errno> {
    let mut b = [0u8; 4];
    let iov = [wasi::Iovec {
        buf: b.as_mut_ptr(),
        buf_len: 4,
    }];
    unsafe { wasi::sock_recv(fd, &iov, BAD_RIFLAGS) }
}

/// Not open: `badf` whatever the arguments.
fn closed_fd(fd: wasi::Fd) {
    let s = |n: &str| format!("{n}.order.closed");
    unsafe {
        check::raw(&s("fd_advise.bad_advice"), wasi::ERRNO_BADF, advise_bad(fd));
        check::raw(&s("fd_read.oob_iovs"), wasi::ERRNO_BADF, read_oob(fd));
        check::raw(&s("fd_write.oob_iovs"), wasi::ERRNO_BADF, write_oob(fd));
        check::err(
            &s("path_filestat_get.bad_lookup"),
            wasi::ERRNO_BADF,
            wasi::path_filestat_get(fd, BAD_LOOKUP, "order_f"),
        );
        check::err(
            &s("path_filestat_set_times.bad_lookup"),
            wasi::ERRNO_BADF,
            wasi::path_filestat_set_times(fd, BAD_LOOKUP, "order_f", 0, 0, wasi::FSTFLAGS_MTIM_NOW),
        );
        check::err(
            &s("path_link.bad_lookup"),
            wasi::ERRNO_BADF,
            wasi::path_link(fd, BAD_LOOKUP, "order_f", ROOT, "order_l"),
        );
        check::err(
            &s("path_link.new_fd_closed.bad_lookup"),
            wasi::ERRNO_BADF,
            wasi::path_link(ROOT, BAD_LOOKUP, "order_f", fd, "order_l"),
        );
        check::err_fd(
            &s("path_open.bad_lookup"),
            wasi::ERRNO_BADF,
            wasi::path_open(fd, BAD_LOOKUP, "order_x", 0, 0, 0, 0),
        );
        check::err_fd(
            &s("path_open.bad_oflags"),
            wasi::ERRNO_BADF,
            wasi::path_open(fd, 0, "order_x", BAD_OFLAGS, 0, 0, 0),
        );
        check::err_fd(
            &s("sock_accept.bad_flags"),
            wasi::ERRNO_BADF,
            wasi::sock_accept(fd, ACCEPT_FLAGS),
        );
        check::err(&s("sock_recv.bad_riflags"), wasi::ERRNO_BADF, recv_bad(fd));
    }
}

/// A regular file where a directory or socket is needed: the kind error.
fn file_fd() {
    let Some(f) = check::ok("order.setup.file", open(ROOT, "order_f", 0, FILE_RIGHTS)) else {
        return;
    };
    let s = |n: &str| format!("{n}.order.file");
    unsafe {
        check::err_fd(
            &s("path_open.bad_oflags"),
            wasi::ERRNO_NOTDIR,
            wasi::path_open(f, 0, "order_x", BAD_OFLAGS, 0, 0, 0),
        );
        check::err_fd(
            &s("path_open.bad_lookup"),
            wasi::ERRNO_NOTDIR,
            wasi::path_open(f, BAD_LOOKUP, "order_x", 0, 0, 0, 0),
        );
        check::err(
            &s("path_filestat_get.bad_lookup"),
            wasi::ERRNO_NOTDIR,
            wasi::path_filestat_get(f, BAD_LOOKUP, "order_f"),
        );
        check::err_fd(
            &s("sock_accept.bad_flags"),
            wasi::ERRNO_NOTSOCK,
            wasi::sock_accept(f, ACCEPT_FLAGS),
        );
        check::err(
            &s("sock_recv.bad_riflags"),
            wasi::ERRNO_NOTSOCK,
            recv_bad(f),
        );
    }
    // Neither the data nor the offset moved.
    check::ok_eq("order.file.offset_unchanged", 0, unsafe {
        wasi::fd_tell(f)
    });
    close(f);
}

/// A file whose rights were all taken away: `notcapable` before arguments.
fn no_rights_file() {
    let Some(f) = check::ok(
        "order.setup.no_rights_file",
        open(ROOT, "order_f", 0, FILE_RIGHTS),
    ) else {
        return;
    };
    let s = |n: &str| format!("{n}.order.no_rights");
    unsafe {
        if check::ok(
            "order.setup.no_rights_file.shrink",
            wasi::fd_fdstat_set_rights(f, 0, 0),
        )
        .is_none()
        {
            close(f);
            return;
        }
        check::raw(
            &s("fd_advise.bad_advice"),
            wasi::ERRNO_NOTCAPABLE,
            advise_bad(f),
        );
        check::raw(&s("fd_read.oob_iovs"), wasi::ERRNO_NOTCAPABLE, read_oob(f));
        check::raw(
            &s("fd_write.oob_iovs"),
            wasi::ERRNO_NOTCAPABLE,
            write_oob(f),
        );
    }
    close(f);
}

/// A directory where a file is needed: `isdir`, even though the preopen
/// lacks fd_read / fd_write and the iovec array is outside memory.
fn dir_fd() {
    let s = |n: &str| format!("{n}.order.dir");
    check::raw(&s("fd_read.oob_iovs"), wasi::ERRNO_ISDIR, read_oob(ROOT));
    check::raw(&s("fd_write.oob_iovs"), wasi::ERRNO_ISDIR, write_oob(ROOT));
}

/// A directory without path rights: `notcapable` before the flags.
fn no_rights_dir() {
    let Some(d) = check::ok(
        "order.setup.no_rights_dir",
        check::open_dir(ROOT, ".", DIR_RIGHTS, FILE_RIGHTS),
    ) else {
        return;
    };
    let s = |n: &str| format!("{n}.order.no_rights_dir");
    unsafe {
        if check::ok(
            "order.setup.no_rights_dir.shrink",
            wasi::fd_fdstat_set_rights(d, 0, 0),
        )
        .is_none()
        {
            close(d);
            return;
        }
        check::err_fd(
            &s("path_open.bad_oflags"),
            wasi::ERRNO_NOTCAPABLE,
            wasi::path_open(d, 0, "order_x", BAD_OFLAGS, 0, 0, 0),
        );
        check::err(
            &s("path_filestat_get.bad_lookup"),
            wasi::ERRNO_NOTCAPABLE,
            wasi::path_filestat_get(d, BAD_LOOKUP, "order_f"),
        );
        check::raw(
            &s("fd_advise.bad_advice"),
            wasi::ERRNO_NOTCAPABLE,
            advise_bad(d),
        );
    }
    close(d);
}

/// With a fine descriptor the argument checks still fire.
fn arguments_still_checked() {
    let s = |n: &str| format!("{n}.order.args");
    unsafe {
        check::err_fd(
            &s("path_open.bad_oflags"),
            wasi::ERRNO_INVAL,
            wasi::path_open(ROOT, 0, "order_x", BAD_OFLAGS, 0, 0, 0),
        );
        check::err(
            &s("path_filestat_get.bad_lookup"),
            wasi::ERRNO_INVAL,
            wasi::path_filestat_get(ROOT, BAD_LOOKUP, "order_f"),
        );
    }
    let Some(f) = check::ok(
        "order.setup.args_file",
        open(ROOT, "order_f", 0, FILE_RIGHTS),
    ) else {
        return;
    };
    check::raw(&s("fd_advise.bad_advice"), wasi::ERRNO_INVAL, advise_bad(f));
    close(f);
}
