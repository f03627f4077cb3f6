//! The official WASI testsuite (WebAssembly/wasi-testsuite, a copy in
//! `../shared/wasi-testsuite`): all four suites — AssemblyScript, C and Rust
//! for wasm32-wasip1, Rust for wasm32-wasip3 (cli, clocks, random,
//! filesystem, sockets, http client and `wasi:http/service`) — through the
//! upstream runner and Warden's adapter (`scripts/wasi-testsuite/`), on
//! fresh copies of the fixtures. Every test must pass, and both controls (a
//! module that traps, one that exits 3) must fail, so a runtime that runs
//! nothing cannot pass.

mod common;

use common::{repo_root, warden_bin};
use std::process::Command;

#[test]
fn official_testsuite_127_of_127() {
    let script = repo_root().join("scripts/wasi-testsuite/run.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--runtime")
        .arg(warden_bin())
        .output()
        .expect("python3 runs the testsuite script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            l.starts_with("suite ") || l.starts_with("controls") || l.starts_with("testsuite:")
        })
        .collect();
    eprintln!("{}", summary.join("\n"));
    assert!(
        out.status.success() && stdout.contains("testsuite: 127 passed, 0 failed"),
        "the official WASI testsuite did not pass in full:\n{}\n--- runner output ---\n{stdout}\n{stderr}",
        summary.join("\n")
    );
    assert!(
        stdout.contains("controls (must fail): 2 of 2 failed"),
        "a control passed: {stdout}"
    );
}
