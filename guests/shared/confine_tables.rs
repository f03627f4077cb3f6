//! The confinement tables shared by `guests/p2-confine` (WASI 0.2) and
//! `guests/p3-confine` (WASI 0.3): the vocabulary (expected results, flags,
//! descriptors, operations) and every attempt, with its name and expected
//! error code. Each guest includes this file as its module `tables`
//! (`#[path = "../../shared/confine_tables.rs"]`) and brings, in its own
//! root, the `ErrorCode`, open-flags `O` and descriptor-flags `F` types of
//! its WASI version; it then runs the rows with its version's calls.

#![allow(dead_code)]

use super::{DescriptorType, ErrorCode, F, O};

// ---- vocabulary of the tables ----

/// What an attempt must produce.
#[derive(Clone)]
pub(crate) enum Exp {
    Ok,
    Err(ErrorCode),
}

pub(crate) const OK: Exp = Exp::Ok;
/// p1 `perm`
pub(crate) const PERM: Exp = Exp::Err(ErrorCode::NotPermitted);
/// p1 `loop`
pub(crate) const LOOP: Exp = Exp::Err(ErrorCode::Loop);
/// p1 `notdir`
pub(crate) const NOTDIR: Exp = Exp::Err(ErrorCode::NotDirectory);
/// p1 `noent`
pub(crate) const NOENT: Exp = Exp::Err(ErrorCode::NoEntry);
/// p1 `exist`
pub(crate) const EXIST: Exp = Exp::Err(ErrorCode::Exist);
/// p1 `ilseq`
pub(crate) const ILSEQ: Exp = Exp::Err(ErrorCode::IllegalByteSequence);
/// p1 `nametoolong`
pub(crate) const TOOLONG: Exp = Exp::Err(ErrorCode::NameTooLong);
/// p1 `rofs`
pub(crate) const ROFS: Exp = Exp::Err(ErrorCode::ReadOnly);

pub(crate) const FOLLOW: bool = true;
pub(crate) const NOFOLLOW: bool = false;

pub(crate) const NONE: O = O::empty();
pub(crate) const CREAT: O = O::CREATE;
pub(crate) const DIR: O = O::DIRECTORY;
pub(crate) const EXCL: O = O::CREATE.union(O::EXCLUSIVE); // p1 O_CREAT|O_EXCL
pub(crate) const TRUNC: O = O::TRUNCATE;

/// p1 R_READ
pub(crate) const RD: F = F::READ;
/// p1 R_WRITE
pub(crate) const RW: F = F::READ.union(F::WRITE);
/// p1 RIGHTS_FD_WRITE alone
pub(crate) const WO: F = F::WRITE;
/// p1 R_DIR in the `rw` mode
pub(crate) const DRW: F = F::READ.union(F::MUTATE_DIRECTORY);
/// p1 R_DIR in the `ro` mode
pub(crate) const DRD: F = F::READ;

/// Which descriptor an attempt goes through. `Sub`, `Deep` and `LSub` are
/// opened (as a setup step) the first time a row uses them, like p1-confine
/// opens them where its subdirectory section starts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum D {
    /// the preopen
    R,
    /// `sub`, opened through the preopen
    S,
    /// `sub/deep`, opened through `S` as `deep`
    DP,
    /// `l_sub` (an inside link to `sub`), opened through the preopen
    LS,
}
pub(crate) use D::{DP, LS, R, S};

/// What a directory listing must look like.
#[derive(Clone, Copy)]
pub(crate) enum Listing {
    /// only that it can be read
    Any,
    /// has `file.txt`, and none of `secret.txt`, `outside`, `sandbox`
    SandboxOnly,
    /// exactly these names, sorted
    Exactly(&'static [&'static str]),
}

