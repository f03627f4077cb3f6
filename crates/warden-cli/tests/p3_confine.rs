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

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

/// Attempts of the `rw` mode: p2-confine's 1,652. Every p2 attempt has a 0.3
/// counterpart (p2's `read`/`write` become `read-via-stream` /
/// `write-via-stream`), so none is dropped or added.
const RW_ATTEMPTS: u32 = 1652;
/// Attempts of the `ro` mode: p2-confine's 51 (p2's `read(3, 5)` at the end
/// of file.txt is `read-via-stream(5)`, which must end with no bytes).
const RO_ATTEMPTS: u32 = 51;

/// The guest, a WASI 0.3 command built for wasm32-wasip2 by `guest_p2`.
const GUEST: &str = "p3-confine";

component_confine_tests!(GUEST, RW_ATTEMPTS, RO_ATTEMPTS);
