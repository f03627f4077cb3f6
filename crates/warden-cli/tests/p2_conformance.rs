//! WASI 0.2 conformance: runs the `p2-conformance` component
//! (guests/p2-conformance, built for wasm32-wasip2) through the real
//! `warden` binary. The guest prints `FAIL <check>: ...` to stderr for each
//! failed check and `ok <n> checks` to stdout when all pass. Also: a
//! component built against WASI 0.2.0 (guests/p2-v020) runs.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::conformance::{assert_all_ok, entries};
use common::{guest_p2, tempdir, Output, Warden};
use std::path::Path;

const GUEST: &str = "p2-conformance";

/// What the `stdin` sub-command expects on stdin (guests/p2-conformance/src/stdin.rs).
const STDIN_DATA: &[u8] = b"hello stdin\nline two\nsplice me\n";

/// `warden run <flags> p2-conformance.wasm <args>`, started in the guest
/// directory so the first argument is exactly `p2-conformance.wasm`.
fn conformance(flags: &[&str], args: &[&str]) -> Warden {
    common::conformance::conformance(&guest_p2(GUEST), flags, args)
}

fn run_all(backend_flag: &str, dir: &Path) -> Output {
    common::conformance::run_all(&guest_p2(GUEST), backend_flag, dir)
}

/// The guest's writes to stdout and stderr arrive, in order.
#[track_caller]
fn assert_stdio(out: &Output) {
    assert!(
        out.stdout
            .starts_with("p2 out write\np2 out blocking\np2 out second\n"),
        "stdout writes: {}",
        out.describe()
    );
    assert!(
        out.stderr.starts_with("p2 err write\n"),
        "stderr write: {}",
        out.describe()
    );
}

#[test]
fn all_host_dir() {
    let tmp = tempdir();
    let out = run_all("--dir", tmp.path());
    assert_all_ok(&out);
    assert_stdio(&out);
    // The guest's writes reached the host directory.
    assert_eq!(
        std::fs::read(tmp.path().join("io_splice_dst"))
            .ok()
            .as_deref(),
        Some(&b"0123456789abcdef"[..]),
        "host file written by the guest"
    );
    assert!(tmp.path().join("d1/sub").is_dir());
    assert_eq!(
        std::fs::read_link(tmp.path().join("l1")).ok(),
        Some("f1".into()),
        "symlink made by the guest"
    );
}

#[test]
fn all_mem_dir() {
    let tmp = tempdir();
    let out = run_all("--mem-dir", tmp.path());
    assert_all_ok(&out);
    assert_stdio(&out);
    assert!(
        entries(tmp.path()).is_empty(),
        "in-memory writes reached the host: {:?}",
        entries(tmp.path())
    );
}

#[test]
fn stdin_piped() {
    let out = conformance(&[], &["stdin"]).stdin(STDIN_DATA).output();
    assert_all_ok(&out);
    // The tail of stdin was spliced to stdout.
    assert!(
        out.stdout.starts_with("splice me\nok "),
        "spliced stdin on stdout: {}",
        out.describe()
    );
}

#[test]
fn exit_statuses() {
    for (args, want) in [
        (&["exit-code", "7"][..], 7),
        (&["exit-code", "0"][..], 0),
        (&["exit-code", "255"][..], 255),
        (&["exit-ok"][..], 0),
        (&["exit-err"][..], 1),
    ] {
        let out = conformance(&[], args).output();
        assert_eq!(out.code, Some(want), "{args:?}: {}", out.describe());
        assert!(
            !out.stdout.contains("ok ") && out.fail_lines().is_empty(),
            "{args:?} returned from exit: {}",
            out.describe()
        );
    }
}

/// A component built against WASI 0.2.0 (imports `...@0.2.0` only) runs.
#[test]
fn wasi_0_2_0_component() {
    let wasm = guest_p2("p2-v020");
    // It really imports 0.2.0, and no other 0.2.x.
    let bytes = std::fs::read(&wasm).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let mut versions: Vec<&str> = text
        .match_indices("@0.2.")
        .map(|(i, _)| {
            let tail = &text[i + 1..];
            let end = tail
                .find(|c: char| !c.is_ascii_digit() && c != '.')
                .unwrap_or(tail.len());
            tail[..end].trim_end_matches('.')
        })
        .collect();
    versions.sort();
    versions.dedup();
    assert_eq!(
        versions,
        vec!["0.2.0"],
        "WASI versions named in {}",
        wasm.display()
    );
    for import in [
        "wasi:cli/stdout@0.2.0",
        "wasi:filesystem/preopens@0.2.0",
        "wasi:filesystem/types@0.2.0",
        "wasi:io/streams@0.2.0",
    ] {
        assert!(
            text.contains(import),
            "{} does not import {import}",
            wasm.display()
        );
    }

    let tmp = tempdir();
    std::fs::write(tmp.path().join("hello.txt"), "file contents\nline 2\n").unwrap();
    for backend in ["--dir", "--mem-dir"] {
        let out = Warden::new()
            .arg("run")
            .arg(backend)
            .arg(format!("{}::/data", tmp.path().display()))
            .arg(&wasm)
            .args(["x", "y"])
            .output();
        out.assert_success();
        assert_eq!(
            out.stdout,
            "hello from wasi 0.2.0\nfile contents\nline 2\nargs: 3\n",
            "{backend}: {}",
            out.describe()
        );
        assert_eq!(out.stderr, "", "{backend}: {}", out.describe());
    }
    // Without the grant it fails cleanly (run returns an error: status 1).
    let out = Warden::new().arg("run").arg(&wasm).output();
    out.assert_code(1)
        .assert_stderr_contains("p2-v020: no preopen named /data");
}
