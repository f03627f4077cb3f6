//! Issue 10, point 1: WASI 0.1 rights and 0.2 descriptor flags do not take
//! away what the preopen grants. `guests/p1-rights-zero` opens its scratch
//! directory with rights 0 (as Rust's std helpers and the preview1 adapter
//! do) and creates, writes, renames, links and removes inside it — as a 0.1
//! module, and as a component through the preview1 adapter (the same source
//! built for wasm32-wasip2), on the host and in-memory backends. A
//! read-only mount still refuses every change with `rofs`.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest, guest_p2, tempdir, warden};
use std::path::Path;

fn scratch() -> tempfile::TempDir {
    let d = tempdir();
    std::fs::write(d.path().join("seed.txt"), "seed").unwrap();
    d
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn run(wasm: &Path, flag: &str, dir: &Path, mode: &str) {
    let spec = if mode == "ro" {
        format!("{}::/scratch::ro", dir.display())
    } else {
        format!("{}::/scratch", dir.display())
    };
    let out = warden(["run", flag, &spec, wasm.to_str().unwrap(), mode]);
    out.assert_success();
    out.assert_stdout_contains("ok ");
    // Everything the guest made it removed again; the seed is untouched.
    assert_eq!(names(dir), ["seed.txt"], "{}", out.describe());
    assert_eq!(std::fs::read(dir.join("seed.txt")).unwrap(), b"seed");
}

#[test]
fn p1_module_host_backend() {
    let d = scratch();
    run(&guest("p1-rights-zero"), "--dir", d.path(), "rw");
}

#[test]
fn p1_module_memory_backend() {
    let d = scratch();
    run(&guest("p1-rights-zero"), "--mem-dir", d.path(), "rw");
}

#[test]
fn p1_module_read_only_mount_still_refuses_changes() {
    let d = scratch();
    run(&guest("p1-rights-zero"), "--dir", d.path(), "ro");
}

#[test]
fn through_the_preview1_adapter_host_backend() {
    let d = scratch();
    run(&guest_p2("p1-rights-zero"), "--dir", d.path(), "rw");
}

#[test]
fn through_the_preview1_adapter_memory_backend() {
    let d = scratch();
    run(&guest_p2("p1-rights-zero"), "--mem-dir", d.path(), "rw");
}

#[test]
fn through_the_preview1_adapter_read_only_mount() {
    let d = scratch();
    run(&guest_p2("p1-rights-zero"), "--dir", d.path(), "ro");
}
