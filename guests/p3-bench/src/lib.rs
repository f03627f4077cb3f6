//! `p3-bench WORKLOAD ARGS...`: the workloads of bench/workloads/syscalls.rs
//! (same names, arguments and work) written against the WASI 0.3
//! interfaces directly, so that bench/run can time the 0.3 layer beside
//! 0.1 and 0.2. A path argument must lie under a preopened directory whose
//! guest path is its prefix (bench/run preopens the data directory at its
//! host path).
//!
//! 0.3 has no seek and no positioned read or write call: a write at an
//! offset is `write-via-stream(offset)` with a new stream, which is what a
//! libc for 0.3 does for `pwrite`, and what `lseek-write` times here.

use wasip3::cli::{environment, stdout};
use wasip3::clocks::monotonic_clock;
use wasip3::filesystem::preopens;
use wasip3::filesystem::types::{Descriptor, DescriptorFlags, OpenFlags, PathFlags};
use wasip3::wit_bindgen::StreamResult;
#[path = "../../../bench/workloads/compute.rs"]
mod compute;
#[path = "../../shared/p3_print.rs"]
mod p3_print;
use p3_print::print;

wasip3::cli::command::export!(Bench);

struct Bench;

fn arg(args: &[String], i: usize) -> &str {
    args.get(i)
        .unwrap_or_else(|| panic!("missing argument {i}"))
}

fn num(args: &[String], i: usize) -> u64 {
    arg(args, i).parse().expect("a number")
}

/// The preopen that holds `path`, and `path` relative to it.
fn resolve(dirs: &[(Descriptor, String)], path: &str) -> (usize, String) {
    for (i, (_, guest)) in dirs.iter().enumerate() {
        let guest = guest.trim_end_matches('/');
        if let Some(rest) = path.strip_prefix(guest) {
            if let Some(rest) = rest.strip_prefix('/') {
                return (i, rest.to_string());
            }
        }
    }
    panic!("{path} is not under a preopened directory")
}

async fn open(
    dirs: &[(Descriptor, String)],
    path: &str,
    open: OpenFlags,
    flags: DescriptorFlags,
) -> Descriptor {
    let (i, rel) = resolve(dirs, path);
    dirs[i]
        .0
        .open_at(PathFlags::SYMLINK_FOLLOW, rel, open, flags)
        .await
        .unwrap_or_else(|e| panic!("open {path}: {e:?}"))
}

/// `data` written at `offset` through one new stream; the call's result.
async fn write_at(f: &Descriptor, data: Vec<u8>, offset: u64) {
    let (mut tx, rx) = wasip3::wit_stream::new::<u8>();
    let done = f.write_via_stream(rx, offset);
    let rest = tx.write_all(data).await;
    assert!(rest.is_empty(), "the stream took only part of the bytes");
    drop(tx);
    done.await.expect("write-via-stream failed");
}

