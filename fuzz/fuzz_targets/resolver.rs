//! Target (c) of issue 11: the in-memory backend's path resolver against
//! the host kernel's `openat2(RESOLVE_BENEATH)` (and Warden's host backend
//! against both), on small trees of directories, files and symlinks of
//! every shape made alike on both sides. The harness is
//! `warden_fuzz::resolver`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_fuzz::resolver::{Resolutions, Resolver};

fn target() -> &'static Resolver {
    static T: OnceLock<(Resolver, tempfile::TempDir)> = OnceLock::new();
    warden_fuzz::scratch(&T, Resolver::new)
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = target().run(data, &mut Resolutions::default()) {
        panic!("{e:#}");
    }
});
