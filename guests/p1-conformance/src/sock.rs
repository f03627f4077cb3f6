//! sock_accept, sock_recv, sock_send, sock_shutdown.

use crate::check::{self, close, open, FILE_RIGHTS, OOB};
use crate::poll::{clock_sub, expect_event, fd_sub, poll};
use crate::ROOT;
use wasi::wasi_snapshot_preview1 as raw;
use wasi::{Ciovec, Iovec};

/// The `--tcplisten` socket in `sock` mode (after the preopen at fd 3).
const LISTENER: wasi::Fd = 4;
const SEC: u64 = 1_000_000_000;

fn recv(fd: wasi::Fd, len: usize, flags: wasi::Riflags) -> Result<(Vec<u8>, u16), wasi::Errno> {
    let mut buf = vec![0u8; len];
    let iov = [Iovec {
        buf: buf.as_mut_ptr(),
        buf_len: len,
    }];
    let (n, ro) = unsafe { wasi::sock_recv(fd, &iov, flags) }?;
    buf.truncate(n);
    Ok((buf, ro))
}

fn send(fd: wasi::Fd, data: &[u8]) -> Result<usize, wasi::Errno> {
    let iov = [Ciovec {
        buf: data.as_ptr(),
        buf_len: data.len(),
    }];
    unsafe { wasi::sock_send(fd, &iov, 0) }
}

/// `all` mode: socket calls on descriptors that are not sockets.
pub fn run_errors() {
    check::make_file(ROOT, "sock_f", b"x");
    let Some(f) = check::ok("sock.setup.open", open(ROOT, "sock_f", 0, FILE_RIGHTS)) else {
        return;
    };
    for (what, fd) in [("file", f), ("dir", ROOT), ("stdin", 0), ("stdout", 1)] {
        unsafe {
            check::err_fd(
                &format!("sock_accept.{what}"),
                wasi::ERRNO_NOTSOCK,
                wasi::sock_accept(fd, 0),
            );
            check::err(
                &format!("sock_recv.{what}"),
                wasi::ERRNO_NOTSOCK,
                recv(fd, 4, 0),
            );
            check::err(
                &format!("sock_send.{what}"),
                wasi::ERRNO_NOTSOCK,
                send(fd, b"x"),
            );
            check::err(
                &format!("sock_shutdown.{what}"),
                wasi::ERRNO_NOTSOCK,
                wasi::sock_shutdown(fd, wasi::SDFLAGS_RD | wasi::SDFLAGS_WR),
            );
        }
    }
    // The file was neither read nor written.
    check::ok_eq(
        "sock.file_unchanged",
        b"x".to_vec(),
        check::pread_vec(f, 8, 0),
    );
    check::ok_eq("sock.file_offset_unchanged", 0, unsafe { wasi::fd_tell(f) });
    close(f);
}