impl wasip3::exports::cli::run::Guest for Bench {
    async fn run() -> Result<(), ()> {
        let args = environment::get_arguments();
        let dirs = preopens::get_directories();
        let rw = DescriptorFlags::READ | DescriptorFlags::WRITE;
        match arg(&args, 1) {
            // lseek + 1-byte write pairs on one file: one positioned write
            // each.
            "lseek-write" => {
                let n = num(&args, 3);
                let f = open(
                    &dirs,
                    arg(&args, 2),
                    OpenFlags::CREATE | OpenFlags::TRUNCATE,
                    rw,
                )
                .await;
                for i in 0..n {
                    write_at(&f, vec![i as u8], i % 4096).await;
                }
            }
            // open + one read of up to 256 bytes + close of small files,
            // round-robin over DIR/f0..f999.
            "small-files" => {
                let (dir, n) = (arg(&args, 2), num(&args, 3));
                let mut total = 0;
                for i in 0..n {
                    let f = open(
                        &dirs,
                        &format!("{dir}/f{}", i % 1000),
                        OpenFlags::empty(),
                        DescriptorFlags::READ,
                    )
                    .await;
                    let (mut rx, done) = f.read_via_stream(0);
                    let (_, buf) = rx.read(Vec::with_capacity(256)).await;
                    total += buf.len();
                    drop(rx);
                    drop(done);
                }
                assert!(total > 0);
            }
            // stat of files, round-robin over DIR/f0..f999.
            "stat" => {
                let (dir, n) = (arg(&args, 2), num(&args, 3));
                let (d, rel) = resolve(&dirs, dir);
                let d = &dirs[d].0;
                let mut total = 0;
                for i in 0..n {
                    let path = format!("{rel}/f{}", i % 1000);
                    total += d
                        .stat_at(PathFlags::SYMLINK_FOLLOW, path)
                        .await
                        .expect("stat-at")
                        .size;
                }
                assert!(total > 0);
            }
            // list a directory of 10,000 entries, N times.
            "readdir" => {
                let (dir, n) = (arg(&args, 2), num(&args, 3));
                for _ in 0..n {
                    let d = open(&dirs, dir, OpenFlags::DIRECTORY, DescriptorFlags::READ).await;
                    let (rx, done) = d.read_directory();
                    let entries = rx.collect().await;
                    done.await.expect("read-directory");
                    assert!(entries.len() >= 10_000);
                }
            }
            // write MIB MiB sequentially in 64 KiB blocks, one stream.
            "seq-write" => {
                let mib = num(&args, 3);
                let f = open(
                    &dirs,
                    arg(&args, 2),
                    OpenFlags::CREATE | OpenFlags::TRUNCATE,
                    rw,
                )
                .await;
                let (mut tx, rx) = wasip3::wit_stream::new::<u8>();
                let done = f.write_via_stream(rx, 0);
                let mut block = vec![7u8; 64 << 10];
                for _ in 0..mib * 16 {
                    block = tx.write_all(block).await;
                    assert!(block.is_empty(), "the stream took only part of the bytes");
                    block.resize(64 << 10, 7);
                }
                drop(tx);
                done.await.expect("write-via-stream failed");
            }
            // read a file sequentially in 64 KiB blocks, one stream.
            "seq-read" => {
                let f = open(
                    &dirs,
                    arg(&args, 2),
                    OpenFlags::empty(),
                    DescriptorFlags::READ,
                )
                .await;
                let (mut rx, done) = f.read_via_stream(0);
                let mut total = 0u64;
                let mut block = Vec::with_capacity(64 << 10);
                loop {
                    let (status, buf) = rx.read(block).await;
                    total += buf.len() as u64;
                    if !matches!(status, StreamResult::Complete(_)) {
                        break; // the host closed the stream: end of file
                    }
                    block = buf;
                    block.clear();
                }
                drop(rx);
                done.await.expect("read-via-stream failed");
                assert!(total > 0);
            }
            // N short lines to stdout, one stream write each.
            "stdout-lines" => {
                let n = num(&args, 2);
                let (mut tx, rx) = wasip3::wit_stream::new();
                let done = stdout::write_via_stream(rx);
                for i in 0..n {
                    let rest = tx.write_all(format!("line {i}\n").into_bytes()).await;
                    assert!(rest.is_empty(), "stdout took only part of a line");
                }
                drop(tx);
                done.await.expect("stdout stream failed");
            }
            // N waits of 10 microseconds on the monotonic clock.
            "poll" => {
                for _ in 0..num(&args, 2) {
                    monotonic_clock::wait_for(10_000).await;
                }
            }
            // hash MIB MiB in memory: pure computation, no system calls.
            "compute" => {
                let h = compute::hash(num(&args, 2) as usize);
                print(format!("{h:016x}\n")).await;
            }
            "hello" => print("hello, world\n".to_string()).await,
            other => panic!("unknown workload {other}"),
        }
        Ok(())
    }
}
