//! The hostile-guest suite (issue 11, point 4): small WASI 0.1 modules in
//! WebAssembly text, each an attack on one bound — memory bounds, handles,
//! iovecs, paths, poll, clocks, random, sockets, the in-memory
//! filesystem's quota, rights, time, fuel, stack, memory growth. (Attacks
//! on HTTP and on a server are components: serve_attack.rs.) Each must end with the
//! expected WASI error (the module exits with the errno it got) or a clean
//! trap (exit 134), within a stated time and a host-RSS bound, with the
//! host process alive (its exit is the guest's, never a host crash).

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{run_measured, tempdir};
use std::time::Duration;

/// Every import an attack may use, declared once.
const IMPORTS: &str = r#"
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_allocate" (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_rights" (func $fd_fdstat_set_rights (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
"#;

/// Strings the attacks point at: "f" at 2048, "../x" at 2064, "/etc/passwd"
/// at 2080, "a\0b" at 2112, "d" at 2128.
const DATA: &str = r#"
  (data (i32.const 2048) "f")
  (data (i32.const 2064) "../x")
  (data (i32.const 2080) "/etc/passwd")
  (data (i32.const 2112) "a\00b")
  (data (i32.const 2128) "d")
"#;

/// Opens (creating) "f" beneath the preopen, read-write; its fd. A failed
/// open exits with its errno.
const OPEN_F: &str = r#"
  (func $open_f (result i32) (local $e i32)
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 2048) (i32.const 1) (i32.const 1)
                         (i64.const 0x1fffffff) (i64.const 0) (i32.const 0) (i32.const 512)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    (i32.load (i32.const 512)))
"#;

fn module(body: &str) -> String {
    format!(
        "(module {IMPORTS} (memory (export \"memory\") 2) {DATA} {OPEN_F}
          (func $recurse (param i32) (result i32) (i32.add (call $recurse (local.get 0)) (i32.const 1)))
          (func (export \"_start\") {body}))"
    )
}

/// How an attack must end.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The module exits with this status (the errno it was given).
    Exit(i32),
    /// A trap: exit 134, with this text in the message.
    Trap(&'static str),
}

use Expect::{Exit, Trap};

const FAULT: i32 = 21;
const INVAL: i32 = 28;
const BADF: i32 = 8;
const PERM: i32 = 63;
const ILSEQ: i32 = 25;
const NAMETOOLONG: i32 = 37;
const NOSPC: i32 = 51;
const FBIG: i32 = 22;
const NOTSOCK: i32 = 57;
const NOTCAPABLE: i32 = 76;
const ISDIR: i32 = 31;
const MFILE: i32 = 33;
const AGAIN: i32 = 6;
const NOTCONN: i32 = 53;

/// A listening socket at fd 4 (after the preopen at 3), as `--tcplisten`
/// gives a WASI 0.1 module.
const LISTEN: &str = "--tcplisten=127.0.0.1:0";

/// Makes directories named `aaa`, `baa`, `caa`… (4,096 names) until one
/// fails, and exits with its errno.
const MKDIR_LOOP: &str = r#"(local $i i32) (local $e i32)
  (loop $more
    (i32.store8 (i32.const 4096) (i32.add (i32.const 97) (i32.and (local.get $i) (i32.const 15))))
    (i32.store8 (i32.const 4097) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const 4)) (i32.const 15))))
    (i32.store8 (i32.const 4098) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const 8)) (i32.const 15))))
    (local.set $e (call $path_create_directory (i32.const 3) (i32.const 4096) (i32.const 3)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $more))"#;

/// Makes symlinks named as in [`MKDIR_LOOP`], each with a 4,000-byte
/// target, until one fails, and exits with its errno.
const SYMLINK_LOOP: &str = r#"(local $i i32) (local $e i32)
  (memory.fill (i32.const 8192) (i32.const 120) (i32.const 4000))
  (loop $more
    (i32.store8 (i32.const 4096) (i32.add (i32.const 97) (i32.and (local.get $i) (i32.const 15))))
    (i32.store8 (i32.const 4097) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const 4)) (i32.const 15))))
    (i32.store8 (i32.const 4098) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const 8)) (i32.const 15))))
    (local.set $e (call $path_symlink (i32.const 8192) (i32.const 4000) (i32.const 3) (i32.const 4096) (i32.const 3)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $more))"#;

