//! `warden run --deterministic[=SEED]` on WASI 0.1, 0.2 and 0.3: ten runs of
//! a program that prints the wall clock, a sleep measured on the monotonic
//! clock, random numbers and a directory listing give one output; the seed
//! changes the random numbers only; without the flag runs differ (the
//! control); network grants are refused.
#![cfg(unix)]

mod common;

use common::{guest, guest_p2, tempdir, Warden};
use std::collections::BTreeSet;
use std::path::Path;

fn outputs(runs: usize, args: &[&str]) -> BTreeSet<String> {
    (0..runs)
        .map(|_| {
            let out = Warden::new().arg("run").args(args).output();
            assert_eq!(out.code, Some(0), "{}", out.describe());
            out.stdout
        })
        .collect()
}

/// A directory whose entries the host lists in no particular order.
fn listing_dir(dir: &Path) -> String {
    let d = dir.join("listing");
    std::fs::create_dir(&d).unwrap();
    for name in ["zeta", "alpha", "mid", "beta", "omega", "gamma"] {
        std::fs::write(d.join(name), name).unwrap();
    }
    d.display().to_string()
}

fn check_entropy(wasm: &Path) {
    let dir = tempdir();
    let host = listing_dir(dir.path());
    let wasm = wasm.to_str().unwrap();
    let mem = format!("{host}::/d");
    let same = outputs(
        10,
        &[
            "--deterministic=7",
            "--mem-dir",
            &mem,
            wasm,
            "entropy",
            "/d",
        ],
    );
    assert_eq!(same.len(), 1, "ten deterministic runs differ: {same:#?}");
    let out = same.into_iter().next().unwrap();
    // Virtual time: 2020-01-01, a 10 ms sleep lasting exactly that (plus
    // the reads' steps); the listing in name order.
    assert!(out.starts_with("wall 15778368000"), "{out}");
    assert!(out.contains("\nslept 1000"), "{out}");
    assert!(
        out.ends_with("entry alpha\nentry beta\nentry gamma\nentry mid\nentry omega\nentry zeta\n"),
        "{out}"
    );

    // Another seed: other random numbers, the same clocks.
    let other = outputs(
        1,
        &[
            "--deterministic=8",
            "--mem-dir",
            &mem,
            wasm,
            "entropy",
            "/d",
        ],
    );
    let other = other.into_iter().next().unwrap();
    assert_ne!(other, out);
    let clocks = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("random"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(clocks(&other), clocks(&out));

    // A host directory: listed in name order too, with a warning that
    // others may change it.
    let host_dir = format!("{host}::/d");
    let run = Warden::new()
        .args([
            "run",
            "--deterministic",
            "--dir",
            &host_dir,
            wasm,
            "entropy",
            "/d",
        ])
        .output();
    assert!(
        run.stdout.ends_with(
            "entry alpha\nentry beta\nentry gamma\nentry mid\nentry omega\nentry zeta\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("warning: --deterministic with host directories"),
        "{}",
        run.stderr
    );

    // The control: without the flag, two runs differ.
    let real = outputs(2, &["--mem-dir", &mem, wasm, "entropy", "/d"]);
    assert_eq!(real.len(), 2, "runs without --deterministic were identical");
}

#[test]
fn wasi_0_1_runs_repeat_exactly() {
    check_entropy(&guest("container-probe"));
}

#[test]
fn wasi_0_2_runs_repeat_exactly() {
    check_entropy(&guest_p2("container-probe"));
}

#[test]
fn wasi_0_3_runs_repeat_exactly() {
    let wasm = guest_p2("p3-hello");
    let wasm = wasm.to_str().unwrap();
    let same = outputs(10, &["--deterministic=3", wasm, "--values"]);
    assert_eq!(same.len(), 1, "{same:#?}");
    let out = same.into_iter().next().unwrap();
    // A 10 ms wait-for moves virtual time by 10 ms, at once.
    assert!(
        out.starts_with("monotonic 1000 10002000\nwall 1577836800 "),
        "{out}"
    );
    // A policy file says the same as the flag.
    let dir = tempdir();
    let policy = dir.path().join("det.toml");
    std::fs::write(&policy, "[determinism]\nenabled = true\nseed = 3\n").unwrap();
    let from_policy = outputs(1, &["--policy", policy.to_str().unwrap(), wasm, "--values"]);
    assert_eq!(from_policy.into_iter().next().unwrap(), out);
    let real = outputs(2, &[wasm, "--values"]);
    assert_eq!(real.len(), 2, "runs without --deterministic were identical");
}

#[test]
fn deterministic_runs_refuse_the_network() {
    for grant in [
        &["-S", "inherit-network"][..],
        &["--allow-connect", "127.0.0.1:80"],
        &["--allow-http", "example.com"],
        &["-S", "allow-ip-name-lookup"],
    ] {
        let out = Warden::new()
            .args(["run", "--deterministic"])
            .args(grant)
            .arg(guest("container-probe"))
            .output();
        assert_eq!(out.code, Some(1), "{grant:?}: {}", out.describe());
        assert!(
            out.stderr.contains("[determinism] refuses network grants"),
            "{}",
            out.stderr
        );
    }
}
