//! wasi:filesystem — preopens and every `descriptor` method, on the
//! preopen `/sandbox` (empty at start).

use crate::check::{eq, err, ok, ok_eq, s_ok, truth};
use wasip2::filesystem::preopens;
use wasip2::filesystem::types::{
    Advice, Datetime, Descriptor, DescriptorFlags as F, DescriptorType as T, ErrorCode as E,
    NewTimestamp, OpenFlags as O, PathFlags,
};

pub const RW: F = F::READ.union(F::WRITE);
const NOFOLLOW: PathFlags = PathFlags::empty();
const FOLLOW: PathFlags = PathFlags::SYMLINK_FOLLOW;
const DIRFLAGS: F = F::READ.union(F::MUTATE_DIRECTORY);

/// The preopen `/sandbox`.
pub fn root() -> Option<Descriptor> {
    let dirs = preopens::get_directories();
    let found = dirs
        .into_iter()
        .find(|(_, name)| name == "/sandbox")
        .map(|(d, _)| d);
    truth(
        "fs.preopen./sandbox",
        found.is_some(),
        "a preopen named /sandbox",
        (),
    );
    found
}

fn ts(seconds: u64, nanoseconds: u32) -> NewTimestamp {
    NewTimestamp::Timestamp(Datetime {
        seconds,
        nanoseconds,
    })
}

fn dt(d: Option<Datetime>) -> Option<(u64, u32)> {
    d.map(|d| (d.seconds, d.nanoseconds))
}

fn entries(name: &str, d: &Descriptor) -> Vec<(String, T)> {
    let mut v = Vec::new();
    let Some(stream) = ok(name, d.read_directory()) else {
        return v;
    };
    loop {
        match stream.read_directory_entry() {
            Ok(Some(e)) => v.push((e.name, e.type_)),
            Ok(None) => break,
            Err(e) => {
                truth(name, false, "entries", e);
                break;
            }
        }
    }
    // "read-directory-entry" after the end keeps saying none
    eq(
        &format!("{name}.after-end"),
        stream.read_directory_entry().map(|e| e.is_some()),
        Ok(false),
    );
    v.sort();
    v
}

fn create(dir: &Descriptor, name: &str) -> Option<Descriptor> {
    ok(
        &format!("fs.create {name}"),
        dir.open_at(NOFOLLOW, name, O::CREATE | O::EXCLUSIVE, RW),
    )
}

pub fn run() {
    let dirs = preopens::get_directories();
    eq(
        "fs.preopens.names",
        dirs.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(),
        vec!["/sandbox".to_string()],
    );
    drop(dirs);
    let Some(root) = root() else { return };
    root_descriptor(&root);
    files(&root);
    read_only_files(&root);
    directories(&root);
    read_only_directory(&root);
    symlinks(&root);
    links(&root);
    renames(&root);
    listing(&root);
    append(&root);
    hashes(&root);
}

/// Before anything is made: "." and ".." are omitted, and the sandbox
/// starts empty.
pub fn empty_at_start() {
    if let Some(root) = root() {
        eq(
            "fs.root.read-directory.empty",
            entries("fs.root.read-directory", &root),
            vec![],
        );
    }
}

fn root_descriptor(root: &Descriptor) {
    ok_eq("fs.root.get-type", root.get_type(), T::Directory);
    ok_eq("fs.root.get-flags", root.get_flags(), DIRFLAGS);
    ok_eq(
        "fs.root.stat.type",
        root.stat().map(|s| s.type_),
        T::Directory,
    );
    ok("fs.root.sync", root.sync());
    ok("fs.root.sync-data", root.sync_data());
    let again = ok(
        "fs.root.open-at.dot",
        root.open_at(NOFOLLOW, ".", O::DIRECTORY, F::READ),
    );
    if let Some(d) = again {
        eq("fs.root.is-same-object.dot", root.is_same_object(&d), true);
    }
    // file operations on a directory
    err("fs.root.read", root.read(1, 0), E::IsDirectory);
    err("fs.root.write", root.write(b"x", 0), E::IsDirectory);
    err("fs.root.set-size", root.set_size(0), E::IsDirectory);
    err(
        "fs.root.read-via-stream",
        root.read_via_stream(0),
        E::IsDirectory,
    );
    err(
        "fs.root.write-via-stream",
        root.write_via_stream(0),
        E::IsDirectory,
    );
    err(
        "fs.root.append-via-stream",
        root.append_via_stream(),
        E::IsDirectory,
    );
}

