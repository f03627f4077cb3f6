//! WASI 0.1 conformance: runs the `p1-conformance` guest (guests/p1-conformance)
//! through the real `warden` binary. The guest prints `FAIL <check>: ...` to
//! stderr for each failed check and `ok <n> checks` to stdout when all pass.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::conformance::{assert_all_ok, entries};
use common::{guest, tempdir, Output, Warden};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

const GUEST: &str = "p1-conformance";

/// `warden run <flags> p1-conformance.wasm <args>`, started in the guest
/// directory so argv[0] is exactly `p1-conformance.wasm`.
fn conformance(flags: &[&str], args: &[&str]) -> Warden {
    common::conformance::conformance(&guest(GUEST), flags, args)
}

fn run_all(backend_flag: &str, dir: &Path) -> Output {
    common::conformance::run_all(&guest(GUEST), backend_flag, dir)
}

#[test]
fn all_host_dir() {
    let tmp = tempdir();
    let out = run_all("--dir", tmp.path());
    assert_all_ok(&out);
    // The guest's writes reached the host directory.
    assert_eq!(
        std::fs::read(tmp.path().join("fd_rw")).ok().as_deref(),
        Some(&b"HELLO world"[..]),
        "host file written by the guest"
    );
    assert!(tmp.path().join("p_d/sub").is_dir());
}

#[test]
fn all_mem_dir() {
    let tmp = tempdir();
    // Something in the host directory, to see that it is copied in and that
    // nothing is written back.
    std::fs::write(tmp.path().join("keep.txt"), b"keep").unwrap();
    let out = run_all("--mem-dir", tmp.path());
    // The guest expects an empty sandbox; keep.txt only shows up in the
    // readdir of the root, which the guest never asserts exactly.
    assert_all_ok(&out);
    assert_eq!(
        entries(tmp.path()),
        vec!["keep.txt".to_string()],
        "in-memory writes reached the host"
    );
    assert_eq!(std::fs::read(tmp.path().join("keep.txt")).unwrap(), b"keep");
}

#[test]
fn exit_codes() {
    for (arg, want) in [("7", 7), ("0", 0), ("1", 1), ("255", 255), ("263", 7)] {
        let out = conformance(&[], &["exit", arg]).output();
        assert_eq!(out.code, Some(want), "exit {arg}: {}", out.describe());
        assert!(
            !out.stdout.contains("ok "),
            "exit {arg} continued after proc_exit: {}",
            out.describe()
        );
    }
}

#[test]
fn raise_terminating_signals() {
    // 128 + the Linux signal number; warden itself is not killed by a signal.
    for (sig, want) in [
        ("term", 143),
        ("usr1", 138),
        ("kill", 137),
        ("int", 130),
        ("abrt", 134),
        ("hup", 129),
    ] {
        let out = conformance(&[], &["raise", sig]).output();
        assert_eq!(out.code, Some(want), "raise {sig}: {}", out.describe());
        assert_eq!(
            out.signal,
            None,
            "raise {sig} signalled the host: {}",
            out.describe()
        );
        assert!(
            !out.stdout.contains("returned"),
            "raise {sig} returned to the guest: {}",
            out.describe()
        );
    }
}

#[test]
fn raise_non_terminating_signals() {
    for (sig, want) in [
        ("none", 0),
        ("chld", 0),
        ("cont", 0),
        ("urg", 0),
        ("winch", 0),
        ("stop", 58),
        ("tstp", 58),
        ("ttin", 58),
        ("ttou", 58),
        ("31", 28),
    ] {
        let out = conformance(&[], &["raise", sig]).output();
        out.assert_success();
        out.assert_stdout_contains(&format!("raise {sig} returned {want}\n"));
        out.assert_stdout_contains("ok ");
    }
}

#[test]
fn sock() {
    let tmp = tempdir();
    let port = common::free_port();
    let mount = format!("{}::/sandbox", tmp.path().display());
    let listen = format!("127.0.0.1:{port}");
    let mut run = conformance(&["--dir", &mount, "--tcplisten", &listen], &["sock"]).spawn();
    // The guest first checks that a non-blocking accept finds nothing, then
    // prints `ready`.
    assert!(
        run.wait_for_stdout("ready\n", Duration::from_secs(30)),
        "guest never printed `ready` (does sock_accept with fdflags::nonblock block?):\nstdout: {}\nstderr: {}",
        run.stdout_now(),
        run.stderr_now()
    );
    let start = Instant::now();
    let mut conn = loop {
        match TcpStream::connect(&listen) {
            Ok(c) => break c,
            Err(e) if start.elapsed() < Duration::from_secs(10) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!(
                "cannot connect to {listen}: {e}\nstderr: {}",
                run.stderr_now()
            ),
        }
    };
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.write_all(b"ping").unwrap();
    let mut got = Vec::new();
    let r = conn.read_to_end(&mut got);
    drop(conn);
    let out = run.finish();
    assert!(r.is_ok(), "reading the reply: {r:?}\n{}", out.describe());
    assert_eq!(String::from_utf8_lossy(&got), "pong", "{}", out.describe());
    assert_all_ok(&out);
}

#[test]
fn stdin() {
    let input = "hello stdin\nsecond line, a bit longer than one read\n";
    let out = conformance(&[], &["stdin"]).stdin(input).output();
    assert_all_ok(&out);
    assert!(
        out.stdout.starts_with(input),
        "echo mismatch: {}",
        out.describe()
    );
}
