//! Windows path rules against confinement (a WASI 0.1 guest, std only;
//! `scripts/cross test windows` builds it with rustc and runs it under
//! wine). Each spelling that means something else to Windows than to a
//! WASI guest (`\`, drives, UNC and device paths, reserved device names,
//! alternate data streams, trailing dots and spaces, forbidden characters)
//! is tried with five path operations beneath the preopen /sandbox: each
//! must fail with `perm` (63), none may read `outside/secret.txt`'s canary,
//! and the harness checks the host tree is unchanged.
use std::fs;
use std::io::Read;

const CANARY: &str = "SECRET-CANARY";

const PATHS: &[&str] = &[
    r"..\outside\secret.txt", r"..\outside", r"..\..", r"sub\..\..\outside\secret.txt",
    r"a\b\..\..\..\outside", r"..\", r"..\.", r".\..\outside\secret.txt",
    r"C:\Windows\win.ini", "C:/Windows/win.ini", "C:", "C:secret.txt", r"C:..\outside",
    r"Z:\", "Z:/etc/passwd", r"Z:\tmp", r"\\?\C:\", r"\\?\Z:\", r"\\.\C:", r"\\.\PhysicalDrive0",
    r"\\localhost\C$", r"\??\C:\", r"\outside", r"\\outside", r"\..\outside",
    "CON", "NUL", "PRN", "AUX", "COM1", "LPT1", "CONIN$", "CONOUT$", "con.txt", "NUL.txt",
    "sub/CON", "sub/nul", "COM1.log", "lpt1.txt",
    "file.txt:stream", "file.txt::$DATA", ".:stream", "sub:stream", "..:stream",
    ".. ", "..  ", ".. .", "...", "....", r"..\ ", ". ", "sub. ", "sub..",
    r"..\OUTSIDE\SECRET.TXT", r"..\Outside\Secret.Txt", r"..\OUTSID~1\SECRET.TXT",
    "sub/../../outside", "sub*", "sub?", "sub<", "sub>", "sub|", "sub\"",
];

fn main() {
    let _ = fs::create_dir("/sandbox/sub");
    fs::write("/sandbox/file.txt", "inside").unwrap();
    let (mut attempts, mut escapes, mut wrong) = (0, 0, 0);
    for p in PATHS {
        let path = format!("/sandbox/{p}");
        let mut seen = Vec::new();
        // read
        attempts += 1;
        match fs::File::open(&path) {
            Ok(mut f) => {
                let mut s = String::new();
                let _ = f.read_to_string(&mut s);
                if s.contains(CANARY) {
                    escapes += 1;
                    println!("ESCAPE read {p:?}");
                }
                seen.push("open:ok".to_string());
            }
            Err(e) => seen.push(format!("open:{}", e.raw_os_error().unwrap_or(-1))),
        }
        // stat
        attempts += 1;
        match fs::metadata(&path) {
            Ok(m) => seen.push(format!("stat:ok({})", m.len())),
            Err(e) => seen.push(format!("stat:{}", e.raw_os_error().unwrap_or(-1))),
        }
        // list
        attempts += 1;
        match fs::read_dir(&path) {
            Ok(d) => {
                let names: Vec<String> = d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
                if names.iter().any(|n| n == "secret.txt" || n == "outside" || n == "Windows" || n == "etc") {
                    escapes += 1;
                    println!("ESCAPE list {p:?}: {names:?}");
                }
                seen.push("list:ok".to_string());
            }
            Err(e) => seen.push(format!("list:{}", e.raw_os_error().unwrap_or(-1))),
        }
        // create (the harness checks nothing appeared outside)
        attempts += 1;
        match fs::write(&path, "written by the guest") {
            Ok(()) => seen.push("write:ok".to_string()),
            Err(e) => seen.push(format!("write:{}", e.raw_os_error().unwrap_or(-1))),
        }
        attempts += 1;
        match fs::create_dir(&path) {
            Ok(()) => seen.push("mkdir:ok".to_string()),
            Err(e) => seen.push(format!("mkdir:{}", e.raw_os_error().unwrap_or(-1))),
        }
        let refused = seen.iter().filter(|r| r.ends_with(":63")).count();
        if refused != seen.len() {
            wrong += seen.len() - refused;
            println!("NOT REFUSED {p:?}: {}", seen.join(" "));
        }
    }
    println!("windows-paths: {attempts} attempts, {escapes} escapes, {wrong} not refused with perm");
    if escapes > 0 || wrong > 0 {
        std::process::exit(1);
    }
}
