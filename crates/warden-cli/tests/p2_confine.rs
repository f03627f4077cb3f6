//! Confinement over wasi:filesystem: runs the `p2-confine` component
//! (guests/p2-confine), which makes the escape attempts of `p1-confine`
//! through the WASI 0.2 descriptor methods and checks each error-code
//! against the one matching p1-confine's errno. Then, on the host, checks
//! that nothing outside the sandbox changed (the same recursive snapshot as
//! p1_confine.rs: names, types, sizes, contents, modes, mtimes, symlink
//! targets, before and after).
//!
//! Layout (host), as in p1_confine.rs:
//!   <tmp>/sandbox/            preopened as /sandbox (empty at start)
//!   <tmp>/outside/secret.txt  "secret"
//!   <tmp>/outside/dir/        empty directory
//!   <tmp>/ro/file.txt, ro/sub/ the read-only mount for the `ro` mode
//!
//! The snapshot code is a copy of p1_confine.rs's (common/mod.rs was being
//! edited concurrently when this file was written); the guest is built here
//! for wasm32-wasip2 by [`p2_confine_wasm`].

mod common;

use common::{repo_root, tempdir, Output, Warden};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::SystemTime;

/// Attempts of the `rw` mode: p1-confine's 211 less its descriptor-number
/// probe ("fd_readdir on the fd a refused open would have had"), which has
/// no wasi:filesystem counterpart.
const RW_ATTEMPTS: u32 = 210;
/// Attempts of the `ro` mode: p1-confine's 51 (two rights-only opens
/// replaced by two `mutate-directory` requests).
const RO_ATTEMPTS: u32 = 51;

// ---- the guest ----

/// Path of `p2-confine.wasm`, built once per test process with
/// `cargo build --release --target wasm32-wasip2 -p p2-confine`.
fn p2_confine_wasm() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build_p2_confine) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn build_p2_confine() -> Result<PathBuf, String> {
    let root = repo_root();
    let run = |offline: bool| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "p2-confine",
            "--manifest-path",
        ])
        .arg(root.join("guests/Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target/guests"));
        if offline {
            cmd.arg("--offline");
        }
        // Flags meant for the host build must not leak into the wasm build.
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
        ] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo to build p2-confine: {e}"))
    };
    let out = run(true)?;
    let out = if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("offline") {
        run(false)?
    } else {
        out
    };
    if !out.status.success() {
        return Err(format!(
            "building p2-confine failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let p = root.join("target/guests/wasm32-wasip2/release/p2-confine.wasm");
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("p2-confine was not built: {} missing", p.display()))
    }
}

// ---- host-side snapshot (copied from p1_confine.rs) ----

/// What the snapshot records of one filesystem entry.
#[derive(Debug, PartialEq, Eq)]
enum Node {
    File {
        len: u64,
        content: Vec<u8>,
        mode: u32,
        mtime: SystemTime,
        ino: u64,
        nlink: u64,
    },
    Dir {
        mode: u32,
        mtime: SystemTime,
        ino: u64,
    },
    Symlink {
        target: PathBuf,
    },
    Other {
        mode: u32,
    },
}

/// Recursive snapshot of `root`, keyed by the path relative to `root`
/// ("" is `root` itself), leaving out `skip` and everything under it.
fn snapshot(root: &Path, skip: Option<&Path>) -> BTreeMap<PathBuf, Node> {
    fn walk(root: &Path, path: &Path, skip: Option<&Path>, out: &mut BTreeMap<PathBuf, Node>) {
        if Some(path) == skip {
            return;
        }
        let md =
            fs::symlink_metadata(path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()));
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        let ft = md.file_type();
        let node = if ft.is_symlink() {
            Node::Symlink {
                target: fs::read_link(path).unwrap(),
            }
        } else if ft.is_dir() {
            let mut names: Vec<_> = fs::read_dir(path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            for child in names {
                walk(root, &child, skip, out);
            }
            Node::Dir {
                mode: md.mode(),
                mtime: md.modified().unwrap(),
                ino: md.ino(),
            }
        } else if ft.is_file() {
            Node::File {
                len: md.len(),
                content: fs::read(path).unwrap(),
                mode: md.mode(),
                mtime: md.modified().unwrap(),
                ino: md.ino(),
                nlink: md.nlink(),
            }
        } else {
            Node::Other { mode: md.mode() }
        };
        out.insert(rel, node);
    }
    let mut out = BTreeMap::new();
    walk(root, root, skip, &mut out);
    out
}

