//! WASI 0.3 filesystem conformance: runs `guests/p3-fs` (wasip3
//! 0.10.0+wasi-0.3.2, built for wasm32-wasip2) through the real `warden`
//! binary with a writable empty preopen `/work` and a read-only preopen
//! `/ro` holding files made here, once on the host backend (`--dir`) and
//! once on the in-memory one (`--mem-dir`). The guest checks every method
//! of `wasi:filesystem/types@0.3.2` `descriptor` and
//! `wasi:filesystem/preopens@0.3.2`, prints `FAIL <check>: ...` to stderr
//! for each failed check and `ok <n> checks` when all pass. It also uses
//! Rust std (WASI 0.2) in the same component: its stdout lines through both
//! worlds must arrive in order, and the files each world wrote must be
//! there. On the host backend the tree the guest leaves in `/work` is
//! compared exactly; on the in-memory one nothing may reach the host.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest_p2, tempdir, Output, Warden};
use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

const GUEST: &str = "p3-fs";
const HEADER: &str = "mode fs";

/// The same bytes as `pattern` in guests/p3-fs/src/io.rs.
fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let i = i as u32;
            (i.wrapping_mul(31) ^ (i >> 9) ^ u32::from(seed)) as u8
        })
        .collect()
}

/// What the guest expects in `/ro` (guests/p3-fs/src/lib.rs).
fn make_ro(dir: &Path) {
    std::fs::write(dir.join("hello.txt"), "hello, read-only\n").unwrap();
    std::fs::write(dir.join("big.bin"), pattern(7, 1_500_001)).unwrap();
    std::os::unix::fs::symlink("hello.txt", dir.join("link")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.join("abs")).unwrap();
    std::fs::write(dir.join("old.txt"), "old\n").unwrap();
    let before_epoch = std::time::UNIX_EPOCH - Duration::from_nanos(1);
    std::fs::File::options()
        .write(true)
        .open(dir.join("old.txt"))
        .and_then(|f| f.set_modified(before_epoch))
        .unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/inner.txt"), "inner\n").unwrap();
}

/// One node of a directory tree, for exact comparison.
#[derive(PartialEq)]
enum Node {
    Dir,
    File(Vec<u8>),
    Link(String),
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Dir => write!(f, "dir"),
            Node::Link(t) => write!(f, "symlink -> {t:?}"),
            Node::File(b) if b.len() <= 64 => {
                write!(f, "file {:?}", b.escape_ascii().to_string())
            }
            Node::File(b) => write!(
                f,
                "file of {} bytes starting {:?}",
                b.len(),
                b[..32].escape_ascii().to_string()
            ),
        }
    }
}

fn file(b: impl AsRef<[u8]>) -> Node {
    Node::File(b.as_ref().to_vec())
}

fn link(t: &str) -> Node {
    Node::Link(t.to_string())
}