/// `sock` mode: fd 4 listens; the harness connects after `ready`, sends
/// `ping`, reads `pong` until end of stream, then closes.
pub fn run_conn() {
    let mono = wasi::CLOCKID_MONOTONIC;
    unsafe {
        if let Some(st) = check::ok("sock.listener.fdstat", wasi::fd_fdstat_get(LISTENER)) {
            check::ftype(
                "sock.listener.filetype",
                wasi::FILETYPE_SOCKET_STREAM,
                st.fs_filetype,
            );
        }
        check::err(
            "sock.listener.prestat",
            wasi::ERRNO_BADF,
            wasi::fd_prestat_get(LISTENER),
        );
        check::err_fd(
            "sock_accept.nonblock_empty",
            wasi::ERRNO_AGAIN,
            wasi::sock_accept(LISTENER, wasi::FDFLAGS_NONBLOCK),
        );
        check::err(
            "sock.listener.fd_seek",
            wasi::ERRNO_SPIPE,
            wasi::fd_seek(LISTENER, 0, wasi::WHENCE_CUR),
        );
        check::err(
            "sock.listener.fd_tell",
            wasi::ERRNO_SPIPE,
            wasi::fd_tell(LISTENER),
        );
        check::err("sock_recv.stdin", wasi::ERRNO_NOTSOCK, recv(0, 4, 0));
    }
    let _ = check::write_all(1, b"ready\n");

    // The connection arrives: the listener becomes readable.
    if let Some(e) = check::ok(
        "sock.poll_listener",
        poll(&[fd_sub(1, false, LISTENER), clock_sub(2, mono, 30 * SEC, 0)]),
    ) {
        expect_event(
            "sock.poll_listener",
            &e,
            1,
            wasi::EVENTTYPE_FD_READ,
            wasi::ERRNO_SUCCESS,
        );
    }
    let Some(c) = check::ok("sock_accept", unsafe { wasi::sock_accept(LISTENER, 0) }) else {
        return;
    };
    check::eq("sock_accept.lowest_free", 5, c);
    unsafe {
        if let Some(st) = check::ok("sock.conn.fdstat", wasi::fd_fdstat_get(c)) {
            check::ftype(
                "sock.conn.filetype",
                wasi::FILETYPE_SOCKET_STREAM,
                st.fs_filetype,
            );
        }
        check::err(
            "sock.conn.fd_seek",
            wasi::ERRNO_SPIPE,
            wasi::fd_seek(c, 0, wasi::WHENCE_SET),
        );
    }
    if let Some(e) = check::ok(
        "sock.poll_conn",
        poll(&[fd_sub(3, false, c), clock_sub(4, mono, 30 * SEC, 0)]),
    ) {
        expect_event(
            "sock.poll_conn",
            &e,
            3,
            wasi::EVENTTYPE_FD_READ,
            wasi::ERRNO_SUCCESS,
        );
    }
    // Peek leaves the data queued.
    check::ok_eq(
        "sock_recv.peek",
        (b"ping".to_vec(), 0),
        recv(c, 16, wasi::RIFLAGS_RECV_PEEK),
    );
    check::ok_eq(
        "sock_recv.peek_again",
        (b"pi".to_vec(), 0),
        recv(c, 2, wasi::RIFLAGS_RECV_PEEK),
    );

    // Faults while data is queued (so a late check cannot block).
    let mut out = [0u32; 4];
    let op = out.as_mut_ptr() as i32;
    let mut data = [0u8; 8];
    let good: [u32; 2] = [data.as_mut_ptr() as u32, 8];
    let bad: [u32; 2] = [OOB, 8];
    let peek = wasi::RIFLAGS_RECV_PEEK as i32;
    let ci = c as i32;
    unsafe {
        check::raw(
            "sock_recv.fault_iovs",
            wasi::ERRNO_FAULT,
            raw::sock_recv(ci, OOB as i32, 1, peek, op, op + 4),
        );
        check::raw(
            "sock_recv.fault_buf",
            wasi::ERRNO_FAULT,
            raw::sock_recv(ci, bad.as_ptr() as i32, 1, peek, op, op + 4),
        );
        check::raw(
            "sock_recv.fault_datalen",
            wasi::ERRNO_FAULT,
            raw::sock_recv(ci, good.as_ptr() as i32, 1, peek, OOB as i32, op + 4),
        );
        check::raw(
            "sock_recv.fault_flags",
            wasi::ERRNO_FAULT,
            raw::sock_recv(ci, good.as_ptr() as i32, 1, peek, op, OOB as i32),
        );
        check::raw(
            "sock_send.fault_iovs",
            wasi::ERRNO_FAULT,
            raw::sock_send(ci, OOB as i32, 1, 0, op),
        );
        check::raw(
            "sock_send.fault_buf",
            wasi::ERRNO_FAULT,
            raw::sock_send(ci, bad.as_ptr() as i32, 1, 0, op),
        );
        check::raw(
            "sock_send.fault_result",
            wasi::ERRNO_FAULT,
            raw::sock_send(ci, good.as_ptr() as i32, 0, 0, OOB as i32),
        );
    }

    // Scatter receive consumes it.
    let mut a = [0u8; 2];
    let mut b = [0u8; 8];
    let iovs = [
        Iovec {
            buf: a.as_mut_ptr(),
            buf_len: 2,
        },
        Iovec {
            buf: b.as_mut_ptr(),
            buf_len: 8,
        },
    ];
    check::ok_eq("sock_recv.scatter", (4, 0), unsafe {
        wasi::sock_recv(c, &iovs, 0)
    });
    check::eq(
        "sock_recv.scatter.data",
        (*b"pi", *b"ng"),
        (a, [b[0], b[1]]),
    );

    // Gather send.
    let p1 = b"po";
    let p2 = b"ng";
    let ciovs = [
        Ciovec {
            buf: p1.as_ptr(),
            buf_len: 2,
        },
        Ciovec {
            buf: p2.as_ptr(),
            buf_len: 2,
        },
    ];
    check::ok_eq("sock_send.gather", 4, unsafe {
        wasi::sock_send(c, &ciovs, 0)
    });

    unsafe {
        check::err(
            "sock_shutdown.how_0",
            wasi::ERRNO_INVAL,
            wasi::sock_shutdown(c, 0),
        );
        check::raw(
            "sock_shutdown.how_4",
            wasi::ERRNO_INVAL,
            raw::sock_shutdown(ci, 4),
        );
        check::raw(
            "sock_shutdown.how_255",
            wasi::ERRNO_INVAL,
            raw::sock_shutdown(ci, 255),
        );
        check::ok("sock_shutdown.wr", wasi::sock_shutdown(c, wasi::SDFLAGS_WR));
        check::err(
            "sock_send.after_shutdown_wr",
            wasi::ERRNO_PIPE,
            send(c, b"late"),
        );
    }
    // The peer reads to end of stream and closes: we see end of stream.
    check::ok_eq("sock_recv.eof", (Vec::new(), 0), recv(c, 16, 0));
    unsafe {
        check::ok("sock.conn.close", wasi::fd_close(c));
        check::err(
            "sock_shutdown.closed",
            wasi::ERRNO_BADF,
            wasi::sock_shutdown(c, wasi::SDFLAGS_RD),
        );
        check::err("sock_recv.closed", wasi::ERRNO_BADF, recv(c, 4, 0));
        check::err_fd(
            "sock_accept.nonblock_empty_again",
            wasi::ERRNO_AGAIN,
            wasi::sock_accept(LISTENER, wasi::FDFLAGS_NONBLOCK),
        );
    }
}
