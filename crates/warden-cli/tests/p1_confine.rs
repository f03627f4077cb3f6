//! Confinement: runs the `p1-confine` guest (guests/p1-confine), which tries
//! to escape its preopened directory in every way it can think of and checks
//! each errno against docs/p1-semantics.md. Then, on the host, checks that
//! nothing outside the sandbox changed: a recursive snapshot of the temp dir
//! (names, types, sizes, contents, modes, mtimes, symlink targets) is taken
//! before and after and must be identical.
//!
//! Layout (host):
//!   <tmp>/sandbox/            preopened as /sandbox (empty at start)
//!   <tmp>/outside/secret.txt  "secret"
//!   <tmp>/outside/dir/        empty directory
//!   <tmp>/ro/file.txt, ro/sub/ the read-only mount for the `ro` mode

mod common;

use common::{guest, tempdir, Output, Warden};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const GUEST: &str = "p1-confine";

/// Fewest escape attempts the suite must report.
const MIN_ATTEMPTS: u32 = 60;

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
    set_mtime(p, 1_000_000_000);
}

fn set_mtime(p: &Path, secs: u64) {
    let f = fs::File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
    f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs))
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
        .arg(guest(GUEST))
        .args(args)
        .output()
}

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
    assert_suite_passed(&out, MIN_ATTEMPTS);
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
    assert_suite_passed(&out, MIN_ATTEMPTS);
}

/// A read-only host mount: every mutation is `rofs`, reads work, and the
/// directory is byte-identical afterwards (so is everything else).
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
    assert_suite_passed(&out, 30);
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
    assert_suite_passed(&out, 30);
}

/// The snapshot itself notices the kinds of change an escape would make
/// (so an empty diff above means something).
#[test]
fn snapshot_detects_changes() {
    let l = Layout::new();
    let skip = l.sandbox();
    let base = snapshot(&l.root, Some(&skip));
    fs::write(l.sandbox().join("inside.txt"), "x").unwrap();
    assert!(
        diff(&base, &snapshot(&l.root, Some(&skip))).is_empty(),
        "sandbox changes are ignored"
    );

    let secret = l.root.join("outside/secret.txt");
    fs::write(&secret, "SECRET").unwrap();
    assert!(
        !diff(&base, &snapshot(&l.root, Some(&skip))).is_empty(),
        "content change"
    );
    fs::write(&secret, "secret").unwrap();

    set_mtime(&secret, 1_100_000_000);
    let d = diff(&base, &snapshot(&l.root, Some(&skip)));
    assert!(
        d.iter().any(|l| l.contains("secret.txt")),
        "mtime change: {d:?}"
    );

    let base = snapshot(&l.root, Some(&skip));
    fs::write(l.root.join("outside/dir/new"), "").unwrap();
    fs::remove_file(l.root.join("outside/dir/new")).unwrap();
    // created and removed again: the directory's mtime still tells
    let d = diff(&base, &snapshot(&l.root, Some(&skip)));
    assert!(
        !d.is_empty(),
        "create+remove inside outside/dir went unnoticed"
    );

    let base = snapshot(&l.root, Some(&skip));
    std::os::unix::fs::symlink("x", l.root.join("outside/ln")).unwrap();
    let d = diff(&base, &snapshot(&l.root, Some(&skip)));
    assert!(
        d.iter().any(|l| l.starts_with("created: outside/ln")),
        "{d:?}"
    );
}
