//! The call trace (`--trace FILE`, `WARDEN_LOG=wasi=trace`) of known
//! programs on WASI 0.1, 0.2, 0.3 and wasi:http: the calls they make, in
//! order, with arguments, results and durations; guest strings escaped.
#![cfg(unix)]

mod common;

use common::serve::Server;
use common::{guest, guest_p2, tempdir, Warden};
use std::path::Path;

/// One record of the JSON trace.
#[derive(Debug)]
struct Call {
    version: String,
    interface: String,
    function: String,
    args: String,
    result: String,
    duration_ns: u64,
}

fn read_trace(path: &Path) -> Vec<Call> {
    let text = std::fs::read_to_string(path).expect("the trace was written");
    text.lines()
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let s = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("no {k}: {line}"))
                    .to_owned()
            };
            Call {
                version: s("version"),
                interface: s("interface"),
                function: s("function"),
                args: s("args"),
                result: s("result"),
                duration_ns: v["duration_ns"].as_u64().expect("duration_ns"),
            }
        })
        .collect()
}

/// `want` appear in `calls` in this order (other calls may come between).
fn assert_in_order(calls: &[Call], want: &[&str]) {
    let mut at = 0;
    for w in want {
        match calls[at..].iter().position(|c| c.function == *w) {
            Some(i) => at += i + 1,
            None => panic!(
                "`{w}` not found after call {at}; the trace:\n{}",
                calls
                    .iter()
                    .map(|c| format!("{} {}::{}", c.version, c.interface, c.function))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
}

fn traced(wasm: &Path, dir: &Path, args: &[&str]) -> (common::Output, Vec<Call>) {
    let trace = dir.join("trace.jsonl");
    let out = Warden::new()
        .arg("run")
        .arg("--trace")
        .arg(&trace)
        .arg("--dir")
        .arg(format!("{}::/data", dir.join("data").display()))
        .arg(wasm)
        .args(args)
        .output();
    (out, read_trace(&trace))
}

fn data_dir() -> tempfile::TempDir {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/note"), "traced\n").unwrap();
    dir
}

#[test]
fn a_wasi_0_1_program_traced() {
    let dir = data_dir();
    let (out, calls) = traced(
        &guest("container-probe"),
        dir.path(),
        &["cat", "/data/note"],
    );
    assert_eq!(out.stdout, "traced\n");
    assert!(calls.iter().all(|c| c.version == "0.1"));
    assert!(calls
        .iter()
        .all(|c| c.interface == "wasi_snapshot_preview1"));
    assert_in_order(
        &calls,
        &[
            "args_sizes_get",
            "args_get",
            "fd_prestat_get",
            "fd_prestat_dir_name",
            "path_open",
            "fd_read",
            "fd_write",
        ],
    );
    let open = calls.iter().find(|c| c.function == "path_open").unwrap();
    assert_eq!(open.result, "success");
    assert!(
        open.args.starts_with("fd=3, dirflags=1, path="),
        "{}",
        open.args
    );
    let write = calls.iter().find(|c| c.function == "fd_write").unwrap();
    assert!(write.args.starts_with("fd=1,"), "{}", write.args);
    // A file outside the grant: the refusal is in the trace.
    let (_, calls) = traced(
        &guest("container-probe"),
        dir.path(),
        &["cat", "/etc/passwd"],
    );
    assert!(
        calls
            .iter()
            .all(|c| c.function != "path_open" || c.result != "success"),
        "{calls:?}"
    );
}

#[test]
fn a_wasi_0_2_program_traced_with_its_guest_strings_escaped() {
    let dir = data_dir();
    let (out, calls) = traced(
        &guest_p2("container-probe"),
        dir.path(),
        &["cat", "/data/note"],
    );
    assert_eq!(out.stdout, "traced\n");
    assert!(calls.iter().all(|c| c.version == "0.2"), "{calls:?}");
    assert_in_order(
        &calls,
        &[
            "get-arguments",
            "get-directories",
            "[method]descriptor.open-at",
            "[method]descriptor.read-via-stream",
            "[method]input-stream.blocking-read",
            "get-stdout",
            "[method]output-stream.write",
        ],
    );
    let open = calls
        .iter()
        .find(|c| c.function == "[method]descriptor.open-at")
        .unwrap();
    assert_eq!(open.interface, "wasi:filesystem/types");
    assert!(open.args.contains("path=\"note\""), "{}", open.args);
    assert!(open.result.starts_with("Ok(Resource"), "{}", open.result);
    // Buffers are summarised, not copied into the trace.
    let write = calls
        .iter()
        .find(|c| c.function == "[method]output-stream.write")
        .unwrap();
    assert!(write.args.contains("contents=\"...\""), "{}", write.args);

    // A name with a quote, a newline and an escape sequence: escaped, and
    // every line of the trace still one JSON object.
    let hostile = "/data/a\"b\nc\u{1b}[31m";
    let (_, calls) = traced(
        &guest_p2("container-probe"),
        dir.path(),
        &["write", hostile],
    );
    let open = calls
        .iter()
        .find(|c| c.function == "[method]descriptor.open-at")
        .unwrap();
    assert!(
        open.args.contains(r#"path="a\"b\nc\u{1b}[31m""#),
        "{}",
        open.args
    );

    // The same calls on stderr with WARDEN_LOG=wasi=trace, one per line.
    let out = Warden::new()
        .host_env("WARDEN_LOG", "wasi=trace")
        .arg("run")
        .arg("--dir")
        .arg(format!("{}::/data", dir.path().join("data").display()))
        .arg(guest_p2("container-probe"))
        .args(["cat", "/data/note"])
        .output();
    assert!(
        out.stderr.lines().any(|l| l.starts_with(
            "wasi 0.2 wasi:filesystem/types::[method]descriptor.open-at(self=Resource"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_wasi_0_3_program_traced_with_durations() {
    let dir = data_dir();
    let (out, calls) = traced(&guest_p2("p3-hello"), dir.path(), &["3"]);
    assert_eq!(out.code, Some(3));
    assert_in_order(
        &calls,
        &[
            "get-arguments",
            "get-environment",
            "now",
            "wait-for",
            "exit-with-code",
        ],
    );
    let wait = calls.iter().find(|c| c.function == "wait-for").unwrap();
    assert_eq!(
        (wait.version.as_str(), wait.interface.as_str()),
        ("0.3", "wasi:clocks/monotonic-clock")
    );
    assert_eq!(wait.args, "how_long=50000000");
    assert!(wait.duration_ns >= 50_000_000, "{wait:?}");
}

#[test]
fn wasi_http_calls_of_a_served_component_traced() {
    let dir = tempdir();
    let trace = dir.path().join("serve.jsonl");
    let trace_arg = trace.display().to_string();
    let server = Server::start(&["--trace", &trace_arg]);
    let resp = server.get("/hello");
    assert_eq!(resp.status, 200);
    server.signal("TERM");
    let _ = server.run.finish();
    let calls = read_trace(&trace);
    assert!(calls.iter().all(|c| c.version == "0.2"));
    assert_in_order(
        &calls,
        &[
            "[method]incoming-request.path-with-query",
            "[constructor]fields",
            "[constructor]outgoing-response",
            "[static]response-outparam.set",
        ],
    );
    assert!(calls.iter().any(|c| c.interface == "wasi:http/types"));
}
