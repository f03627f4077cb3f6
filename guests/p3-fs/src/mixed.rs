//! Mixed worlds: Rust std in this same component uses WASI 0.2 (stdout,
//! preopens through wasi-libc), beside the 0.3 imports. Prints, in this
//! order, one stdout line through 0.2, one through 0.3, one through 0.2
//! (the test checks they arrive in order); writes files with one world and
//! reads them with the other. Leaves `WORK/mixed.txt` ([`P2_TEXT`]) and
//! `WORK/mixed3.txt` ([`P3_TEXT`] + [`P2_APPEND`]).

use crate::check::{eq, ok, ok_bytes, ok_eq, truth};
use crate::io::{contents, join, list};
use crate::{create_with, nofollow, open_read, Cx, RO_HELLO};
use core::future::IntoFuture;
use std::io::Write;

pub const P2_TEXT: &[u8] = b"written by std::fs through wasi 0.2\n";
pub const P3_TEXT: &[u8] = b"written by write-via-stream through wasi 0.3\n";
pub const P2_APPEND: &[u8] = b"appended by std through wasi 0.2\n";

/// One text through the 0.3 stdout stream; the result future's value.
async fn stdout3(text: &str) -> Result<(), wasip3::cli::types::ErrorCode> {
    let (mut tx, rx) = wasip3::wit_stream::new::<u8>();
    let done = wasip3::cli::stdout::write_via_stream(rx);
    let data = text.as_bytes().to_vec();
    let (rest, r) = join(
        async move {
            let rest = tx.write_all(data).await;
            drop(tx);
            rest.len()
        },
        done.into_future(),
    )
    .await;
    eq("mixed.stdout.0.3.all-taken", rest, 0);
    r
}

pub async fn run(cx: &Cx) {
    println!("mixed: stdout line through wasi 0.2");
    ok(
        "mixed.stdout.0.3",
        stdout3("mixed: stdout line through wasi 0.3\n").await,
    );
    println!("mixed: stdout line through wasi 0.2 again");

    // std (0.2) writes, 0.3 reads.
    let p2_path = format!("{}/mixed.txt", cx.work_name);
    ok("mixed.std-write", std::fs::write(&p2_path, P2_TEXT));
    if let Some(f) = open_read("mixed.0.3-open", &cx.work, "mixed.txt").await {
        ok_bytes("mixed.0.3-read", contents(&f).await, P2_TEXT);
    }
    ok_eq(
        "mixed.0.3-stat-at",
        cx.work
            .stat_at(nofollow(), "mixed.txt".into())
            .await
            .map(|s| s.size),
        P2_TEXT.len() as u64,
    );

    // 0.3 writes, std (0.2) reads and appends, 0.3 reads again.
    let p3_path = format!("{}/mixed3.txt", cx.work_name);
    if let Some(f) = create_with("mixed.0.3-create", &cx.work, "mixed3.txt", P3_TEXT).await {
        ok_bytes("mixed.std-read", std::fs::read(&p3_path), P3_TEXT);
        ok_eq(
            "mixed.std-metadata",
            std::fs::metadata(&p3_path).map(|m| m.len()),
            P3_TEXT.len() as u64,
        );
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .open(&p3_path)
            .and_then(|mut h| h.write_all(P2_APPEND));
        ok("mixed.std-append", appended);
        let mut want = P3_TEXT.to_vec();
        want.extend_from_slice(P2_APPEND);
        ok_bytes("mixed.0.3-read-after-std-append", contents(&f).await, &want);
    }

    // The read-only preopen through std.
    let ro_hello = format!("{}/hello.txt", cx.ro_name);
    ok_bytes("mixed.std-read-ro", std::fs::read(&ro_hello), RO_HELLO);
    let w = std::fs::write(format!("{}/x", cx.ro_name), b"x");
    truth(
        "mixed.std-write-ro",
        matches!(&w, Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem),
        "a read-only filesystem error",
        w,
    );

    // Both worlds list WORK the same.
    let want: Vec<String> = [
        "conc",
        "dirs",
        "links",
        "meta",
        "mixed.txt",
        "mixed3.txt",
        "open",
        "streams",
    ]
    .map(String::from)
    .to_vec();
    let std_names = std::fs::read_dir(&cx.work_name).map(|rd| {
        let mut v: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    });
    ok_eq("mixed.std-read-dir", std_names, want.clone());
    let (v, r) = list(&cx.work).await;
    ok("mixed.0.3-read-directory.result", r);
    eq(
        "mixed.0.3-read-directory",
        v.into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
        want,
    );
}
