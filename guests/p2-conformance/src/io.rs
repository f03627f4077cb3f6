//! wasi:io — poll, error, streams (on files of the sandbox).

use crate::check::{eq, ok, ok_eq, s, s_closed, s_ok, truth, S};
use crate::fs::{root, RW};
use wasip2::clocks::monotonic_clock;
use wasip2::filesystem::types::{filesystem_error_code, Descriptor, OpenFlags, PathFlags};
use wasip2::io::poll;
use wasip2::io::streams::StreamError;

pub fn run() {
    poll_checks();
    let Some(dir) = root() else { return };
    file_streams(&dir);
    splice(&dir);
    errors(&dir);
}

fn poll_checks() {
    // A far timer, a near one and a past one: only the past one at first.
    let far = monotonic_clock::subscribe_duration(60_000_000_000);
    let near = monotonic_clock::subscribe_duration(30_000_000);
    let past = monotonic_clock::subscribe_instant(0);
    eq(
        "io.poll.ready-now",
        poll::poll(&[&far, &near, &past]),
        vec![2],
    );
    // Without the past one, poll waits for the near timer, which must fire.
    let t0 = monotonic_clock::now();
    eq("io.poll.timer-fires", poll::poll(&[&far, &near]), vec![1]);
    let waited = monotonic_clock::now() - t0;
    truth(
        "io.poll.timer-waited",
        waited >= 25_000_000,
        ">= ~30 ms",
        waited,
    );
    truth(
        "io.poll.timer-prompt",
        waited < 10_000_000_000,
        "< 10 s",
        waited,
    );
    // Several ready at once: every ready index, in order.
    eq(
        "io.poll.all-ready",
        poll::poll(&[&near, &far, &past]),
        vec![0, 2],
    );
    eq(
        "io.poll.same-twice",
        poll::poll(&[&past, &past]),
        vec![0, 1],
    );
    eq("io.pollable.ready.far", far.ready(), false);
    eq("io.pollable.ready.near", near.ready(), true);
    near.block();
    past.block();
}

fn open(dir: &Descriptor, name: &str) -> Option<Descriptor> {
    ok(
        &format!("io.open {name}"),
        dir.open_at(
            PathFlags::empty(),
            name,
            OpenFlags::CREATE | OpenFlags::TRUNCATE,
            RW,
        ),
    )
}

fn file_streams(dir: &Descriptor) {
    let Some(f) = open(dir, "io_stream") else {
        return;
    };
    // output-stream on a file: every write flavour
    let Some(w) = ok("io.write-via-stream", f.write_via_stream(0)) else {
        return;
    };
    let permit = s(w.check_write());
    truth(
        "io.out.check-write",
        matches!(permit, S::Ok(n) if n >= 4096),
        "ok(n >= 4096)",
        &permit,
    );
    s_ok("io.out.write", w.write(b"hello"), ());
    s_ok("io.out.flush", w.flush(), ());
    let permit = s(w.check_write());
    truth(
        "io.out.check-write.after-flush",
        matches!(permit, S::Ok(n) if n > 0),
        "ok(n > 0)",
        &permit,
    );
    s_ok("io.out.blocking-flush", w.blocking_flush(), ());
    s_ok(
        "io.out.blocking-write-and-flush",
        w.blocking_write_and_flush(b" world"),
        (),
    );
    s_ok("io.out.write-zeroes", w.write_zeroes(3), ());
    s_ok(
        "io.out.blocking-write-zeroes-and-flush",
        w.blocking_write_zeroes_and_flush(2),
        (),
    );
    s_ok("io.out.write.empty", w.write(b""), ());
    {
        let p = w.subscribe();
        eq("io.out.subscribe.ready", p.ready(), true);
        eq("io.out.subscribe.poll", poll::poll(&[&p]), vec![0]);
    }
    drop(w);
    let want: Vec<u8> = b"hello world\0\0\0\0\0".to_vec();
    ok_eq("io.out.contents", f.read(100, 0), (want.clone(), true));

    // input-stream on a file: every read flavour
    let Some(r) = ok("io.read-via-stream", f.read_via_stream(0)) else {
        return;
    };
    {
        let p = r.subscribe();
        eq("io.in.subscribe.ready", p.ready(), true);
        p.block();
    }
    s_ok("io.in.read.zero", r.read(0), Vec::new());
    s_ok("io.in.read", r.read(5), b"hello".to_vec());
    s_ok("io.in.skip", r.skip(1), 1);
    s_ok("io.in.blocking-read", r.blocking_read(5), b"world".to_vec());
    s_ok("io.in.blocking-skip", r.blocking_skip(2), 2);
    s_ok("io.in.read.tail", r.read(100), vec![0u8; 3]);
    s_closed("io.in.read.eof", r.read(1));
    s_closed("io.in.blocking-read.eof", r.blocking_read(1));
    s_closed("io.in.skip.eof", r.skip(1));
    s_closed("io.in.blocking-skip.eof", r.blocking_skip(1));
    drop(r);
    // A stream starts at its offset; two streams do not interfere.
    let (Some(a), Some(b)) = (
        ok("io.read-via-stream.offset", f.read_via_stream(6)),
        ok("io.read-via-stream.second", f.read_via_stream(0)),
    ) else {
        return;
    };
    s_ok("io.in.offset.read", a.read(5), b"world".to_vec());
    s_ok("io.in.second.read", b.read(5), b"hello".to_vec());
    s_ok("io.in.skip.past-end", a.skip(100), 5);
    s_closed("io.in.offset.eof", a.read(1));
    let past = ok("io.read-via-stream.past-end", f.read_via_stream(1000));
    if let Some(p) = past {
        s_closed("io.in.past-end.read", p.read(1));
    }
    // A write stream at an offset overwrites there.
    if let Some(w) = ok("io.write-via-stream.offset", f.write_via_stream(6)) {
        s_ok(
            "io.out.offset.write",
            w.blocking_write_and_flush(b"WORLD"),
            (),
        );
    }
    ok_eq(
        "io.out.offset.contents",
        f.read(11, 0),
        (b"hello WORLD".to_vec(), false),
    );
    // Past the end: the gap reads as zeroes.
    if let Some(w) = ok("io.write-via-stream.past-end", f.write_via_stream(20)) {
        s_ok(
            "io.out.past-end.write",
            w.blocking_write_and_flush(b"!"),
            (),
        );
    }
    ok_eq(
        "io.out.past-end.contents",
        f.read(100, 16),
        (vec![0, 0, 0, 0, b'!'], true),
    );
}

