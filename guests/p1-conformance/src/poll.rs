//! poll_oneoff (plus the `stdin` mode, which polls and reads fd 0).

use crate::check::{self, close, open, FILE_RIGHTS, OOB};
use crate::ROOT;
use wasi::wasi_snapshot_preview1 as raw;
use wasi::{Errno, Event, Subscription};

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

pub fn clock_sub(
    userdata: u64,
    id: wasi::Clockid,
    timeout: u64,
    flags: wasi::Subclockflags,
) -> Subscription {
    Subscription {
        userdata,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_CLOCK.raw(),
            u: wasi::SubscriptionUU {
                clock: wasi::SubscriptionClock {
                    id,
                    timeout,
                    precision: 0,
                    flags,
                },
            },
        },
    }
}

pub fn fd_sub(userdata: u64, write: bool, fd: wasi::Fd) -> Subscription {
    let rw = wasi::SubscriptionFdReadwrite {
        file_descriptor: fd,
    };
    Subscription {
        userdata,
        u: if write {
            wasi::SubscriptionU {
                tag: wasi::EVENTTYPE_FD_WRITE.raw(),
                u: wasi::SubscriptionUU { fd_write: rw },
            }
        } else {
            wasi::SubscriptionU {
                tag: wasi::EVENTTYPE_FD_READ.raw(),
                u: wasi::SubscriptionUU { fd_read: rw },
            }
        },
    }
}

pub fn poll(subs: &[Subscription]) -> Result<Vec<Event>, Errno> {
    let mut events: Vec<Event> = vec![unsafe { core::mem::zeroed() }; subs.len().max(1)];
    let n = unsafe { wasi::poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), subs.len()) }?;
    if n > subs.len() {
        check::fail(
            "poll_oneoff.nevents",
            format!("<= {}", subs.len()),
            n.to_string(),
        );
        events.truncate(subs.len());
    } else {
        events.truncate(n);
    }
    Ok(events)
}

/// Check that `events` holds exactly one event with `userdata`, of type `ty`
/// and with error `err`.
pub fn expect_event(name: &str, events: &[Event], userdata: u64, ty: wasi::Eventtype, err: Errno) {
    let found: Vec<&Event> = events.iter().filter(|e| e.userdata == userdata).collect();
    if !check::eq(&format!("{name}.event_count"), 1, found.len()) {
        return;
    }
    let e = found[0];
    check::eq(&format!("{name}.type"), ty.raw(), e.type_.raw());
    check::eq(
        &format!("{name}.error"),
        check::errname(err.raw() as u32),
        check::errname(e.error.raw() as u32),
    );
}

fn userdatas(events: &[Event]) -> Vec<u64> {
    let mut v: Vec<u64> = events.iter().map(|e| e.userdata).collect();
    v.sort();
    v
}

