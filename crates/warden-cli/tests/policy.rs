//! `warden run --policy FILE.toml` on WASI 0.1, 0.2 and 0.3 guests: the
//! policy grants exactly what it says (directories and their modes,
//! environment, limits), a guest that asks for more is refused with the
//! specification's error, flags beside the file add to it, and `warden
//! policy check` validates files (naming the line and column of a mistake)
//! and prints the effective policy.
#![cfg(unix)]

mod common;

use common::serve::Server;
use common::{guest, guest_p2, tempdir, Warden};
use std::path::Path;

/// A policy granting `data` read-only at /data, an in-memory /scratch, two
/// variables (one set, one passed through) and a 64 MiB memory cap.
fn policy_file(dir: &Path, data: &Path) -> std::path::PathBuf {
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[[dir]]
host = "{}"
guest = "/data"
mode = "ro"

[[dir]]
guest = "/scratch"
mode = "memory"
size = "1M"

[env]
set = {{ GREETING = "from the policy" }}
pass = ["WARDEN_POLICY_PASSED"]

[limits]
memory = "64M"
"#,
            data.display()
        ),
    )
    .unwrap();
    file
}

/// Runs the probe with the policy (and `flags` beside it): (status, stdout).
fn probe(wasm: &Path, policy: &Path, flags: &[&str], args: &[&str]) -> (i32, String) {
    let out = Warden::new()
        .host_env("WARDEN_POLICY_PASSED", "passed through")
        .host_env("WARDEN_POLICY_NOT_GRANTED", "secret")
        .arg("run")
        .arg("--policy")
        .arg(policy)
        .args(flags)
        .arg(wasm)
        .args(args)
        .output();
    (out.code.unwrap_or(-1), out.stdout)
}

fn check_probe(wasm: &Path) {
    let dir = tempdir();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("note"), "from the host\n").unwrap();
    std::fs::create_dir(data.join("sub")).unwrap();
    let policy = policy_file(dir.path(), &data);
    let run = |args: &[&str]| probe(wasm, &policy, &[], args);

    // What the policy grants.
    assert_eq!(run(&["env", "GREETING"]), (0, "from the policy\n".into()));
    assert_eq!(
        run(&["env", "WARDEN_POLICY_PASSED"]),
        (0, "passed through\n".into())
    );
    assert_eq!(run(&["cat", "/data/note"]), (0, "from the host\n".into()));
    assert_eq!(run(&["write", "/scratch/new"]), (0, "written\n".into()));
    assert_eq!(run(&["grow", "16"]), (0, "grew 16 MiB\n".into()));

    // What it does not: each refused as the specification says.
    assert_eq!(
        run(&["env", "WARDEN_POLICY_NOT_GRANTED"]),
        (0, "<unset>\n".into())
    );
    assert_eq!(run(&["env", "HOME"]), (0, "<unset>\n".into()));
    assert_eq!(
        run(&["write", "/data/new"]),
        (1, "refused: ReadOnlyFilesystem\n".into())
    );
    // The read-only grant answers before the host is asked (which would
    // say the directory exists).
    assert_eq!(
        run(&["mkdir", "/data/sub"]),
        (1, "refused: ReadOnlyFilesystem\n".into())
    );
    let (status, _) = run(&["cat", "/etc/passwd"]);
    assert_ne!(status, 0, "a file outside every grant was read");
    let (status, _) = run(&["grow", "128"]);
    assert_eq!(status, 134, "growing past the policy's memory limit");
    assert!(
        !data.join("new").exists(),
        "the read-only grant was written"
    );
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        2,
        "the host tree changed"
    );

    // Flags add to the file.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let flag_dir = format!("{}::/other", other.display());
    let flags = ["--env", "EXTRA=added", "--dir", flag_dir.as_str()];
    assert_eq!(
        probe(wasm, &policy, &flags, &["env", "EXTRA"]),
        (0, "added\n".into())
    );
    assert_eq!(
        probe(wasm, &policy, &flags, &["write", "/other/out"]),
        (0, "written\n".into())
    );
    assert_eq!(
        probe(wasm, &policy, &flags, &["env", "GREETING"]),
        (0, "from the policy\n".into())
    );
    // ... and a flag's limit replaces the file's.
    let (status, _) = probe(
        wasm,
        &policy,
        &["-W", "max-memory-size=268435456"],
        &["grow", "128"],
    );
    assert_eq!(status, 0, "-W max-memory-size beside the file");
}