/// (name, extra flags, body, expectation).
fn attacks() -> Vec<(&'static str, Vec<&'static str>, String, Expect)> {
    let e = |call: &str| format!("(call $exit {call})");
    vec![
        ("fd_write: iovec array past memory", vec![], e("(call $fd_write (i32.const 1) (i32.const 0x1fff8) (i32.const 2) (i32.const 0))"), Exit(FAULT)),
        ("fd_write: 4 G iovecs", vec![], e("(call $fd_write (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 0))"), Exit(FAULT)),
        ("fd_write: an iovec buffer past memory", vec![], format!("(i32.store (i32.const 0) (i32.const 0x1ff00)) (i32.store (i32.const 4) (i32.const 0x10000)) {}", e("(call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))")), Exit(FAULT)),
        ("fd_write: nwritten pointer past memory", vec![], e("(call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const -4))"), Exit(FAULT)),
        ("fd_read: nread pointer past memory", vec![], e("(call $fd_read (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0x20000))"), Exit(FAULT)),
        ("fd_read: iovec length wraps the address space", vec![], format!("(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const -1)) {}", e("(call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))")), Exit(FAULT)),
        ("path_open: 4 GiB path length", vec![], e("(call $path_open (i32.const 3) (i32.const 0) (i32.const 2048) (i32.const -1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512))"), Exit(FAULT)),
        ("path_open: path runs past memory", vec![], e("(call $path_open (i32.const 3) (i32.const 0) (i32.const 0x1ffff) (i32.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512))"), Exit(FAULT)),
        ("path_open: a 5000-byte name", vec![], format!("(memory.fill (i32.const 4096) (i32.const 97) (i32.const 5000)) {}", e("(call $path_open (i32.const 3) (i32.const 0) (i32.const 4096) (i32.const 5000) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512))")), Exit(NAMETOOLONG)),
        ("path_open: ../ out of the preopen", vec![], e("(call $path_open (i32.const 3) (i32.const 0) (i32.const 2064) (i32.const 4) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512))"), Exit(PERM)),
        ("path_open: an absolute path", vec![], e("(call $path_open (i32.const 3) (i32.const 0) (i32.const 2080) (i32.const 11) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512))"), Exit(PERM)),
        ("path_open: a NUL in the path", vec![], e("(call $path_open (i32.const 3) (i32.const 0) (i32.const 2112) (i32.const 3) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 512))"), Exit(ILSEQ)),
        ("path_open: the new fd's pointer past memory", vec![], e("(call $path_open (i32.const 3) (i32.const 0) (i32.const 2048) (i32.const 1) (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const -1))"), Exit(FAULT)),
        ("fd_close: fd 4294967295", vec![], e("(call $fd_close (i32.const -1))"), Exit(BADF)),
        ("fd_renumber: onto fd 4294967295", vec![], e("(call $fd_renumber (i32.const 3) (i32.const -1))"), Exit(BADF)),
        ("fd_seek: past i64::MAX (inval, as Linux)", vec![], format!("(drop (call $fd_seek (call $open_f) (i64.const 10) (i32.const 0) (i32.const 0))) {}", e("(call $fd_seek (i32.load (i32.const 512)) (i64.const 0x7fffffffffffffff) (i32.const 1) (i32.const 0))")), Exit(INVAL)),
        ("fd_seek: bad whence", vec![], e("(call $fd_seek (call $open_f) (i64.const 0) (i32.const 9) (i32.const 0))"), Exit(INVAL)),
        ("poll_oneoff: no subscriptions", vec![], e("(call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 0) (i32.const 0))"), Exit(INVAL)),
        ("poll_oneoff: 2^28 subscriptions", vec![], e("(call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 0x10000000) (i32.const 0))"), Exit(FAULT)),
        ("args_get: argv pointer past memory", vec![], e("(call $args_get (i32.const -8) (i32.const 0))"), Exit(FAULT)),
        ("environ_sizes_get: pointer past memory", vec![], e("(call $environ_sizes_get (i32.const 0x1fffe) (i32.const 0))"), Exit(FAULT)),
        ("random_get: 4 GiB", vec![], e("(call $random_get (i32.const 0) (i32.const -1))"), Exit(FAULT)),
        ("random_get: buffer past memory", vec![], e("(call $random_get (i32.const 0x1fff0) (i32.const 32))"), Exit(FAULT)),
        ("clock_time_get: unknown clock", vec![], e("(call $clock_time_get (i32.const 99) (i64.const 0) (i32.const 0))"), Exit(INVAL)),
        ("fd_readdir: 4 GiB buffer", vec![], e("(call $fd_readdir (i32.const 3) (i32.const 0) (i32.const -1) (i64.const 0) (i32.const 16))"), Exit(FAULT)),
        ("fd_prestat_dir_name: buffer past memory", vec![], e("(call $fd_prestat_dir_name (i32.const 3) (i32.const 0x1ffff) (i32.const 64))"), Exit(FAULT)),
        ("fd_allocate: a terabyte on a memory dir", vec!["mem"], e("(call $fd_allocate (call $open_f) (i64.const 0) (i64.const 0x10000000000))"), Exit(NOSPC)),
        ("fd_allocate: past the largest file", vec!["mem"], e("(call $fd_allocate (call $open_f) (i64.const 0x7fffffffffffffff) (i64.const 2))"), Exit(FBIG)),
        ("fd_pwrite: at offset 2^62 on a memory dir", vec!["mem"], format!("(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4)) {}", e("(call $fd_pwrite (call $open_f) (i32.const 0) (i32.const 1) (i64.const 0x4000000000000000) (i32.const 32))")), Exit(FBIG)),
        ("fd_pwrite: past the memory dir's quota", vec!["mem"], format!("(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4)) {}", e("(call $fd_pwrite (call $open_f) (i32.const 0) (i32.const 1) (i64.const 0x20000000) (i32.const 32))")), Exit(NOSPC)),
        ("path_create_directory: past a memory dir's inode quota", vec!["mem", "inodes=100"], MKDIR_LOOP.to_string(), Exit(NOSPC)),
        ("path_symlink: long targets past a memory dir's size quota", vec!["mem", "size=64K"], SYMLINK_LOOP.to_string(), Exit(NOSPC)),
        ("proc_raise: signal 99", vec![], e("(call $proc_raise (i32.const 99))"), Exit(INVAL)),
        ("sock_accept: on a directory", vec![], e("(call $sock_accept (i32.const 3) (i32.const 0) (i32.const 16))"), Exit(NOTSOCK)),
        ("fd_fdstat_set_rights: growing rights", vec![], format!("(drop (call $fd_fdstat_set_rights (call $open_f) (i64.const 2) (i64.const 0))) {}", e("(call $fd_fdstat_set_rights (i32.load (i32.const 512)) (i64.const 0x1fffffff) (i64.const 0))")), Exit(NOTCAPABLE)),
        ("path_symlink: an absolute target", vec![], e("(call $path_symlink (i32.const 2080) (i32.const 11) (i32.const 3) (i32.const 2128) (i32.const 1))"), Exit(PERM)),
        ("path_rename: out of the preopen", vec![], format!("(drop (call $open_f)) {}", e("(call $path_rename (i32.const 3) (i32.const 2048) (i32.const 1) (i32.const 3) (i32.const 2064) (i32.const 4))")), Exit(PERM)),
        ("fd_read: on a directory", vec![], format!("(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4)) {}", e("(call $fd_read (i32.const 3) (i32.const 0) (i32.const 1) (i32.const 32))")), Exit(ISDIR)),
        ("path_create_directory: out of the preopen", vec![], e("(call $path_create_directory (i32.const 3) (i32.const 2064) (i32.const 4))"), Exit(PERM)),
        ("descriptors: past -S max-resources", vec!["-S", "max-resources=16"], "(loop $more (drop (call $open_f)) (br $more))".to_string(), Exit(MFILE)),
        ("sock_accept: blocked with nobody connecting, under -W timeout", vec![LISTEN, "-W", "timeout=500ms"], e("(call $sock_accept (i32.const 4) (i32.const 0) (i32.const 16))"), Trap("time limit")),
        ("sock_accept: non-blocking, nobody connecting", vec![LISTEN], e("(call $sock_accept (i32.const 4) (i32.const 4) (i32.const 16))"), Exit(AGAIN)),
        ("sock_accept: unknown flags", vec![LISTEN], e("(call $sock_accept (i32.const 4) (i32.const 0xfff0) (i32.const 16))"), Exit(INVAL)),
        ("sock_accept: result pointer past memory", vec![LISTEN], e("(call $sock_accept (i32.const 4) (i32.const 4) (i32.const -4))"), Exit(FAULT)),
        ("sock_recv: on a listener, iovecs past memory", vec![LISTEN], e("(call $sock_recv (i32.const 4) (i32.const 0x1fff8) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0))"), Exit(FAULT)),
        ("sock_recv: on a listener", vec![LISTEN], format!("(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4)) {}", e("(call $sock_recv (i32.const 4) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 32) (i32.const 36))")), Exit(NOTCONN)),
        ("sock_send: on a listener", vec![LISTEN], format!("(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4)) {}", e("(call $sock_send (i32.const 4) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 32))")), Exit(NOTCONN)),
        ("sock_shutdown: unknown direction", vec![LISTEN], e("(call $sock_shutdown (i32.const 4) (i32.const 99))"), Exit(INVAL)),
        ("sock_shutdown: on a file", vec![], e("(call $sock_shutdown (call $open_f) (i32.const 3))"), Exit(NOTSOCK)),
        ("unreachable", vec![], "unreachable".to_string(), Trap("unreachable")),
        ("a loop with no end, under -W timeout", vec!["-W", "timeout=500ms"], "(loop $spin (br $spin))".to_string(), Trap("interrupt")),
        ("a loop with no end, under --fuel", vec!["--fuel", "1000000"], "(loop $spin (br $spin))".to_string(), Trap("fuel")),
        ("unbounded recursion", vec![], "(drop (call $recurse (i32.const 0)))".to_string(), Trap("stack")),
        ("memory.grow past -W max-memory-size", vec!["-W", "max-memory-size=1048576"], e("(i32.eq (memory.grow (i32.const 100)) (i32.const -1))"), Exit(1)),
        ("a 4 GiB memory.grow", vec![], e("(i32.eq (memory.grow (i32.const 65535)) (i32.const -1))"), Exit(1)),
    ]
}