fn files(root: &Descriptor) {
    let Some(f) = create(root, "f1") else { return };
    err(
        "fs.open-at.create-exclusive.exists",
        root.open_at(NOFOLLOW, "f1", O::CREATE | O::EXCLUSIVE, RW),
        E::Exist,
    );
    ok_eq("fs.file.get-type", f.get_type(), T::RegularFile);
    ok_eq("fs.file.get-flags", f.get_flags(), RW);
    ok_eq("fs.file.write", f.write(b"hello", 0), 5);
    // "the file is extended ... with bytes between ... set to zero"
    ok_eq("fs.file.write.past-end", f.write(b"XY", 10), 2);
    ok_eq(
        "fs.file.read.all",
        f.read(100, 0),
        (b"hello\0\0\0\0\0XY".to_vec(), true),
    );
    ok_eq(
        "fs.file.read.part",
        f.read(5, 0),
        (b"hello".to_vec(), false),
    );
    ok_eq(
        "fs.file.read.offset",
        f.read(5, 9),
        (b"\0XY".to_vec(), true),
    );
    ok_eq("fs.file.read.past-end", f.read(5, 100), (vec![], true));
    ok_eq("fs.file.write.empty", f.write(b"", 0), 0);
    if let Some(st) = ok("fs.file.stat", f.stat()) {
        eq("fs.file.stat.type", st.type_, T::RegularFile);
        eq("fs.file.stat.size", st.size, 12);
        eq("fs.file.stat.link-count", st.link_count, 1);
        truth(
            "fs.file.stat.mtime",
            st.data_modification_timestamp.is_some(),
            "some",
            st,
        );
    }
    // set-size: shrink, then grow with zeroes
    ok("fs.file.set-size.shrink", f.set_size(3));
    ok_eq(
        "fs.file.set-size.shrink.read",
        f.read(100, 0),
        (b"hel".to_vec(), true),
    );
    ok("fs.file.set-size.grow", f.set_size(6));
    ok_eq(
        "fs.file.set-size.grow.read",
        f.read(100, 0),
        (b"hel\0\0\0".to_vec(), true),
    );
    for (i, a) in [
        Advice::Normal,
        Advice::Sequential,
        Advice::Random,
        Advice::WillNeed,
        Advice::DontNeed,
        Advice::NoReuse,
    ]
    .into_iter()
    .enumerate()
    {
        ok(&format!("fs.file.advise.{i}"), f.advise(0, 6, a));
    }
    ok("fs.file.sync-data", f.sync_data());
    ok("fs.file.sync", f.sync());
    // set-times: exact timestamps, no-change, now
    ok(
        "fs.file.set-times",
        f.set_times(ts(1_000_000_000, 500), ts(2_000_000_000, 0)),
    );
    if let Some(st) = ok("fs.file.set-times.stat", f.stat()) {
        eq(
            "fs.file.set-times.atime",
            dt(st.data_access_timestamp),
            Some((1_000_000_000, 500)),
        );
        eq(
            "fs.file.set-times.mtime",
            dt(st.data_modification_timestamp),
            Some((2_000_000_000, 0)),
        );
    }
    ok(
        "fs.file.set-times.now",
        f.set_times(NewTimestamp::NoChange, NewTimestamp::Now),
    );
    let wall = wasip2::clocks::wall_clock::now().seconds;
    if let Some(st) = ok("fs.file.set-times.now.stat", f.stat()) {
        eq(
            "fs.file.set-times.no-change",
            dt(st.data_access_timestamp),
            Some((1_000_000_000, 500)),
        );
        let m = st
            .data_modification_timestamp
            .map(|d| d.seconds)
            .unwrap_or(0);
        truth(
            "fs.file.set-times.now.mtime",
            m + 60 >= wall && m <= wall + 60,
            "within a minute of now",
            (m, wall),
        );
    }
    // set-times-at, by path
    ok(
        "fs.set-times-at",
        root.set_times_at(NOFOLLOW, "f1", ts(3_000_000_000, 7), NewTimestamp::NoChange),
    );
    if let Some(st) = ok("fs.set-times-at.stat", root.stat_at(NOFOLLOW, "f1")) {
        eq(
            "fs.set-times-at.atime",
            dt(st.data_access_timestamp),
            Some((3_000_000_000, 7)),
        );
    }
    err(
        "fs.set-times-at.missing",
        root.set_times_at(NOFOLLOW, "nope", NewTimestamp::Now, NewTimestamp::Now),
        E::NoEntry,
    );
    // stat-at
    if let Some(st) = ok("fs.stat-at", root.stat_at(NOFOLLOW, "f1")) {
        eq("fs.stat-at.type", st.type_, T::RegularFile);
        eq("fs.stat-at.size", st.size, 6);
    }
    err(
        "fs.stat-at.missing",
        root.stat_at(NOFOLLOW, "nope"),
        E::NoEntry,
    );
    err(
        "fs.stat-at.empty-path",
        root.stat_at(NOFOLLOW, ""),
        E::NoEntry,
    );
    // a second descriptor for the same file
    if let Some(g) = ok(
        "fs.open-at.existing",
        root.open_at(NOFOLLOW, "f1", O::empty(), F::READ),
    ) {
        eq("fs.is-same-object.same-file", f.is_same_object(&g), true);
        eq(
            "fs.is-same-object.file-vs-dir",
            f.is_same_object(root),
            false,
        );
        ok_eq(
            "fs.open-at.existing.read",
            g.read(3, 0),
            (b"hel".to_vec(), false),
        );
    }
    // truncate
    if let Some(t) = ok(
        "fs.open-at.truncate",
        root.open_at(NOFOLLOW, "f1", O::TRUNCATE, RW),
    ) {
        ok_eq("fs.open-at.truncate.size", t.stat().map(|s| s.size), 0);
    }
    // directory operations on a file
    err(
        "fs.file.read-directory",
        f.read_directory(),
        E::NotDirectory,
    );
    err(
        "fs.file.create-directory-at",
        f.create_directory_at("x"),
        E::NotDirectory,
    );
    err(
        "fs.file.open-at",
        f.open_at(NOFOLLOW, "x", O::empty(), F::READ),
        E::NotDirectory,
    );
    err("fs.file.stat-at", f.stat_at(NOFOLLOW, "x"), E::NotDirectory);
    err(
        "fs.file.unlink-file-at",
        f.unlink_file_at("x"),
        E::NotDirectory,
    );
    // open-at failures
    err(
        "fs.open-at.missing",
        root.open_at(NOFOLLOW, "nope", O::empty(), F::READ),
        E::NoEntry,
    );
    err(
        "fs.open-at.empty-path",
        root.open_at(NOFOLLOW, "", O::empty(), F::READ),
        E::NoEntry,
    );
    err(
        "fs.open-at.directory-flag-on-file",
        root.open_at(NOFOLLOW, "f1", O::DIRECTORY, F::READ),
        E::NotDirectory,
    );
    // "If a path argument ... starts with /, or if any step of resolving a
    // path, including .., ... reaches a directory outside of the base
    // directory ... the function fails with error-code::not-permitted."
    err(
        "fs.open-at.absolute",
        root.open_at(NOFOLLOW, "/f1", O::empty(), F::READ),
        E::NotPermitted,
    );
    err(
        "fs.open-at.dotdot",
        root.open_at(NOFOLLOW, "../f1", O::empty(), F::READ),
        E::NotPermitted,
    );
    err(
        "fs.stat-at.dotdot",
        root.stat_at(NOFOLLOW, ".."),
        E::NotPermitted,
    );
    err(
        "fs.create-directory-at.absolute",
        root.create_directory_at("/x"),
        E::NotPermitted,
    );
    err(
        "fs.unlink-file-at.dotdot",
        root.unlink_file_at("../x"),
        E::NotPermitted,
    );
}