pub(crate) enum Op {
    /// open-at; on an unexpected success with `write`, scribbles into the file
    Open(D, bool, String, O, F),
    Stat(D, bool, String),
    /// stat-at, then (fact `.1`) its type and, if given, size
    StatIs(D, bool, String, &'static str, DescriptorType, Option<u64>),
    /// a fact only: stat-at gives this type
    StatFact(D, bool, String, DescriptorType),
    Mkdir(D, String),
    Unlink(D, String),
    Rmdir(D, String),
    Rename(D, String, D, String),
    Link(D, bool, String, D, String),
    Symlink(String, D, String),
    /// readlink-at, then (fact `.2`) its text if given
    Readlink(D, String, Option<(&'static str, &'static str)>),
    SetTimes(D, bool, String),
    /// open-at as a directory, then read-directory to the end
    OpenReaddir(D, String),
    /// read-directory on a descriptor, then (fact `.1`) the listing
    Readdir(D, &'static str, Listing),
    /// a fact: the file's whole content
    ReadIs(D, String, &'static [u8]),
    /// a fact: open `read`, read(len, offset) gives these bytes and eof flag
    PreadIs(D, String, u64, u64, &'static [u8], bool),
    /// stat on the descriptor itself
    FdStat(D),
    /// set-times on the descriptor itself
    FdSetTimes(D),
    /// open the file with these flags (setup), then set-times on it
    FileSetTimes(D, String, F),
    /// informational, not counted: the result of opening a file
    Note(D, String),
}

pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) exp: Exp,
    pub(crate) op: Op,
}

pub(crate) fn row(name: &str, exp: Exp, op: Op) -> Row {
    Row {
        name: name.to_string(),
        exp,
        op,
    }
}
pub(crate) fn s(p: &str) -> String {
    p.to_string()
}
pub(crate) fn open(name: &str, d: D, follow: bool, path: &str, o: O, f: F, exp: Exp) -> Row {
    row(name, exp, Op::Open(d, follow, s(path), o, f))
}
pub(crate) fn stat(name: &str, d: D, follow: bool, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::Stat(d, follow, s(path)))
}
pub(crate) fn mkdir(name: &str, d: D, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::Mkdir(d, s(path)))
}
pub(crate) fn unlink(name: &str, d: D, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::Unlink(d, s(path)))
}
pub(crate) fn rmdir(name: &str, d: D, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::Rmdir(d, s(path)))
}
pub(crate) fn rename(name: &str, d1: D, p1: &str, d2: D, p2: &str, exp: Exp) -> Row {
    row(name, exp, Op::Rename(d1, s(p1), d2, s(p2)))
}
pub(crate) fn link(name: &str, d1: D, follow: bool, p1: &str, d2: D, p2: &str, exp: Exp) -> Row {
    row(name, exp, Op::Link(d1, follow, s(p1), d2, s(p2)))
}
pub(crate) fn symlink(name: &str, target: &str, d: D, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::Symlink(s(target), d, s(path)))
}
pub(crate) fn readlink(name: &str, d: D, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::Readlink(d, s(path), None))
}
pub(crate) fn readlink_is(
    name: &str,
    d: D,
    path: &str,
    fact: &'static str,
    text: &'static str,
) -> Row {
    row(name, OK, Op::Readlink(d, s(path), Some((fact, text))))
}
pub(crate) fn set_times(name: &str, d: D, follow: bool, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::SetTimes(d, follow, s(path)))
}
pub(crate) fn open_readdir(name: &str, d: D, path: &str, exp: Exp) -> Row {
    row(name, exp, Op::OpenReaddir(d, s(path)))
}
pub(crate) fn read_is(name: &str, d: D, path: &str, content: &'static [u8]) -> Row {
    row(name, OK, Op::ReadIs(d, s(path), content))
}

// ---- the attempts ----

/// Symlinks the guest plants in the sandbox before trying to escape
/// (p1-confine's LINKS, unchanged).
pub(crate) const LINKS: &[(&str, &str)] = &[
    ("l_out", "../outside"),
    ("l_out_slash", "../outside/"),
    ("l_secret", "../outside/secret.txt"),
    ("l_missing", "../outside/created-through-link.txt"),
    ("l_up3", "../../.."),
    ("l_dotdot", ".."),
    // chains
    ("c_a", "c_b"),
    ("c_b", "../outside"),
    ("c_f1", "c_f2"),
    ("c_f2", "c_f3"),
    ("c_f3", "../outside/secret.txt"),
    ("c_deep", "sub/deep/l_up"),
    // loops
    ("loop_a", "loop_b"),
    ("loop_b", "loop_a"),
    ("self", "self"),
    // inside links used to climb out
    ("l_sub", "sub"),
    ("l_file", "file.txt"),
    ("l_dot", "."),
    ("l_deep", "sub/../../outside"),
    ("l_deeper", "sub/deep/../../../outside/secret.txt"),
    ("sub/l_up", "../.."),
    ("sub/deep/l_up", "../../../outside/secret.txt"),
    // links whose only purpose is to be replaced, renamed, unlinked, linked
    ("l_victim", "../outside/secret.txt"),
    ("l_unlink_me", "../outside/secret.txt"),
    ("l_rename_me", "../outside/secret.txt"),
];

