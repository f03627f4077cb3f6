//! Concurrency and cancellation of streams: two files written and read at
//! once, two streams on one file, streams dropped before their end.
//! Leaves `WORK/conc/x` (`pattern(2, 600_000)`) and `WORK/conc/y`
//! (`pattern(3, 700_001)`).

use crate::check::{bytes, eq, ok, ok_bytes, read_ok, truth};
use crate::io::{append, contents, entry, join, list, pattern, read_from, within, write_at};
use crate::{create, mkdir, open_read, Cx};
use core::future::IntoFuture;
use wasip3::filesystem::types::{Descriptor, DescriptorType as T};
use wasip3::wit_bindgen::StreamResult;

pub const X: (u8, usize) = (2, 600_000);
pub const Y: (u8, usize) = (3, 700_001);

pub async fn run(cx: &Cx) {
    let Some(d) = mkdir(&cx.work, "conc").await else {
        return;
    };
    let (Some(x), Some(y)) = (
        create("conc.create.x", &d, "x").await,
        create("conc.create.y", &d, "y").await,
    ) else {
        return;
    };
    let (px, py) = (pattern(X.0, X.1), pattern(Y.0, Y.1));
    // Two writes in flight at once.
    let (wx, wy) = join(write_at(&x, &px, 0), write_at(&y, &py, 0)).await;
    ok("conc.write.x", wx);
    ok("conc.write.y", wy);
    // Two reads of two files consumed at once.
    let (rx, ry) = join(read_from(&x, 0), read_from(&y, 0)).await;
    read_ok("conc.read.x", rx, &px);
    read_ok("conc.read.y", ry, &py);
    // "Multiple read, write, and append streams may be active on the same
    // open file and they do not interfere with each other."
    let (a, b) = join(read_from(&x, 0), read_from(&x, 300_000)).await;
    read_ok("conc.same-file.0", a, &px);
    read_ok("conc.same-file.300000", b, &px[300_000..]);
    two_appends(&d).await;
    dropped_future(&d).await;
    cancel_read(&x, &px).await;
    cancel_directory(&d).await;
}

/// Read streams dropped before their end: the result future still
/// resolves, and the file reads whole again afterwards.
async fn cancel_read(x: &Descriptor, px: &[u8]) {
    let (mut rs, done) = x.read_via_stream(0);
    let (status, buf) = rs.read(Vec::with_capacity(4096)).await;
    let n = match status {
        StreamResult::Complete(n) => n,
        _ => 0,
    };
    truth("conc.cancel.first-read", n > 0, "some bytes", status);
    bytes("conc.cancel.first-read.bytes", &buf, &px[..buf.len()]);
    drop(rs);
    // No error was encountered: "the future resolves to the value ok".
    let r = within(5_000, done.into_future()).await;
    truth(
        "conc.cancel.future-resolves",
        r.is_some(),
        "the result future to resolve after the stream was dropped",
        "no value within 5 s",
    );
    if let Some(r) = r {
        ok("conc.cancel.future", r);
    }
    read_ok("conc.cancel.read-again", read_from(x, 0).await, px);
    // Dropped at once, both ends, many times over: nothing leaks or stalls.
    for _ in 0..50 {
        let (rs, done) = x.read_via_stream(1000);
        drop(rs);
        drop(done);
    }
    read_ok(
        "conc.cancel.many.read-again",
        read_from(x, 599_990).await,
        &px[599_990..],
    );
}

async fn cancel_directory(d: &Descriptor) {
    let (mut ds, done) = d.read_directory();
    let first = ds.next().await;
    truth(
        "conc.cancel-dir.first-entry",
        first.is_some(),
        "an entry",
        first.map(|e| e.name),
    );
    drop(ds);
    let r = within(5_000, done.into_future()).await;
    truth(
        "conc.cancel-dir.future-resolves",
        r.is_some(),
        "the result future to resolve after the stream was dropped",
        "no value within 5 s",
    );
    if let Some(r) = r {
        ok("conc.cancel-dir.future", r);
    }
    let (v, r) = list(d).await;
    ok("conc.cancel-dir.list-again.result", r);
    eq(
        "conc.cancel-dir.list-again",
        v,
        vec![entry("x", T::RegularFile), entry("y", T::RegularFile)],
    );
}

/// Two append streams on one file at once: every byte of both lands (in
/// some order).
async fn two_appends(d: &Descriptor) {
    let Some(z) = create("conc.two-appends.create", d, "z").await else {
        return;
    };
    let (a, b) = (vec![b'a'; 100_000], vec![b'b'; 150_000]);
    let (ra, rb) = join(append(&z, &a), append(&z, &b)).await;
    ok("conc.two-appends.a", ra);
    ok("conc.two-appends.b", rb);
    if let Some(all) = ok("conc.two-appends.read", contents(&z).await) {
        let count = |c: u8| all.iter().filter(|&&x| x == c).count();
        eq(
            "conc.two-appends.bytes",
            (all.len(), count(b'a'), count(b'b')),
            (250_000, 100_000, 150_000),
        );
    }
    ok(
        "conc.two-appends.unlink",
        d.unlink_file_at("z".into()).await,
    );
}

/// The result future of a write dropped at once: the write still happens
/// (the future only reports the outcome).
async fn dropped_future(d: &Descriptor) {
    let Some(f) = create("conc.dropped-future.create", d, "w").await else {
        return;
    };
    let (mut tx, rx) = wasip3::wit_stream::new::<u8>();
    drop(f.write_via_stream(rx, 0));
    let rest = tx.write_all(b"future dropped\n".to_vec()).await;
    drop(tx);
    eq("conc.dropped-future.all-taken", rest.len(), 0);
    if let Some(r) = open_read("conc.dropped-future.open", d, "w").await {
        ok_bytes(
            "conc.dropped-future.contents",
            contents(&r).await,
            b"future dropped\n",
        );
    }
    ok(
        "conc.dropped-future.unlink",
        d.unlink_file_at("w".into()).await,
    );
}