fn read_only_files(root: &Descriptor) {
    if create(root, "ro_file").is_none() {
        return;
    }
    let Some(r) = ok(
        "fs.open-at.read-only",
        root.open_at(NOFOLLOW, "ro_file", O::empty(), F::READ),
    ) else {
        return;
    };
    ok_eq("fs.read-only.get-flags", r.get_flags(), F::READ);
    err("fs.read-only.write", r.write(b"x", 0), E::BadDescriptor);
    err(
        "fs.read-only.write-via-stream",
        r.write_via_stream(0),
        E::BadDescriptor,
    );
    err(
        "fs.read-only.append-via-stream",
        r.append_via_stream(),
        E::BadDescriptor,
    );
    err("fs.read-only.set-size", r.set_size(0), E::BadDescriptor);
    // "This function succeeds with no effect if the file descriptor is not
    // opened for writing."
    ok("fs.read-only.sync-data", r.sync_data());
    ok("fs.read-only.sync", r.sync());
    ok_eq("fs.read-only.read", r.read(1, 0), (vec![], true));
    let Some(w) = ok(
        "fs.open-at.write-only",
        root.open_at(NOFOLLOW, "ro_file", O::empty(), F::WRITE),
    ) else {
        return;
    };
    ok_eq("fs.write-only.get-flags", w.get_flags(), F::WRITE);
    err("fs.write-only.read", w.read(1, 0), E::BadDescriptor);
    err(
        "fs.write-only.read-via-stream",
        w.read_via_stream(0),
        E::BadDescriptor,
    );
    ok_eq("fs.write-only.write", w.write(b"abc", 0), 3);
    ok_eq(
        "fs.write-only.written",
        r.read(10, 0),
        (b"abc".to_vec(), true),
    );
}

