//! `read-directory`, `create-directory-at`, `remove-directory-at`,
//! `unlink-file-at`, and directory methods on a file. Leaves
//! `WORK/dirs/a.txt` (`a\n`) and the empty directory `WORK/dirs/e`.

use crate::check::{eq, err, ok, ok_eq, truth};
use crate::io::{entry, join, list, within};
use crate::{create, create_with, mkdir, nofollow, Cx};
use core::future::IntoFuture;
use wasip3::filesystem::types::{
    Descriptor, DescriptorFlags as F, DescriptorType as T, ErrorCode as E, OpenFlags as O,
};

pub async fn run(cx: &Cx) {
    let w = &cx.work;
    let Some(d) = mkdir(w, "dirs").await else {
        return;
    };
    err(
        "dirs.create-directory-at.exists",
        w.create_directory_at("dirs".into()).await,
        E::Exist,
    );
    err(
        "dirs.create-directory-at.no-parent",
        w.create_directory_at("dirs/x/y".into()).await,
        E::NoEntry,
    );
    err(
        "dirs.create-directory-at.absolute",
        d.create_directory_at("/x".into()).await,
        E::NotPermitted,
    );
    err(
        "dirs.create-directory-at.dotdot",
        d.create_directory_at("../x".into()).await,
        E::NotPermitted,
    );
    let Some(a) = create_with("dirs.create.a", &d, "a.txt", b"a\n").await else {
        return;
    };
    create("dirs.create.c", &d, "c.txt").await;
    ok(
        "dirs.create-directory-at",
        d.create_directory_at("b".into()).await,
    );
    ok(
        "dirs.symlink-at",
        d.symlink_at("a.txt".into(), "d".into()).await,
    );
    err(
        "dirs.create-directory-at.over-file",
        d.create_directory_at("a.txt".into()).await,
        E::Exist,
    );
    ok_eq(
        "dirs.stat-at.dir",
        d.stat_at(nofollow(), "b".into()).await.map(|s| s.type_),
        T::Directory,
    );

    // "these entries [. and ..] are omitted"; types as of the entries.
    let want = vec![
        entry("a.txt", T::RegularFile),
        entry("b", T::Directory),
        entry("c.txt", T::RegularFile),
        entry("d", T::SymbolicLink),
    ];
    let (v, r) = list(&d).await;
    ok("dirs.read-directory.result", r);
    eq("dirs.read-directory", v, want.clone());
    // "This always returns a new stream which starts at the beginning ...
    // Multiple streams may be active on the same directory, and they do
    // not interfere with each other."
    let ((v1, r1), (v2, r2)) = join(list(&d), list(&d)).await;
    ok("dirs.read-directory.two.result-1", r1);
    ok("dirs.read-directory.two.result-2", r2);
    eq("dirs.read-directory.two.1", v1, want.clone());
    eq("dirs.read-directory.two.2", v2, want.clone());
    if let Some(b) = ok(
        "dirs.open.b",
        d.open_at(nofollow(), "b".into(), O::DIRECTORY, F::READ)
            .await,
    ) {
        let (v, r) = list(&b).await;
        ok("dirs.read-directory.empty.result", r);
        eq("dirs.read-directory.empty", v, vec![]);
    }
    // On a file: an empty stream, and the future says not-directory.
    let (v, r) = list(&a).await;
    err("dirs.read-directory.file.result", r, E::NotDirectory);
    eq("dirs.read-directory.file", v, vec![]);

    // The same with the stream dropped unread ("This function returns a
    // future, which will resolve to an error code if reading full contents
    // of the directory fails").
    let (rs, done) = a.read_directory();
    drop(rs);
    match within(5_000, done.into_future()).await {
        Some(r) => {
            err(
                "dirs.read-directory.file.dropped-unread",
                r,
                E::NotDirectory,
            );
        }
        None => {
            truth(
                "dirs.read-directory.file.dropped-unread",
                false,
                "the result future to resolve",
                "no value within 5 s",
            );
        }
    }

    // remove-directory-at: "Return error-code::not-empty if the directory
    // is not empty."
    create("dirs.create.b-inner", &d, "b/inner").await;
    err(
        "dirs.remove-directory-at.not-empty",
        d.remove_directory_at("b".into()).await,
        E::NotEmpty,
    );
    err(
        "dirs.remove-directory-at.file",
        d.remove_directory_at("a.txt".into()).await,
        E::NotDirectory,
    );
    err(
        "dirs.remove-directory-at.missing",
        d.remove_directory_at("nope".into()).await,
        E::NoEntry,
    );
    // unlink-file-at on a directory: "error-code::access or
    // error-code::is-directory may be returned instead of the
    // POSIX-specified error-code::not-permitted" — Linux says EISDIR.
    err(
        "dirs.unlink-file-at.directory",
        d.unlink_file_at("b".into()).await,
        E::IsDirectory,
    );
    err(
        "dirs.unlink-file-at.missing",
        d.unlink_file_at("nope".into()).await,
        E::NoEntry,
    );
    ok(
        "dirs.unlink-file-at",
        d.unlink_file_at("b/inner".into()).await,
    );
    ok(
        "dirs.remove-directory-at",
        d.remove_directory_at("b".into()).await,
    );
    err(
        "dirs.remove-directory-at.gone",
        d.stat_at(nofollow(), "b".into()).await.map(|s| s.size),
        E::NoEntry,
    );
    ok(
        "dirs.unlink-file-at.c",
        d.unlink_file_at("c.txt".into()).await,
    );
    err(
        "dirs.unlink-file-at.c.gone",
        d.stat_at(nofollow(), "c.txt".into()).await.map(|s| s.size),
        E::NoEntry,
    );
    // Unlinking a symlink removes the link, not its target.
    ok(
        "dirs.unlink-file-at.symlink",
        d.unlink_file_at("d".into()).await,
    );
    ok_eq(
        "dirs.unlink-file-at.symlink.target-kept",
        d.stat_at(nofollow(), "a.txt".into()).await.map(|s| s.size),
        2,
    );
    ok(
        "dirs.create-directory-at.e",
        d.create_directory_at("e".into()).await,
    );
    // Trailing slashes: mkdir(2)/rmdir(2) take them; unlink(2) of a file
    // named with one is ENOTDIR.
    ok(
        "dirs.create-directory-at.trailing-slash",
        d.create_directory_at("ts/".into()).await,
    );
    ok_eq(
        "dirs.create-directory-at.trailing-slash.stat",
        d.stat_at(nofollow(), "ts".into()).await.map(|s| s.type_),
        T::Directory,
    );
    ok(
        "dirs.remove-directory-at.trailing-slash",
        d.remove_directory_at("ts/".into()).await,
    );
    err(
        "dirs.unlink-file-at.trailing-slash",
        d.unlink_file_at("a.txt/".into()).await,
        E::NotDirectory,
    );

    // Directory methods on a file descriptor: not-directory.
    err(
        "dirs.file.create-directory-at",
        a.create_directory_at("x".into()).await,
        E::NotDirectory,
    );
    err(
        "dirs.file.open-at",
        a.open_at(nofollow(), "x".into(), O::empty(), F::READ)
            .await
            .map(|_| ()),
        E::NotDirectory,
    );
    err(
        "dirs.file.stat-at",
        a.stat_at(nofollow(), "x".into()).await.map(|s| s.size),
        E::NotDirectory,
    );
    err(
        "dirs.file.unlink-file-at",
        a.unlink_file_at("x".into()).await,
        E::NotDirectory,
    );
    err(
        "dirs.file.remove-directory-at",
        a.remove_directory_at("x".into()).await,
        E::NotDirectory,
    );
    err(
        "dirs.file.readlink-at",
        a.readlink_at("x".into()).await,
        E::NotDirectory,
    );
    many(&d).await;

    let (v, r) = list(&d).await;
    ok("dirs.final.read-directory.result", r);
    eq(
        "dirs.final.read-directory",
        v,
        vec![entry("a.txt", T::RegularFile), entry("e", T::Directory)],
    );
}

