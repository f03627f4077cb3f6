//! Confinement over wasi:filesystem: runs the `p2-confine` component
//! (guests/p2-confine, built for wasm32-wasip2), which makes the escape
//! attempts of `p1-confine` through the WASI 0.2 descriptor methods and
//! checks each error-code against the one matching p1-confine's errno. Then,
//! on the host, checks that nothing outside the sandbox changed (the same
//! recursive snapshot as p1_confine.rs: names, types, sizes, contents, modes,
//! mtimes, symlink targets, before and after).
//!
//! Layout (host), as in p1_confine.rs:
//!   <tmp>/sandbox/            preopened as /sandbox (empty at start but for
//!                             the absolute symlinks made by `layout`)
//!   <tmp>/outside/secret.txt  "secret"
//!   <tmp>/outside/dir/        empty directory
//!   <tmp>/ro/file.txt, ro/sub/ the read-only mount for the `ro` mode
//!
//! The layout, snapshot and checks are shared with p1_confine.rs
//! (common/confine.rs).

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

/// Attempts of the `rw` mode: p1-confine's 1,653 (its 211 written one by
/// one, the 1,440 of the shared escape matrix and two checks after it)
/// less its descriptor-number probe ("fd_readdir on the fd a refused open
/// would have had"), which has no wasi:filesystem counterpart.
const RW_ATTEMPTS: u32 = 1652;
/// Attempts of the `ro` mode: p1-confine's 51 (two rights-only opens
/// replaced by two `mutate-directory` requests).
const RO_ATTEMPTS: u32 = 51;

/// The guest, built for wasm32-wasip2 by `guest_p2`.
const GUEST: &str = "p2-confine";

component_confine_tests!(GUEST, RW_ATTEMPTS, RO_ATTEMPTS);