fn directories(root: &Descriptor) {
    ok("fs.create-directory-at", root.create_directory_at("d1"));
    err(
        "fs.create-directory-at.exists",
        root.create_directory_at("d1"),
        E::Exist,
    );
    err(
        "fs.create-directory-at.over-file",
        root.create_directory_at("f1"),
        E::Exist,
    );
    err(
        "fs.create-directory-at.no-parent",
        root.create_directory_at("nope/sub"),
        E::NoEntry,
    );
    ok(
        "fs.create-directory-at.nested",
        root.create_directory_at("d1/sub"),
    );
    let Some(d1) = ok(
        "fs.open-at.dir",
        root.open_at(NOFOLLOW, "d1", O::DIRECTORY, DIRFLAGS),
    ) else {
        return;
    };
    ok_eq("fs.dir.get-type", d1.get_type(), T::Directory);
    ok_eq("fs.dir.get-flags", d1.get_flags(), DIRFLAGS);
    ok_eq(
        "fs.stat-at.dir",
        root.stat_at(NOFOLLOW, "d1").map(|s| s.type_),
        T::Directory,
    );
    ok(
        "fs.dir.set-times",
        d1.set_times(ts(4_000_000_000, 0), ts(5_000_000_000, 0)),
    );
    if let Some(st) = ok("fs.dir.set-times.stat", d1.stat()) {
        eq(
            "fs.dir.set-times.mtime",
            dt(st.data_modification_timestamp),
            Some((5_000_000_000, 0)),
        );
    }
    // a file made through the sub-directory descriptor
    if let Some(g) = create(&d1, "g") {
        ok_eq("fs.dir.create.write", g.write(b"in d1", 0), 5);
    }
    ok_eq(
        "fs.open-at.nested-path",
        root.open_at(NOFOLLOW, "d1/g", O::empty(), F::READ)
            .map(|g| g.read(5, 0).ok()),
        Some((b"in d1".to_vec(), false)),
    );
    ok(
        "fs.open-at.dotdot-inside",
        root.open_at(NOFOLLOW, "d1/../f1", O::empty(), F::READ),
    );
    err(
        "fs.open-at.dotdot-escape",
        d1.open_at(NOFOLLOW, "../f1", O::empty(), F::READ),
        E::NotPermitted,
    );
    err(
        "fs.open-at.dotdot-escape-deep",
        root.open_at(NOFOLLOW, "d1/../../f1", O::empty(), F::READ),
        E::NotPermitted,
    );
    err(
        "fs.open-at.dir-for-write",
        root.open_at(NOFOLLOW, "d1", O::empty(), RW),
        E::IsDirectory,
    );
    // "Return error-code::not-empty if the directory is not empty."
    err(
        "fs.remove-directory-at.not-empty",
        root.remove_directory_at("d1"),
        E::NotEmpty,
    );
    err(
        "fs.remove-directory-at.file",
        root.remove_directory_at("f1"),
        E::NotDirectory,
    );
    err(
        "fs.remove-directory-at.missing",
        root.remove_directory_at("nope"),
        E::NoEntry,
    );
    // "Return error-code::is-directory if the path refers to a directory."
    err(
        "fs.unlink-file-at.directory",
        root.unlink_file_at("d1"),
        E::IsDirectory,
    );
    err(
        "fs.unlink-file-at.missing",
        root.unlink_file_at("nope"),
        E::NoEntry,
    );
    ok(
        "fs.create-directory-at.empty-one",
        root.create_directory_at("d_empty"),
    );
    ok(
        "fs.remove-directory-at",
        root.remove_directory_at("d_empty"),
    );
    err(
        "fs.remove-directory-at.gone",
        root.stat_at(NOFOLLOW, "d_empty"),
        E::NoEntry,
    );
    if create(root, "to_unlink").is_some() {
        ok("fs.unlink-file-at", root.unlink_file_at("to_unlink"));
        err(
            "fs.unlink-file-at.gone",
            root.stat_at(NOFOLLOW, "to_unlink"),
            E::NoEntry,
        );
    }
}