/// The `rw` mode, in p1-confine's order (after its setup).
#[rustfmt::skip]
pub(crate) fn rw_attempts(host_parent: bool) -> Vec<Row> {
    use super::DescriptorType::{RegularFile, SymbolicLink};
    let c255 = "a".repeat(255);
    let c256 = "a".repeat(256);
    let p4095 = format!("{}sub/../file.txt", "./".repeat(2040));
    let p4096 = format!("{}file.txt", "./".repeat(2044));
    let p8k = format!("{}file.txt", "./".repeat(4096));
    assert_eq!(p4095.len(), 4095);
    assert_eq!(p4096.len(), 4096);
    let mut v = vec![
        // --- positive controls: the sandbox itself works ---
        read_is("control: read file.txt", R, "file.txt", b"inside"),
        open("control: open sub/.. as dir", R, FOLLOW, "sub/..", DIR, DRW, OK),
        open("control: open l_sub/../file.txt", R, FOLLOW, "l_sub/../file.txt", NONE, RD, OK),
        open("control: open l_dot/file.txt", R, FOLLOW, "l_dot/file.txt", NONE, RD, OK),
        open("control: open sub/deep/../../file.txt", R, FOLLOW, "sub/deep/../../file.txt", NONE, RD, OK),
        open("control: 40-link chain ch1", R, FOLLOW, "ch1", NONE, RD, OK),

        // --- `..` in many positions (open-at, read) ---
        open("open ..", R, FOLLOW, "..", DIR, DRW, PERM),
        open("open ../", R, FOLLOW, "../", NONE, RD, PERM),
        open("open ../outside/secret.txt", R, FOLLOW, "../outside/secret.txt", NONE, RD, PERM),
        open("open ./../outside/secret.txt", R, FOLLOW, "./../outside/secret.txt", NONE, RD, PERM),
        open("open sub/../../outside/secret.txt", R, FOLLOW, "sub/../../outside/secret.txt", NONE, RD, PERM),
        open("open sub/deep/../../../outside/secret.txt", R, FOLLOW, "sub/deep/../../../outside/secret.txt", NONE, RD, PERM),
        open("open sub/../..", R, FOLLOW, "sub/../..", DIR, DRW, PERM),
        open("open ../sandbox/file.txt (out and back in)", R, FOLLOW, "../sandbox/file.txt", NONE, RD, PERM),
        open("open .././../outside", R, FOLLOW, ".././../outside", DIR, DRW, PERM),
        open("open sub//..//..//outside/secret.txt", R, FOLLOW, "sub//..//..//outside/secret.txt", NONE, RD, PERM),
        open("open ../../../../../../../../etc/passwd", R, FOLLOW, "../../../../../../../../etc/passwd", NONE, RD, PERM),
        open("open ../outside/new.txt O_CREAT", R, FOLLOW, "../outside/new.txt", CREAT, RW, PERM),
        open("open ../outside/secret.txt O_TRUNC write", R, FOLLOW, "../outside/secret.txt", TRUNC, RW, PERM),
        open("open ../outside/secret.txt nofollow", R, NOFOLLOW, "../outside/secret.txt", NONE, RD, PERM),

        // --- absolute paths ---
        open("open /etc/passwd", R, FOLLOW, "/etc/passwd", NONE, RD, PERM),
        open("open /", R, FOLLOW, "/", DIR, DRW, PERM),
        open("open /sandbox/file.txt", R, FOLLOW, "/sandbox/file.txt", NONE, RD, PERM),
        open("open //etc/passwd", R, FOLLOW, "//etc/passwd", NONE, RD, PERM),
        open("open /tmp/escape.txt O_CREAT", R, FOLLOW, "/tmp/warden-confine-escape.txt", CREAT, RW, PERM),

        // --- symlink shapes through open-at ---
        open("open l_out (dir)", R, FOLLOW, "l_out", DIR, DRW, PERM),
        open("open l_out_slash (dir)", R, FOLLOW, "l_out_slash", DIR, DRW, PERM),
        open("open l_out/secret.txt", R, FOLLOW, "l_out/secret.txt", NONE, RD, PERM),
        open("open l_out/secret.txt nofollow (intermediate link)", R, NOFOLLOW, "l_out/secret.txt", NONE, RD, PERM),
        open("open l_out/dir (dir)", R, FOLLOW, "l_out/dir", DIR, DRW, PERM),
        open("open l_out/new.txt O_CREAT", R, FOLLOW, "l_out/new.txt", CREAT, RW, PERM),
        open("open l_out/dir/new.txt O_CREAT|O_EXCL", R, FOLLOW, "l_out/dir/new.txt", EXCL, RW, PERM),
        open("open l_secret read", R, FOLLOW, "l_secret", NONE, RD, PERM),
        open("open l_secret write", R, FOLLOW, "l_secret", NONE, RW, PERM),
        open("open l_secret O_TRUNC", R, FOLLOW, "l_secret", TRUNC, RW, PERM),
        open("open l_secret O_CREAT", R, FOLLOW, "l_secret", CREAT, RW, PERM),
        open("open l_secret O_DIRECTORY", R, FOLLOW, "l_secret", DIR, DRW, PERM),
        open("open l_secret nofollow -> loop", R, NOFOLLOW, "l_secret", NONE, RD, LOOP),
        open("open l_out nofollow O_DIRECTORY -> notdir", R, NOFOLLOW, "l_out", DIR, DRW, NOTDIR),
        open("open l_missing O_CREAT (dangling, outside)", R, FOLLOW, "l_missing", CREAT, RW, PERM),
        open("open l_missing O_CREAT|O_EXCL -> exist", R, FOLLOW, "l_missing", EXCL, RW, EXIST),
        open("open l_up3", R, FOLLOW, "l_up3", DIR, DRW, PERM),
        open("open l_up3/etc/passwd", R, FOLLOW, "l_up3/etc/passwd", NONE, RD, PERM),
        open("open l_dotdot", R, FOLLOW, "l_dotdot", DIR, DRW, PERM),
        open("open l_dotdot/outside/secret.txt", R, FOLLOW, "l_dotdot/outside/secret.txt", NONE, RD, PERM),
        open("open l_etc (abs link)", R, FOLLOW, "l_etc", NONE, RD, PERM),
        open("open l_root (abs link /)", R, FOLLOW, "l_root", DIR, DRW, PERM),
        open("open l_root/etc/passwd", R, FOLLOW, "l_root/etc/passwd", NONE, RD, PERM),
        open("open l_abs_sandbox (abs link to guest path)", R, FOLLOW, "l_abs_sandbox", NONE, RD, PERM),
        open("open c_a (chain -> ../outside)", R, FOLLOW, "c_a", DIR, DRW, PERM),
        open("open c_a/secret.txt", R, FOLLOW, "c_a/secret.txt", NONE, RD, PERM),
        open("open c_f1 (3-link chain to secret)", R, FOLLOW, "c_f1", NONE, RD, PERM),
        open("open c_f1 write O_TRUNC", R, FOLLOW, "c_f1", TRUNC, RW, PERM),
        open("open c_deep (chain into sub/deep/l_up)", R, FOLLOW, "c_deep", NONE, RD, PERM),
        open("open loop_a", R, FOLLOW, "loop_a", NONE, RD, LOOP),
        open("open loop_a/x", R, FOLLOW, "loop_a/x", NONE, RD, LOOP),
        open("open self", R, FOLLOW, "self", NONE, RD, LOOP),
        open("open self O_CREAT", R, FOLLOW, "self", CREAT, RW, LOOP),
        open("open 41-link chain ch0", R, FOLLOW, "ch0", NONE, RD, LOOP),
        open("open l_sub/../../outside/secret.txt", R, FOLLOW, "l_sub/../../outside/secret.txt", NONE, RD, PERM),
        open("open l_dot/../outside/secret.txt", R, FOLLOW, "l_dot/../outside/secret.txt", NONE, RD, PERM),
        open("open l_deep (sub/../../outside)", R, FOLLOW, "l_deep", DIR, DRW, PERM),
        open("open l_deep/secret.txt", R, FOLLOW, "l_deep/secret.txt", NONE, RD, PERM),
        open("open l_deeper", R, FOLLOW, "l_deeper", NONE, RD, PERM),
        open("open sub/l_up", R, FOLLOW, "sub/l_up", DIR, DRW, PERM),
        open("open sub/l_up/outside/secret.txt", R, FOLLOW, "sub/l_up/outside/secret.txt", NONE, RD, PERM),
        open("open sub/deep/l_up", R, FOLLOW, "sub/deep/l_up", NONE, RD, PERM),
    ];
    if host_parent {
        v.extend([
            open("open l_host_secret (abs host path)", R, FOLLOW, "l_host_secret", NONE, RD, PERM),
            open("open l_host_new O_CREAT (abs host path)", R, FOLLOW, "l_host_new", CREAT, RW, PERM),
            open("open l_host_dir/secret.txt", R, FOLLOW, "l_host_dir/secret.txt", NONE, RD, PERM),
        ]);
    }
    v.extend([
        // --- readdir never sees outside ---
        open("open l_out for readdir", R, FOLLOW, "l_out", DIR, DRW, PERM),
        // p1 only: "fd_readdir on the fd a refused open would have had" (badf)
        open_readdir("open+readdir c_a", R, "c_a", PERM),
        open_readdir("open+readdir sub/l_up", R, "sub/l_up", PERM),
        row("readdir of the preopen", OK, Op::Readdir(R, "readdir of the preopen lists only sandbox entries", Listing::SandboxOnly)),

        // --- stat-at ---
        stat("stat ../outside/secret.txt", R, FOLLOW, "../outside/secret.txt", PERM),
        stat("stat .. nofollow", R, NOFOLLOW, "..", PERM),
        stat("stat sub/../.. nofollow", R, NOFOLLOW, "sub/../..", PERM),
        stat("stat /etc/passwd", R, FOLLOW, "/etc/passwd", PERM),
        stat("stat l_secret follow", R, FOLLOW, "l_secret", PERM),
        stat("stat l_out follow", R, FOLLOW, "l_out", PERM),
        stat("stat l_etc follow", R, FOLLOW, "l_etc", PERM),
        stat("stat c_f1 follow", R, FOLLOW, "c_f1", PERM),
        stat("stat sub/l_up follow", R, FOLLOW, "sub/l_up", PERM),
        stat("stat l_out/secret.txt nofollow (intermediate link)", R, NOFOLLOW, "l_out/secret.txt", PERM),
        stat("stat loop_a follow", R, FOLLOW, "loop_a", LOOP),
        stat("stat loop_a nofollow", R, NOFOLLOW, "loop_a", OK),
        row("stat l_secret nofollow (the link itself)", OK, Op::StatIs(R, NOFOLLOW, s("l_secret"),
            "stat l_secret nofollow is a symlink of its target's length", SymbolicLink, Some("../outside/secret.txt".len() as u64))),
        stat("stat l_etc nofollow (the link itself)", R, NOFOLLOW, "l_etc", OK),

        // --- create-directory-at ---
        mkdir("mkdir ../outside/newdir", R, "../outside/newdir", PERM),
        mkdir("mkdir l_out/newdir", R, "l_out/newdir", PERM),
        mkdir("mkdir c_a/newdir", R, "c_a/newdir", PERM),
        mkdir("mkdir sub/../../outside/newdir", R, "sub/../../outside/newdir", PERM),
        mkdir("mkdir /tmp/warden-confine-escape", R, "/tmp/warden-confine-escape", PERM),
        mkdir("mkdir l_root/tmp/warden-confine-escape", R, "l_root/tmp/warden-confine-escape", PERM),
        mkdir("mkdir l_missing (dangling link name) -> exist", R, "l_missing", EXIST),

        // --- unlink-file-at ---
        unlink("unlink ../outside/secret.txt", R, "../outside/secret.txt", PERM),
        unlink("unlink l_out/secret.txt", R, "l_out/secret.txt", PERM),
        unlink("unlink c_a/secret.txt", R, "c_a/secret.txt", PERM),
        unlink("unlink sub/l_up/outside/secret.txt", R, "sub/l_up/outside/secret.txt", PERM),
        unlink("unlink /etc/passwd", R, "/etc/passwd", PERM),
        unlink("unlink l_unlink_me (the link, not its target)", R, "l_unlink_me", OK),

        // --- remove-directory-at ---
        rmdir("rmdir ../outside/dir", R, "../outside/dir", PERM),
        rmdir("rmdir l_out/dir", R, "l_out/dir", PERM),
        rmdir("rmdir c_a/dir", R, "c_a/dir", PERM),
        rmdir("rmdir sub/deep/../../../outside/dir", R, "sub/deep/../../../outside/dir", PERM),
        rmdir("rmdir l_out (a symlink) -> notdir", R, "l_out", NOTDIR),

        // --- rename-at ---
        rename("rename ../outside/secret.txt -> stolen", R, "../outside/secret.txt", R, "stolen.txt", PERM),
        rename("rename l_out/secret.txt -> stolen", R, "l_out/secret.txt", R, "stolen.txt", PERM),
        rename("rename ../outside/dir -> stolen_dir", R, "../outside/dir", R, "stolen_dir", PERM),
        rename("rename file.txt -> ../outside/planted.txt", R, "file.txt", R, "../outside/planted.txt", PERM),
        rename("rename file.txt -> l_out/planted.txt", R, "file.txt", R, "l_out/planted.txt", PERM),
        rename("rename file.txt -> ../outside/secret.txt (overwrite)", R, "file.txt", R, "../outside/secret.txt", PERM),
        rename("rename sub -> ../outside/sub", R, "sub", R, "../outside/sub", PERM),
        rename("rename /etc/passwd -> stolen", R, "/etc/passwd", R, "stolen.txt", PERM),
        rename("rename l_rename_me -> l_renamed (the link itself)", R, "l_rename_me", R, "l_renamed", OK),
        open("open l_renamed still refused", R, FOLLOW, "l_renamed", NONE, RD, PERM),
        rename("rename victim_src.txt over l_victim (replaces the link)", R, "victim_src.txt", R, "l_victim", OK),
        read_is("l_victim now holds the renamed file", R, "l_victim", b"victim"),

        // --- link-at ---
        link("link ../outside/secret.txt -> hl", R, NOFOLLOW, "../outside/secret.txt", R, "hl", PERM),
        link("link l_out/secret.txt -> hl", R, NOFOLLOW, "l_out/secret.txt", R, "hl", PERM),
        link("link l_secret (follow) -> hl", R, FOLLOW, "l_secret", R, "hl", PERM),
        link("link c_f1 (follow) -> hl", R, FOLLOW, "c_f1", R, "hl", PERM),
        link("link file.txt -> ../outside/hl", R, NOFOLLOW, "file.txt", R, "../outside/hl", PERM),
        link("link file.txt -> l_out/hl", R, NOFOLLOW, "file.txt", R, "l_out/hl", PERM),
        link("link file.txt -> l_missing (existing link name) -> exist", R, NOFOLLOW, "file.txt", R, "l_missing", EXIST),
        link("control: link l_file (follow, inside) -> hl_follow", R, FOLLOW, "l_file", R, "hl_follow", OK),
        row("hl_follow is a regular file (the link was followed)", OK, Op::StatFact(R, NOFOLLOW, s("hl_follow"), RegularFile)),
        link("link l_secret (nofollow: the link itself) -> hl_link", R, NOFOLLOW, "l_secret", R, "hl_link", OK),
        open("open hl_link (hard link of an escaping symlink)", R, FOLLOW, "hl_link", NONE, RD, PERM),

        // --- symlink-at ---
        symlink("symlink with outside target is allowed", "../outside/secret.txt", R, "new_link", OK),
        open("open new_link refused", R, FOLLOW, "new_link", NONE, RD, PERM),
        symlink("symlink with absolute target is refused (WIT)", "/etc/shadow", R, "new_abs_link", PERM),
        open("open new_abs_link (never created)", R, FOLLOW, "new_abs_link", NONE, RD, NOENT),
        symlink("symlink placed at ../outside/evil", "secret.txt", R, "../outside/evil", PERM),
        symlink("symlink placed at l_out/evil", "secret.txt", R, "l_out/evil", PERM),
        symlink("symlink placed at sub/l_up/outside/evil", "x", R, "sub/l_up/outside/evil", PERM),
        symlink("symlink over dangling l_missing -> exist", "x", R, "l_missing", EXIST),

        // --- readlink-at ---
        readlink_is("readlink l_secret (reading the link text is allowed)", R, "l_secret", "readlink l_secret text", "../outside/secret.txt"),
        readlink_is("readlink sub/l_up", R, "sub/l_up", "readlink sub/l_up text", "../.."),
        readlink("readlink ../outside/secret.txt", R, "../outside/secret.txt", PERM),
        readlink("readlink l_out/secret.txt", R, "l_out/secret.txt", PERM),
        readlink("readlink /etc/passwd", R, "/etc/passwd", PERM),

        // --- set-times-at ---
        set_times("set_times ../outside/secret.txt", R, FOLLOW, "../outside/secret.txt", PERM),
        set_times("set_times l_secret follow", R, FOLLOW, "l_secret", PERM),
        set_times("set_times l_out/secret.txt", R, FOLLOW, "l_out/secret.txt", PERM),
        set_times("set_times l_out follow", R, FOLLOW, "l_out", PERM),
        set_times("set_times .. nofollow", R, NOFOLLOW, "..", PERM),
        set_times("set_times /etc/passwd", R, FOLLOW, "/etc/passwd", PERM),
        set_times("set_times l_secret nofollow (the link itself)", R, NOFOLLOW, "l_secret", OK),

        // --- NUL bytes ---
        open("open file.txt\\0", R, FOLLOW, "file.txt\0", NONE, RD, ILSEQ),
        open("open file.txt\\0../outside", R, FOLLOW, "file.txt\0../outside", NONE, RD, ILSEQ),
        open("open \\0", R, FOLLOW, "\0", NONE, RD, ILSEQ),
        open("open sub\\0/x O_CREAT", R, FOLLOW, "sub\0/x", CREAT, RW, ILSEQ),
        stat("stat file.txt\\0", R, FOLLOW, "file.txt\0", ILSEQ),
        mkdir("mkdir a\\0b", R, "a\0b", ILSEQ),
        unlink("unlink file.txt\\0x", R, "file.txt\0x", ILSEQ),
        symlink("symlink target with NUL", "../out\0side", R, "nul_link", ILSEQ),
        rename("rename to name with NUL", R, "file.txt", R, "x\0y", ILSEQ),

        // --- over-long names ---
        open("open 255-byte component (absent) -> noent", R, FOLLOW, &c255, NONE, RD, NOENT),
        open("open 256-byte component", R, FOLLOW, &c256, NONE, RD, TOOLONG),
        open("open 256-byte component O_CREAT", R, FOLLOW, &c256, CREAT, RW, TOOLONG),
        mkdir("mkdir 256-byte component", R, &c256, TOOLONG),
        open("open 256-byte middle component", R, FOLLOW, &format!("{c256}/../file.txt"), NONE, RD, TOOLONG),
        open("open 4095-byte path", R, FOLLOW, &p4095, NONE, RD, OK),
        open("open 4096-byte path", R, FOLLOW, &p4096, NONE, RD, TOOLONG),
        stat("stat 4096-byte path", R, FOLLOW, &p4096, TOOLONG),
        open("open 8200-byte path", R, FOLLOW, &p8k, NONE, RD, TOOLONG),

        // --- empty path ---
        open("open empty path", R, FOLLOW, "", NONE, RD, NOENT),
        open("open empty path O_CREAT", R, FOLLOW, "", CREAT, RW, NOENT),
        stat("stat empty path", R, FOLLOW, "", NOENT),
        mkdir("mkdir empty path", R, "", NOENT),
        unlink("unlink empty path", R, "", NOENT),
        rmdir("rmdir empty path", R, "", NOENT),
        rename("rename empty source", R, "", R, "x", NOENT),

        // --- a file used as a directory ---
        open("open file.txt/..", R, FOLLOW, "file.txt/..", NONE, RD, NOTDIR),
        open("open file.txt/x", R, FOLLOW, "file.txt/x", NONE, RD, NOTDIR),
        open("open file.txt/", R, FOLLOW, "file.txt/", NONE, RD, NOTDIR),
        mkdir("mkdir file.txt/x", R, "file.txt/x", NOTDIR),
        stat("stat file.txt/..", R, FOLLOW, "file.txt/..", NOTDIR),

        // --- through a subdirectory descriptor (S = sub, DP = sub/deep, LS = l_sub) ---
        open("sub fd: open ../..", S, FOLLOW, "../..", DIR, DRW, PERM),
        open("sub fd: open ../../outside/secret.txt", S, FOLLOW, "../../outside/secret.txt", NONE, RD, PERM),
        open("sub fd: open deep/../../../outside/secret.txt", S, FOLLOW, "deep/../../../outside/secret.txt", NONE, RD, PERM),
        open("sub fd: open l_up", S, FOLLOW, "l_up", DIR, DRW, PERM),
        open("sub fd: open deep/l_up", S, FOLLOW, "deep/l_up", NONE, RD, PERM),
        open("sub fd: open /etc/passwd", S, FOLLOW, "/etc/passwd", NONE, RD, PERM),
        open("sub fd: O_CREAT ../../outside/new.txt", S, FOLLOW, "../../outside/new.txt", CREAT, RW, PERM),
        stat("sub fd: stat ../../outside/secret.txt", S, FOLLOW, "../../outside/secret.txt", PERM),
        mkdir("sub fd: mkdir ../../outside/newdir", S, "../../outside/newdir", PERM),
        unlink("sub fd: unlink ../../outside/secret.txt", S, "../../outside/secret.txt", PERM),
        rmdir("sub fd: rmdir ../../outside/dir", S, "../../outside/dir", PERM),
        rename("sub fd: rename ../../outside/secret.txt -> root fd stolen", S, "../../outside/secret.txt", R, "stolen.txt", PERM),
        rename("sub fd: rename root file.txt -> ../../outside/planted", R, "file.txt", S, "../../outside/planted.txt", PERM),
        link("sub fd: link ../../outside/secret.txt -> root hl", S, NOFOLLOW, "../../outside/secret.txt", R, "hl", PERM),
        symlink("sub fd: symlink at ../../outside/evil", "x", S, "../../outside/evil", PERM),
        set_times("sub fd: set_times ../../outside/secret.txt", S, FOLLOW, "../../outside/secret.txt", PERM),
        readlink("sub fd: readlink ../../outside/secret.txt", S, "../../outside/secret.txt", PERM),
        row("sub fd + ../file.txt (inside the preopen)", OK, Op::Note(S, s("../file.txt"))),
        open("deep fd: open ../../../outside/secret.txt", DP, FOLLOW, "../../../outside/secret.txt", NONE, RD, PERM),
        open("deep fd: open ../../..", DP, FOLLOW, "../../..", DIR, DRW, PERM),
        open("l_sub fd: open ../../outside/secret.txt", LS, FOLLOW, "../../outside/secret.txt", NONE, RD, PERM),
        open("l_sub fd: open l_up/outside", LS, FOLLOW, "l_up/outside", DIR, DRW, PERM),

        // --- after everything, the sandbox still holds what it should ---
        read_is("file.txt unchanged at the end", R, "file.txt", b"inside"),
    ]);
    v.extend(matrix_rows());
    for absent in ["stolen.txt", "stolen_dir", "hl", "nul_link", "linked_in", "moved_in"] {
        v.push(stat(&format!("{absent} was not created"), R, NOFOLLOW, absent, NOENT));
    }
    v
}