pub fn run() {
    let mono = wasi::CLOCKID_MONOTONIC;
    // No subscriptions.
    let mut ev: [Event; 1] = [unsafe { core::mem::zeroed() }];
    let sub = [clock_sub(1, mono, 0, 0)];
    check::err(
        "poll_oneoff.zero_subscriptions",
        wasi::ERRNO_INVAL,
        unsafe { wasi::poll_oneoff(sub.as_ptr(), ev.as_mut_ptr(), 0) },
    );

    // Relative clock.
    let t0 = check::monotonic();
    if let Some(e) = check::ok(
        "poll_oneoff.clock_relative",
        poll(&[clock_sub(0x11, mono, 10 * MS, 0)]),
    ) {
        let dt = check::monotonic() - t0;
        check::eq("poll_oneoff.clock_relative.nevents", 1, e.len());
        expect_event(
            "poll_oneoff.clock_relative",
            &e,
            0x11,
            wasi::EVENTTYPE_CLOCK,
            wasi::ERRNO_SUCCESS,
        );
        check::truth(
            "poll_oneoff.clock_relative.waited",
            dt >= 10 * MS,
            ">= 10ms",
            dt,
        );
        check::truth(
            "poll_oneoff.clock_relative.not_too_long",
            dt < 5 * SEC,
            "< 5s",
            dt,
        );
    }
    // Zero timeout: at once.
    if let Some(e) = check::ok(
        "poll_oneoff.clock_zero",
        poll(&[clock_sub(0x12, mono, 0, 0)]),
    ) {
        expect_event(
            "poll_oneoff.clock_zero",
            &e,
            0x12,
            wasi::EVENTTYPE_CLOCK,
            wasi::ERRNO_SUCCESS,
        );
    }
    // Absolute clock.
    let now = check::monotonic();
    let abs = wasi::SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    if let Some(e) = check::ok(
        "poll_oneoff.clock_abstime",
        poll(&[clock_sub(0x13, mono, now + 20 * MS, abs)]),
    ) {
        let t = check::monotonic();
        expect_event(
            "poll_oneoff.clock_abstime",
            &e,
            0x13,
            wasi::EVENTTYPE_CLOCK,
            wasi::ERRNO_SUCCESS,
        );
        check::truth(
            "poll_oneoff.clock_abstime.reached",
            t >= now + 20 * MS,
            "now >= deadline",
            (t, now + 20 * MS),
        );
        check::truth(
            "poll_oneoff.clock_abstime.not_too_long",
            t - now < 5 * SEC,
            "< 5s",
            t - now,
        );
    }
    // Absolute deadline in the past: at once (a relative reading would wait ~forever).
    let t0 = check::monotonic();
    if let Some(e) = check::ok(
        "poll_oneoff.clock_abstime_past",
        poll(&[clock_sub(0x14, mono, 1, abs)]),
    ) {
        expect_event(
            "poll_oneoff.clock_abstime_past",
            &e,
            0x14,
            wasi::EVENTTYPE_CLOCK,
            wasi::ERRNO_SUCCESS,
        );
        check::truth(
            "poll_oneoff.clock_abstime_past.fast",
            check::monotonic() - t0 < 5 * SEC,
            "< 5s",
            (),
        );
    }
    // Realtime clock, relative and absolute.
    let t0 = check::monotonic();
    if let Some(e) = check::ok(
        "poll_oneoff.clock_realtime",
        poll(&[clock_sub(0x15, wasi::CLOCKID_REALTIME, 5 * MS, 0)]),
    ) {
        expect_event(
            "poll_oneoff.clock_realtime",
            &e,
            0x15,
            wasi::EVENTTYPE_CLOCK,
            wasi::ERRNO_SUCCESS,
        );
        check::truth(
            "poll_oneoff.clock_realtime.waited",
            check::monotonic() - t0 >= 5 * MS,
            ">= 5ms",
            (),
        );
    }
    let rt = check::realtime();
    if let Some(e) = check::ok(
        "poll_oneoff.clock_realtime_abs",
        poll(&[clock_sub(0x16, wasi::CLOCKID_REALTIME, rt + 5 * MS, abs)]),
    ) {
        expect_event(
            "poll_oneoff.clock_realtime_abs",
            &e,
            0x16,
            wasi::EVENTTYPE_CLOCK,
            wasi::ERRNO_SUCCESS,
        );
        check::truth(
            "poll_oneoff.clock_realtime_abs.reached",
            check::realtime() >= rt + 5 * MS,
            "deadline reached",
            (),
        );
    }
    // Two clocks: only the earlier fires.
    if let Some(e) = check::ok(
        "poll_oneoff.two_clocks",
        poll(&[
            clock_sub(0x21, mono, 30 * SEC, 0),
            clock_sub(0x22, mono, 5 * MS, 0),
        ]),
    ) {
        check::eq("poll_oneoff.two_clocks.which", vec![0x22u64], userdatas(&e));
    }

    // A regular file is ready at once for reading and writing.
    check::make_file(ROOT, "poll_f", b"data");
    if let Some(fd) = check::ok(
        "poll_oneoff.file.open",
        open(ROOT, "poll_f", 0, FILE_RIGHTS),
    ) {
        let t0 = check::monotonic();
        if let Some(e) = check::ok(
            "poll_oneoff.file",
            poll(&[
                fd_sub(0x31, false, fd),
                fd_sub(0x32, true, fd),
                clock_sub(0x33, mono, 10 * SEC, 0),
            ]),
        ) {
            check::truth(
                "poll_oneoff.file.at_once",
                check::monotonic() - t0 < 5 * SEC,
                "< 5s",
                (),
            );
            check::eq("poll_oneoff.file.which", vec![0x31u64, 0x32], userdatas(&e));
            expect_event(
                "poll_oneoff.file.read",
                &e,
                0x31,
                wasi::EVENTTYPE_FD_READ,
                wasi::ERRNO_SUCCESS,
            );
            expect_event(
                "poll_oneoff.file.write",
                &e,
                0x32,
                wasi::EVENTTYPE_FD_WRITE,
                wasi::ERRNO_SUCCESS,
            );
        }
        close(fd);
    }
    // A bad fd is reported in the event, not as the call's errno.
    if let Some(e) = check::ok(
        "poll_oneoff.badf",
        poll(&[clock_sub(0x41, mono, 10 * SEC, 0), fd_sub(0x42, false, 99)]),
    ) {
        check::eq("poll_oneoff.badf.which", vec![0x42u64], userdatas(&e));
        expect_event(
            "poll_oneoff.badf",
            &e,
            0x42,
            wasi::EVENTTYPE_FD_READ,
            wasi::ERRNO_BADF,
        );
    }
    if let Some(e) = check::ok(
        "poll_oneoff.badf_write",
        poll(&[fd_sub(0x43, true, 99), clock_sub(0x44, mono, 10 * SEC, 0)]),
    ) {
        expect_event(
            "poll_oneoff.badf_write",
            &e,
            0x43,
            wasi::EVENTTYPE_FD_WRITE,
            wasi::ERRNO_BADF,
        );
    }
    // stdout (a pipe the harness drains) is writable.
    if let Some(e) = check::ok(
        "poll_oneoff.stdout_write",
        poll(&[fd_sub(0x51, true, 1), clock_sub(0x52, mono, 10 * SEC, 0)]),
    ) {
        check::eq(
            "poll_oneoff.stdout_write.which",
            vec![0x51u64],
            userdatas(&e),
        );
        expect_event(
            "poll_oneoff.stdout_write",
            &e,
            0x51,
            wasi::EVENTTYPE_FD_WRITE,
            wasi::ERRNO_SUCCESS,
        );
    }

    // Faults.
    let subs = [clock_sub(0x61, mono, 0, 0)];
    let mut evs: [Event; 1] = [unsafe { core::mem::zeroed() }];
    let mut n = 0u32;
    let sp = subs.as_ptr() as i32;
    let ep = evs.as_mut_ptr() as i32;
    let np = &mut n as *mut u32 as i32;
    let end = check::mem_end();
    unsafe {
        check::raw(
            "poll_oneoff.fault_in",
            wasi::ERRNO_FAULT,
            raw::poll_oneoff(OOB as i32, ep, 1, np),
        );
        check::raw(
            "poll_oneoff.fault_in_straddle",
            wasi::ERRNO_FAULT,
            raw::poll_oneoff((end - 24) as i32, ep, 1, np),
        );
        check::raw(
            "poll_oneoff.fault_in_count",
            wasi::ERRNO_FAULT,
            raw::poll_oneoff(sp, ep, ((end - sp as u32) / 48 + 1) as i32, np),
        );
        check::raw(
            "poll_oneoff.fault_out",
            wasi::ERRNO_FAULT,
            raw::poll_oneoff(sp, OOB as i32, 1, np),
        );
        check::raw(
            "poll_oneoff.fault_nevents",
            wasi::ERRNO_FAULT,
            raw::poll_oneoff(sp, ep, 1, OOB as i32),
        );
    }
}

