//! Check bookkeeping and small helpers shared by every group.
//!
//! A check prints nothing on success. A failure prints
//! `FAIL <name>: expected X got Y` to stderr and the run goes on.

use core::fmt::Debug;
use std::cell::Cell;
use wasip2::io::streams::StreamError;

thread_local! {
    static CHECKS: Cell<u32> = const { Cell::new(0) };
    static FAILS: Cell<u32> = const { Cell::new(0) };
}

pub fn checks() -> u32 {
    CHECKS.with(|c| c.get())
}

pub fn failures() -> u32 {
    FAILS.with(|c| c.get())
}

/// Records one check; prints the failure line when `pass` is false.
pub fn record(name: &str, pass: bool, expected: &dyn Fn() -> String, got: &dyn Fn() -> String) {
    CHECKS.with(|c| c.set(c.get() + 1));
    if !pass {
        FAILS.with(|c| c.set(c.get() + 1));
        eprintln!(
            "FAIL {name}: expected {} got {}",
            short(expected()),
            short(got())
        );
    }
}

/// Debug text with every `ErrorCode { code: N, name: "NAME", message: ".." }`
/// shortened to `NAME`.
fn short(text: String) -> String {
    const HEAD: &str = "ErrorCode { code: ";
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(HEAD) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let name = tail
            .find("name: \"")
            .map(|n| &tail[n + 7..])
            .and_then(|t| t.find('"').map(|e| &t[..e]));
        // The record ends at the first `" }` after the message.
        match (name, tail.find("\" }")) {
            (Some(name), Some(end)) => {
                out.push_str(name);
                rest = &tail[end + 3..];
            }
            _ => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `got == want`.
#[track_caller]
pub fn eq<T: PartialEq + Debug>(name: &str, got: T, want: T) -> bool {
    let pass = got == want;
    record(name, pass, &|| format!("{want:?}"), &|| format!("{got:?}"));
    pass
}

/// `cond` holds; `expected` describes it, `got` is shown on failure.
pub fn truth(name: &str, cond: bool, expected: &str, got: impl Debug) -> bool {
    record(name, cond, &|| expected.to_string(), &|| format!("{got:?}"));
    cond
}

/// The call succeeded; returns its value.
pub fn ok<T, E: Debug>(name: &str, r: Result<T, E>) -> Option<T> {
    match r {
        Ok(v) => {
            record(name, true, &|| String::new(), &|| String::new());
            Some(v)
        }
        Err(e) => {
            record(name, false, &|| "ok".into(), &|| format!("error {e:?}"));
            None
        }
    }
}

/// The call succeeded with exactly `want`.
pub fn ok_eq<T: PartialEq + Debug, E: Debug>(name: &str, r: Result<T, E>, want: T) -> bool {
    match r {
        Ok(v) => eq(name, v, want),
        Err(e) => {
            record(name, false, &|| format!("ok({want:?})"), &|| {
                format!("error {e:?}")
            });
            false
        }
    }
}

/// The call failed with exactly `want`.
pub fn err<T: Debug, E: PartialEq + Debug>(name: &str, r: Result<T, E>, want: E) -> bool {
    match r {
        Err(e) => eq(name, e, want),
        Ok(v) => {
            record(name, false, &|| format!("error {want:?}"), &|| {
                format!("ok({v:?})")
            });
            false
        }
    }
}

/// A stream result in a comparable form: `ok(..)`, `closed` or
/// `last-operation-failed(<debug string>)`.
#[derive(Debug, PartialEq)]
pub enum S<T> {
    Ok(T),
    Closed,
    Failed(String),
}

pub fn s<T>(r: Result<T, StreamError>) -> S<T> {
    match r {
        Ok(v) => S::Ok(v),
        Err(StreamError::Closed) => S::Closed,
        Err(StreamError::LastOperationFailed(e)) => S::Failed(e.to_debug_string()),
    }
}

/// Shorthand for `eq(name, s(r), S::Ok(want))`.
pub fn s_ok<T: PartialEq + Debug>(name: &str, r: Result<T, StreamError>, want: T) -> bool {
    eq(name, s(r), S::Ok(want))
}

/// Shorthand for `eq(name, s(r), S::Closed)`.
pub fn s_closed<T: PartialEq + Debug>(name: &str, r: Result<T, StreamError>) -> bool {
    eq(name, s(r), S::Closed)
}
