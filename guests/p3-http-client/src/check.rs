//! The check counter. Every check counts; a failed one records
//! `FAIL <name>: expected X got Y` for stderr and the run goes on. Output
//! is buffered and written through the 0.3 stdout/stderr streams by
//! [`flush`] (std's printing would go through WASI 0.2).

use std::cell::{Cell, RefCell};
use std::fmt::{Debug, Display};
use wasip3::cli::{stderr, stdout};

thread_local! {
    static CHECKS: Cell<u32> = const { Cell::new(0) };
    static FAILS: Cell<u32> = const { Cell::new(0) };
    static OUT: RefCell<String> = const { RefCell::new(String::new()) };
    static ERR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A line for stdout (written at the next [`flush`]).
pub fn out(line: impl Display) {
    OUT.with(|o| o.borrow_mut().push_str(&format!("{line}\n")));
}

/// A line for stderr (written at the next [`flush`]).
pub fn err(line: impl Display) {
    ERR.with(|o| o.borrow_mut().push_str(&format!("{line}\n")));
}

/// Records one check; records the failure line when `ok` is false.
pub fn check(name: &str, ok: bool, expected: impl Display, got: impl Display) {
    CHECKS.with(|c| c.set(c.get() + 1));
    if !ok {
        FAILS.with(|c| c.set(c.get() + 1));
        err(format!("FAIL {name}: expected {expected} got {got}"));
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

async fn write(text: String, to_stdout: bool) {
    if text.is_empty() {
        return;
    }
    let (mut tx, rx) = wasip3::wit_stream::new();
    let done = if to_stdout {
        stdout::write_via_stream(rx)
    } else {
        stderr::write_via_stream(rx)
    };
    let _ = tx.write_all(text.into_bytes()).await;
    drop(tx);
    let _ = done.await;
}

/// Writes what was buffered so far.
pub async fn flush() {
    let e = ERR.with(|o| std::mem::take(&mut *o.borrow_mut()));
    write(e, false).await;
    let o = OUT.with(|o| std::mem::take(&mut *o.borrow_mut()));
    write(o, true).await;
}

/// Writes the summary — `ok N checks` or `failed F of N checks` on stdout —
/// and returns whether every check passed.
pub async fn finish() -> bool {
    let checks = CHECKS.with(Cell::get);
    let fails = FAILS.with(Cell::get);
    if fails == 0 {
        out(format!("ok {checks} checks"));
    } else {
        out(format!("failed {fails} of {checks} checks"));
    }
    flush().await;
    fails == 0
}