/// A directory opened without `mutate-directory` may still change what is
/// beneath it: it inherits its parent's permission, as in Wasmtime (the
/// preview1 adapter and Rust's std open directories with `read` only, then
/// create inside them); `get-flags` reports how it was opened. Only a
/// read-only mount takes writing away (the confinement suites' `ro` runs).
fn read_only_directory(root: &Descriptor) {
    let Some(rd) = ok(
        "fs.read-flag-dir.open",
        root.open_at(NOFOLLOW, "d1", O::DIRECTORY, F::READ),
    ) else {
        return;
    };
    ok_eq("fs.read-flag-dir.get-flags", rd.get_flags(), F::READ);
    ok(
        "fs.read-flag-dir.create-directory-at",
        rd.create_directory_at("x"),
    );
    if let Some(f) = ok(
        "fs.read-flag-dir.open-at.create",
        rd.open_at(NOFOLLOW, "new", O::CREATE, F::READ),
    ) {
        // Creating opens for writing too (as Wasmtime reports it).
        ok_eq("fs.read-flag-dir.open-at.create.flags", f.get_flags(), RW);
    }
    ok("fs.read-flag-dir.unlink-file-at", rd.unlink_file_at("new"));
    ok(
        "fs.read-flag-dir.remove-directory-at",
        rd.remove_directory_at("x"),
    );
    if let Some(sub) = ok(
        "fs.read-flag-dir.open-at.sub",
        rd.open_at(NOFOLLOW, "sub", O::DIRECTORY, F::empty()),
    ) {
        ok_eq("fs.read-flag-dir.sub.get-flags", sub.get_flags(), F::READ);
        ok(
            "fs.read-flag-dir.sub.create-directory-at",
            sub.create_directory_at("y"),
        );
        ok(
            "fs.read-flag-dir.sub.remove-directory-at",
            sub.remove_directory_at("y"),
        );
    }
    ok_eq(
        "fs.read-flag-dir.stat-at",
        rd.stat_at(NOFOLLOW, "g").map(|s| s.size),
        5,
    );
    eq(
        "fs.read-flag-dir.read-directory",
        entries("fs.read-flag-dir.read-directory", &rd),
        vec![
            ("g".to_string(), T::RegularFile),
            ("sub".to_string(), T::Directory),
        ],
    );
    ok_eq(
        "fs.read-flag-dir.unchanged.g",
        root.stat_at(NOFOLLOW, "d1/g").map(|s| s.size),
        5,
    );
}

fn symlinks(root: &Descriptor) {
    ok("fs.symlink-at", root.symlink_at("f1", "l1"));
    err(
        "fs.symlink-at.exists",
        root.symlink_at("f1", "l1"),
        E::Exist,
    );
    err(
        "fs.symlink-at.over-file",
        root.symlink_at("x", "f1"),
        E::Exist,
    );
    if let Some(st) = ok("fs.stat-at.symlink", root.stat_at(NOFOLLOW, "l1")) {
        eq("fs.stat-at.symlink.type", st.type_, T::SymbolicLink);
        // "For symbolic links, the length in bytes of the pathname"
        eq("fs.stat-at.symlink.size", st.size, 2);
    }
    ok_eq(
        "fs.stat-at.follow",
        root.stat_at(FOLLOW, "l1").map(|s| s.type_),
        T::RegularFile,
    );
    ok_eq("fs.readlink-at", root.readlink_at("l1"), "f1".to_string());
    err(
        "fs.readlink-at.not-link",
        root.readlink_at("f1"),
        E::Invalid,
    );
    err(
        "fs.readlink-at.missing",
        root.readlink_at("nope"),
        E::NoEntry,
    );
    if let Some(l) = ok(
        "fs.open-at.follow",
        root.open_at(FOLLOW, "l1", O::empty(), F::READ),
    ) {
        ok_eq("fs.open-at.follow.type", l.get_type(), T::RegularFile);
        if let Some(f) = ok(
            "fs.open-at.f1",
            root.open_at(NOFOLLOW, "f1", O::empty(), F::READ),
        ) {
            eq("fs.is-same-object.via-symlink", l.is_same_object(&f), true);
        }
    }
    // opening the link itself without following it (O_NOFOLLOW: ELOOP)
    err(
        "fs.open-at.nofollow-symlink",
        root.open_at(NOFOLLOW, "l1", O::empty(), F::READ),
        E::Loop,
    );
    // dangling
    ok(
        "fs.symlink-at.dangling",
        root.symlink_at("nowhere", "ldang"),
    );
    ok_eq(
        "fs.stat-at.dangling.nofollow",
        root.stat_at(NOFOLLOW, "ldang").map(|s| s.type_),
        T::SymbolicLink,
    );
    err(
        "fs.stat-at.dangling.follow",
        root.stat_at(FOLLOW, "ldang"),
        E::NoEntry,
    );
    // a link whose target leaves the sandbox can be made, not followed
    ok(
        "fs.symlink-at.escaping",
        root.symlink_at("../outside", "lout"),
    );
    err(
        "fs.open-at.follow-escaping",
        root.open_at(FOLLOW, "lout", O::empty(), F::READ),
        E::NotPermitted,
    );
    err(
        "fs.stat-at.follow-escaping",
        root.stat_at(FOLLOW, "lout"),
        E::NotPermitted,
    );
    // "If old-path starts with /, the function fails with
    // error-code::not-permitted."
    let r = root.symlink_at("/etc/passwd", "labs");
    if err("fs.symlink-at.absolute", r, E::NotPermitted) {
        err(
            "fs.symlink-at.absolute.not-made",
            root.stat_at(NOFOLLOW, "labs"),
            E::NoEntry,
        );
    } else {
        // It was made: "If the contents contain an absolute or rooted path
        // in the underlying filesystem, this function fails with
        // error-code::not-permitted."
        err(
            "fs.readlink-at.absolute",
            root.readlink_at("labs"),
            E::NotPermitted,
        );
        let _ = root.unlink_file_at("labs");
    }
    // unlink-file-at removes the link, not its target
    ok("fs.symlink-at.to-dir", root.symlink_at("d1", "ldir"));
    ok_eq(
        "fs.stat-at.symlink-to-dir.follow",
        root.stat_at(FOLLOW, "ldir").map(|s| s.type_),
        T::Directory,
    );
    ok(
        "fs.unlink-file-at.symlink-to-dir",
        root.unlink_file_at("ldir"),
    );
    ok_eq(
        "fs.unlink-file-at.symlink.target-kept",
        root.stat_at(NOFOLLOW, "d1").map(|s| s.type_),
        T::Directory,
    );
}