#[test]
fn a_policy_grants_a_wasi_0_1_module_exactly_what_it_says() {
    check_probe(&guest("container-probe"));
}

#[test]
fn a_policy_grants_a_wasi_0_2_component_exactly_what_it_says() {
    check_probe(&guest_p2("container-probe"));
}

#[test]
fn a_policy_grants_a_wasi_0_3_component_its_environment() {
    let dir = tempdir();
    let policy = dir.path().join("p3.toml");
    std::fs::write(&policy, "[env]\nset = { P3_GREETING = \"hello\" }\n").unwrap();
    let out = Warden::new()
        .arg("run")
        .arg("--policy")
        .arg(&policy)
        .arg(guest_p2("p3-hello"))
        .arg("7")
        .output();
    assert_eq!(out.code, Some(7));
    let text = out.stdout.clone();
    assert!(text.contains("P3_GREETING: Some(\"hello\")\n"), "{text}");
    // Without the policy, nothing.
    let out = Warden::new().arg("run").arg(guest_p2("p3-hello")).output();
    assert!(out.stdout.clone().contains("P3_GREETING: None\n"));
}

#[test]
fn policy_check_prints_the_effective_policy_and_names_mistakes() {
    let dir = tempdir();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[[dir]]\nhost = \"/srv\"\nguest = \"/srv\"\n[limits]\nmemory = 268435456\ntimeout = 30\n",
    )
    .unwrap();
    let out = Warden::new().args(["policy", "check"]).arg(&good).output();
    assert_eq!(out.code, Some(0), "{}", out.describe());
    let text = out.stdout.clone();
    // Every entry spelled out, in the units a person reads.
    assert!(text.contains("mode = \"rw\""), "{text}");
    assert!(text.contains("memory = \"256M\""), "{text}");
    assert!(text.contains("timeout = \"30s\""), "{text}");
    assert!(text.contains("tcp = true"), "{text}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[network]\nlookup = true\nconect = [\"10.0.0.1:80\"]\n",
    )
    .unwrap();
    let out = Warden::new().args(["policy", "check"]).arg(&bad).output();
    assert_eq!(out.code, Some(1));
    let err = out.stderr.clone();
    assert!(err.contains("line 3, column 1"), "{err}");
    assert!(err.contains("unknown field `conect`"), "{err}");
    // `run` refuses it the same way, before running anything.
    let out = Warden::new()
        .arg("run")
        .arg("--policy")
        .arg(&bad)
        .arg(guest("container-probe"))
        .output();
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.clone().contains("unknown field `conect`"));
}

#[test]
fn the_example_policies_are_valid() {
    let dir = common::repo_root().join("examples/policies");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let out = Warden::new().args(["policy", "check"]).arg(&path).output();
        assert_eq!(out.code, Some(0), "{}: {}", path.display(), out.describe());
        n += 1;
    }
    assert_eq!(n, 3, "examples/policies holds the three examples");
}

#[test]
fn warden_serve_takes_a_policy_too() {
    let dir = tempdir();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(
        site.join("index.txt"),
        "served from the policy's directory\n",
    )
    .unwrap();
    let policy = dir.path().join("serve.toml");
    std::fs::write(
        &policy,
        format!(
            "[[dir]]\nhost = \"{}\"\nguest = \"/site\"\nmode = \"ro\"\n\n[env]\nset = {{ SERVICE = \"orders\" }}\n",
            site.display()
        ),
    )
    .unwrap();
    let policy_arg = policy.display().to_string();
    let server = Server::start(&["--policy", &policy_arg]);
    let env = server.get("/env");
    assert_eq!(env.status, 200);
    assert_eq!(String::from_utf8_lossy(&env.body), "SERVICE=orders\n");
    let file = server.get("/file/site/index.txt");
    assert_eq!(file.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&file.body),
        "served from the policy's directory\n"
    );
    // Nothing else: a path outside the grant is not found.
    assert_eq!(server.get("/file/etc/passwd").status, 404);
    server.signal("TERM");
}