#[test]
fn every_attack_ends_as_expected_within_its_bounds() {
    let d = tempdir();
    let mut failures = Vec::new();
    let all = attacks();
    assert!(all.len() >= 40, "the suite has {} attacks", all.len());
    for (i, (name, flags, body, expect)) in all.into_iter().enumerate() {
        let file = d.path().join(format!("attack-{i}.wat"));
        std::fs::write(&file, module(&body)).unwrap();
        let scratch = d.path().join(format!("scratch-{i}"));
        std::fs::create_dir(&scratch).unwrap();
        let mut args: Vec<String> = vec!["run".into()];
        let mem = flags.first() == Some(&"mem");
        if mem {
            // ["mem", "inodes=64"]: `--mem-dir /s::inodes=64`.
            let spec: String = std::iter::once("/s")
                .chain(flags[1..].iter().copied())
                .collect::<Vec<_>>()
                .join("::");
            args.extend(["--mem-dir".into(), spec]);
        } else {
            args.extend(["--dir".into(), format!("{}::/s", scratch.display())]);
            args.extend(flags.iter().map(|f| f.to_string()));
        }
        args.push(file.to_str().unwrap().to_owned());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_measured(&argv, Some(std::path::Path::new("/dev/null")));
        let ok = match expect {
            Exit(code) => r.code == Some(code),
            Trap(text) => r.code == Some(134) && r.stderr.to_lowercase().contains(text),
        };
        if !ok {
            failures.push(format!(
                "{name}: expected {expect:?}, got exit {:?}: {}",
                r.code,
                r.stderr.lines().last().unwrap_or("")
            ));
        }
        if r.elapsed > Duration::from_secs(5) {
            failures.push(format!("{name}: took {:?} (bound 5 s)", r.elapsed));
        }
        if r.max_rss_kib > 300 * 1024 {
            failures.push(format!(
                "{name}: peak host RSS {} KiB (bound 300 MB)",
                r.max_rss_kib
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} attack(s) went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
