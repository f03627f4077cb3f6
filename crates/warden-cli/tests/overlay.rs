//! `warden run --dir HOST::GUEST::overlay` on WASI 0.1 and 0.2 guests (the
//! 0.3 guests run on overlays in p3_confine.rs and the official suite): the
//! guest reads the host's files, changes them, makes and removes names, all
//! in memory; the host tree is byte-identical afterwards; `--overlay-save`
//! writes exactly the changes out; the overlay's quota bounds what it holds;
//! and the policy file's `mode = "overlay"` and `save` say the same.
#![cfg(unix)]

mod common;

use common::{guest, guest_p2, tempdir, Warden};
use std::path::{Path, PathBuf};

/// The host tree: note ("from the host"), sub/deep ("deep").
fn host_tree(root: &Path) -> PathBuf {
    let data = root.join("data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("note"), "from the host\n").unwrap();
    std::fs::write(data.join("sub/deep"), "deep\n").unwrap();
    data
}

/// Every path beneath `root` with its contents (directories empty).
fn tree(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if p.is_dir() {
                stack.push(p);
                out.push((rel, String::new()));
            } else {
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn probe(wasm: &Path, flags: &[String], args: &[&str]) -> (i32, String) {
    let out = Warden::new()
        .arg("run")
        .args(flags)
        .arg(wasm)
        .args(args)
        .output();
    (out.code.unwrap_or(-1), out.stdout)
}

fn check_overlay(wasm: &Path, full: &str) {
    let dir = tempdir();
    let data = host_tree(dir.path());
    let before = tree(&data);
    let overlay = vec![
        "--dir".to_string(),
        format!("{}::/data::overlay", data.display()),
    ];
    let run = |args: &[&str]| probe(wasm, &overlay, args);

    assert_eq!(run(&["cat", "/data/note"]), (0, "from the host\n".into()));
    assert_eq!(run(&["ls", "/data"]), (0, "note\nsub\n".into()));
    assert_eq!(run(&["write", "/data/note"]), (0, "written\n".into()));
    assert_eq!(run(&["write", "/data/sub/new"]), (0, "written\n".into()));
    assert_eq!(run(&["mkdir", "/data/made"]), (0, "made\n".into()));
    // An existing host directory is still `exist`, as on the host (the
    // probe exits 1 on a refusal).
    assert_eq!(
        run(&["mkdir", "/data/sub"]),
        (1, "refused: AlreadyExists\n".into())
    );
    assert_eq!(tree(&data), before, "an overlay run changed the host");

    // The upper layer saved: the rewritten note and the new file, nothing
    // that was only read.
    let save = dir.path().join("upper");
    let mut flags = overlay.clone();
    flags.extend(["--overlay-save".into(), format!("/data={}", save.display())]);
    assert_eq!(
        probe(wasm, &flags, &["write", "/data/sub/new"]),
        (0, "written\n".into())
    );
    assert_eq!(
        tree(&save),
        [
            ("sub".to_string(), String::new()),
            ("sub/new".to_string(), "written\n".to_string())
        ]
    );
    assert_eq!(tree(&data), before);

    // The quota bounds the upper layer: 4 bytes cannot hold "written\n"
    // (`full`: how the guest's libc reports `nospc`).
    let small = vec![
        "--dir".to_string(),
        format!("{}::/data::overlay::size=4", data.display()),
    ];
    assert_eq!(
        probe(wasm, &small, &["write", "/data/new"]),
        (1, format!("refused: {full}\n"))
    );

    // A policy file says the same.
    let policy = dir.path().join("overlay.toml");
    let save2 = dir.path().join("upper2");
    std::fs::write(
        &policy,
        format!(
            "[[dir]]\nhost = {:?}\nguest = \"/data\"\nmode = \"overlay\"\nsave = {:?}\n",
            data.display().to_string(),
            save2.display().to_string()
        ),
    )
    .unwrap();
    let flags = vec!["--policy".to_string(), policy.display().to_string()];
    assert_eq!(
        probe(wasm, &flags, &["write", "/data/note"]),
        (0, "written\n".into())
    );
    assert_eq!(
        tree(&save2),
        [("note".to_string(), "written\n".to_string())]
    );
    assert_eq!(tree(&data), before);
}

#[test]
fn overlay_wasi_0_1() {
    check_overlay(&guest("container-probe"), "StorageFull");
}

#[test]
fn overlay_wasi_0_2() {
    // wasi-libc's 0.2 write gives EIO for any failed stream write without
    // asking `filesystem-error-code` (Rust calls EIO Uncategorized); the
    // stream's error does carry `insufficient-space`.
    check_overlay(&guest_p2("container-probe"), "Uncategorized");
}

/// `--overlay-save` needs an overlay (or in-memory directory) by that name,
/// and `::ro` and `::overlay` exclude each other.
#[test]
fn overlay_flags_are_checked() {
    let dir = tempdir();
    let data = host_tree(dir.path());
    let wasm = guest("container-probe");
    let out = Warden::new()
        .arg("run")
        .arg("--dir")
        .arg(format!("{}::/data", data.display()))
        .arg("--overlay-save")
        .arg(format!("/data={}", dir.path().join("x").display()))
        .arg(&wasm)
        .output();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no overlay or in-memory directory is granted as `/data`"),
        "{}",
        out.stderr
    );
    let out = Warden::new()
        .arg("run")
        .arg("--dir")
        .arg(format!("{}::/data::overlay::ro", data.display()))
        .arg(&wasm)
        .output();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("exclude each other"), "{}", out.stderr);
}
