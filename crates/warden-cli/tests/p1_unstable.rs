//! The old `wasi_unstable` module (WASI snapshot 0): runs the `p1-unstable`
//! guest (guests/p1-unstable), a no_std program importing nothing but
//! `wasi_unstable`, which checks the layouts that differ from preview1
//! (filestat, whence, subscription) and calls every function of the module
//! with exact results and errnos.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest, tempdir, Output, Warden};
use std::fs;
use std::path::Path;

const GUEST: &str = "p1-unstable";
const ARG: &str = "h\u{e9}llo w\u{f6}rld";

#[track_caller]
fn assert_all_ok(out: &Output) {
    let fails = out.fail_lines();
    assert!(
        out.code == Some(0) && out.stdout.contains("ok ") && fails.is_empty(),
        "{} failed checks:\n{}\n\n{}",
        fails.len(),
        fails.join("\n"),
        out.describe()
    );
}

fn read_leb(b: &[u8], i: &mut usize) -> u32 {
    let (mut r, mut shift) = (0u32, 0);
    loop {
        let x = b[*i];
        *i += 1;
        r |= u32::from(x & 0x7f) << shift;
        shift += 7;
        if x < 0x80 {
            return r;
        }
    }
}

fn read_name(b: &[u8], i: &mut usize) -> String {
    let n = read_leb(b, i) as usize;
    let s = String::from_utf8(b[*i..*i + n].to_vec()).unwrap();
    *i += n;
    s
}

/// (module, name) of every import of a core wasm module.
fn imports(wasm: &Path) -> Vec<(String, String)> {
    let b = fs::read(wasm).unwrap();
    assert_eq!(&b[..8], b"\0asm\x01\0\0\0", "not a core module");
    let mut i = 8;
    let mut out = Vec::new();
    while i < b.len() {
        let id = b[i];
        i += 1;
        let len = read_leb(&b, &mut i) as usize;
        let end = i + len;
        if id == 2 {
            let count = read_leb(&b, &mut i);
            for _ in 0..count {
                let module = read_name(&b, &mut i);
                let name = read_name(&b, &mut i);
                match b[i] {
                    0 => {
                        i += 1;
                        read_leb(&b, &mut i);
                    }
                    1 => {
                        i += 2; // kind, reftype
                        let flag = b[i];
                        i += 1;
                        read_leb(&b, &mut i);
                        if flag & 1 != 0 {
                            read_leb(&b, &mut i);
                        }
                    }
                    2 => {
                        i += 1;
                        let flag = b[i];
                        i += 1;
                        read_leb(&b, &mut i);
                        if flag & 1 != 0 {
                            read_leb(&b, &mut i);
                        }
                    }
                    3 => i += 3,
                    k => panic!("unknown import kind {k}"),
                }
                out.push((module, name));
            }
        }
        i = end;
    }
    out
}

/// Every function of snapshot 0, plus `sock_accept` (preview1 only, but
/// Warden provides it under the old name too).
const UNSTABLE_FUNCTIONS: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
    "sock_accept",
];

/// The guest imports only `wasi_unstable` (nothing from preview1 or `env`),
/// and every function of it.
#[test]
fn imports_only_wasi_unstable() {
    let imps = imports(&guest(GUEST));
    let others: Vec<_> = imps.iter().filter(|(m, _)| m != "wasi_unstable").collect();
    assert!(others.is_empty(), "imports from other modules: {others:?}");
    for f in UNSTABLE_FUNCTIONS {
        assert!(
            imps.iter().any(|(_, n)| n == f),
            "{f} is not imported: {imps:?}"
        );
    }
    assert_eq!(
        imps.len(),
        UNSTABLE_FUNCTIONS.len(),
        "expected exactly {} imports: {imps:?}",
        UNSTABLE_FUNCTIONS.len()
    );
}

#[test]
fn unstable_host_backend() {
    let tmp = tempdir();
    let dir = tmp.path().join("d");
    fs::create_dir(&dir).unwrap();
    let out = Warden::new()
        .args(["run", "--dir", &format!("{}::/dir", dir.display())])
        .args(["--env", "UNSTABLE=yes"])
        .arg(guest(GUEST))
        .args(["check", ARG])
        .output();
    assert_all_ok(&out);
    // The writes went to the host directory.
    assert_eq!(fs::read(dir.join("u.txt")).unwrap(), b"hello unstable");
    assert!(dir.join("d").is_dir());
}

#[test]
fn unstable_memory_backend() {
    let tmp = tempdir();
    let dir = tmp.path().join("d");
    fs::create_dir(&dir).unwrap();
    let out = Warden::new()
        .args(["run", "--mem-dir", &format!("{}::/dir", dir.display())])
        .args(["--env", "UNSTABLE=yes"])
        .arg(guest(GUEST))
        .args(["check", ARG])
        .output();
    assert_all_ok(&out);
    // The writes stayed in memory.
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        0,
        "the in-memory run wrote to the host"
    );
}

/// `proc_exit` from `wasi_unstable` ends the program with its code.
#[test]
fn unstable_proc_exit() {
    let out = Warden::new()
        .arg("run")
        .arg(guest(GUEST))
        .arg("exit")
        .output();
    out.assert_code(42)
        .assert_stdout_contains("exiting with 42");
}

/// `proc_raise(term)` from `wasi_unstable` ends the guest alone; warden
/// exits with 128 + 15, as a shell reports a process killed by SIGTERM.
#[test]
fn unstable_proc_raise_term() {
    let out = Warden::new()
        .arg("run")
        .arg(guest(GUEST))
        .arg("raise")
        .output();
    out.assert_code(143).assert_stdout_contains("raising term");
    assert!(out.fail_lines().is_empty(), "{}", out.describe());
}
