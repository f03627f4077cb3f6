//! WASI 0.3 commands: `guests/p3-hello` (wasip3 0.10.0+wasi-0.3.2, built for
//! wasm32-wasip2) exports the async `wasi:cli/run@0.3.2`; `warden run`
//! recognises it and runs it with the 0.3 host (plus 0.2, which Rust's std
//! imports). Checks the exact stdout (written through the 0.3 stdout stream),
//! args, env, a 50 ms `wait-for`, random bytes, stdin and stderr streams,
//! and the exit code set with `exit-with-code`.

mod common;

use common::{guest_p2, Warden};
use std::time::{Duration, Instant};

fn hello() -> std::path::PathBuf {
    guest_p2("p3-hello")
}

/// What the guest prints before any stdin line, for arguments `args`
/// (after argv[0]) and `P3_GREETING`.
fn expected(args: &[&str], greeting: Option<&str>) -> String {
    format!(
        "hello from wasi 0.3\n\
         args: {args:?}\n\
         P3_GREETING: {greeting:?}\n\
         cwd: None\n\
         slept >= 50ms: true\n\
         monotonic resolution ok: true\n\
         system clock after 2020: true\n\
         random: 16 8 bytes, nonzero: true\n"
    )
}

#[test]
fn p3_command_args_env_clock_random_and_exit_code() {
    let wasm = hello();
    let start = Instant::now();
    let out = Warden::new()
        .args(["run", "--env", "P3_GREETING=hi there", "--env", "OTHER=1"])
        .arg(&wasm)
        .args(["7", "two words", "x"])
        .output();
    out.assert_code(7);
    assert_eq!(
        out.stdout,
        expected(&["7", "two words", "x"], Some("hi there")),
        "{}",
        out.describe()
    );
    assert_eq!(out.stderr, "to stderr\n", "{}", out.describe());
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn p3_command_success_without_env() {
    let wasm = hello();
    let out = Warden::new().arg("run").arg(&wasm).output();
    out.assert_success();
    assert_eq!(out.stdout, expected(&[], None), "{}", out.describe());
}

#[test]
fn p3_command_reads_stdin_stream() {
    let wasm = hello();
    let out = Warden::new()
        .arg("run")
        .arg(&wasm)
        .args(["3", "--stdin"])
        .stdin("line one\nline two\n")
        .output();
    out.assert_code(3);
    let want = expected(&["3", "--stdin"], None) + "stdin: \"line one\\nline two\\n\"\n";
    assert_eq!(out.stdout, want, "{}", out.describe());
}
