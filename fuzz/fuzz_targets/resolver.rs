//! Target (c) of issue 11: the in-memory backend's path resolver against
//! the host kernel's `openat2(RESOLVE_BENEATH)` (and Warden's host backend
//! against both), on small trees of directories, files and symlinks of
//! every shape made alike on both sides. The harness is
//! `warden_fuzz::resolver`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_fuzz::resolver::{Resolutions, Resolver};

struct Target {
    resolver: Resolver,
    _dir: tempfile::TempDir,
}

fn target() -> &'static Target {
    static T: OnceLock<Target> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Target {
            resolver: Resolver::new(dir.path()),
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = target().resolver.run(data, &mut Resolutions::default()) {
        panic!("{e:#}");
    }
});
