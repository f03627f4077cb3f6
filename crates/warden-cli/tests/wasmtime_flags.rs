//! Wasmtime CLI options that scripts use (issue 10, points 2 and 4), each
//! with Wasmtime 48's meaning: `-S config`/`-S config-var`, `-S keyvalue`/
//! `-S keyvalue-in-memory-data`, `-S max-random-size`, `-S max-resources`,
//! `-S hostcall-fuel`, `-S cwd`, `-S cli-exit-with-code`, comma-separated
//! `-S` lists, `argv[0]` as the file's base name, and `warden serve`
//! options given after the component.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{free_port, guest_p2, tempdir, warden, Warden};
use std::time::Duration;

fn probe() -> String {
    guest_p2("p2-probe").to_str().unwrap().to_owned()
}

fn proposals() -> String {
    guest_p2("p2-proposals").to_str().unwrap().to_owned()
}

#[test]
fn config_and_keyvalue_are_linked_as_wasmtime_links_them() {
    let out = warden([
        "run",
        "-S",
        "config",
        "-S",
        "config-var=greeting=hello",
        "-S",
        "config-var=empty=",
        "-S",
        "keyvalue,keyvalue-in-memory-data=count=41",
        "-S",
        "keyvalue-in-memory-data=name=warden",
        &proposals(),
    ]);
    out.assert_success();
    out.assert_stdout_contains("ok 22 checks");
}

#[test]
fn an_unlinked_proposal_is_refused_naming_its_flag() {
    let out = warden(["run", "-S", "keyvalue", &proposals()]);
    out.assert_code(1).assert_stderr_contains("wasi:config");
    out.assert_stderr_contains("-S config");
}

#[test]
fn max_random_size_bounds_one_call_and_defaults_to_64_mib() {
    warden(["run", "-S", "max-random-size=16", &probe(), "random", "16"])
        .assert_success()
        .assert_stdout_contains("got 16");
    let over = warden(["run", "-S", "max-random-size=16", &probe(), "random", "17"]);
    over.assert_code(134)
        .assert_stderr_contains("-S max-random-size");
    // Wasmtime's default: 64 MiB. One byte more is refused before the host
    // allocates anything.
    let default = warden(["run", &probe(), "random", &((64u64 << 20) + 1).to_string()]);
    default
        .assert_code(134)
        .assert_stderr_contains("over the limit of 67108864");
}

#[test]
fn max_resources_bounds_the_handles_a_component_holds() {
    warden(["run", "-S", "max-resources=10", &probe(), "pollables", "5"])
        .assert_success()
        .assert_stdout_contains("held 5");
    let over = warden(["run", "-S", "max-resources=10", &probe(), "pollables", "20"]);
    over.assert_code(134)
        .assert_stderr_contains("resource table");
}

#[test]
fn hostcall_fuel_bounds_what_one_call_takes_from_the_guest() {
    let d = tempdir();
    let dir = format!("{}::/t", d.path().display());
    warden(["run", "--dir", &dir, &probe(), "path", "5000"])
        .assert_success()
        .assert_stdout_contains("name-too-long");
    let over = warden([
        "run",
        "-S",
        "hostcall-fuel=1000",
        "--dir",
        &dir,
        &probe(),
        "path",
        "5000",
    ]);
    over.assert_code(134)
        .assert_stderr_contains("fuel allocated for hostcalls");
}

#[test]
fn cwd_sets_the_initial_cwd() {
    warden(["run", &probe(), "cwd"])
        .assert_success()
        .assert_stdout_contains("none");
    warden(["run", "-S", "cwd=/data", &probe(), "cwd"])
        .assert_success()
        .assert_stdout_contains("/data");
}

#[test]
fn insecure_seed_is_one_pair_per_instance() {
    warden(["run", &probe(), "insecure-seed"])
        .assert_success()
        .assert_stdout_contains("same true");
}

#[test]
fn argv0_is_the_file_base_name_unless_given() {
    let p = probe();
    let out = warden(["run", &p, "argv0"]);
    out.assert_success();
    assert_eq!(out.stdout.trim(), "p2-probe.wasm", "{}", out.describe());
    warden(["run", "--argv0", "tool", &p, "argv0"])
        .assert_success()
        .assert_stdout_contains("tool");
}

#[test]
fn cli_exit_with_code_is_accepted_and_cannot_be_switched_off() {
    warden(["run", "-S", "cli-exit-with-code", &probe(), "cwd"]).assert_success();
    let off = warden(["run", "-S", "cli-exit-with-code=n", &probe(), "cwd"]);
    off.assert_code(1).assert_stderr_contains("exit-with-code");
}

