//! The check counter: every check counts; a failed one prints
//! `FAIL <name>: expected X got Y` to stderr.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU32, Ordering};

static CHECKS: AtomicU32 = AtomicU32::new(0);
static FAILS: AtomicU32 = AtomicU32::new(0);

/// Records a check; prints the failure line when `ok` is false.
pub fn check(
    name: &str,
    ok: bool,
    expected: impl std::fmt::Display,
    got: impl std::fmt::Display,
) -> bool {
    CHECKS.fetch_add(1, Ordering::Relaxed);
    if !ok {
        FAILS.fetch_add(1, Ordering::Relaxed);
        eprintln!("FAIL {name}: expected {expected} got {got}");
    }
    ok
}

/// `got == expected`.
pub fn eq<T: PartialEq + Debug>(name: &str, expected: T, got: T) -> bool {
    let ok = got == expected;
    check(name, ok, format!("{expected:?}"), format!("{got:?}"))
}

/// A check that can only fail (an unexpected result on the way).
pub fn fail(name: &str, expected: impl std::fmt::Display, got: impl std::fmt::Display) {
    check(name, false, expected, got);
}

/// A result with its success value dropped, for comparing error codes.
pub fn code<T, E: Copy>(r: &Result<T, E>) -> Result<(), E> {
    match r {
        Ok(_) => Ok(()),
        Err(e) => Err(*e),
    }
}

pub fn finish() -> ! {
    let fails = FAILS.load(Ordering::Relaxed);
    let checks = CHECKS.load(Ordering::Relaxed);
    if fails == 0 {
        println!("ok {checks} checks");
        std::process::exit(0);
    } else {
        println!("failed {fails} of {checks} checks");
        std::process::exit(1);
    }
}
