//! Shared by the confinement suites (p1_confine.rs, p2_confine.rs): the host
//! layout a confine guest runs against, a recursive snapshot of it (names,
//! types, sizes, contents, modes, mtimes, symlink targets) to diff before
//! and after a run, the host canaries the guests try to create, and the
//! checks common to both suites.
//!
//! Layout (host):
//!   <tmp>/sandbox/            preopened as /sandbox (empty at start, unless
//!                             [`Layout::with_sandbox_setup`] puts something in)
//!   <tmp>/outside/secret.txt  "secret"
//!   <tmp>/outside/dir/        empty directory
//!   <tmp>/ro/file.txt, ro/sub/ the read-only mount for the `ro` mode

use super::{tempdir, Output, Warden};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What the snapshot records of one filesystem entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Node {
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
pub fn snapshot(root: &Path, skip: Option<&Path>) -> BTreeMap<PathBuf, Node> {
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
pub fn diff(before: &BTreeMap<PathBuf, Node>, after: &BTreeMap<PathBuf, Node>) -> Vec<String> {
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
pub const HOST_CANARIES: &[&str] = &[
    "/tmp/warden-confine-escape.txt",
    "/tmp/warden-confine-escape",
];

/// The host layout of one confine run, in a fresh temp dir.
pub struct Layout {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
}

impl Layout {
    pub fn new() -> Layout {
        Layout::with_sandbox_setup(|_| {})
    }

    /// The layout, with `setup(root)` run right after the empty
    /// `<root>/sandbox` is made (before the rest of the layout).
    pub fn with_sandbox_setup(setup: impl FnOnce(&Path)) -> Layout {
        let tmp = tempdir();
        let root = tmp.path().canonicalize().unwrap();
        fs::create_dir(root.join("sandbox")).unwrap();
        setup(&root);
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

    pub fn sandbox(&self) -> PathBuf {
        self.root.join("sandbox")
    }

    pub fn arg(&self, p: &Path, guest: &str, ro: bool) -> String {
        format!("{}::{guest}{}", p.display(), if ro { "::ro" } else { "" })
    }
}

/// Set the mtime of a file or directory to 2001-09-09.
pub fn set_old_mtime(p: &Path) {
    set_mtime(p, 1_000_000_000);
}

pub fn set_mtime(p: &Path, secs: u64) {
    let f = fs::File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
    f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .unwrap_or_else(|e| panic!("set mtime of {}: {e}", p.display()));
}

pub fn canaries_before() -> Vec<&'static str> {
    HOST_CANARIES
        .iter()
        .copied()
        .filter(|p| fs::symlink_metadata(p).is_err())
        .collect()
}

#[track_caller]
pub fn assert_canaries_absent(absent_before: &[&str]) {
    for p in absent_before {
        assert!(
            fs::symlink_metadata(p).is_err(),
            "the guest created {p} on the host"
        );
    }
}

/// The number in the guest's `ok <n> attempts` line.
pub fn attempts(out: &Output) -> u32 {
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
pub fn assert_suite_passed(out: &Output, min: u32) {
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

/// `warden run <flags> <wasm> <args>`.
pub fn run(wasm: &Path, flags: &[String], args: &[&str]) -> Output {
    Warden::new()
        .arg("run")
        .args(flags)
        .arg(wasm)
        .args(args)
        .output()
}

/// Host backend (`--dir <sandbox>::/sandbox`, mode `rw`): escapes fail,
/// nothing outside `<tmp>/sandbox` changes, what the guest did inside the
/// sandbox reached the host, and at least `min` attempts passed.
#[track_caller]
pub fn check_host_backend(l: &Layout, wasm: &Path, min: u32) {
    let canaries = canaries_before();
    let before = snapshot(&l.root, Some(&l.sandbox()));
    let flags = vec!["--dir".to_string(), l.arg(&l.sandbox(), "/sandbox", false)];
    let out = run(wasm, &flags, &["rw", l.root.to_str().unwrap()]);
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
    assert_suite_passed(&out, min);
}

/// In-memory backend (`--mem-dir <sandbox>::/sandbox`, mode `rw`): escapes
/// fail, nothing on the host changes at all (the copied sandbox included),
/// and at least `min` attempts passed.
#[track_caller]
pub fn check_memory_backend(l: &Layout, wasm: &Path, min: u32) {
    let flags = vec![
        "--mem-dir".to_string(),
        l.arg(&l.sandbox(), "/sandbox", false),
    ];
    check_host_untouched(l, wasm, &flags, min);
}

/// Overlay (`--dir <sandbox>::/sandbox::overlay`, mode `rw`): the guest
/// reads the host's sandbox and writes above it; escapes fail, nothing on
/// the host changes at all (the sandbox included), and at least `min`
/// attempts passed.
#[track_caller]
pub fn check_overlay_backend(l: &Layout, wasm: &Path, min: u32) {
    let flags = vec![
        "--dir".to_string(),
        format!("{}::overlay", l.arg(&l.sandbox(), "/sandbox", false)),
    ];
    check_host_untouched(l, wasm, &flags, min);
}

#[track_caller]
fn check_host_untouched(l: &Layout, wasm: &Path, flags: &[String], min: u32) {
    let canaries = canaries_before();
    let before = snapshot(&l.root, None);
    let out = run(wasm, flags, &["rw", l.root.to_str().unwrap()]);
    let after = snapshot(&l.root, None);
    let changes = diff(&before, &after);
    assert!(
        changes.is_empty(),
        "the guest changed the host:\n{}\n\n{}",
        changes.join("\n"),
        out.describe()
    );
    assert_canaries_absent(&canaries);
    assert_suite_passed(&out, min);
}

/// A read-only mount (`<backend_flag> <tmp>/ro::/ro::ro`, mode `ro`): the
/// whole temp dir is identical afterwards and at least `min` attempts passed.
#[track_caller]
pub fn check_readonly(l: &Layout, wasm: &Path, backend_flag: &str, min: u32) {
    let before = snapshot(&l.root, None);
    let flags = vec![
        backend_flag.to_string(),
        l.arg(&l.root.join("ro"), "/ro", true),
    ];
    let out = run(wasm, &flags, &["ro"]);
    let after = snapshot(&l.root, None);
    let changes = diff(&before, &after);
    assert!(
        changes.is_empty(),
        "a read-only run changed the host:\n{}\n\n{}",
        changes.join("\n"),
        out.describe()
    );
    assert_suite_passed(&out, min);
}

/// The confine layout, plus the symlinks with absolute targets that the
/// escape attempts follow: no guest can create those (every WASI version
/// refuses an absolute symlink target), so they are made here, on the host.
pub fn component_layout() -> Layout {
    Layout::with_sandbox_setup(|root| {
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
    })
}

/// The five tests of a component confinement guest (p2-confine,
/// p3-confine): `component_confine_tests!(GUEST, RW_ATTEMPTS, RO_ATTEMPTS)`
/// with the guest's name (built by `guest_p2`) and its attempt counts.
#[macro_export]
macro_rules! component_confine_tests {
    ($guest:expr, $rw:expr, $ro:expr) => {
        use common::confine::{
            check_host_backend, check_memory_backend, check_overlay_backend, check_readonly,
            component_layout, run,
        };
        use common::guest_p2;

        /// Host backend: escapes fail, and nothing outside `<tmp>/sandbox`
        /// changes.
        #[test]
        fn confine_host_backend() {
            check_host_backend(&component_layout(), &guest_p2($guest), $rw);
        }

        /// In-memory backend: escapes fail, and nothing on the host changes
        /// at all, the copied sandbox included.
        #[test]
        fn confine_memory_backend() {
            check_memory_backend(&component_layout(), &guest_p2($guest), $rw);
        }

        /// Overlay: escapes fail, and nothing on the host changes at all,
        /// the overlaid sandbox included.
        #[test]
        fn confine_overlay_backend() {
            check_overlay_backend(&component_layout(), &guest_p2($guest), $rw);
        }

        /// A read-only host mount: every mutation is `read-only`, reads
        /// work, and the directory is byte-identical afterwards (so is
        /// everything else).
        #[test]
        fn readonly_host_backend() {
            check_readonly(&component_layout(), &guest_p2($guest), "--dir", $ro);
        }

        /// The same checks against a read-only in-memory mount.
        #[test]
        fn readonly_memory_backend() {
            check_readonly(&component_layout(), &guest_p2($guest), "--mem-dir", $ro);
        }

        /// The guest itself notices a wrong result: its `rw` table run
        /// against a read-only mount must report failures (so a pass above
        /// means something).
        #[test]
        fn guest_reports_failures() {
            let l = component_layout();
            let flags = vec![
                "--mem-dir".to_string(),
                l.arg(&l.sandbox(), "/sandbox", true),
            ];
            let out = run(&guest_p2($guest), &flags, &["rw"]);
            assert_eq!(out.code, Some(1), "{}", out.describe());
            assert!(
                out.fail_lines()
                    .iter()
                    .any(|l| l.contains("expected success got read-only")),
                "{}",
                out.describe()
            );
        }
    };
}
