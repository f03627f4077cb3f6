//! `read-via-stream`, `write-via-stream`, `append-via-stream`: offsets,
//! holes, appends, small reads, files over 1 MiB written, appended and read
//! back exactly, a directory, offsets no file can reach. Leaves
//! `WORK/streams/s` (`HELLo\0\0\0\0\0XYABCD`), `WORK/streams/big`
//! (`pattern(1, 1_310_723)`) and `WORK/streams/app` (`head\n` +
//! `pattern(4, 1_100_000)`).

use crate::check::{bytes, err, ok, ok_bytes, ok_eq, read_err, read_ok, truth};
use crate::io::{append, contents, join, pattern, read_from, within, write_at, write_chunks};
use crate::{create, mkdir, nofollow, open_read, Cx, RO_BIG};
use core::future::IntoFuture;
use wasip3::filesystem::types::{Descriptor, DescriptorFlags as F, ErrorCode as E, OpenFlags as O};
use wasip3::wit_bindgen::StreamResult;

/// Size and pattern seed of `WORK/streams/big`.
pub const BIG: (u8, usize) = (1, 1_310_723);
/// Size and pattern seed of what is appended to `WORK/streams/app`.
pub const BIG_APPEND: (u8, usize) = (4, 1_100_000);

pub async fn run(cx: &Cx) {
    let Some(d) = mkdir(&cx.work, "streams").await else {
        return;
    };
    small(&d).await;
    small_reads(&d).await;
    big(&d).await;
    big_append(&d).await;
    big_ro(cx).await;
    directory(cx).await;
}

async fn small(d: &Descriptor) {
    let Some(s) = create("streams.create", d, "s").await else {
        return;
    };
    ok("streams.write.0", write_at(&s, b"hello", 0).await);
    // "It is valid to write past the end of a file; the file is extended
    // to the extent of the write, with bytes between the previous end and
    // the start of the write set to zero."
    ok("streams.write.past-end", write_at(&s, b"XY", 10).await);
    ok_eq(
        "streams.write.past-end.size",
        s.stat().await.map(|s| s.size),
        12,
    );
    read_ok(
        "streams.read.0",
        read_from(&s, 0).await,
        b"hello\0\0\0\0\0XY",
    );
    read_ok("streams.read.middle", read_from(&s, 9).await, b"\0XY");
    read_ok("streams.read.at-end", read_from(&s, 12).await, b"");
    read_ok("streams.read.past-end", read_from(&s, 1000).await, b"");
    // append-via-stream, twice: each goes to the end then.
    ok("streams.append.1", append(&s, b"AB").await);
    ok("streams.append.2", append(&s, b"CD").await);
    ok_bytes(
        "streams.append.contents",
        contents(&s).await,
        b"hello\0\0\0\0\0XYABCD",
    );
    ok_eq("streams.append.size", s.stat().await.map(|s| s.size), 16);
    // A write made of several stream writes; an empty stream changes nothing.
    ok(
        "streams.write.chunks",
        write_chunks(&s, &[b"HE", b"LL"], 0).await,
    );
    ok("streams.write.empty", write_at(&s, b"", 3).await);
    ok("streams.append.empty", append(&s, b"").await);
    ok_bytes(
        "streams.write.chunks.contents",
        contents(&s).await,
        b"HELLo\0\0\0\0\0XYABCD",
    );
    ok_eq(
        "streams.write.empty.size",
        s.stat().await.map(|s| s.size),
        16,
    );
    // Another descriptor of the same file reads the same bytes.
    if let Some(r) = open_read("streams.reopen", d, "s").await {
        read_ok(
            "streams.reopen.read",
            read_from(&r, 2).await,
            b"LLo\0\0\0\0\0XYABCD",
        );
    }
}

/// Reads with small buffers: every byte arrives once, in order; a stream
/// outlives the descriptor it came from.
async fn small_reads(d: &Descriptor) {
    let Some(r) = open_read("streams.small-reads.open", d, "s").await else {
        return;
    };
    let (mut rs, done) = r.read_via_stream(0);
    let mut got = Vec::new();
    let mut reads = 0;
    loop {
        let (status, buf) = rs.read(Vec::with_capacity(3)).await;
        reads += 1;
        match status {
            StreamResult::Complete(_) => got.extend_from_slice(&buf),
            _ => break,
        }
        if reads > 100 {
            break;
        }
    }
    drop(rs);
    ok("streams.small-reads.result", done.await);
    bytes("streams.small-reads", &got, b"HELLo\0\0\0\0\0XYABCD");
    truth(
        "streams.small-reads.count",
        reads >= 6,
        "at least 6 reads of 3 bytes",
        reads,
    );
    // The descriptor dropped while its stream is open: the stream reads on.
    let (rs, done) = r.read_via_stream(5);
    drop(r);
    read_ok(
        "streams.descriptor-dropped",
        join(rs.collect(), done.into_future()).await,
        b"\0\0\0\0\0XYABCD",
    );
}

