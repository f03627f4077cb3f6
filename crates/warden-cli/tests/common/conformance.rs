//! Shared by the conformance suites (p1_conformance.rs, p2_conformance.rs):
//! the guests print `FAIL <check>: ...` to stderr for each failed check and
//! `ok <n> checks` to stdout when all pass.

use super::{Output, Warden};
use std::path::Path;

/// `warden run <flags> <wasm file name> <args>`, started in the directory of
/// `wasm` so the guest's first argument is exactly its file name.
pub fn conformance(wasm: &Path, flags: &[&str], args: &[&str]) -> Warden {
    let name = wasm.file_name().unwrap().to_str().unwrap().to_owned();
    Warden::new()
        .cwd(wasm.parent().unwrap())
        .arg("run")
        .args(flags)
        .arg(name)
        .args(args)
}

/// Exit 0, an `ok ` on stdout and no `FAIL ` line.
#[track_caller]
pub fn assert_all_ok(out: &Output) {
    let fails = out.fail_lines();
    let other_stderr: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.starts_with("FAIL "))
        .collect();
    assert!(
        out.code == Some(0) && out.stdout.contains("ok ") && fails.is_empty(),
        "{} failed checks:\n{}\n--- exit code {:?}, signal {:?}{}\n--- stdout ---\n{}\n--- other stderr ---\n{}",
        fails.len(),
        fails.join("\n"),
        out.code,
        out.signal,
        if out.timed_out { ", TIMED OUT" } else { "" },
        out.stdout,
        other_stderr.join("\n")
    );
}

/// The names in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The guest's `all` sub-command with `dir` mounted as /sandbox through
/// `backend_flag` (`--dir` or `--mem-dir`) and the two test variables.
pub fn run_all(wasm: &Path, backend_flag: &str, dir: &Path) -> Output {
    let mount = format!("{}::/sandbox", dir.display());
    conformance(
        wasm,
        &[
            backend_flag,
            &mount,
            "--env",
            "WARDEN_T1=one",
            "--env",
            "WARDEN_T2=two=2",
        ],
        &["all"],
    )
    .output()
}
