//! The warden command as a user meets it: exit statuses, error messages,
//! flags. Uses small text-format modules, so no guest build is needed.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn warden(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .output()
        .expect("run warden")
}

fn wat(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn trap_exits_134_with_wasm_backtrace_and_no_host_stack() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "trap.wat",
        r#"(module (func $boom unreachable) (func (export "_start") call $boom))"#,
    );
    let o = warden(&["run", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(134));
    let e = stderr(&o);
    assert!(e.contains("unreachable"), "{e}");
    assert!(
        e.contains("boom"),
        "the wasm backtrace names the function: {e}"
    );
    assert!(
        !e.contains("Stack backtrace") && !e.contains(".rs:"),
        "no host backtrace: {e}"
    );
}

#[test]
fn proc_exit_status_is_the_process_status() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "exit.wat",
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (call $exit (i32.const 42))))"#,
    );
    assert_eq!(warden(&[m.to_str().unwrap()]).status.code(), Some(42));
    // The old module name works the same.
    let m = wat(
        &d,
        "exit0.wat",
        r#"(module (import "wasi_unstable" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (call $exit (i32.const 7))))"#,
    );
    assert_eq!(warden(&["run", m.to_str().unwrap()]).status.code(), Some(7));
}

/// Wasmtime 48 runs modules that use the exception-handling proposal
/// (`try_table`, `throw`, `exnref`) by default; programs built by
/// toolchains with exceptions on (Yosys from PyPI, for one) need it. Warden
/// once refused them at load ("exception refs not supported").
#[test]
fn exception_handling_is_on_as_in_wasmtime() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "eh.wat",
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (tag $e (param i32))
             (func $thrower (param i32) (throw $e (local.get 0)))
             ;; catches as an exnref, throws it again with throw_ref, and
             ;; the outer handler gets the payload: 40 + 2 = 42.
             (func $twice (result i32)
               (block $outer (result i32)
                 (try_table (catch $e $outer)
                   (block $inner (result i32 exnref)
                     (try_table (catch_ref $e $inner) (call $thrower (i32.const 40)))
                     (unreachable))
                   (throw_ref)
                   (drop))
                 (unreachable))
               (i32.add (i32.const 2)))
             (func (export "_start") (call $exit (call $twice))))"#,
    );
    let o = warden(&["run", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(42), "{}", stderr(&o));
}

