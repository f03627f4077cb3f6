//! The confinement race (crates/warden-cli/tests/confine_races.rs).
//!
//! Host layout (or the same in one in-memory filesystem):
//!   jail/d/inner.txt     "INSIDE"     the resolver's preopen is `jail`
//!   outside/secret.txt   "OUTSIDE"    beside it, never to be reached
//!
//! `p1-race resolve SECS` (preopen fd 3 = `jail`) resolves paths through
//! `d` for SECS seconds while a racer keeps replacing `d` with a link out
//! (`../outside`, or an absolute path the host makes), moving it out of
//! the jail and back. Whatever `d` is at each instant, no call may answer
//! with something of `outside`: reading `OUTSIDE`, a stat of
//! `secret.txt`, `..` from a held descriptor of `d`. Creations through `d`
//! must land inside (the test checks `outside` afterwards). It prints
//! `ok N rounds, E escapes` and exits 1 if E > 0, 3 if it made fewer
//! than 100 rounds (too few to race).
//!
//! `p1-race race SECS` (preopen fd 3 = the whole tree) is the racer of the
//! in-memory backend, where no host process can reach the tree.

use wasi::Fd;

const ROOT: Fd = 3;

fn now_ns() -> u64 {
    unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1) }.unwrap()
}

fn open(
    dir: Fd,
    path: &str,
    oflags: wasi::Oflags,
    rights: wasi::Rights,
) -> Result<Fd, wasi::Errno> {
    unsafe {
        wasi::path_open(
            dir,
            wasi::LOOKUPFLAGS_SYMLINK_FOLLOW,
            path,
            oflags,
            rights,
            rights,
            0,
        )
    }
}

fn read_all(fd: Fd) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let iov = wasi::Iovec {
        buf: buf.as_mut_ptr(),
        buf_len: buf.len(),
    };
    match unsafe { wasi::fd_read(fd, &[iov]) } {
        Ok(n) => buf[..n].to_vec(),
        Err(_) => Vec::new(),
    }
}

const R_READ: wasi::Rights = wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_FILESTAT_GET;
const R_WRITE: wasi::Rights = wasi::RIGHTS_FD_WRITE | wasi::RIGHTS_FD_READ;
const R_DIR: wasi::Rights = wasi::RIGHTS_PATH_OPEN
    | wasi::RIGHTS_FD_READDIR
    | wasi::RIGHTS_PATH_FILESTAT_GET
    | wasi::RIGHTS_FD_READ
    | wasi::RIGHTS_PATH_CREATE_FILE
    | wasi::RIGHTS_PATH_CREATE_DIRECTORY;

/// One round of resolutions through `d`; each string is an escape seen.
fn resolve_round(round: u64, escapes: &mut Vec<String>) {
    // Nothing named secret.txt is inside: any answer but an error is out.
    if let Ok(fd) = open(ROOT, "d/secret.txt", 0, R_READ) {
        let got = read_all(fd);
        escapes.push(format!(
            "read d/secret.txt: {:?}",
            String::from_utf8_lossy(&got)
        ));
        unsafe { wasi::fd_close(fd) }.ok();
    }
    if let Ok(st) =
        unsafe { wasi::path_filestat_get(ROOT, wasi::LOOKUPFLAGS_SYMLINK_FOLLOW, "d/secret.txt") }
    {
        escapes.push(format!("stat d/secret.txt: size {}", st.size));
    }
    if let Ok(fd) = open(ROOT, "d/../d/../../outside/secret.txt", 0, R_READ) {
        escapes.push("opened d/../d/../../outside/secret.txt".into());
        unsafe { wasi::fd_close(fd) }.ok();
    }
    // A creation through `d` lands in d, whatever d is at the time.
    let name = format!("d/made-{}.txt", round % 4);
    if let Ok(fd) = open(
        ROOT,
        &name,
        wasi::OFLAGS_CREAT | wasi::OFLAGS_TRUNC,
        R_WRITE,
    ) {
        let data = b"made";
        let iov = wasi::Ciovec {
            buf: data.as_ptr(),
            buf_len: data.len(),
        };
        unsafe { wasi::fd_write(fd, &[iov]) }.ok();
        unsafe { wasi::fd_close(fd) }.ok();
    }
    let dir = format!("d/dir-{}", round % 4);
    if unsafe { wasi::path_create_directory(ROOT, &dir) }.is_ok() {
        unsafe { wasi::path_remove_directory(ROOT, &dir) }.ok();
    }
    unsafe { wasi::path_rename(ROOT, &name, ROOT, "d/renamed.txt") }.ok();
    // A descriptor of `d` held while `d` moves out and back: `..` from it
    // is above it, always refused.
    if let Ok(fd) = open(ROOT, "d", wasi::OFLAGS_DIRECTORY, R_DIR) {
        for p in [
            "../outside/secret.txt",
            "../secret.txt",
            "../../outside/secret.txt",
        ] {
            if let Ok(f) = open(fd, p, 0, R_READ) {
                let got = read_all(f);
                escapes.push(format!(
                    "through a held d, {p}: {:?}",
                    String::from_utf8_lossy(&got)
                ));
                unsafe { wasi::fd_close(f) }.ok();
            }
        }
        check_inner(fd, "inner.txt", escapes);
        unsafe { wasi::fd_close(fd) }.ok();
    }
    check_inner(ROOT, "d/inner.txt", escapes);
}

/// `path` beneath `dir`, when it opens, is the jail's `inner.txt`.
fn check_inner(dir: Fd, path: &str, escapes: &mut Vec<String>) {
    if let Ok(f) = open(dir, path, 0, R_READ) {
        let got = read_all(f);
        if got != b"INSIDE" {
            escapes.push(format!(
                "{path} through fd {dir}: {:?}",
                String::from_utf8_lossy(&got)
            ));
        }
        unsafe { wasi::fd_close(f) }.ok();
    }
}

/// One round of the racer: `d` becomes a link out and back, then moves
/// out of the jail and back.
fn race_round() {
    unsafe {
        wasi::path_rename(ROOT, "jail/d", ROOT, "jail/d_real").ok();
        wasi::path_symlink("../outside", ROOT, "jail/d").ok();
        wasi::path_unlink_file(ROOT, "jail/d").ok();
        wasi::path_symlink("d_real/../../outside", ROOT, "jail/d").ok();
        wasi::path_unlink_file(ROOT, "jail/d").ok();
        wasi::path_rename(ROOT, "jail/d_real", ROOT, "jail/d").ok();
        wasi::path_rename(ROOT, "jail/d", ROOT, "outside/d_moved").ok();
        wasi::path_rename(ROOT, "outside/d_moved", ROOT, "jail/d").ok();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("");
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let end = now_ns() + secs * 1_000_000_000;
    let mut rounds = 0u64;
    let mut escapes = Vec::new();
    while now_ns() < end {
        match mode {
            "resolve" => resolve_round(rounds, &mut escapes),
            "race" => race_round(),
            _ => {
                eprintln!("usage: p1-race resolve|race SECS");
                std::process::exit(2);
            }
        }
        rounds += 1;
    }
    for e in escapes.iter().take(20) {
        eprintln!("ESCAPE {e}");
    }
    println!("ok {rounds} rounds, {} escapes", escapes.len());
    if !escapes.is_empty() {
        std::process::exit(1);
    }
    if rounds < 100 {
        eprintln!("too few rounds to race: {rounds}");
        std::process::exit(3);
    }
}
