//! Confinement under races (issue 11, point 5): while the guest
//! `guests/p1-race` resolves paths through `d` beneath its preopen `jail`,
//! a concurrent writer keeps swapping `d` for links out of the jail
//! (relative and, on the host, absolute) and moving `d` out of the jail
//! and back. The guest counts every answer that could only have come from
//! outside; afterwards `outside` must hold exactly what it held before.
//!
//! Host backend: the writer is this test process, on the real directory
//! the guest's `warden run --dir` was granted. In-memory backend: no host
//! process can reach the tree, so the writer is a second guest instance
//! (`p1-race race`) granted the whole in-memory filesystem, running
//! beside the resolver in this process through the `warden` library.
//!
//! Layout:
//!   jail/d/inner.txt     "INSIDE"
//!   outside/secret.txt   "OUTSIDE"

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{guest, tempdir, Warden};
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use warden::kernel::fs::{Dir, Opened};
use warden::kernel::types::OpenOptions;

/// How long each race runs.
const SECS: &str = "3";

fn layout(root: &Path) {
    fs::create_dir_all(root.join("jail/d")).unwrap();
    fs::create_dir_all(root.join("outside")).unwrap();
    fs::write(root.join("jail/d/inner.txt"), "INSIDE").unwrap();
    fs::write(root.join("outside/secret.txt"), "OUTSIDE").unwrap();
}

/// The resolver's report: its rounds, after checking it saw no escape.
fn rounds(stdout: &str, stderr: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ok "))
        .unwrap_or_else(|| panic!("no report:\n{stdout}\n{stderr}"));
    assert!(
        line.ends_with(" 0 escapes"),
        "the guest reached outside its preopen: {line}\n{stderr}"
    );
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn host_backend_under_a_racing_host_process() {
    let tmp = tempdir();
    let root = tmp.path().to_path_buf();
    layout(&root);
    let jail = root.join("jail");
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let racer = {
        let (root, stop, swaps) = (root.clone(), stop.clone(), swaps.clone());
        std::thread::spawn(move || {
            let (d, real, moved) = (
                root.join("jail/d"),
                root.join("jail/d_real"),
                root.join("outside/d_moved"),
            );
            let outside_abs = root.join("outside");
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::rename(&d, &real);
                for target in [
                    Path::new("../outside"),
                    outside_abs.as_path(),
                    Path::new("/"),
                    Path::new("d_real/../../outside"),
                ] {
                    let _ = std::os::unix::fs::symlink(target, &d);
                    std::thread::yield_now();
                    let _ = fs::remove_file(&d);
                }
                let _ = fs::rename(&real, &d);
                std::thread::yield_now();
                let _ = fs::rename(&d, &moved);
                std::thread::yield_now();
                let _ = fs::rename(&moved, &d);
                swaps.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let out = Warden::new()
        .args(["run", "--dir"])
        .arg(format!("{}::/jail", jail.display()))
        .arg(guest("p1-race"))
        .args(["resolve", SECS])
        .timeout(Duration::from_secs(60))
        .output();
    stop.store(true, Ordering::Relaxed);
    racer.join().unwrap();
    let n = rounds(&out.stdout, &out.stderr);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let swaps = swaps.load(Ordering::Relaxed);
    eprintln!("host backend: {n} rounds of resolutions against {swaps} rounds of swaps");
    assert!(n > 100 && swaps > 100, "too little racing: {n} / {swaps}");

    // `outside` holds what it held, nothing more.
    let mut names: Vec<String> = fs::read_dir(root.join("outside"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["secret.txt"], "outside changed");
    assert_eq!(
        fs::read(root.join("outside/secret.txt")).unwrap(),
        b"OUTSIDE"
    );
    assert_eq!(fs::read(jail.join("d/inner.txt")).unwrap(), b"INSIDE");
}

fn open_dir(dir: &dyn Dir, path: &str) -> Arc<dyn Dir> {
    let opts = OpenOptions {
        read: true,
        directory: true,
        follow: true,
        ..Default::default()
    };
    match dir.open_at(path, &opts) {
        Ok(Opened::Dir(d)) => d,
        _ => panic!("cannot open {path} in the in-memory tree"),
    }
}

fn run_guest(sandbox: warden::SandboxBuilder, args: &[&str]) -> i32 {
    sandbox
        .args(std::iter::once("p1-race").chain(args.iter().copied()))
        .build()
        .and_then(|s| s.run_file(&guest("p1-race")))
        .map(|o| o.exit_status())
        .unwrap_or_else(|e| panic!("p1-race {args:?}: {e:#}"))
}

#[test]
fn memory_backend_under_a_racing_second_instance() {
    let tmp = tempdir();
    layout(tmp.path());
    let memfs = warden::MemoryFs::copy_of_host_dir(tmp.path()).unwrap();
    let root = memfs.root();
    let jail = open_dir(&root, "jail");

    let racer = {
        let memfs = memfs.clone();
        std::thread::spawn(move || {
            run_guest(
                warden::Sandbox::builder().preopen_memory(&memfs, "/", false),
                &["race", SECS],
            )
        })
    };
    let resolver = run_guest(
        warden::Sandbox::builder().preopen(jail, "/jail", false),
        &["resolve", SECS],
    );
    assert_eq!(racer.join().unwrap(), 0, "the racing instance failed");
    assert_eq!(
        resolver, 0,
        "the resolver reached outside its preopen (its ESCAPE lines are above)"
    );

    let outside = open_dir(&root, "outside");
    let mut names: Vec<String> = outside
        .read_dir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .filter(|n| n != "." && n != "..")
        .collect();
    names.sort();
    assert_eq!(names, ["secret.txt"], "outside changed");
    // Nothing reached the host either.
    let mut host: Vec<String> = fs::read_dir(tmp.path().join("outside"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    host.sort();
    assert_eq!(host, ["secret.txt"]);
}

/// The guest's check can fail: granted a directory where `d` really holds
/// a `secret.txt` reading `OUTSIDE` (a link inside the grant), it reports
/// escapes and exits 1.
#[test]
fn the_race_guest_notices_what_it_should_not_reach() {
    let tmp = tempdir();
    let x = tmp.path().join("x");
    fs::create_dir_all(x.join("real")).unwrap();
    fs::write(x.join("real/secret.txt"), "OUTSIDE").unwrap();
    fs::write(x.join("real/inner.txt"), "INSIDE").unwrap();
    std::os::unix::fs::symlink("real", x.join("d")).unwrap();
    let out = Warden::new()
        .args(["run", "--dir"])
        .arg(format!("{}::/jail", x.display()))
        .arg(guest("p1-race"))
        .args(["resolve", "1"])
        .output();
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(
        out.stderr.contains("ESCAPE read d/secret.txt: \"OUTSIDE\""),
        "{}",
        out.stderr
    );
}