#[test]
fn unknown_import_names_it() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "imp.wat",
        r#"(module (import "wasi_snapshot_preview1" "fd_frobnicate" (func)) (memory (export "memory") 1) (func (export "_start")))"#,
    );
    let o = warden(&["run", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("wasi_snapshot_preview1::fd_frobnicate"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
}

#[test]
fn user_errors_are_one_line_and_nonzero() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("missing.wasm");
    let o = warden(&["run", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1);

    let text = wat(&d, "notes.txt", "just some notes\n");
    let o = warden(&["run", text.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not a WebAssembly file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).trim().lines().count(), 1);

    let o = warden(&["run", "--no-such-flag", "x.wasm"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("--no-such-flag"));

    let m = wat(&d, "empty.wat", "(module)");
    // An option Warden lacks is named (wasi-nn is not provided).
    let o = warden(&["run", "-S", "nn", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("-S nn"), "{}", stderr(&o));
    let o = warden(&["run", "-W", "bogus=1", m.to_str().unwrap()]);
    assert!(stderr(&o).contains("-W bogus"), "{}", stderr(&o));

    let o = warden(&[
        "run",
        "--dir",
        "/definitely/not/here::/x",
        m.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/definitely/not/here"));
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn invoke_calls_an_export_with_arguments() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "add.wat",
        r#"(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"#,
    );
    let o = warden(&["run", "--invoke", "add", m.to_str().unwrap(), "40", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "42");
    let o = warden(&["run", "--invoke", "sub", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`sub`"));
}

#[test]
fn fuel_and_timeout_stop_a_spinning_guest() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "spin.wat",
        r#"(module (func (export "_start") (loop br 0)))"#,
    );
    let o = warden(&["run", "--fuel", "100000", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    let start = std::time::Instant::now();
    let o = warden(&["run", "-W", "timeout=200ms", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn memory_limit_is_enforced() {
    let d = tempfile::tempdir().unwrap();
    // Asks to grow memory by 100 pages (6.4 MiB); the limit is 1 MiB, so
    // memory.grow returns -1 and the guest traps on purpose.
    let m = wat(
        &d,
        "grow.wat",
        r#"(module (memory 1) (func (export "_start")
             (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) (then unreachable))))"#,
    );
    let o = warden(&["run", "-W", "max-memory-size=1048576", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(134));
    let o = warden(&["run", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn compile_then_run_and_refuse_foreign_files() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "exit.wat",
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (call $exit (i32.const 5))))"#,
    );
    let out = d.path().join("exit.cwasm");
    let o = warden(&["compile", m.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        warden(&["run", out.to_str().unwrap()]).status.code(),
        Some(5)
    );
    // An ELF file (what other runtimes' precompiled files are) is refused.
    let elf = d.path().join("foreign.cwasm");
    std::fs::write(&elf, b"\x7fELF\x02\x01\x01\0rest").unwrap();
    let o = warden(&["run", elf.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("warden compile"), "{}", stderr(&o));
    // --no-cache runs the same.
    let o = warden(&["run", "--no-cache", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
}

/// A component in the text format runs like its binary: here a WASI 0.2
/// command whose `run` returns `ok` (exit 0) or `err` (exit 1).
#[test]
fn component_text_runs() {
    let d = tempfile::tempdir().unwrap();
    for (result, code) in [(0, 0), (1, 1)] {
        let c = wat(
            &d,
            &format!("run{result}.wat"),
            &format!(
                r#"(component
                     (core module $m (func (export "run") (result i32) i32.const {result}))
                     (core instance $i (instantiate $m))
                     (func $run (result (result)) (canon lift (core func $i "run")))
                     (instance $inst (export "run" (func $run)))
                     (export "wasi:cli/run@0.2.0" (instance $inst)))"#
            ),
        );
        let o = warden(&["run", c.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
    }
}

/// Issue 10, point 3: stdio that is not a terminal (a pipe, /dev/null) is
/// `unknown` to WASI 0.1 — so wasi-libc's isatty() is false — and its
/// metadata is zeros, as Wasmtime reports it; a regular file as stdin keeps
/// its type and times. The module exits with `10 × filetype + (times and
/// device all zero)`.
#[test]
fn stdio_streams_are_unknown_with_zero_metadata_to_p1() {
    let d = tempfile::tempdir().unwrap();
    let m = wat(
        &d,
        "stdio.wat",
        r#"(module
          (import "wasi_snapshot_preview1" "fd_filestat_get" (func $fs (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (drop (call $fs (i32.const 0) (i32.const 0)))
            (drop (call $fd (i32.const 0) (i32.const 100)))
            (call $exit (i32.add
              (i32.mul (i32.load8_u (i32.const 100)) (i32.const 10))
              (i64.eqz (i64.or (i64.load (i32.const 40))
                (i64.or (i64.load (i32.const 48)) (i64.load (i32.const 0)))))))))"#,
    );
    let run = |stdin: std::process::Stdio| {
        Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(["run", m.to_str().unwrap()])
            .stdin(stdin)
            .output()
            .expect("run warden")
            .status
            .code()
    };
    let null = std::fs::File::open("/dev/null").unwrap();
    assert_eq!(
        run(null.into()),
        Some(1),
        "/dev/null: unknown, zero metadata"
    );
    assert_eq!(
        run(std::process::Stdio::piped()),
        Some(1),
        "a pipe: unknown, zero metadata"
    );
    let f = d.path().join("in.txt");
    std::fs::write(&f, "x").unwrap();
    let file = std::fs::File::open(&f).unwrap();
    assert_eq!(
        run(file.into()),
        Some(40),
        "a regular file keeps its type and times"
    );
}
