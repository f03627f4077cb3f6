//! The official WASI testsuite (WebAssembly/wasi-testsuite, a copy in
//! `../shared/wasi-testsuite`): all four suites — AssemblyScript, C and Rust
//! for wasm32-wasip1, Rust for wasm32-wasip3 (cli, clocks, random,
//! filesystem, sockets, http client and `wasi:http/service`) — through the
//! upstream runner and Warden's adapter (`scripts/wasi-testsuite/`), on
//! fresh copies of the fixtures. Every test must pass, and both controls (a
//! module that traps, one that exits 3) must fail, so a runtime that runs
//! nothing cannot pass.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{repo_root, warden_bin};
use std::process::Command;

/// The binary under test runs the host layer this build asked for: with
/// the `portable-host` feature (scripts/test's second run), the portable
/// Unix calls, so the suite below proves them on Linux too.
#[test]
fn the_binary_reports_its_host_layer() {
    let out = Command::new(warden_bin())
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    let want = if cfg!(feature = "portable-host") || !cfg!(target_os = "linux") {
        "(host layer: unix)"
    } else {
        "(host layer: linux)"
    };
    assert!(version.contains(want), "{version:?} lacks {want:?}");
}

/// Runs scripts/wasi-testsuite/run.py with `args` on this build's warden:
/// (whether it exited 0, stdout, stderr), the summary lines echoed.
fn run_suite(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("python3")
        .arg(repo_root().join("scripts/wasi-testsuite/run.py"))
        .args(args)
        .arg("--runtime")
        .arg(warden_bin())
        .output()
        .expect("python3 runs the testsuite script");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            ["suite ", "controls", "testsuite:", "host tree"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    eprintln!("{}", summary.join("\n"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), stdout, stderr)
}

#[test]
fn official_testsuite_127_of_127() {
    let (ok, stdout, stderr) = run_suite(&[]);
    assert!(
        ok && stdout.contains("testsuite: 127 passed, 0 failed"),
        "the official WASI testsuite did not pass in full:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("controls (must fail): 2 of 2 failed"),
        "a control passed: {stdout}"
    );
}

/// The whole suite again with every test's directory granted as an overlay
/// (`--dir ROOT::/::overlay`): every test passes as on the host directory,
/// and the unpacked suites are byte-for-byte, mtime-for-mtime what they
/// were (run.py's `--overlay` compares a snapshot from before and after).
/// It found the in-memory backend reading at offset `u64::MAX` instead of
/// answering `invalid` (filesystem-io).
#[test]
fn official_testsuite_127_of_127_on_overlay_directories() {
    let (ok, stdout, stderr) = run_suite(&["--overlay"]);
    assert!(
        ok && stdout.contains("testsuite: 127 passed, 0 failed")
            && stdout.contains("host tree under the overlays: 0 paths changed"),
        "the official WASI testsuite did not pass in full on overlays:\n{stdout}\n{stderr}"
    );
}

/// The three wasm32-wasip1 suites (72 tests) with the host layer on
/// cap-std's own path resolver, the one macOS uses: under `qemu-x86_64`,
/// which has no `openat2`, so cap-std falls back to resolving step by step.
/// It found `O_DIRECTORY` breaking a followed symlink there
/// (`nofollow_errors`, `symlink_create`: `notdir`).
#[test]
fn wasip1_suites_on_cap_std_own_resolver_under_qemu_72_of_72() {
    let script = repo_root().join("scripts/wasi-testsuite/run.py");
    let runtime = format!("qemu-x86_64 {}", warden_bin().display());
    let out = Command::new("python3")
        .arg(&script)
        .args(["--runtime", &runtime, "--suites", "wasm32-wasip1"])
        .output()
        .expect("python3 runs the testsuite script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("testsuite: 72 passed, 0 failed"),
        "the wasm32-wasip1 suites under qemu-x86_64 (scripts/setup installs it):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