fn links(root: &Descriptor) {
    ok("fs.link-at", root.link_at(NOFOLLOW, "f1", root, "hard"));
    ok_eq(
        "fs.link-at.link-count",
        root.stat_at(NOFOLLOW, "f1").map(|s| s.link_count),
        2,
    );
    if let (Some(a), Some(b)) = (
        ok(
            "fs.link-at.open-a",
            root.open_at(NOFOLLOW, "f1", O::empty(), F::READ),
        ),
        ok(
            "fs.link-at.open-b",
            root.open_at(NOFOLLOW, "hard", O::empty(), F::READ),
        ),
    ) {
        eq("fs.link-at.same-object", a.is_same_object(&b), true);
    }
    // "Fails with error-code::no-entry if the old path does not exist, with
    // error-code::exist if the new path already exists, and
    // error-code::not-permitted if the old path is not a file."
    err(
        "fs.link-at.missing",
        root.link_at(NOFOLLOW, "nope", root, "h2"),
        E::NoEntry,
    );
    err(
        "fs.link-at.exists",
        root.link_at(NOFOLLOW, "f1", root, "hard"),
        E::Exist,
    );
    err(
        "fs.link-at.directory",
        root.link_at(NOFOLLOW, "d1", root, "hd"),
        E::NotPermitted,
    );
    // into another directory
    if let Some(d1) = ok(
        "fs.link-at.open-d1",
        root.open_at(NOFOLLOW, "d1", O::DIRECTORY, DIRFLAGS),
    ) {
        ok(
            "fs.link-at.other-dir",
            root.link_at(NOFOLLOW, "f1", &d1, "f1-link"),
        );
        ok_eq(
            "fs.link-at.other-dir.stat",
            root.stat_at(NOFOLLOW, "d1/f1-link").map(|s| s.link_count),
            3,
        );
        ok("fs.link-at.other-dir.unlink", d1.unlink_file_at("f1-link"));
    }
    // symlink-follow: the link is to the target, not to the symlink
    ok(
        "fs.link-at.follow",
        root.link_at(FOLLOW, "l1", root, "hard-follow"),
    );
    ok_eq(
        "fs.link-at.follow.type",
        root.stat_at(NOFOLLOW, "hard-follow").map(|s| s.type_),
        T::RegularFile,
    );
    ok(
        "fs.link-at.follow.unlink",
        root.unlink_file_at("hard-follow"),
    );
    ok("fs.link-at.unlink", root.unlink_file_at("hard"));
    ok_eq(
        "fs.link-at.unlink.link-count",
        root.stat_at(NOFOLLOW, "f1").map(|s| s.link_count),
        1,
    );
}

