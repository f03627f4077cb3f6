//! Check bookkeeping. A check prints nothing on success; a failure prints
//! `FAIL <name>: expected X got Y` to stderr and the run goes on.
//!
//! The generated `error-code` and `descriptor-type` have no `PartialEq`
//! (their `other` case carries a string), so values are compared by their
//! `Debug` text, with the `ErrorCode::`/`DescriptorType::` prefixes dropped
//! to keep failure lines short.

use core::fmt::Debug;
use std::cell::{Cell, RefCell};

thread_local! {
    static CHECKS: Cell<u32> = const { Cell::new(0) };
    static FAILS: Cell<u32> = const { Cell::new(0) };
    static LAST: RefCell<String> = const { RefCell::new(String::new()) };
}

pub fn checks() -> u32 {
    CHECKS.with(|c| c.get())
}

pub fn failures() -> u32 {
    FAILS.with(|c| c.get())
}

/// The name of the last check recorded (for a group that timed out).
pub fn last() -> String {
    LAST.with(|l| l.borrow().clone())
}

/// `Debug` text without the generated enum prefixes, and descriptor
/// flags by name (`read|write`) instead of `DescriptorFlags { bits: 3 }`.
pub fn show(v: &impl Debug) -> String {
    const HEAD: &str = "DescriptorFlags { bits: ";
    const NAMES: [&str; 6] = [
        "read",
        "write",
        "file-integrity-sync",
        "data-integrity-sync",
        "requested-write-sync",
        "mutate-directory",
    ];
    let text = format!("{v:?}")
        .replace("ErrorCode::", "")
        .replace("DescriptorType::", "");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(HEAD) {
        out.push_str(&rest[..i]);
        let tail = &rest[i + HEAD.len()..];
        let end = tail.find(" }").unwrap_or(tail.len());
        let bits: u32 = tail[..end].parse().unwrap_or(0);
        let names: Vec<&str> = (0..6)
            .filter(|b| bits & (1 << b) != 0)
            .map(|b| NAMES[b])
            .collect();
        out.push_str(&format!("flags({})", names.join("|")));
        rest = tail.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Records one check; prints the failure line when `pass` is false.
pub fn record(name: &str, pass: bool, expected: &dyn Fn() -> String, got: &dyn Fn() -> String) {
    CHECKS.with(|c| c.set(c.get() + 1));
    LAST.with(|l| *l.borrow_mut() = name.to_string());
    if !pass {
        FAILS.with(|c| c.set(c.get() + 1));
        eprintln!("FAIL {name}: expected {} got {}", expected(), got());
    }
}

/// `got` and `want` print the same.
pub fn eq<T: Debug>(name: &str, got: T, want: T) -> bool {
    let (g, w) = (show(&got), show(&want));
    let pass = g == w;
    record(name, pass, &|| w.clone(), &|| g.clone());
    pass
}

/// `cond` holds; `expected` describes it, `got` is shown on failure.
pub fn truth(name: &str, cond: bool, expected: &str, got: impl Debug) -> bool {
    record(name, cond, &|| expected.to_string(), &|| show(&got));
    cond
}

/// The call succeeded; returns its value.
pub fn ok<T, E: Debug>(name: &str, r: Result<T, E>) -> Option<T> {
    match r {
        Ok(v) => {
            record(name, true, &String::new, &String::new);
            Some(v)
        }
        Err(e) => {
            record(name, false, &|| "ok".into(), &|| {
                format!("error {}", show(&e))
            });
            None
        }
    }
}

/// The call succeeded with exactly `want`.
pub fn ok_eq<T: Debug, E: Debug>(name: &str, r: Result<T, E>, want: T) -> bool {
    match r {
        Ok(v) => eq(name, v, want),
        Err(e) => {
            record(name, false, &|| format!("ok({})", show(&want)), &|| {
                format!("error {}", show(&e))
            });
            false
        }
    }
}

/// The call failed with exactly `want`.
pub fn err<T: Debug, E: Debug>(name: &str, r: Result<T, E>, want: E) -> bool {
    match r {
        Err(e) => eq(name, e, want),
        Ok(v) => {
            record(name, false, &|| format!("error {}", show(&want)), &|| {
                format!("ok({})", show(&v))
            });
            false
        }
    }
}

/// Exactly the bytes `want`; a failure shows the lengths and the first
/// differing offset (or the bytes themselves when both are short).
pub fn bytes(name: &str, got: &[u8], want: &[u8]) -> bool {
    let pass = got == want;
    record(name, pass, &|| describe(want), &|| {
        let at = got.iter().zip(want).position(|(a, b)| a != b);
        format!(
            "{} (first difference at {:?})",
            describe(got),
            at.unwrap_or(got.len().min(want.len()))
        )
    });
    pass
}

fn describe(b: &[u8]) -> String {
    if b.len() <= 64 {
        format!("{:?} ({} bytes)", b.escape_ascii().to_string(), b.len())
    } else {
        format!("{} bytes", b.len())
    }
}

/// The call succeeded with exactly the bytes `want`.
pub fn ok_bytes<E: Debug>(name: &str, r: Result<Vec<u8>, E>, want: &[u8]) -> bool {
    match r {
        Ok(v) => bytes(name, &v, want),
        Err(e) => {
            record(name, false, &|| format!("ok({})", describe(want)), &|| {
                format!("error {}", show(&e))
            });
            false
        }
    }
}

/// A stream read to its end: exactly the bytes `want`, and its result
/// future resolved to `ok` (`<name>.result`).
pub fn read_ok<E: Debug>(name: &str, (data, r): (Vec<u8>, Result<(), E>), want: &[u8]) -> bool {
    let done = ok(&format!("{name}.result"), r).is_some();
    bytes(name, &data, want) && done
}

/// A stream read to its end: no bytes, and its result future resolved to
/// the error `want` (`<name>.result`).
pub fn read_err<E: Debug>(name: &str, (data, r): (Vec<u8>, Result<(), E>), want: E) -> bool {
    let failed = err(&format!("{name}.result"), r, want);
    bytes(name, &data, b"") && failed
}