/// `stdin` mode: the harness pipes some bytes to fd 0 and closes it.
pub fn run_stdin() {
    let mono = wasi::CLOCKID_MONOTONIC;
    unsafe {
        check::ok("stdin.fd_fdstat_get", wasi::fd_fdstat_get(0));
        check::err(
            "stdin.fd_seek",
            wasi::ERRNO_SPIPE,
            wasi::fd_seek(0, 0, wasi::WHENCE_CUR),
        );
    }
    if let Some(e) = check::ok(
        "stdin.poll",
        poll(&[fd_sub(1, false, 0), clock_sub(2, mono, 30 * SEC, 0)]),
    ) {
        check::eq("stdin.poll.which", vec![1u64], userdatas(&e));
        expect_event(
            "stdin.poll",
            &e,
            1,
            wasi::EVENTTYPE_FD_READ,
            wasi::ERRNO_SUCCESS,
        );
    }
    let mut all = Vec::new();
    let mut buf = [0u8; 7]; // small, so several reads are needed
    loop {
        let iov = [wasi::Iovec {
            buf: buf.as_mut_ptr(),
            buf_len: buf.len(),
        }];
        match unsafe { wasi::fd_read(0, &iov) } {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) => {
                check::ok("stdin.fd_read", Err::<(), _>(e));
                break;
            }
        }
    }
    check::truth(
        "stdin.fd_read.some",
        !all.is_empty(),
        "some bytes",
        all.len(),
    );
    // At end of file the descriptor stays readable.
    if let Some(e) = check::ok(
        "stdin.poll_eof",
        poll(&[fd_sub(3, false, 0), clock_sub(4, mono, 30 * SEC, 0)]),
    ) {
        check::eq("stdin.poll_eof.which", vec![3u64], userdatas(&e));
    }
    let mut off = 0;
    while off < all.len() {
        match check::write_all(1, &all[off..]) {
            Ok(0) | Err(_) => {
                check::fail(
                    "stdin.echo",
                    "all bytes written",
                    format!("{off} of {}", all.len()),
                );
                break;
            }
            Ok(n) => off += n,
        }
    }
}
