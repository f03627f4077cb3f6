//! The escape matrix shared by `guests/p1-confine`, `guests/p2-confine` and
//! `guests/p3-confine`: every path that leaves the preopen (through `..`
//! at every depth and spelling, through links planted inside that point
//! out, and absolute paths) tried with every path operation. Each attempt
//! must be refused with `perm` (wasi:filesystem `not-permitted`), as
//! Wasmtime refuses them, and must leave the host tree outside unchanged
//! (the harness's snapshot). The guests include this file as module
//! `escape_matrix` and run each row with their version's calls; it names
//! no WASI type so all three versions read the same table.

#![allow(dead_code)]

/// One path operation, through the preopen.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Try {
    /// open for reading, following links
    OpenRead,
    /// open with `creat`, for writing
    OpenCreateWrite,
    /// open with `directory`
    OpenDir,
    StatFollow,
    StatNofollow,
    Mkdir,
    Unlink,
    Rmdir,
    /// symlink `x` at the path
    Symlink,
    /// link `file.txt` to the path
    LinkTo,
    /// link the path (following) to `linked_in`
    LinkFrom,
    /// rename `file.txt` to the path
    RenameTo,
    /// rename the path to `moved_in`
    RenameFrom,
    Readlink,
    SetTimesFollow,
}

pub(crate) const TRIES: &[Try] = &[
    Try::OpenRead,
    Try::OpenCreateWrite,
    Try::OpenDir,
    Try::StatFollow,
    Try::StatNofollow,
    Try::Mkdir,
    Try::Unlink,
    Try::Rmdir,
    Try::Symlink,
    Try::LinkTo,
    Try::LinkFrom,
    Try::RenameTo,
    Try::RenameFrom,
    Try::Readlink,
    Try::SetTimesFollow,
];

/// Paths that leave the preopen `/sandbox` (holding `file.txt`, `sub/deep/`
/// and p1-confine's LINKS) of the host layout `<tmp>/{sandbox,outside}`.
pub(crate) fn escape_paths() -> Vec<String> {
    // (a spelling of a directory inside, its depth below the preopen)
    let inside: &[(&str, usize)] = &[
        ("", 0),
        ("./", 0),
        (".//", 0),
        ("l_dot/", 0),
        ("sub/", 1),
        ("sub/./", 1),
        ("sub//", 1),
        ("sub/deep/../", 1),
        ("l_sub/", 1),
        ("sub/deep/", 2),
        ("l_sub/deep/", 2),
    ];
    // what lies one level above the preopen
    let above = [
        "outside/secret.txt",
        "outside/dir",
        "outside/dir/new",
        "outside/new",
        "..",
        "sandbox/file.txt",
        "sandbox",
    ];
    let mut paths = Vec::new();
    for (dir, depth) in inside {
        for target in above {
            paths.push(format!("{dir}{}{target}", "../".repeat(depth + 1)));
        }
    }
    // through links that point out of the preopen
    for p in [
        "l_out/secret.txt",
        "l_out/dir/new",
        "l_out/new",
        "l_out/.",
        "l_out/dir/..",
        "l_out_slash/secret.txt",
        "l_dotdot/outside/secret.txt",
        "l_dotdot/sandbox/file.txt",
        "c_a/secret.txt",
        "c_a/new",
        "l_up3/etc/passwd",
        "sub/l_up/outside/secret.txt",
        "l_sub/l_up/outside/new",
        "l_dot/l_out/secret.txt",
    ] {
        paths.push(p.to_string());
    }
    // absolute
    for p in [
        "/",
        "/etc/passwd",
        "/sandbox/file.txt",
        "/tmp/warden-confine-escape.txt",
        "//tmp/x",
    ] {
        paths.push(p.to_string());
    }
    paths
}

/// Every (name, operation, path) of the matrix.
pub(crate) fn matrix() -> Vec<(String, Try, String)> {
    let mut rows = Vec::new();
    for path in escape_paths() {
        for &t in TRIES {
            rows.push((format!("matrix {t:?} {path:?}"), t, path.clone()));
        }
    }
    rows
}
