//! Target (b) of issue 11, in full: the same filesystem-weighted sequence
//! of WASI 0.1 calls on the host backend and on the in-memory one, each
//! from a fresh empty read-write tree, must answer with the same errno call
//! for call and leave the same tree (names, kinds, sizes, contents, link
//! counts, symlink targets). The harness is `warden_fuzz::differential`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_fuzz::differential::{Compared, Differential};

struct Target {
    differential: Differential,
    _dir: tempfile::TempDir,
}

fn target() -> &'static Target {
    static T: OnceLock<Target> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Target {
            differential: Differential::new(dir.path()).expect("the two harnesses"),
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = target().differential.run(data, &mut Compared::default()) {
        panic!("{e}");
    }
});
