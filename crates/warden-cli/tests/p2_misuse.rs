//! Bad input from a WASI 0.2 component: misused resource handles trap
//! cleanly with a message naming the problem (never a host panic); a
//! component importing an interface Warden lacks, or an ill-formed one, is
//! refused with one clear line.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest_p2, tempdir, warden};

#[track_caller]
fn traps_with(mode: &str, needle: &str) {
    let wasm = guest_p2("p2-misuse");
    let out = warden(["run".as_ref(), wasm.as_os_str(), mode.as_ref()]);
    out.assert_code(134);
    out.assert_stderr_contains(needle);
    assert!(!out.stderr.contains("panicked"), "{}", out.describe());
    assert!(
        !out.stdout.contains("let"),
        "the host let {mode} through: {}",
        out.describe()
    );
}

#[test]
fn never_given_handle_traps() {
    traps_with("bad-handle", "unknown handle index");
}

#[test]
fn dropped_handle_traps() {
    traps_with("use-after-drop", "unknown handle index");
}

#[test]
fn wrong_type_handle_traps() {
    traps_with("wrong-type", "wrong type");
}

#[test]
fn write_over_permit_traps_naming_the_function() {
    traps_with("over-permit", "output-stream.write");
}

#[test]
fn empty_poll_traps_naming_the_function() {
    traps_with("empty-poll", "poll called with an empty list");
}

#[test]
fn missing_interface_is_one_clear_line() {
    let wasm = guest_p2("p2-http-import");
    let out = warden(["run".as_ref(), wasm.as_os_str()]);
    out.assert_code(1);
    out.assert_stderr_contains("wasi:http/types@0.2.12");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.describe());
}

#[test]
fn ill_formed_component_names_the_validator_error() {
    let d = tempdir();
    let bad = d.path().join("bad.wasm");
    // A component header followed by a section id that does not exist.
    std::fs::write(&bad, b"\0asm\x0d\x00\x01\x00\x99\x99").unwrap();
    let out = warden(["run".as_ref(), bad.as_os_str()]);
    out.assert_code(1);
    out.assert_stderr_contains("not a valid WebAssembly component");
    out.assert_stderr_contains("malformed section id");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.describe());
}
