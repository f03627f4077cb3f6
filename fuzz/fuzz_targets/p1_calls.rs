//! Target (a) of issue 11: sequences of WASI 0.1 calls with fuzzed
//! arguments through Warden's linker, on the host backend (first byte
//! even) or the in-memory one, with a read-write preopen, a read-only
//! preopen and a canary directory beside them that must never change.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_fuzz::{Backend, Harness};

fn harnesses() -> &'static (Harness, Harness) {
    static H: OnceLock<((Harness, Harness), tempfile::TempDir)> = OnceLock::new();
    warden_fuzz::scratch(&H, |dir| {
        (
            Harness::new(&dir.join("host"), Backend::Host).expect("host harness"),
            Harness::new(&dir.join("memory"), Backend::Memory).expect("memory harness"),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let h = harnesses();
    let harness = if first % 2 == 0 { &h.0 } else { &h.1 };
    if let Err(e) = harness.run(rest) {
        panic!("{e}");
    }
});