fn renames(root: &Descriptor) {
    let Some(f) = create(root, "r1") else { return };
    ok_eq("fs.rename-at.setup", f.write(b"rename me", 0), 9);
    ok("fs.rename-at", root.rename_at("r1", root, "r2"));
    err(
        "fs.rename-at.old-gone",
        root.stat_at(NOFOLLOW, "r1"),
        E::NoEntry,
    );
    ok_eq(
        "fs.rename-at.new",
        root.stat_at(NOFOLLOW, "r2").map(|s| s.size),
        9,
    );
    // the open descriptor follows the file
    ok_eq(
        "fs.rename-at.descriptor-follows",
        f.read(9, 0),
        (b"rename me".to_vec(), false),
    );
    err(
        "fs.rename-at.missing",
        root.rename_at("nope", root, "x"),
        E::NoEntry,
    );
    // to another directory
    if let Some(d1) = ok(
        "fs.rename-at.open-d1",
        root.open_at(NOFOLLOW, "d1", O::DIRECTORY, DIRFLAGS),
    ) {
        ok("fs.rename-at.other-dir", root.rename_at("r2", &d1, "moved"));
        ok_eq(
            "fs.rename-at.other-dir.stat",
            d1.stat_at(NOFOLLOW, "moved").map(|s| s.size),
            9,
        );
        ok(
            "fs.rename-at.other-dir.back",
            d1.rename_at("moved", root, "r2"),
        );
    }
    // over an existing file: replaces it
    if create(root, "r3").is_some() {
        ok("fs.rename-at.replace", root.rename_at("r3", root, "r2"));
        ok_eq(
            "fs.rename-at.replace.size",
            root.stat_at(NOFOLLOW, "r2").map(|s| s.size),
            0,
        );
    }
    // directories
    ok("fs.rename-at.dir.setup", root.create_directory_at("rd"));
    err(
        "fs.rename-at.dir-over-nonempty-dir",
        root.rename_at("rd", root, "d1"),
        E::NotEmpty,
    );
    err(
        "fs.rename-at.dir-over-file",
        root.rename_at("rd", root, "r2"),
        E::NotDirectory,
    );
    err(
        "fs.rename-at.file-over-dir",
        root.rename_at("r2", root, "rd"),
        E::IsDirectory,
    );
    ok("fs.rename-at.dir", root.rename_at("rd", root, "rd2"));
    ok_eq(
        "fs.rename-at.dir.stat",
        root.stat_at(NOFOLLOW, "rd2").map(|s| s.type_),
        T::Directory,
    );
    err(
        "fs.rename-at.escape",
        root.rename_at("r2", root, "../r2"),
        E::NotPermitted,
    );
}

fn listing(root: &Descriptor) {
    let want: Vec<(String, T)> = [
        ("d1", T::Directory),
        ("f1", T::RegularFile),
        ("io_error", T::RegularFile),
        ("io_splice_dst", T::RegularFile),
        ("io_splice_src", T::RegularFile),
        ("io_stream", T::RegularFile),
        ("l1", T::SymbolicLink),
        ("ldang", T::SymbolicLink),
        ("lout", T::SymbolicLink),
        ("r2", T::RegularFile),
        ("rd2", T::Directory),
        ("ro_file", T::RegularFile),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t))
    .collect();
    eq(
        "fs.read-directory.entries",
        entries("fs.read-directory", root),
        want,
    );
    // Two streams do not interfere: each starts at the beginning.
    if let (Some(a), Some(b)) = (
        ok("fs.read-directory.first", root.read_directory()),
        ok("fs.read-directory.second", root.read_directory()),
    ) {
        let a1 = a.read_directory_entry().ok().flatten().map(|e| e.name);
        let _a2 = a.read_directory_entry();
        let b1 = b.read_directory_entry().ok().flatten().map(|e| e.name);
        truth(
            "fs.read-directory.independent",
            a1.is_some() && a1 == b1,
            "the same first entry",
            (a1, b1),
        );
    }
}