/// Every path under `root` (relative, `/`-separated) with what it is.
fn tree(root: &Path) -> BTreeMap<String, Node> {
    fn walk(root: &Path, rel: &str, out: &mut BTreeMap<String, Node>) {
        for e in std::fs::read_dir(root.join(rel)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let path = root.join(&rel);
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&path).unwrap();
                out.insert(rel, Node::Link(t.to_string_lossy().into_owned()));
            } else if meta.is_dir() {
                out.insert(rel.clone(), Node::Dir);
                walk(root, &rel, out);
            } else {
                out.insert(rel, Node::File(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, "", &mut out);
    out
}

/// What the guest leaves in `/work` (each group's module says what it
/// leaves).
fn expected_work() -> BTreeMap<String, Node> {
    let mut app = b"head\n".to_vec();
    app.extend_from_slice(&pattern(4, 1_100_000));
    let mut mixed3 = b"written by write-via-stream through wasi 0.3\n".to_vec();
    mixed3.extend_from_slice(b"appended by std through wasi 0.2\n");
    [
        ("conc", Node::Dir),
        ("conc/x", Node::File(pattern(2, 600_000))),
        ("conc/y", Node::File(pattern(3, 700_001))),
        ("dirs", Node::Dir),
        ("dirs/a.txt", file("a\n")),
        ("dirs/e", Node::Dir),
        ("links", Node::Dir),
        ("links/dang", link("nowhere")),
        ("links/h2", file("target\n")),
        ("links/l", link("t")),
        ("links/sd2", Node::Dir),
        ("links/sd2/moved", file("r\n")),
        ("links/t", file("target\n")),
        ("meta", Node::Dir),
        ("meta/m", file(b"abc\0\0\0\0\0Z")),
        ("meta/ml", link("m")),
        ("mixed.txt", file("written by std::fs through wasi 0.2\n")),
        ("mixed3.txt", Node::File(mixed3)),
        ("open", Node::Dir),
        ("open/a", file("After truncate\n")),
        ("open/b", file("")),
        ("streams", Node::Dir),
        ("streams/app", Node::File(app)),
        ("streams/big", Node::File(pattern(1, 1_310_723))),
        ("streams/s", file(b"HELLo\0\0\0\0\0XYABCD")),
    ]
    .into_iter()
    .map(|(p, n)| (p.to_string(), n))
    .collect()
}

/// Path-by-path difference of two trees, for a readable failure.
fn diff(got: &BTreeMap<String, Node>, want: &BTreeMap<String, Node>) -> String {
    let mut out = String::new();
    for (p, w) in want {
        match got.get(p) {
            None => out += &format!("  missing {p}: want {w:?}\n"),
            Some(g) if g != w => out += &format!("  {p}: got {g:?}, want {w:?}\n"),
            Some(_) => {}
        }
    }
    for (p, g) in got {
        if !want.contains_key(p) {
            out += &format!("  unexpected {p}: {g:?}\n");
        }
    }
    out
}

/// `warden run <flags> p3_fs.wasm /work /ro`.
fn run(flags: &[String]) -> Output {
    let wasm = guest_p2(GUEST);
    Warden::new()
        .arg("run")
        .args(flags)
        .arg(&wasm)
        .args(["/work", "/ro"])
        .timeout(Duration::from_secs(120))
        .output()
}

/// All checks passed, and the stdout lines written through WASI 0.2
/// (`println!`) and 0.3 (`stdout.write-via-stream`) came out in order.
#[track_caller]
fn assert_ok(out: &Output) {
    out.assert_all_checks_ok(HEADER);
    let mixed = "mixed: stdout line through wasi 0.2\n\
                 mixed: stdout line through wasi 0.3\n\
                 mixed: stdout line through wasi 0.2 again\n";
    assert!(
        out.stdout.starts_with(&format!("{HEADER}\n{mixed}ok ")),
        "stdout through 0.2 and 0.3, in order: {}",
        out.describe()
    );
    assert!(out.stdout.ends_with(" checks\n"), "{}", out.describe());
}

#[test]
fn host_dir() {
    let (work, ro) = (tempdir(), tempdir());
    make_ro(ro.path());
    let ro_before = tree(ro.path());
    let out = run(&[
        "--dir".into(),
        format!("{}::/work", work.path().display()),
        "--dir".into(),
        format!("{}::/ro::ro", ro.path().display()),
    ]);
    assert_ok(&out);

    let got = tree(work.path());
    let want = expected_work();
    assert!(
        got == want,
        "the tree the guest left in /work differs:\n{}",
        diff(&got, &want)
    );
    let meta = |p: &str| std::fs::symlink_metadata(work.path().join(p)).unwrap();
    // A hard link and its file are one inode; set-times reached the host.
    assert_eq!(
        meta("links/t").ino(),
        meta("links/h2").ino(),
        "links/h2 is a hard link of links/t"
    );
    assert_eq!(meta("links/t").nlink(), 2);
    assert_eq!(meta("meta/m").mtime(), 1_600_000_000, "mtime of meta/m");
    assert_eq!(meta("meta/m").mtime_nsec(), 0, "mtime of meta/m");
    // The read-only preopen is untouched.
    assert!(
        tree(ro.path()) == ro_before,
        "the read-only preopen changed"
    );
}

#[test]
fn mem_dir() {
    let (seed, ro) = (tempdir(), tempdir());
    make_ro(ro.path());
    let ro_before = tree(ro.path());
    let out = run(&[
        "--mem-dir".into(),
        format!("{}::/work", seed.path().display()),
        "--mem-dir".into(),
        format!("{}::/ro::ro", ro.path().display()),
    ]);
    assert_ok(&out);
    // In-memory writes never reach the host.
    let left = tree(seed.path());
    assert!(
        left.is_empty(),
        "in-memory writes reached the host: {:?}",
        left.keys().collect::<Vec<_>>()
    );
    assert!(tree(ro.path()) == ro_before, "the read-only seed changed");
}

/// The guest really is a mixed component: WASI 0.3 filesystem imports and,
/// through Rust std, WASI 0.2 ones.
#[test]
fn imports_both_worlds() {
    let wasm = guest_p2(GUEST);
    let bytes = std::fs::read(&wasm).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for import in [
        "wasi:filesystem/types@0.3.2",
        "wasi:filesystem/preopens@0.3.2",
        "wasi:cli/stdout@0.3.2",
        "wasi:cli/run@0.3.2",
        "wasi:filesystem/types@0.2.",
        "wasi:filesystem/preopens@0.2.",
        "wasi:cli/stdout@0.2.",
    ] {
        assert!(
            text.contains(import),
            "{} does not name {import}",
            wasm.display()
        );
    }
}