async fn big(d: &Descriptor) {
    let Some(f) = create("streams.big.create", d, "big").await else {
        return;
    };
    let data = pattern(BIG.0, BIG.1);
    ok("streams.big.write", write_at(&f, &data, 0).await);
    ok_eq(
        "streams.big.size",
        f.stat().await.map(|s| s.size),
        BIG.1 as u64,
    );
    read_ok("streams.big.read.0", read_from(&f, 0).await, &data);
    let mid = 654_321;
    read_ok(
        "streams.big.read.middle",
        read_from(&f, mid as u64).await,
        &data[mid..],
    );
    read_ok(
        "streams.big.read.at-end",
        read_from(&f, BIG.1 as u64).await,
        b"",
    );
    read_ok(
        "streams.big.read.past-end",
        read_from(&f, BIG.1 as u64 + 4096).await,
        b"",
    );
}

/// A large append through one stream, after a small one.
async fn big_append(d: &Descriptor) {
    let Some(f) = create("streams.big-append.create", d, "app").await else {
        return;
    };
    let data = pattern(BIG_APPEND.0, BIG_APPEND.1);
    ok("streams.big-append.head", append(&f, b"head\n").await);
    ok("streams.big-append", append(&f, &data).await);
    let mut want = b"head\n".to_vec();
    want.extend_from_slice(&data);
    ok_eq(
        "streams.big-append.size",
        f.stat().await.map(|s| s.size),
        want.len() as u64,
    );
    read_ok("streams.big-append.read", read_from(&f, 0).await, &want);
}

/// The large file the test put in `RO`.
async fn big_ro(cx: &Cx) {
    let Some(f) = open_read("streams.ro-big.open", &cx.ro, "big.bin").await else {
        return;
    };
    let data = pattern(RO_BIG.0, RO_BIG.1);
    ok_eq(
        "streams.ro-big.size",
        f.stat().await.map(|s| s.size),
        RO_BIG.1 as u64,
    );
    read_ok("streams.ro-big.read.0", read_from(&f, 0).await, &data);
    let mid = (1 << 20) + 1;
    read_ok(
        "streams.ro-big.read.middle",
        read_from(&f, mid as u64).await,
        &data[mid..],
    );
    read_ok(
        "streams.ro-big.read.last-byte",
        read_from(&f, RO_BIG.1 as u64 - 1).await,
        &data[RO_BIG.1 - 1..],
    );
    read_ok(
        "streams.ro-big.read.past-end",
        read_from(&f, RO_BIG.1 as u64 + 1).await,
        b"",
    );
}

/// A directory descriptor. read-via-stream: "If an error is encountered,
/// stream.read on the stream returns read-status::closed ... and the future
/// resolves to err with an error-code" — so an empty stream, and
/// is-directory (EISDIR from pread(2) on a directory).
async fn directory(cx: &Cx) {
    let Some(dd) = ok(
        "streams.dir.open",
        cx.work
            .open_at(nofollow(), "streams".into(), O::DIRECTORY, F::READ)
            .await,
    ) else {
        return;
    };
    read_err(
        "streams.dir.read-via-stream",
        read_from(&dd, 0).await,
        E::IsDirectory,
    );
    read_err(
        "streams.dir.preopen.read-via-stream",
        read_from(&cx.work, 0).await,
        E::IsDirectory,
    );
    // The stream dropped unread: the future still carries the error.
    let (rs, done) = dd.read_via_stream(0);
    drop(rs);
    match within(5_000, done.into_future()).await {
        Some(r) => {
            err(
                "streams.dir.read-via-stream.dropped-unread",
                r,
                E::IsDirectory,
            );
        }
        None => {
            truth(
                "streams.dir.read-via-stream.dropped-unread",
                false,
                "the result future to resolve",
                "no value within 5 s",
            );
        }
    }
    // Offsets no file can reach: an empty stream and a resolved future for
    // a read (pread(2) says EINVAL where offset + length overflows, an
    // in-memory file simply ends before), and an error for a write.
    if let Some(f) = open_read("streams.huge-offset.open", &cx.work, "streams/s").await {
        let (data, r) = read_from(&f, u64::MAX).await;
        bytes("streams.huge-offset.read", &data, b"");
        truth(
            "streams.huge-offset.read.result",
            matches!(r, Ok(()) | Err(E::Invalid)),
            "ok or invalid",
            r,
        );
    }
    if let Some(f) = create("streams.huge-offset.create", &cx.work, "streams/huge").await {
        let r = write_at(&f, b"xy", u64::MAX - 1).await;
        truth("streams.huge-offset.write", r.is_err(), "an error", r);
        ok_eq(
            "streams.huge-offset.write.size",
            f.stat().await.map(|s| s.size),
            0,
        );
        ok(
            "streams.huge-offset.unlink",
            cx.work.unlink_file_at("streams/huge".into()).await,
        );
    }
}
