//! Target (b) of issue 11, in full: the same filesystem-weighted sequence
//! of WASI 0.1 calls on the host backend and on the in-memory one, each
//! from a fresh empty read-write tree, must answer with the same errno call
//! for call and leave the same tree (names, kinds, sizes, contents, link
//! counts, symlink targets). The harness is `warden_fuzz::differential`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_fuzz::differential::{Compared, Differential};

fn target() -> &'static Differential {
    static T: OnceLock<(Differential, tempfile::TempDir)> = OnceLock::new();
    warden_fuzz::scratch(&T, |dir| Differential::new(dir).expect("the two harnesses"))
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = target().run(data, &mut Compared::default()) {
        panic!("{e}");
    }
});
