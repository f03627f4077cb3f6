//! The three attacks of issue 11, each a dozen lines of WebAssembly text:
//! every one must end with a WASI error or a trap naming the limit or the
//! timeout, in under 2 s, with the host's peak RSS under 300 MB (measured
//! by the parent, `getrusage(RUSAGE_CHILDREN)` through python3), and the
//! 0.1 timeouts within 1.5 × the timeout.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::tempdir;
use std::path::Path;
use std::time::Duration;

fn run(args: &[&str], stdin: Option<&Path>) -> common::Measured {
    common::run_measured(args, stdin)
}

fn wat(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

const RSS_LIMIT_KIB: u64 = 300 * 1024;

/// `fd_read(0, iovs, 1_000_000, …)` where every iovec is the same 16 MiB
/// buffer: the host once allocated one bounce buffer of the sum (16 TB)
/// and aborted. Now the read goes into the first buffer alone (a short
/// read): 16 MiB from /dev/zero, exit 0.
#[test]
fn a_million_overlapping_iovecs_cost_no_host_memory() {
    let d = tempdir();
    let m = wat(
        d.path(),
        "iovecs.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 385)
  (func (export "_start") (local $i i32)
    (loop $fill
      (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 0x800000))
      (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 0x1000000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1000000))))
    (if (call $read (i32.const 0) (i32.const 0) (i32.const 1000000) (i32.const 0x1800000))
      (then (call $exit (i32.const 2))))
    (call $exit (i32.ne (i32.load (i32.const 0x1800000)) (i32.const 0x1000000)))))"#,
    );
    let r = run(&["run", &m], Some(Path::new("/dev/zero")));
    assert_eq!(
        r.code,
        Some(0),
        "a 16 MiB read into the first iovec: {}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(2), "took {:?}", r.elapsed);
    assert!(
        r.max_rss_kib < RSS_LIMIT_KIB,
        "peak RSS {} KiB",
        r.max_rss_kib
    );
}

/// With `--mem-dir /m`: create a file and `fd_filestat_set_size(fd, 1 << 40)`:
/// the host once aborted allocating 1 TiB. Now it is `nospc` (51) against
/// the in-memory filesystem's quota, before anything is allocated; and
/// `::size=` sets that quota.
#[test]
fn a_terabyte_set_size_on_a_memory_dir_is_nospc() {
    let d = tempdir();
    let text = |size: &str| {
        format!(
            r#"(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $size (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "f")
  (func (export "_start")
    (if (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 1)
                    (i64.const 0x400040) (i64.const 0) (i32.const 0) (i32.const 16))
      (then (call $exit (i32.const 100))))
    (call $exit (call $size (i32.load (i32.const 16)) (i64.const {size})))))"#
        )
    };
    let big = wat(d.path(), "big.wat", &text("1099511627776"));
    let r = run(
        &["run", "--mem-dir", "/m", &big],
        Some(Path::new("/dev/null")),
    );
    assert_eq!(r.code, Some(51), "nospc: {}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(2), "took {:?}", r.elapsed);
    assert!(
        r.max_rss_kib < RSS_LIMIT_KIB,
        "peak RSS {} KiB",
        r.max_rss_kib
    );
    // Within the default quota (256 MiB): fine; over a smaller one: nospc.
    let mib = wat(d.path(), "mib.wat", &text("1048576"));
    let r = run(
        &["run", "--mem-dir", "/m", &mib],
        Some(Path::new("/dev/null")),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run(
        &["run", "--mem-dir", "/m::size=64K", &mib],
        Some(Path::new("/dev/null")),
    );
    assert_eq!(
        r.code,
        Some(51),
        "over --mem-dir /m::size=64K: {}",
        r.stderr
    );
}

/// `-W timeout=1s` ends a 0.1 guest sleeping 60 s in `poll_oneoff`, one
/// blocked reading a stdin nobody writes to, and one waiting in
/// `sock_accept` for a connection that never comes: a trap naming the time
/// limit (exit 134) within 1.5 × the timeout.
#[test]
fn the_time_limit_reaches_into_p1_waits() {
    let d = tempdir();
    let sleep = wat(
        d.path(),
        "sleep.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 60000000000))
    (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))"#,
    );
    let read = wat(
        d.path(),
        "read.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 100)))))"#,
    );
    let accept = wat(
        d.path(),
        "accept.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $accept (i32.const 3) (i32.const 0) (i32.const 100)))))"#,
    );
    let listen = format!("127.0.0.1:{}", common::free_port());
    for (what, module, extra) in [
        ("poll_oneoff sleep", &sleep, vec![]),
        ("stdin read", &read, vec![]),
        (
            "sock_accept with nobody connecting",
            &accept,
            vec!["--tcplisten", listen.as_str()],
        ),
    ] {
        let mut args = vec!["run", "-W", "timeout=1s"];
        args.extend(extra);
        args.push(module);
        let r = run(&args, None);
        assert_eq!(r.code, Some(134), "{what}: {}", r.stderr);
        assert!(
            r.stderr.contains("time limit"),
            "{what}: the trap names the limit: {}",
            r.stderr
        );
        assert!(
            r.elapsed < Duration::from_millis(1500 + 300),
            "{what}: ended after {:?} (the limit is 1 s; python3's own start-up aside)",
            r.elapsed
        );
    }
}
