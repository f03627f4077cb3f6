//! Bad use of WASI 0.3 streams and futures by a component: each misuse of
//! the canonical ABI ends in a clean trap (exit status 134) whose message
//! names the problem, promptly, never a host panic, host backtrace or hang.
//!
//! The guest `guests/p3-misuse` (wasip3 0.10.0+wasi-0.3.2) exports the async
//! `wasi:cli/run@0.3.2` and calls the raw canonical built-ins for the
//! `stream<u8>` and `future<result<_, error-code>>` of
//! `wasi:cli/stdout@0.3.2#write-via-stream` (`stream.new`, `stream.write`,
//! `stream.drop-writable`, `future.read`, `future.drop-readable`, ...) with
//! handles it no longer has, never had, or of the wrong kind; the mode is its
//! first argument. When the host lets a misuse through, the guest prints
//! `let <mode> through` and exits 0.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest_p2, Output, Warden};
use std::time::{Duration, Instant};

/// A misuse must be refused at once; far below the harness's own timeout.
const PROMPT: Duration = Duration::from_secs(20);

fn misuse() -> std::path::PathBuf {
    guest_p2("p3-misuse")
}

/// Runs the guest in `mode`, checks the run ended on its own within
/// [`PROMPT`] with no host panic or host backtrace, and returns the output.
#[track_caller]
fn run(mode: &str) -> Output {
    let wasm = misuse();
    let start = Instant::now();
    let out = Warden::new()
        .arg("run")
        .arg(&wasm)
        .arg(mode)
        .timeout(PROMPT)
        .output();
    assert!(
        !out.timed_out && start.elapsed() < PROMPT,
        "{mode}: warden hung: {}",
        out.describe()
    );
    for host_noise in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(
            !out.stderr.contains(host_noise),
            "{mode}: the host panicked or printed its own backtrace: {}",
            out.describe()
        );
    }
    out
}

/// `mode` traps (exit 134) with `needle` in the message, and the host did not
/// let the misuse through.
#[track_caller]
fn traps_with(mode: &str, needle: &str) -> Output {
    let out = run(mode);
    out.assert_code(134);
    out.assert_stderr_contains(needle);
    // The trap is reported as a guest failure with the wasm backtrace.
    out.assert_stderr_contains("Error: failed to run");
    assert!(
        !out.stdout.contains("let "),
        "the host let {mode} through: {}",
        out.describe()
    );
    out
}

#[test]
fn write_after_dropping_the_writable_end_traps() {
    // The readable end went to stdout's write-via-stream (index 1), the
    // writable end (index 2) was dropped, then written to.
    traps_with("write-after-drop", "unknown handle index 2");
}

#[test]
fn dropping_a_stream_end_twice_traps() {
    traps_with("drop-writable-twice", "unknown handle index 2");
}

#[test]
fn dropping_a_host_future_twice_traps() {
    // The future write-via-stream returned, dropped twice.
    traps_with("drop-future-twice", "unknown handle index 1");
}

#[test]
fn reading_a_resolved_future_again_traps() {
    let out = traps_with(
        "read-future-twice",
        "cannot read from future after previous read succeeded",
    );
    // The first read completed (status 0, COMPLETED) with the host's value.
    out.assert_stdout_contains("first read: 0\n");
}

#[test]
fn reading_a_future_while_a_read_is_pending_traps() {
    traps_with(
        "read-future-while-pending",
        "cannot have concurrent operations active on a future/stream",
    );
}

#[test]
fn never_given_stream_handle_traps() {
    traps_with("never-given", "unknown handle index 32767");
}

#[test]
fn never_given_future_handle_traps() {
    traps_with("never-given-future", "unknown handle index 32767");
}

#[test]
fn future_handle_used_as_a_stream_traps() {
    traps_with("future-as-stream", "handle is not a stream");
}

#[test]
fn stream_end_used_after_handing_it_to_the_host_traps() {
    // The readable end was moved into stdout's write-via-stream: the guest
    // no longer has it.
    traps_with("use-after-transfer", "unknown handle index 1");
}

#[test]
fn returning_with_open_ends_and_a_pending_read_exits_promptly() {
    // Not a misuse: `run` returns ok with a stdout stream's writable end
    // still open and a read of its future pending; Warden must not wait for
    // them.
    let out = run("return-with-open-ends");
    out.assert_success();
    out.assert_stdout_contains("open ends: writable 2, read 0xffffffff\n");
    assert_eq!(out.stderr, "", "{}", out.describe());
}
