//! Target (a) of issue 11: sequences of WASI 0.1 calls with fuzzed
//! arguments through Warden's linker, on the host backend (first byte
//! even) or the in-memory one, with a read-write preopen, a read-only
//! preopen and a canary directory beside them that must never change.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use warden_fuzz::{Backend, Harness};

struct Harnesses {
    host: Harness,
    memory: Harness,
    _dir: tempfile::TempDir,
}

fn harnesses() -> &'static Harnesses {
    static H: OnceLock<Harnesses> = OnceLock::new();
    H.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Harnesses {
            host: Harness::new(&dir.path().join("host"), Backend::Host).expect("host harness"),
            memory: Harness::new(&dir.path().join("memory"), Backend::Memory)
                .expect("memory harness"),
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let h = harnesses();
    let harness = if first % 2 == 0 { &h.host } else { &h.memory };
    if let Err(e) = harness.run(rest) {
        panic!("{e}");
    }
});