/// "Multiple read, write, and append streams may be active on the same open
/// file and they do not interfere with each other."
fn append(root: &Descriptor) {
    // contents as text, for readable failures
    let text = |f: &Descriptor| {
        f.read(100, 0)
            .map(|(b, eof)| (b.escape_ascii().to_string(), eof))
    };
    let Some(f) = create(root, "ap") else { return };
    ok_eq("fs.append.setup", f.write(b"hello", 0), 5);
    let Some(a) = ok("fs.append-via-stream", f.append_via_stream()) else {
        return;
    };
    s_ok("fs.append.write", a.blocking_write_and_flush(b"XY"), ());
    ok_eq(
        "fs.append.contents",
        text(&f),
        ("helloXY".to_string(), true),
    );
    // positional writes still go where they are told
    ok_eq("fs.append.then-write-at-0", f.write(b"J", 0), 1);
    ok_eq(
        "fs.append.then-write-at-0.contents",
        text(&f),
        ("JelloXY".to_string(), true),
    );
    if let Some(w) = ok("fs.append.write-via-stream", f.write_via_stream(1)) {
        s_ok(
            "fs.append.write-via-stream.write",
            w.blocking_write_and_flush(b"E"),
            (),
        );
    }
    ok_eq(
        "fs.append.write-via-stream.contents",
        text(&f),
        ("JElloXY".to_string(), true),
    );
    s_ok("fs.append.again", a.blocking_write_and_flush(b"Z"), ());
    ok_eq(
        "fs.append.again.contents",
        text(&f),
        ("JElloXYZ".to_string(), true),
    );
    s_ok(
        "fs.append.write-zeroes",
        a.blocking_write_zeroes_and_flush(1),
        (),
    );
    ok_eq(
        "fs.append.write-zeroes.contents",
        text(&f),
        ("JElloXYZ\\x00".to_string(), true),
    );
    drop(a);
    ok_eq("fs.append.flags-unchanged", f.get_flags(), RW);
    ok_eq("fs.append.after-drop.write-at-0", f.write(b"j", 0), 1);
    ok_eq(
        "fs.append.after-drop.contents",
        text(&f),
        ("jElloXYZ\\x00".to_string(), true),
    );
}

/// metadata-hash: "This returns a hash of the last-modification timestamp
/// and file size" — same object, same hash; another object or a modified
/// file, another hash.
fn hashes(root: &Descriptor) {
    let Some(f) = create(root, "h1") else { return };
    ok_eq("fs.hash.setup", f.write(b"abc", 0), 3);
    let Some(h) = ok("fs.metadata-hash", f.metadata_hash()) else {
        return;
    };
    let h = (h.lower, h.upper);
    let at = root
        .metadata_hash_at(NOFOLLOW, "h1")
        .map(|v| (v.lower, v.upper));
    ok_eq("fs.metadata-hash-at.same", at, h);
    let again = f.metadata_hash().map(|v| (v.lower, v.upper));
    ok_eq("fs.metadata-hash.stable", again, h);
    if let Some(other) = ok(
        "fs.metadata-hash.other",
        root.metadata_hash_at(NOFOLLOW, "f1"),
    ) {
        truth(
            "fs.metadata-hash.differs-by-object",
            (other.lower, other.upper) != h,
            "another hash",
            (other.lower, other.upper),
        );
    }
    if let Some(rh) = ok("fs.metadata-hash.dir", root.metadata_hash()) {
        truth(
            "fs.metadata-hash.dir-differs",
            (rh.lower, rh.upper) != h,
            "another hash",
            (rh.lower, rh.upper),
        );
    }
    // through a symlink: follow gives the target's hash, nofollow the link's
    let t = root
        .metadata_hash_at(NOFOLLOW, "f1")
        .map(|v| (v.lower, v.upper));
    let l = root
        .metadata_hash_at(FOLLOW, "l1")
        .map(|v| (v.lower, v.upper));
    eq("fs.metadata-hash-at.follow", l.clone(), t.clone());
    let ln = root
        .metadata_hash_at(NOFOLLOW, "l1")
        .map(|v| (v.lower, v.upper));
    truth(
        "fs.metadata-hash-at.nofollow",
        ln.is_ok() && ln != t,
        "the link's own hash",
        ln,
    );
    err(
        "fs.metadata-hash-at.missing",
        root.metadata_hash_at(NOFOLLOW, "nope").map(|v| v.lower),
        E::NoEntry,
    );
    // a modified file (new size, new mtime) hashes differently
    ok_eq("fs.hash.modify", f.write(b"defgh", 3), 5);
    ok(
        "fs.hash.modify.mtime",
        f.set_times(NewTimestamp::NoChange, ts(6_000_000_000, 0)),
    );
    let changed = f.metadata_hash().map(|v| (v.lower, v.upper));
    truth(
        "fs.metadata-hash.changes-on-modify",
        changed.is_ok() && changed != Ok(h),
        "another hash",
        changed,
    );
}