/// The escape matrix (guests/shared/escape_matrix.rs) as rows: each
/// attempt refused with `not-permitted`.
pub(crate) fn matrix_rows() -> Vec<Row> {
    use super::escape_matrix::{matrix, Try};
    matrix()
        .into_iter()
        .map(|(name, t, p)| {
            let op = match t {
                Try::OpenRead => Op::Open(R, FOLLOW, p, NONE, RD),
                Try::OpenCreateWrite => Op::Open(R, FOLLOW, p, CREAT, RW),
                Try::OpenDir => Op::Open(R, FOLLOW, p, DIR, DRW),
                Try::StatFollow => Op::Stat(R, FOLLOW, p),
                Try::StatNofollow => Op::Stat(R, NOFOLLOW, p),
                Try::Mkdir => Op::Mkdir(R, p),
                Try::Unlink => Op::Unlink(R, p),
                Try::Rmdir => Op::Rmdir(R, p),
                Try::Symlink => Op::Symlink(s("x"), R, p),
                Try::LinkTo => Op::Link(R, NOFOLLOW, s("file.txt"), R, p),
                Try::LinkFrom => Op::Link(R, FOLLOW, p, R, s("linked_in")),
                Try::RenameTo => Op::Rename(R, s("file.txt"), R, p),
                Try::RenameFrom => Op::Rename(R, p, R, s("moved_in")),
                Try::Readlink => Op::Readlink(R, p, None),
                Try::SetTimesFollow => Op::SetTimes(R, FOLLOW, p),
            };
            row(&name, PERM, op)
        })
        .collect()
}

