//! Confinement: runs the `p1-confine` guest (guests/p1-confine), which tries
//! to escape its preopened directory in every way it can think of and checks
//! each errno against docs/p1-semantics.md. Then, on the host, checks that
//! nothing outside the sandbox changed: a recursive snapshot of the temp dir
//! (names, types, sizes, contents, modes, mtimes, symlink targets) is taken
//! before and after and must be identical.
//!
//! Layout (host):
//!   <tmp>/sandbox/            preopened as /sandbox (empty at start)
//!   <tmp>/outside/secret.txt  "secret"
//!   <tmp>/outside/dir/        empty directory
//!   <tmp>/ro/file.txt, ro/sub/ the read-only mount for the `ro` mode
//!
//! The layout, snapshot and checks are shared with p2_confine.rs
//! (common/confine.rs).

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::confine::{
    check_host_backend, check_memory_backend, check_overlay_backend, check_readonly,
    component_layout, diff, set_mtime, snapshot, Layout,
};
use common::guest;
use std::fs;

const GUEST: &str = "p1-confine";

/// Escape attempts the suite must report: 211 written one by one, the
/// 1,440 of the escape matrix (guests/shared/escape_matrix.rs: 96 paths
/// out of the preopen × 15 path operations, each `perm`) and two checks
/// that the matrix's link and rename targets were not created.
const MIN_ATTEMPTS: u32 = 1653;

/// Host backend: escapes fail, and nothing outside `<tmp>/sandbox` changes.
#[test]
fn confine_host_backend() {
    check_host_backend(&component_layout(), &guest(GUEST), MIN_ATTEMPTS);
}

/// In-memory backend: escapes fail, and nothing on the host changes at all,
/// the copied sandbox included.
#[test]
fn confine_memory_backend() {
    check_memory_backend(&component_layout(), &guest(GUEST), MIN_ATTEMPTS);
}

/// Overlay: escapes fail, and nothing on the host changes at all, the
/// overlaid sandbox included.
#[test]
fn confine_overlay_backend() {
    check_overlay_backend(&component_layout(), &guest(GUEST), MIN_ATTEMPTS);
}

/// A read-only host mount: every mutation is `rofs`, reads work, and the
/// directory is byte-identical afterwards (so is everything else).
#[test]
fn readonly_host_backend() {
    check_readonly(&Layout::new(), &guest(GUEST), "--dir", 30);
}

/// The same checks against a read-only in-memory mount.
#[test]
fn readonly_memory_backend() {
    check_readonly(&Layout::new(), &guest(GUEST), "--mem-dir", 30);
}

/// The snapshot itself notices the kinds of change an escape would make
/// (so an empty diff above means something).
#[test]
fn snapshot_detects_changes() {
    let l = Layout::new();
    let skip = l.sandbox();
    let base = snapshot(&l.root, Some(&skip));
    fs::write(l.sandbox().join("inside.txt"), "x").unwrap();
    assert!(
        diff(&base, &snapshot(&l.root, Some(&skip))).is_empty(),
        "sandbox changes are ignored"
    );

    let secret = l.root.join("outside/secret.txt");
    fs::write(&secret, "SECRET").unwrap();
    assert!(
        !diff(&base, &snapshot(&l.root, Some(&skip))).is_empty(),
        "content change"
    );
    fs::write(&secret, "secret").unwrap();

    set_mtime(&secret, 1_100_000_000);
    let d = diff(&base, &snapshot(&l.root, Some(&skip)));
    assert!(
        d.iter().any(|l| l.contains("secret.txt")),
        "mtime change: {d:?}"
    );

    let base = snapshot(&l.root, Some(&skip));
    fs::write(l.root.join("outside/dir/new"), "").unwrap();
    fs::remove_file(l.root.join("outside/dir/new")).unwrap();
    // created and removed again: the directory's mtime still tells
    let d = diff(&base, &snapshot(&l.root, Some(&skip)));
    assert!(
        !d.is_empty(),
        "create+remove inside outside/dir went unnoticed"
    );

    let base = snapshot(&l.root, Some(&skip));
    std::os::unix::fs::symlink("x", l.root.join("outside/ln")).unwrap();
    let d = diff(&base, &snapshot(&l.root, Some(&skip)));
    assert!(
        d.iter().any(|l| l.starts_with("created: outside/ln")),
        "{d:?}"
    );
}
