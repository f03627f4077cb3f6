//! The check counter. Every check counts; a failed one prints
//! `FAIL <name>: expected X got Y` to stderr and the run goes on.

use std::cell::Cell;
use std::fmt::{Debug, Display};

thread_local! {
    static CHECKS: Cell<u32> = const { Cell::new(0) };
    static FAILS: Cell<u32> = const { Cell::new(0) };
}

/// Records one check; prints the failure line when `ok` is false.
pub fn check(name: &str, ok: bool, expected: impl Display, got: impl Display) {
    CHECKS.with(|c| c.set(c.get() + 1));
    if !ok {
        FAILS.with(|c| c.set(c.get() + 1));
        eprintln!("FAIL {name}: expected {expected} got {got}");
    }
}

/// `got == expected`, compared by their `Debug` text (the generated WIT
/// types implement `Debug` but not `PartialEq`).
pub fn eq<T: Debug>(name: &str, expected: T, got: T) {
    eqs(name, expected, got)
}

/// The same for two types with comparable `Debug` text (`&str`/`String`).
pub fn eqs<A: Debug, B: Debug>(name: &str, expected: A, got: B) {
    let (e, g) = (format!("{expected:?}"), format!("{got:?}"));
    check(name, e == g, e, g)
}

/// A check that can only fail: something unexpected on the way.
pub fn fail(name: &str, expected: impl Display, got: impl Display) {
    check(name, false, expected, got);
}

/// Prints the summary and exits: `ok N checks` (status 0) or
/// `failed F of N checks` (status 1), on stdout.
pub fn finish() -> ! {
    let checks = CHECKS.with(Cell::get);
    let fails = FAILS.with(Cell::get);
    if fails == 0 {
        println!("ok {checks} checks");
        std::process::exit(0);
    } else {
        println!("failed {fails} of {checks} checks");
        std::process::exit(1);
    }
}
