//! `ctr run --runtime io.containerd.warden.v1` with a real containerd
//! (Debian's, installed by scripts/setup), on images made here: a WASI 0.1
//! module and a WASI 0.2 component, each checked for stdout, exit status,
//! environment, arguments, a mounted directory, a read-only mount refusing
//! writes, a trap's status, the memory limit, and `ctr task kill`.
#![cfg(target_os = "linux")]

mod common;

use common::{assert_ok, stdout, Containerd};
use std::io::BufRead as _;
use std::process::Stdio;
use std::time::Duration;

fn check_workload(c: &Containerd, image: &str, tag: &str) {
    let id = |what: &str| format!("{tag}-{what}");

    // Plain run: stdout reaches ctr, status 0.
    let out = c.run(&[], image, &id("hello"), &[]);
    assert_ok(&out, "hello");
    assert_eq!(stdout(&out), "hello from a container\n");

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
        .ctr_command(&[
            "run",
            "--rm",
            "--snapshotter",
            "native",
            "--runtime",
            "io.containerd.warden.v1",
            image,
            &kill_id,
            "/app.wasm",
            "sleep",
        ])
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
}

#[test]
fn ctr_runs_wasi_0_1_and_0_2_workloads_on_warden() {
    let c = Containerd::start();
    let env = ["FROM_IMAGE=yes"];
    for (tag, target) in [("p1", "wasm32-wasip1"), ("p2", "wasm32-wasip2")] {
        let tar = c.dir.path().join(format!("{tag}.tar"));
        let image = common::image(&format!("probe-{tag}"), &common::probe(target), &env, &tar);
        c.import(&tar);
        check_workload(&c, &image, tag);
    }
}
