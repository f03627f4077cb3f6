//! `ctr run --runtime io.containerd.warden.v1` with a real containerd
//! (Debian's, installed by scripts/setup), on images made here: a WASI 0.1
//! module and a WASI 0.2 component, each checked for stdout, exit status,
//! environment, arguments, a mounted directory, a read-only mount refusing
//! writes, a trap's status, the memory limit, and `ctr task kill`; a
//! WASI 0.3 command; WebAssembly text, and a file that is neither; 0.2 and
//! 0.3 `wasi:http/proxy` components served.
#![cfg(target_os = "linux")]

mod common;

use common::{assert_ok, stdout, Containerd};
use std::io::{BufRead as _, Read as _, Write as _};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn check_workload(c: &Containerd, image: &str, tag: &str) {
    let id = |what: &str| format!("{tag}-{what}");

    // Plain run: stdout reaches ctr, status 0.
    let cached_before = c.cache_entries();
    let out = c.run(&[], image, &id("hello"), &[]);
    assert_ok(&out, "hello");
    assert_eq!(stdout(&out), "hello from a container\n");
    // The first start compiled into the node's cache; later starts load it.
    let cached = c.cache_entries();
    assert_eq!(
        cached,
        cached_before + 1,
        "the first start left no compiled code"
    );

    // Arguments as given, the entrypoint first.
    let out = c.run(&[], image, &id("args"), &["args", "one", "two words"]);
    assert_ok(&out, "args");
    assert_eq!(stdout(&out), "/app.wasm\nargs\none\ntwo words\n");

    // Environment: the image's and ctr's --env.
    let out = c.run(
        &["--env", "GREETING=hi there"],
        image,
        &id("env"),
        &["env", "GREETING"],
    );
    assert_ok(&out, "env");
    assert_eq!(stdout(&out), "hi there\n");
    let out = c.run(&[], image, &id("env-image"), &["env", "FROM_IMAGE"]);
    assert_eq!(stdout(&out), "yes\n");

    // Exit status as the guest's (a 0.2 command's `exit(err)` is 1, as
    // under `warden run` and Wasmtime).
    let out = c.run(&[], image, &id("exit"), &["exit", "7"]);
    let want = if tag == "p1" { 7 } else { 1 };
    assert_eq!(out.status.code(), Some(want), "exit 7: {out:?}");

    // A trap: 134, as `warden run`.
    let out = c.run(&[], image, &id("trap"), &["trap"]);
    assert_eq!(out.status.code(), Some(134), "trap: {out:?}");

    // Mounts: a read-write one, and a read-only one that refuses writes.
    let data = c.dir.path().join(format!("{tag}-data"));
    let conf = c.dir.path().join(format!("{tag}-conf"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("settings"), "from the host\n").unwrap();
    let rw = format!(
        "type=bind,src={},dst=/data,options=rbind:rw",
        data.display()
    );
    let ro = format!(
        "type=bind,src={},dst=/config,options=rbind:ro",
        conf.display()
    );
    let mounts = ["--mount", rw.as_str(), "--mount", ro.as_str()];
    let out = c.run(&mounts, image, &id("cat"), &["cat", "/config/settings"]);
    assert_ok(&out, "cat a read-only mount");
    assert_eq!(stdout(&out), "from the host\n");
    let out = c.run(&mounts, image, &id("write"), &["write", "/data/out"]);
    assert_ok(&out, "write to a read-write mount");
    assert_eq!(
        std::fs::read_to_string(data.join("out")).unwrap(),
        "written\n"
    );
    let out = c.run(&mounts, image, &id("write-ro"), &["write", "/config/new"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "write to a read-only mount: {out:?}"
    );
    assert!(stdout(&out).starts_with("refused"), "{}", stdout(&out));
    assert!(!conf.join("new").exists(), "a read-only mount was written");
    // The refusal is Warden's read-only grant, before the host is asked:
    // the host, asked, would say the directory exists (EEXIST).
    std::fs::create_dir_all(conf.join("sub")).unwrap();
    let out = c.run(&mounts, image, &id("mkdir-ro"), &["mkdir", "/config/sub"]);
    assert_eq!(stdout(&out), "refused: ReadOnlyFilesystem\n", "{out:?}");

    // Nothing else of the container is granted: not its root filesystem.
    let out = c.run(&mounts, image, &id("root"), &["ls", "/"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "the image root was readable: {out:?}"
    );

    // The memory limit is the guest's memory cap: growing past it is the
    // guest's own failure (a trap), not the OOM killer's.
    let limit = ["--memory-limit", "67108864"];
    let out = c.run(&limit, image, &id("grow-small"), &["grow", "16"]);
    assert_ok(&out, "grow under the limit");
    let out = c.run(&limit, image, &id("grow-big"), &["grow", "128"]);
    assert_eq!(out.status.code(), Some(134), "grow past the limit: {out:?}");
    let out = c.run(&[], image, &id("grow-unlimited"), &["grow", "128"]);
    assert_ok(&out, "grow without a limit");

    // `ctr task kill` (SIGTERM) ends a sleeping guest: 143.
    let kill_id = id("kill");
    let mut run = c
        .run_command(common::WARDEN, &[], image, &kill_id, &["sleep"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ctr run");
    let mut lines = std::io::BufReader::new(run.stdout.take().unwrap()).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert_eq!(first, "sleeping");
    assert_ok(&c.ctr(&["task", "kill", &kill_id]), "ctr task kill");
    let out = common::wait_bounded(run, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(143), "killed: {out:?}");

    // All those starts of one image compiled it once.
    assert_eq!(c.cache_entries(), cached, "a later start compiled again");
}

#[test]
fn ctr_runs_wasi_0_1_and_0_2_workloads_on_warden() {
    let c = Containerd::start();
    let env = ["FROM_IMAGE=yes"];
    for (tag, target) in [("p1", "wasm32-wasip1"), ("p2", "wasm32-wasip2")] {
        let image = c.image(&format!("probe-{tag}"), &common::probe(target), 0o644, &env);
        check_workload(&c, &image, tag);
    }
}

/// A containerd whose shims read the operator's policy `policy`, and the
/// 0.1 probe's image imported into it.
fn with_operator_policy(policy: &std::path::Path) -> (Containerd, String) {
    let c = Containerd::start_with_env(&[("WARDEN_SHIM_POLICY", policy)]);
    let probe = common::probe("wasm32-wasip1");
    let image = c.image("probe-operator", &probe, 0o644, &[]);
    (c, image)
}

/// The operator's policy (`WARDEN_SHIM_POLICY` in containerd's
/// environment) applies to every container: a read-write mount made an
/// overlay (the guest writes, the host directory stays as it was), a
/// variable added; a policy file that does not parse refuses every
/// container rather than running it with less than the operator said.
#[test]
fn ctr_applies_the_operators_policy() {
    let files = tempfile::tempdir().unwrap();
    let policy = files.path().join("operator.toml");
    std::fs::write(
        &policy,
        "[[dir]]\nhost = \"*\"\nguest = \"*\"\nmode = \"overlay\"\n\n[env]\nset = { FROM_OPERATOR = \"yes\" }\n",
    )
    .unwrap();
    let (c, image) = with_operator_policy(&policy);
    let data = c.dir.path().join("operator-data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("note"), "from the host\n").unwrap();
    let rw = format!(
        "type=bind,src={},dst=/data,options=rbind:rw",
        data.display()
    );
    let mounts = ["--mount", rw.as_str()];
    let out = c.run(&mounts, &image, "op-write", &["write", "/data/note"]);
    assert_ok(&out, "write to an overlaid mount");
    assert_eq!(stdout(&out), "written\n");
    assert_eq!(
        std::fs::read_to_string(data.join("note")).unwrap(),
        "from the host\n",
        "the operator's overlay let a write reach the host"
    );
    let out = c.run(&mounts, &image, "op-cat", &["cat", "/data/note"]);
    assert_eq!(stdout(&out), "from the host\n");
    let out = c.run(&[], &image, "op-env", &["env", "FROM_OPERATOR"]);
    assert_eq!(stdout(&out), "yes\n");
    drop(c);

    std::fs::write(&policy, "[[dir]]\nmode = \"sideways\"\n").unwrap();
    let (c, image) = with_operator_policy(&policy);
    let out = c.run(&[], &image, "op-bad", &[]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "ran despite a broken policy: {out:?}"
    );
    assert_eq!(stdout(&out), "", "the program ran");
}

/// GET `path` on `port` of 127.0.0.1, HTTP/1.1: the whole answer.
fn get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    Ok(answer)
}

#[test]
fn ctr_runs_a_wasi_0_3_command_on_warden() {
    let c = Containerd::start();
    let hello = common::guest("p3-hello", "wasm32-wasip2");
    let image = c.image("p3-hello", &hello, 0o644, &[]);
    let env = ["--env", "P3_GREETING=from the spec"];
    let out = c.run(&env, &image, "p3-hello", &["5", "a b"]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with("hello from wasi 0.3\nargs: [\"5\", \"a b\"]\n"),
        "{text}"
    );
    assert!(
        text.contains("P3_GREETING: Some(\"from the spec\")\n"),
        "{text}"
    );
}

#[test]
fn ctr_runs_webassembly_text_and_refuses_what_is_not_webassembly() {
    let c = Containerd::start();
    let wat = br#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const 3))))"#;
    let image = c.image("text", wat, 0o644, &[]);
    let out = c.run(&[], &image, "text", &[]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    // Neither binary nor text: the container is not created.
    let image = c.image("junk", b"this is no WebAssembly", 0o644, &[]);
    let out = c.run(&[], &image, "junk", &[]);
    assert!(!out.status.success(), "junk ran: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warden executor can't handle"), "{err}");
}

#[test]
fn ctr_serves_wasi_http_proxy_components_0_2_and_0_3() {
    let c = Containerd::start();
    for (name, hello) in [
        ("p2-http-proxy", "hello from warden\n"),
        ("p3-http-proxy", "hello from warden p3\n"),
    ] {
        check_proxy(&c, name, hello);
    }
}

fn check_proxy(c: &Containerd, name: &str, hello: &str) {
    let proxy = common::guest(name, "wasm32-wasip2");
    let image = c.image(name, &proxy, 0o644, &[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let addr = format!("WARDEN_HTTP_PROXY_SOCKET_ADDR=127.0.0.1:{port}");
    let out = c.ctr(&[
        "run",
        "--detach",
        "--net-host",
        "--snapshotter",
        "native",
        "--runtime",
        "io.containerd.warden.v1",
        "--env",
        &addr,
        "--env",
        "GREETING=from the spec",
        &image,
        name,
    ]);
    assert_ok(&out, "ctr run --detach");
    let deadline = Instant::now() + Duration::from_secs(60);
    let answer = loop {
        match get(port, "/hello") {
            Ok(a) if !a.is_empty() => break a,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            other => panic!("the proxy never answered: {other:?}"),
        }
    };
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // (0.3 streams its body: chunked.)
    assert!(answer.contains(hello), "{answer}");
    if name.starts_with("p2") {
        let env = get(port, "/env").unwrap();
        assert!(env.contains("GREETING=from the spec\n"), "{env}");
    }
    // SIGTERM: a graceful stop, status 0.
    assert_ok(&c.ctr(&["task", "kill", name]), "ctr task kill");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tasks = stdout(&c.ctr(&["task", "ls"]));
        let stopped = |l: &str| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.first() == Some(&name) && cols.last() == Some(&"STOPPED")
        };
        if tasks.lines().any(stopped) {
            break;
        }
        assert!(Instant::now() < deadline, "{name} did not stop: {tasks}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_ok(&c.ctr(&["task", "delete", name]), "ctr task delete");
    assert_ok(
        &c.ctr(&["containers", "delete", name]),
        "ctr containers delete",
    );
    assert!(get(port, "/hello").is_err(), "still serving after the kill");
}