/// The `ro` mode, in p1-confine's order.
#[rustfmt::skip]
pub(crate) fn ro_attempts() -> Vec<Row> {
    let mut v = vec![
        // --- reads succeed ---
        read_is("read file.txt", R, "file.txt", b"hello"),
        row("stat file.txt", OK, Op::StatIs(R, FOLLOW, s("file.txt"),
            "stat file.txt is a 5-byte regular file", DescriptorType::RegularFile, Some(5))),
        stat("stat sub", R, FOLLOW, "sub", OK),
        stat("fd_filestat of root via .", R, FOLLOW, ".", OK),
        row("fd_filestat_get(3)", OK, Op::FdStat(R)),
        // p1 lists ". .. file.txt sub"; wasi:filesystem lists neither . nor ..
        row("readdir /ro", OK, Op::Readdir(R, "readdir /ro lists file.txt sub", Listing::Exactly(&["file.txt", "sub"]))),
        open("open sub as dir", R, FOLLOW, "sub", DIR, DRD, OK),
        open("open file.txt read-only", R, FOLLOW, "file.txt", NONE, RD, OK),
        open("open . as dir", R, FOLLOW, ".", DIR, DRD, OK),
        row("pread file.txt at 2", OK, Op::PreadIs(R, s("file.txt"), 3, 2, b"llo", false)),
        // p1: "seek end of file.txt" -> 5
        row("read file.txt at its end (offset 5)", OK, Op::PreadIs(R, s("file.txt"), 3, 5, b"", true)),
        row("fd_filestat_set_times on a read fd", ROFS, Op::FileSetTimes(R, s("file.txt"), RD)),

        // --- every mutation fails with read-only ---
        open("open file.txt for writing", R, FOLLOW, "file.txt", NONE, RW, ROFS),
        open("open file.txt with fd_write only", R, FOLLOW, "file.txt", NONE, WO, ROFS),
        open("open file.txt O_TRUNC", R, FOLLOW, "file.txt", TRUNC, RW, ROFS),
        open("open file.txt O_TRUNC read rights", R, FOLLOW, "file.txt", TRUNC, RD, ROFS),
        // p1 only: "open file.txt with set_size right", "... with allocate right" (no rights in p2)
        // p2 only: asking for mutate-directory is asking to change the tree
        open("p2 only: open file.txt with mutate-directory", R, FOLLOW, "file.txt", NONE, DRW, ROFS),
        open("p2 only: open sub as dir with mutate-directory", R, FOLLOW, "sub", DIR, DRW, ROFS),
        open("create new.txt", R, FOLLOW, "new.txt", CREAT, RW, ROFS),
        open("create new.txt O_EXCL", R, FOLLOW, "new.txt", EXCL, RW, ROFS),
        open("create sub/new.txt", R, FOLLOW, "sub/new.txt", CREAT, RW, ROFS),
        mkdir("mkdir newdir", R, "newdir", ROFS),
        mkdir("mkdir sub/newdir", R, "sub/newdir", ROFS),
        unlink("unlink file.txt", R, "file.txt", ROFS),
        rmdir("rmdir sub", R, "sub", ROFS),
        rename("rename file.txt -> moved.txt", R, "file.txt", R, "moved.txt", ROFS),
        rename("rename sub -> moved", R, "sub", R, "moved", ROFS),
        rename("rename file.txt -> sub/file.txt", R, "file.txt", R, "sub/file.txt", ROFS),
        link("link file.txt -> hl", R, NOFOLLOW, "file.txt", R, "hl", ROFS),
        symlink("symlink file.txt -> ln", "file.txt", R, "ln", ROFS),
        set_times("set_times file.txt", R, FOLLOW, "file.txt", ROFS),
        set_times("set_times sub", R, FOLLOW, "sub", ROFS),
        row("fd_filestat_set_times on the preopen", ROFS, Op::FdSetTimes(R)),
        open("sub fd: create x", S, FOLLOW, "x", CREAT, RW, ROFS),
        mkdir("sub fd: mkdir x", S, "x", ROFS),
        symlink("sub fd: symlink x", "y", S, "x", ROFS),
        rename("sub fd: rename ../file.txt -> x", R, "file.txt", S, "x", ROFS),
        row("sub fd: readdir", OK, Op::Readdir(S, "", Listing::Any)),

        // --- the read-only mount is still confined ---
        open("ro: open ..", R, FOLLOW, "..", DIR, DRD, PERM),
        open("ro: open /etc/passwd", R, FOLLOW, "/etc/passwd", NONE, RD, PERM),

        // --- nothing changed ---
        read_is("file.txt still hello", R, "file.txt", b"hello"),
    ];
    for absent in ["new.txt", "newdir", "moved.txt", "hl", "ln", "sub/new.txt", "sub/x"] {
        v.push(stat(&format!("{absent} was not created"), R, NOFOLLOW, absent, NOENT));
    }
    v
}