/// A directory of 300 entries (more than one stream read's worth), with
/// names that are not ASCII; all removed again.
async fn many(d: &Descriptor) {
    let Some(m) = mkdir(d, "many").await else {
        return;
    };
    let names: Vec<String> = (0..300).map(|i| format!("f-{i:03}-ünï☃")).collect();
    let mut made = 0;
    for n in &names {
        if m.open_at(nofollow(), n.clone(), O::CREATE | O::EXCLUSIVE, F::READ)
            .await
            .is_ok()
        {
            made += 1;
        }
    }
    eq("dirs.many.created", made, names.len());
    let (v, r) = list(&m).await;
    ok("dirs.many.read-directory.result", r);
    eq(
        "dirs.many.read-directory",
        v,
        names.iter().map(|n| entry(n, T::RegularFile)).collect(),
    );
    ok_eq(
        "dirs.many.stat-at.unicode",
        m.stat_at(nofollow(), names[7].clone())
            .await
            .map(|s| s.type_),
        T::RegularFile,
    );
    let mut removed = 0;
    for n in &names {
        if m.unlink_file_at(n.clone()).await.is_ok() {
            removed += 1;
        }
    }
    eq("dirs.many.removed", removed, names.len());
    drop(m);
    ok(
        "dirs.many.remove-directory-at",
        d.remove_directory_at("many".into()).await,
    );
}
