//! A C program on wasi-libc (guests/c/libc_fs.c, compiled at test time with
//! `python3 -m ziglang cc --target=wasm32-wasi -O2`): stdio, dirent, stat,
//! symlinks, rename/unlink/rmdir/mkdir, errno values, clocks, nanosleep,
//! getenv and argv, on the host and in-memory backends.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{compile_c, repo_root, tempdir, Output, Warden};
use std::fs;
use std::path::{Path, PathBuf};

fn libc_fs() -> PathBuf {
    compile_c(&repo_root().join("guests/c/libc_fs.c"), &[])
}

#[track_caller]
fn assert_all_ok(out: &Output) {
    let fails = out.fail_lines();
    assert!(
        out.code == Some(0) && out.stdout.contains("ok ") && fails.is_empty(),
        "{} failed checks:\n{}\n\n{}",
        fails.len(),
        fails.join("\n"),
        out.describe()
    );
}

/// `<tmp>/work` (empty), `<tmp>/ro/file.txt` = "hello", `<tmp>/outside.txt`.
fn layout(tmp: &Path) -> (PathBuf, PathBuf) {
    let work = tmp.join("work");
    let ro = tmp.join("ro");
    fs::create_dir(&work).unwrap();
    fs::create_dir(&ro).unwrap();
    fs::write(ro.join("file.txt"), "hello").unwrap();
    fs::write(tmp.join("outside.txt"), "outside").unwrap();
    (work, ro)
}

fn run(work_flag: &str, work: &Path, ro_flag: &str, ro: &Path) -> Output {
    Warden::new()
        // must not reach the guest: only --env passes variables
        .host_env("WARDEN_UNSET", "leaked")
        .args(["run", work_flag, &format!("{}::/work", work.display())])
        .args([ro_flag, &format!("{}::/ro::ro", ro.display())])
        .args(["--env", "WARDEN_TEST=libc-value"])
        .arg(libc_fs())
        .args(["/work", "/ro", "arg with spaces"])
        .output()
}

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let data = fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), data)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn libc_host_backend() {
    let tmp = tempdir();
    let (work, ro) = layout(tmp.path());
    let out = run("--dir", &work, "--dir", &ro);
    assert_all_ok(&out);
    // The program cleans up after itself; the read-only dir is untouched.
    assert_eq!(listing(&work), vec![], "{}", out.describe());
    assert_eq!(
        listing(&ro),
        vec![("file.txt".to_string(), b"hello".to_vec())]
    );
    assert_eq!(
        fs::read(tmp.path().join("outside.txt")).unwrap(),
        b"outside"
    );
}

#[test]
fn libc_memory_backend() {
    let tmp = tempdir();
    let (work, ro) = layout(tmp.path());
    let out = run("--mem-dir", &work, "--mem-dir", &ro);
    assert_all_ok(&out);
    assert_eq!(listing(&work), vec![]);
    assert_eq!(
        listing(&ro),
        vec![("file.txt".to_string(), b"hello".to_vec())]
    );
}

/// A second run on the same host directory passes too: the first one left
/// nothing behind that changes what the program sees.
#[test]
fn libc_host_backend_twice() {
    let tmp = tempdir();
    let (work, ro) = layout(tmp.path());
    assert_all_ok(&run("--dir", &work, "--dir", &ro));
    assert_all_ok(&run("--dir", &work, "--dir", &ro));
}
