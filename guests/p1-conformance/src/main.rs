//! WASI 0.1 (preview1) conformance guest.
//!
//! Sub-commands (argv[1]):
//! - `all`       every filesystem/clock/random/args/env/poll/proc check, and
//!               the order of errno checks, against the preopen at fd 3
//!               (guest name `/sandbox`, empty at start);
//!               expects args `[p1-conformance.wasm, all]` and environment
//!               `WARDEN_T1=one`, `WARDEN_T2=two=2` exactly.
//! - `exit N`    proc_exit(N).
//! - `raise SIG` proc_raise(SIG) (name like `term` or a number); prints
//!               `raise SIG returned CODE` when the call returns.
//! - `sock`      fd 4 is a listening TCP socket: prints `ready`, accepts one
//!               connection, receives `ping`, sends `pong`, shuts down.
//! - `stdin`     polls fd 0, then reads it to the end and echoes the bytes.
//!
//! A failing check prints `FAIL <name>: expected X got Y` to stderr. At the
//! end `ok <count> checks` goes to stdout and the exit status is 0, or 1 when
//! anything failed.

mod args;
mod check;
mod clock;
mod fd;
mod order;
mod path;
mod poll;
mod proc;
mod random;
mod sock;

/// The preopened, initially empty directory.
pub const ROOT: wasi::Fd = 3;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let cmd = argv.get(1).map(String::as_str).unwrap_or("");
    match cmd {
        "all" => {
            args::run();
            clock::run();
            random::run();
            proc::run();
            fd::run();
            path::run();
            poll::run();
            sock::run_errors();
            order::run();
            // Last: moves and closes the preopen itself.
            fd::preopen_renumber_and_close();
        }
        "exit" => {
            let code: u32 = argv.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
            unsafe { wasi::proc_exit(code) };
            check::fail("proc_exit", "no return", "returned");
        }
        "raise" => proc::raise(argv.get(2).map(String::as_str).unwrap_or("")),
        "sock" => sock::run_conn(),
        "stdin" => poll::run_stdin(),
        other => {
            eprintln!("usage: p1-conformance all|exit N|raise SIG|sock|stdin (got {other:?})");
            unsafe { wasi::proc_exit(2) };
        }
    }
    finish();
}

fn finish() -> ! {
    let fails = check::failures();
    let line = if fails == 0 {
        format!("ok {} checks\n", check::checks())
    } else {
        format!("failed {} of {} checks\n", fails, check::checks())
    };
    let _ = check::write_all(1, line.as_bytes());
    unsafe { wasi::proc_exit(if fails == 0 { 0 } else { 1 }) };
    unreachable!()
}