fn splice(dir: &Descriptor) {
    let (Some(src), Some(dst)) = (open(dir, "io_splice_src"), open(dir, "io_splice_dst")) else {
        return;
    };
    ok_eq("io.splice.setup", src.write(b"0123456789abcdef", 0), 16);
    let (Some(r), Some(w)) = (
        ok("io.splice.read-via-stream", src.read_via_stream(0)),
        ok("io.splice.write-via-stream", dst.write_via_stream(0)),
    ) else {
        return;
    };
    s_ok("io.splice", w.splice(&r, 4), 4);
    s_ok("io.splice.zero", w.splice(&r, 0), 0);
    s_ok("io.blocking-splice", w.blocking_splice(&r, 100), 12);
    s_closed("io.splice.eof", w.splice(&r, 1));
    s_closed("io.blocking-splice.eof", w.blocking_splice(&r, 1));
    s_ok("io.splice.flush", w.blocking_flush(), ());
    ok_eq(
        "io.splice.contents",
        dst.read(100, 0),
        (b"0123456789abcdef".to_vec(), true),
    );
}

/// A write that fails gives `last-operation-failed` with an `error` whose
/// debug string is not empty and whose filesystem error code is known;
/// after it the stream is closed.
fn errors(dir: &Descriptor) {
    let Some(f) = open(dir, "io_error") else {
        return;
    };
    // An offset no file can reach: the write must fail.
    let Some(w) = ok(
        "io.error.write-via-stream",
        f.write_via_stream(u64::MAX - 1),
    ) else {
        return;
    };
    match w.blocking_write_and_flush(b"xyz") {
        Err(StreamError::LastOperationFailed(e)) => {
            let text = e.to_debug_string();
            truth(
                "io.error.to-debug-string",
                !text.is_empty(),
                "a non-empty string",
                &text,
            );
            let code = filesystem_error_code(&e);
            truth(
                "io.error.filesystem-error-code",
                code.is_some(),
                "some(code)",
                code,
            );
            drop(e);
            // "After this, the stream will be closed. All future operations
            // return stream-error::closed."
            s_closed("io.error.then-closed.check-write", w.check_write());
            s_closed("io.error.then-closed.write", w.write(b"a"));
            s_closed("io.error.then-closed.flush", w.flush());
        }
        other => {
            truth(
                "io.error.last-operation-failed",
                false,
                "last-operation-failed",
                s(other),
            );
        }
    }
    drop(w);
    ok_eq("io.error.nothing-written", f.stat().map(|st| st.size), 0);
}
