//! Confinement over wasi:filesystem@0.3.2: runs the `p3-confine` component
//! (guests/p3-confine, a WASI 0.3 command built for wasm32-wasip2), which
//! makes the escape attempts of `p2-confine` through the async WASI 0.3
//! descriptor methods (`read-via-stream`/`write-via-stream` and the
//! `read-directory` stream in place of p2's `read`/`write` and
//! `directory-entry-stream`) and checks each error-code against the one
//! p2-confine expects. Then, on the host, checks that nothing outside the
//! sandbox changed (the same recursive snapshot as p1_confine.rs and
//! p2_confine.rs: names, types, sizes, contents, modes, mtimes, symlink
//! targets, before and after).
//!
//! Layout (host), as in p2_confine.rs:
//!   <tmp>/sandbox/            preopened as /sandbox (empty at start but for
//!                             the absolute symlinks made by `layout`)
//!   <tmp>/outside/secret.txt  "secret"
//!   <tmp>/outside/dir/        empty directory
//!   <tmp>/ro/file.txt, ro/sub/ the read-only mount for the `ro` mode
//!
//! The layout, snapshot and checks are shared with p1_confine.rs and
//! p2_confine.rs (common/confine.rs).

mod common;

use common::confine::{check_host_backend, check_memory_backend, check_readonly, run, Layout};
use common::guest_p2;
use std::path::PathBuf;

/// Attempts of the `rw` mode: p2-confine's 210. Every p2 attempt has a 0.3
/// counterpart (p2's `read`/`write` become `read-via-stream` /
/// `write-via-stream`), so none is dropped or added.
const RW_ATTEMPTS: u32 = 210;
/// Attempts of the `ro` mode: p2-confine's 51 (p2's `read(3, 5)` at the end
/// of file.txt is `read-via-stream(5)`, which must end with no bytes).
const RO_ATTEMPTS: u32 = 51;

/// The guest, a WASI 0.3 command built for wasm32-wasip2 by [`guest_p2`].
const GUEST: &str = "p3-confine";

/// The confine layout, plus the symlinks with absolute targets that the
/// escape attempts follow: wasi:filesystem guests cannot create those, so
/// they are made here, on the host.
fn layout() -> Layout {
    Layout::with_sandbox_setup(|root| {
        let sb = root.join("sandbox");
        let outside = root.join("outside");
        for (link, target) in [
            ("l_etc", PathBuf::from("/etc/passwd")),
            ("l_root", PathBuf::from("/")),
            ("l_abs_sandbox", PathBuf::from("/sandbox/file.txt")),
            ("l_host_secret", outside.join("secret.txt")),
            ("l_host_new", outside.join("created-through-abs-link.txt")),
            ("l_host_dir", outside.clone()),
        ] {
            std::os::unix::fs::symlink(target, sb.join(link)).unwrap();
        }
    })
}

// ---- the tests (one per p2_confine.rs test) ----

/// Host backend: escapes fail, and nothing outside `<tmp>/sandbox` changes.
#[test]
fn confine_host_backend() {
    check_host_backend(&layout(), &guest_p2(GUEST), RW_ATTEMPTS);
}

/// In-memory backend: escapes fail, and nothing on the host changes at all,
/// the copied sandbox included.
#[test]
fn confine_memory_backend() {
    check_memory_backend(&layout(), &guest_p2(GUEST), RW_ATTEMPTS);
}

/// A read-only host mount: every mutation is `read-only`, reads work, and
/// the directory is byte-identical afterwards (so is everything else).
#[test]
fn readonly_host_backend() {
    check_readonly(&layout(), &guest_p2(GUEST), "--dir", RO_ATTEMPTS);
}

/// The same checks against a read-only in-memory mount.
#[test]
fn readonly_memory_backend() {
    check_readonly(&layout(), &guest_p2(GUEST), "--mem-dir", RO_ATTEMPTS);
}

/// The guest itself notices a wrong result: its `rw` table run against a
/// read-only mount must report failures (so a pass above means something).
#[test]
fn guest_reports_failures() {
    let l = layout();
    let flags = vec![
        "--mem-dir".to_string(),
        l.arg(&l.sandbox(), "/sandbox", true),
    ];
    let out = run(&guest_p2(GUEST), &flags, &["rw"]);
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(
        out.fail_lines()
            .iter()
            .any(|l| l.contains("expected success got read-only")),
        "{}",
        out.describe()
    );
}