/// Differences between two snapshots, one line each.
fn diff(before: &BTreeMap<PathBuf, Node>, after: &BTreeMap<PathBuf, Node>) -> Vec<String> {
    let mut d = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => d.push(format!("removed: {}", k.display())),
            Some(w) if w != v => d.push(format!("changed: {}: {v:?} -> {w:?}", k.display())),
            _ => {}
        }
    }
    for k in after.keys() {
        if !before.contains_key(k) {
            d.push(format!("created: {} ({:?})", k.display(), after[k]));
        }
    }
    d
}

/// Paths outside the temp dir that the guest tries to create.
const HOST_CANARIES: &[&str] = &[
    "/tmp/warden-confine-escape.txt",
    "/tmp/warden-confine-escape",
];

struct Layout {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Layout {
    fn new() -> Layout {
        let tmp = tempdir();
        let root = tmp.path().canonicalize().unwrap();
        fs::create_dir(root.join("sandbox")).unwrap();
        // WASI 0.2 guests cannot create symlinks with absolute targets, so
        // the ones the escape attempts follow are made here, on the host.
        let sb = root.join("sandbox");
        let outside = root.join("outside");
        for (link, target) in [
            ("l_etc", PathBuf::from("/etc/passwd")),
            ("l_root", PathBuf::from("/")),
            ("l_abs_sandbox", PathBuf::from("/sandbox/file.txt")),
            ("l_host_secret", outside.join("secret.txt")),
            ("l_host_new", outside.join("created-through-abs-link.txt")),
            ("l_host_dir", outside.clone()),
        ] {
            std::os::unix::fs::symlink(target, sb.join(link)).unwrap();
        }
        fs::create_dir_all(root.join("outside/dir")).unwrap();
        fs::write(root.join("outside/secret.txt"), "secret").unwrap();
        fs::create_dir_all(root.join("ro/sub")).unwrap();
        fs::write(root.join("ro/file.txt"), "hello").unwrap();
        // Old mtimes everywhere: a later change can never land in the same
        // clock tick as the creation and go unnoticed.
        for p in [
            "outside/secret.txt",
            "outside/dir",
            "outside",
            "ro/file.txt",
            "ro/sub",
            "ro",
            "",
        ] {
            set_old_mtime(&root.join(p));
        }
        Layout { _tmp: tmp, root }
    }

    fn sandbox(&self) -> PathBuf {
        self.root.join("sandbox")
    }

    fn arg(&self, p: &Path, guest: &str, ro: bool) -> String {
        format!("{}::{guest}{}", p.display(), if ro { "::ro" } else { "" })
    }
}

/// Set the mtime of a file or directory to 2001-09-09.
fn set_old_mtime(p: &Path) {
    let f = fs::File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
    f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000))
        .unwrap_or_else(|e| panic!("set mtime of {}: {e}", p.display()));
}

fn canaries_before() -> Vec<&'static str> {
    HOST_CANARIES
        .iter()
        .copied()
        .filter(|p| fs::symlink_metadata(p).is_err())
        .collect()
}

#[track_caller]
fn assert_canaries_absent(absent_before: &[&str]) {
    for p in absent_before {
        assert!(
            fs::symlink_metadata(p).is_err(),
            "the guest created {p} on the host"
        );
    }
}

