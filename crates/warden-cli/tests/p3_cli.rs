//! WASI 0.3 commands: `guests/p3-hello` (wasip3 0.10.0+wasi-0.3.2, built for
//! wasm32-wasip2) exports the async `wasi:cli/run@0.3.2`; `warden run`
//! recognises it and runs it with the 0.3 host (plus 0.2, which Rust's std
//! imports). Checks the exact stdout (written through the 0.3 stdout stream),
//! args, env, a 50 ms `wait-for`, random bytes, stdin and stderr streams,
//! and the exit code set with `exit-with-code`.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

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
         terminals: stdin false stdout false stderr false\n\
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

/// A short `wait-for` lasts as long as asked, not until the async
/// runtime's next millisecond tick (100 waits of 10 µs took 110 ms), and
/// never less.
#[test]
fn short_waits_are_not_rounded_up_to_the_timer_tick() {
    let out = Warden::new()
        .arg("run")
        .arg(hello())
        .args(["--short-waits", "100", "10"])
        .output();
    out.assert_code(0);
    let took: u64 = out
        .stdout
        .strip_prefix("100 waits of 10 us took ")
        .and_then(|rest| rest.trim_end().strip_suffix(" us"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", out.describe()));
    assert!(took >= 1000, "waits ended early: {took} us in all");
    assert!(
        took < 50_000,
        "waits rounded up to the timer's tick: {took} us in all"
    );
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

/// `warden run` started with stdin a pipe the test holds open (nothing
/// written, never closed), killed after `limit`.
fn run_with_open_stdin(args: &[&str], limit: Duration) -> (std::process::Output, Duration) {
    use std::process::{Command, Stdio};
    let start = Instant::now();
    let mut child = Command::new(common::warden_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start warden");
    let stdin = child.stdin.take();
    while child.try_wait().unwrap().is_none() && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    (out, start.elapsed())
}

/// A stdin read that never completes does not stall a timer in another
/// task of the same guest, and the guest returning with the read still
/// pending ends the run at once (the host does not wait for the read).
#[test]
fn a_blocked_stdin_read_does_not_stall_a_timer() {
    let wasm = hello();
    let (out, took) = run_with_open_stdin(
        &["run", wasm.to_str().unwrap(), "--race"],
        Duration::from_secs(20),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        (out.status.code(), stdout.as_ref()),
        (Some(0), "race: timer first\n"),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// `-W timeout` also ends a 0.3 guest whose only task waits in the host
/// (a stdin read that never completes), where no wasm code runs for the
/// epoch to interrupt.
#[test]
fn timeout_ends_a_guest_waiting_in_the_host() {
    let wasm = hello();
    let (out, took) = run_with_open_stdin(
        &[
            "run",
            "-W",
            "timeout=300ms",
            wasm.to_str().unwrap(),
            "0",
            "--stdin",
        ],
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134), "stderr: {stderr}");
    assert!(stderr.contains("ran out of time"), "stderr: {stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// The Wasmtime CLI's switches for WASI 0.3 are accepted with their
/// meaning: `-S p3 -W component-model-async` runs a 0.3 command (Warden
/// recognises one without them), `-S p3=n` or `-W component-model-async=n`
/// refuses it with a message naming the switch.
#[test]
fn wasmtime_p3_switches() {
    let wasm = hello();
    let out = Warden::new()
        .args(["run", "-S", "p3", "-W", "component-model-async"])
        .arg(&wasm)
        .output();
    out.assert_success();
    assert_eq!(out.stdout, expected(&[], None), "{}", out.describe());
    for off in [["-S", "p3=n"], ["-W", "component-model-async=n"]] {
        let out = Warden::new().arg("run").args(off).arg(&wasm).output();
        out.assert_code(1);
        out.assert_stderr_contains("WASI 0.3 is turned off here");
        assert_eq!(out.stdout, "", "{}", out.describe());
    }
}

/// On a terminal (a pty made by util-linux `script`), the three
/// `get-terminal-*` functions return a terminal; on pipes (every other test
/// here) none.
#[test]
fn terminals_are_reported_on_a_pty() {
    let wasm = hello();
    let cmd = format!("{} run {}", common::warden_bin().display(), wasm.display());
    let out = match std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: util-linux `script` is not installed");
            return;
        }
        Err(e) => panic!("cannot run script: {e}"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("terminals: stdin true stdout true stderr true"),
        "{text}"
    );
}

/// Every 0.3.x links: the guest's imports and its run export renamed from
/// `@0.3.2` to `@0.3.0` and to `@0.3.9` (same length, so the component stays
/// valid; the interfaces' types are the same) run as before, matched by
/// semver against Warden's 0.3.2 host.
#[test]
fn other_0_3_patch_versions_link() {
    let bytes = std::fs::read(hello()).unwrap();
    let needle = b"@0.3.2";
    assert!(bytes.windows(needle.len()).any(|w| w == needle));
    let dir = common::tempdir();
    for version in ["@0.3.0", "@0.3.9"] {
        let mut renamed = Vec::with_capacity(bytes.len());
        let mut rest = &bytes[..];
        while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
            renamed.extend_from_slice(&rest[..at]);
            renamed.extend_from_slice(version.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        renamed.extend_from_slice(rest);
        let wasm = dir.path().join(format!("hello{version}.wasm"));
        std::fs::write(&wasm, &renamed).unwrap();
        let out = Warden::new().arg("run").arg(&wasm).args(["4"]).output();
        out.assert_code(4);
        assert_eq!(
            out.stdout,
            expected(&["4"], None),
            "{version}: {}",
            out.describe()
        );
    }
}

/// CPU time (user + system, in clock ticks) of process `pid` so far.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// No busy waiting: a guest whose only task waits for stdin (held open,
/// never written) costs no CPU while it waits.
#[test]
fn a_guest_waiting_for_input_uses_no_cpu() {
    use std::process::{Command, Stdio};
    let wasm = hello();
    let mut child = Command::new(common::warden_bin())
        .args(["run", wasm.to_str().unwrap(), "0", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start warden");
    // Start-up (a compile on a cold cache, slow on a busy machine) and the
    // guest's 50 ms sleep come first: wait until the CPU time stops
    // growing (two half-second samples alike), then measure.
    let settle_by = Instant::now() + Duration::from_secs(30);
    let mut last = cpu_ticks(child.id());
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = cpu_ticks(child.id());
        if now - last <= 1 || Instant::now() > settle_by {
            break;
        }
        last = now;
    }
    let before = cpu_ticks(child.id());
    std::thread::sleep(Duration::from_secs(2));
    let after = cpu_ticks(child.id());
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "the guest should still be waiting for stdin");
    // Clock ticks are 10 ms: allow a few for the runtime's own timers.
    assert!(
        after - before <= 3,
        "{} ticks of CPU in 2 s of waiting",
        after - before
    );
}

/// A 0.3 `write-via-stream` of a large buffer is taken in chunks (as
/// Wasmtime takes it): one `write` of 8 MiB to stdout comes back with 1 MiB
/// taken, the guest offers the rest, and every byte arrives in order.
#[test]
fn a_large_stream_write_is_taken_in_chunks() {
    let out = Warden::new()
        .arg("run")
        .arg(hello())
        .args(["--big-write", "8388608"])
        .output();
    out.assert_success();
    assert_eq!(out.stdout.len(), 8 << 20, "every byte arrives");
    assert!(out.stdout.bytes().all(|b| b == b'x'));
    out.assert_stderr_contains("first write took 1048576");
}