#[test]
fn serve_options_after_the_component_are_used() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let proxy = guest_p2("p2-http-proxy");
    let running = Warden::new()
        .args([
            "serve".as_ref(),
            proxy.as_os_str(),
            "--addr".as_ref(),
            addr.as_ref(),
            "--no-logging-prefix".as_ref(),
            "--max-instance-reuse-count".as_ref(),
            "1".as_ref(),
        ])
        .timeout(Duration::from_secs(30))
        .spawn();
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while !running.stderr_now().contains("Serving HTTP on") && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = running.stderr_now();
    terminate(running.id());
    let out = running.finish();
    assert!(
        stderr.contains(&format!("Serving HTTP on http://{addr}/")),
        "--addr after FILE was not used: {}",
        out.describe()
    );
}

/// `serve --header 'NAME: VALUE'` sets a field on every request before the
/// guest sees it, replacing what the client sent; an empty value removes it.
#[test]
fn serve_header_sets_request_fields() {
    use std::io::{Read, Write};
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let proxy = guest_p2("p2-http-proxy");
    let running = Warden::new()
        .args([
            "serve".as_ref(),
            "--addr".as_ref(),
            addr.as_ref(),
            "--header".as_ref(),
            "X-Api-Key: secret".as_ref(),
            "-H".as_ref(),
            "user-agent:".as_ref(),
            proxy.as_os_str(),
        ])
        .timeout(Duration::from_secs(30))
        .spawn();
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while !running.stderr_now().contains("Serving HTTP on") && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut body = String::new();
    if let Ok(mut c) = std::net::TcpStream::connect(&addr) {
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = c.write_all(
            b"GET /headers HTTP/1.1\r\nhost: x\r\nx-api-key: wrong\r\nuser-agent: test\r\nconnection: close\r\n\r\n",
        );
        let _ = c.read_to_string(&mut body);
    }
    terminate(running.id());
    let out = running.finish();
    assert!(
        body.contains("x-api-key: secret"),
        "{body}\n{}",
        out.describe()
    );
    assert!(
        !body.contains("wrong"),
        "the client's value is replaced: {body}"
    );
    assert!(
        !body.contains("user-agent"),
        "an empty value removes the field: {body}"
    );
}

#[test]
fn serve_refuses_instance_reuse() {
    let proxy = guest_p2("p2-http-proxy");
    let out = warden([
        "serve".as_ref(),
        proxy.as_os_str(),
        "--max-instance-reuse-count".as_ref(),
        "2".as_ref(),
    ]);
    out.assert_code(1).assert_stderr_contains("fresh instance");
}

/// SIGTERM: warden serve shuts down gracefully.
fn terminate(pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

/// A component exporting `add(u32, u32) -> u32` at the top level and
/// `len(string) -> u32` in an exported interface.
const ADDER: &str = r#"(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "len") (param i32 i32) (result i32) local.get 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024))
  (core instance $i (instantiate $m))
  (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (export "add" (func $add))
  (func $len (param "s" string) (result u32)
    (canon lift (core func $i "len") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (instance $text (export "len" (func $len)))
  (export "example:calc/text" (instance $text)))"#;

#[test]
fn invoke_on_a_component_takes_and_prints_wave() {
    let d = tempdir();
    let file = d.path().join("adder.wat");
    std::fs::write(&file, ADDER).unwrap();
    let f = file.to_str().unwrap();
    let out = warden(["run", "--invoke", "add(40, 2)", f]);
    out.assert_success();
    assert_eq!(out.stdout.trim(), "42", "{}", out.describe());
    let out = warden(["run", "--invoke", r#"len("hello")"#, f]);
    out.assert_success();
    assert_eq!(
        out.stdout.trim(),
        "5",
        "a function inside an exported interface: {}",
        out.describe()
    );
    let bad = warden(["run", "--invoke", "add(1)", f]);
    bad.assert_code(1)
        .assert_stderr_contains("missing required param");
    let none = warden(["run", "--invoke", "nope()", f]);
    none.assert_code(1)
        .assert_stderr_contains("no function named `nope`");
}

/// A component whose 0.2 `run` uses a component-model async built-in
/// (`waitable-set.new`): Wasmtime enables the feature by default and runs
/// it, so Warden does too; `-S p3=n` still refuses it.
fn async_builtin_command(status: u32) -> String {
    format!(
        r#"(component
  (core func $wsnew (canon waitable-set.new))
  (core module $m
    (import "" "waitable-set.new" (func $ws (result i32)))
    (func (export "run") (result i32) (drop (call $ws)) (i32.const {status})))
  (core instance $i (instantiate $m (with "" (instance (export "waitable-set.new" (func $wsnew))))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))"#
    )
}

#[test]
fn a_0_2_command_using_component_model_async_runs() {
    let d = tempdir();
    for (status, code) in [(0, 0), (1, 1)] {
        let file = d.path().join(format!("async-{status}.wat"));
        std::fs::write(&file, async_builtin_command(status)).unwrap();
        let out = warden(["run", file.to_str().unwrap()]);
        out.assert_code(code);
    }
    let file = d.path().join("async-0.wat");
    let off = warden(["run", "-S", "p3=n", file.to_str().unwrap()]);
    off.assert_code(1)
        .assert_stderr_contains("component model async");
}