/// The number in the guest's `ok <n> attempts` line.
fn attempts(out: &Output) -> u32 {
    out.stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("ok ")?
                .strip_suffix(" attempts")?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

#[track_caller]
fn assert_suite_passed(out: &Output, min: u32) {
    let fails = out.fail_lines();
    let n = attempts(out);
    assert!(
        out.code == Some(0) && fails.is_empty() && n >= min,
        "{} of {n} attempts failed (need exit 0 and at least {min} attempts):\n{}\n\n{}",
        fails.len(),
        fails.join("\n"),
        out.describe()
    );
}

fn run(flags: &[String], args: &[&str]) -> Output {
    Warden::new()
        .arg("run")
        .args(flags)
        .arg(p2_confine_wasm())
        .args(args)
        .output()
}

// ---- the tests (one per p1_confine.rs test) ----

/// Host backend: escapes fail, and nothing outside `<tmp>/sandbox` changes.
#[test]
fn confine_host_backend() {
    let l = Layout::new();
    let canaries = canaries_before();
    let before = snapshot(&l.root, Some(&l.sandbox()));
    let flags = vec!["--dir".to_string(), l.arg(&l.sandbox(), "/sandbox", false)];
    let out = run(&flags, &["rw", l.root.to_str().unwrap()]);
    let after = snapshot(&l.root, Some(&l.sandbox()));
    let changes = diff(&before, &after);
    assert!(
        changes.is_empty(),
        "the guest changed the host outside its sandbox:\n{}\n\n{}",
        changes.join("\n"),
        out.describe()
    );
    assert_canaries_absent(&canaries);
    assert_eq!(
        fs::read(l.root.join("outside/secret.txt")).unwrap(),
        b"secret"
    );
    // What the guest did inside the sandbox did reach the host.
    assert_eq!(
        fs::read(l.sandbox().join("file.txt")).unwrap_or_default(),
        b"inside",
        "{}",
        out.describe()
    );
    assert_eq!(
        fs::read_link(l.sandbox().join("l_secret")).ok(),
        Some(PathBuf::from("../outside/secret.txt")),
        "{}",
        out.describe()
    );
    assert_suite_passed(&out, RW_ATTEMPTS);
}

/// In-memory backend: escapes fail, and nothing on the host changes at all,
/// the copied sandbox included.
#[test]
fn confine_memory_backend() {
    let l = Layout::new();
    let canaries = canaries_before();
    let before = snapshot(&l.root, None);
    let flags = vec![
        "--mem-dir".to_string(),
        l.arg(&l.sandbox(), "/sandbox", false),
    ];
    let out = run(&flags, &["rw", l.root.to_str().unwrap()]);
    let after = snapshot(&l.root, None);
    let changes = diff(&before, &after);
    assert!(
        changes.is_empty(),
        "the guest changed the host:\n{}\n\n{}",
        changes.join("\n"),
        out.describe()
    );
    assert_canaries_absent(&canaries);
    assert_suite_passed(&out, RW_ATTEMPTS);
}

/// A read-only host mount: every mutation is `read-only`, reads work, and
/// the directory is byte-identical afterwards (so is everything else).
#[test]
fn readonly_host_backend() {
    let l = Layout::new();
    let before = snapshot(&l.root, None);
    let flags = vec!["--dir".to_string(), l.arg(&l.root.join("ro"), "/ro", true)];
    let out = run(&flags, &["ro"]);
    let after = snapshot(&l.root, None);
    let changes = diff(&before, &after);
    assert!(
        changes.is_empty(),
        "a read-only run changed the host:\n{}\n\n{}",
        changes.join("\n"),
        out.describe()
    );
    assert_suite_passed(&out, RO_ATTEMPTS);
}

/// The same checks against a read-only in-memory mount.
#[test]
fn readonly_memory_backend() {
    let l = Layout::new();
    let before = snapshot(&l.root, None);
    let flags = vec![
        "--mem-dir".to_string(),
        l.arg(&l.root.join("ro"), "/ro", true),
    ];
    let out = run(&flags, &["ro"]);
    let after = snapshot(&l.root, None);
    let changes = diff(&before, &after);
    assert!(
        changes.is_empty(),
        "a read-only run changed the host:\n{}\n\n{}",
        changes.join("\n"),
        out.describe()
    );
    assert_suite_passed(&out, RO_ATTEMPTS);
}

/// The guest itself notices a wrong result: its `rw` table run against a
/// read-only mount must report failures (so a pass above means something).
#[test]
fn guest_reports_failures() {
    let l = Layout::new();
    let flags = vec![
        "--mem-dir".to_string(),
        l.arg(&l.sandbox(), "/sandbox", true),
    ];
    let out = run(&flags, &["rw"]);
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(
        out.fail_lines()
            .iter()
            .any(|l| l.contains("expected success got read-only")),
        "{}",
        out.describe()
    );
}
