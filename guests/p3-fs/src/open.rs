//! `open-at`: every open flag, descriptor flags and what they allow, path
//! rules. Leaves `WORK/open/a` (`After truncate\n`) and `WORK/open/b`
//! (empty).

use crate::check::{eq, err, ok, ok_bytes, ok_eq, read_err, truth};
use crate::io::{append, contents, read_from, within, write_at};
use crate::{create, dirf, mkdir, nofollow, open_read, rw, Cx};
use core::future::IntoFuture;
use wasip3::filesystem::types::{
    DescriptorFlags as F, DescriptorType as T, ErrorCode as E, NewTimestamp, OpenFlags as O,
};

pub async fn run(cx: &Cx) {
    let w = &cx.work;
    let Some(d) = mkdir(w, "open").await else {
        return;
    };
    ok_eq("open.dir.get-type", d.get_type().await, T::Directory);
    ok_eq("open.dir.get-flags", d.get_flags().await, dirf());

    // create: a new, empty regular file with the flags asked for.
    let Some(a) = ok(
        "open.create",
        d.open_at(nofollow(), "a".into(), O::CREATE, rw()).await,
    ) else {
        return;
    };
    ok_eq("open.create.get-type", a.get_type().await, T::RegularFile);
    ok_eq("open.create.get-flags", a.get_flags().await, rw());
    ok_eq("open.create.size", a.stat().await.map(|s| s.size), 0);
    ok("open.create.write", write_at(&a, b"0123456789", 0).await);
    // create of an existing file opens it as it is.
    if let Some(a2) = ok(
        "open.create.existing",
        d.open_at(nofollow(), "a".into(), O::CREATE, F::READ).await,
    ) {
        ok_bytes(
            "open.create.existing.contents",
            contents(&a2).await,
            b"0123456789",
        );
        eq(
            "open.create.existing.is-same-object",
            a.is_same_object(&a2).await,
            true,
        );
    }
    // exclusive: "Fail if file already exists".
    err(
        "open.exclusive.exists",
        d.open_at(nofollow(), "a".into(), O::CREATE | O::EXCLUSIVE, rw())
            .await,
        E::Exist,
    );
    err(
        "open.exclusive.exists-dir",
        w.open_at(nofollow(), "open".into(), O::CREATE | O::EXCLUSIVE, rw())
            .await,
        E::Exist,
    );
    err(
        "open.missing",
        d.open_at(nofollow(), "b".into(), O::empty(), F::READ).await,
        E::NoEntry,
    );
    if let Some(b) = create("open.exclusive.new", &d, "b").await {
        ok_eq("open.exclusive.new.size", b.stat().await.map(|s| s.size), 0);
    }
    // truncate: "Truncate file to size 0"; every descriptor sees it.
    if let Some(t) = ok(
        "open.truncate",
        d.open_at(nofollow(), "a".into(), O::TRUNCATE, rw()).await,
    ) {
        ok_eq("open.truncate.size", t.stat().await.map(|s| s.size), 0);
        ok_bytes("open.truncate.seen-by-other", contents(&a).await, b"");
        ok(
            "open.truncate.write",
            write_at(&t, b"after truncate\n", 0).await,
        );
    }
    // directory: "Fail if not a directory".
    err(
        "open.directory-flag.on-file",
        d.open_at(nofollow(), "a".into(), O::DIRECTORY, F::READ)
            .await,
        E::NotDirectory,
    );
    if let Some(dot) = ok(
        "open.directory-flag.dot",
        d.open_at(nofollow(), ".".into(), O::DIRECTORY, F::READ)
            .await,
    ) {
        ok_eq(
            "open.directory-flag.dot.get-type",
            dot.get_type().await,
            T::Directory,
        );
        eq(
            "open.directory-flag.dot.is-same-object",
            dot.is_same_object(&d).await,
            true,
        );
    }
    // A directory opened without the directory flag is still a directory.
    if let Some(dd) = open_read("open.dir.without-flag", w, "open").await {
        ok_eq(
            "open.dir.without-flag.get-type",
            dd.get_type().await,
            T::Directory,
        );
    }
    // A directory cannot be opened for writing (EISDIR in POSIX).
    err(
        "open.dir.for-write",
        w.open_at(nofollow(), "open".into(), O::empty(), rw()).await,
        E::IsDirectory,
    );

    // Paths: "If a path argument to any WASI function starts with /, or if
    // any step of resolving a path, including .. ..., reaches a directory
    // outside of the base directory ... fails with not-permitted."
    err(
        "open.path.absolute",
        d.open_at(nofollow(), "/a".into(), O::empty(), F::READ)
            .await,
        E::NotPermitted,
    );
    err(
        "open.path.dotdot-out",
        d.open_at(nofollow(), "../open/a".into(), O::empty(), F::READ)
            .await,
        E::NotPermitted,
    );
    ok(
        "open.path.dotdot-inside",
        w.open_at(nofollow(), "open/../open/a".into(), O::empty(), F::READ)
            .await,
    );
    err(
        "open.path.empty",
        d.open_at(nofollow(), "".into(), O::empty(), F::READ).await,
        E::NoEntry,
    );
    err(
        "open.path.no-parent",
        d.open_at(nofollow(), "nope/x".into(), O::CREATE, rw())
            .await,
        E::NoEntry,
    );
    err(
        "open.path.file-as-dir",
        d.open_at(nofollow(), "a/x".into(), O::empty(), F::READ)
            .await,
        E::NotDirectory,
    );

    // A trailing slash names a directory: not-directory on a file (as
    // open(2) and fstatat(2) say).
    err(
        "open.path.trailing-slash",
        d.open_at(nofollow(), "a/".into(), O::empty(), F::READ)
            .await
            .map(|_| ()),
        E::NotDirectory,
    );
    err(
        "open.path.trailing-slash.stat-at",
        d.stat_at(nofollow(), "a/".into()).await.map(|s| s.size),
        E::NotDirectory,
    );

    // A descriptor opened for reading only.
    if let Some(r) = open_read("open.read-only", &d, "a").await {
        ok_eq("open.read-only.get-flags", r.get_flags().await, F::READ);
        err(
            "open.read-only.write-via-stream",
            write_at(&r, b"X", 0).await,
            E::BadDescriptor,
        );
        err(
            "open.read-only.append-via-stream",
            append(&r, b"X").await,
            E::BadDescriptor,
        );
        // An empty stream changes nothing, but the descriptor still cannot
        // be written ("May fail with an error-code describing why the file
        // cannot be written"; pwrite(2) of 0 bytes on a descriptor not open
        // for writing is EBADF too).
        err(
            "open.read-only.write-via-stream.empty",
            write_at(&r, b"", 0).await,
            E::BadDescriptor,
        );
        err(
            "open.read-only.append-via-stream.empty",
            append(&r, b"").await,
            E::BadDescriptor,
        );
        err(
            "open.read-only.set-size",
            r.set_size(0).await,
            E::BadDescriptor,
        );
        // "This function succeeds with no effect if the file descriptor is
        // not opened for writing."
        ok("open.read-only.sync", r.sync().await);
        ok("open.read-only.sync-data", r.sync_data().await);
        ok_bytes(
            "open.read-only.unchanged",
            contents(&r).await,
            b"after truncate\n",
        );
    }
    // ... and one opened for writing only.
    if let Some(wo) = ok(
        "open.write-only",
        d.open_at(nofollow(), "a".into(), O::empty(), F::WRITE)
            .await,
    ) {
        ok_eq("open.write-only.get-flags", wo.get_flags().await, F::WRITE);
        read_err(
            "open.write-only.read-via-stream",
            read_from(&wo, 0).await,
            E::BadDescriptor,
        );
        // The same when the stream is dropped unread: the error is there
        // whether or not anyone reads ("If an error is encountered ... the
        // future resolves to err with an error-code").
        let (rs, done) = wo.read_via_stream(0);
        drop(rs);
        match within(5_000, done.into_future()).await {
            Some(r) => {
                err(
                    "open.write-only.read-via-stream.dropped-unread",
                    r,
                    E::BadDescriptor,
                );
            }
            None => {
                truth(
                    "open.write-only.read-via-stream.dropped-unread",
                    false,
                    "the result future to resolve",
                    "no value within 5 s",
                );
            }
        }
        ok("open.write-only.write", write_at(&wo, b"A", 0).await);
        ok_bytes(
            "open.write-only.written",
            contents(&a).await,
            b"After truncate\n",
        );
    }
    // The sync request flags are accepted and kept.
    let sync = rw() | F::FILE_INTEGRITY_SYNC | F::DATA_INTEGRITY_SYNC;
    if let Some(s) = ok(
        "open.sync-flags",
        d.open_at(nofollow(), "b".into(), O::empty(), sync).await,
    ) {
        ok_eq("open.sync-flags.get-flags", s.get_flags().await, sync);
        ok("open.sync-flags.write", write_at(&s, b"sync", 0).await);
        ok("open.sync-flags.set-size", s.set_size(0).await);
        ok_bytes("open.sync-flags.contents", contents(&s).await, b"");
    }

    // A directory opened without mutate-directory may still change what is
    // beneath it: it inherits its parent's permission (as in Wasmtime; the
    // preview1 adapter opens directories with `read` only). Only a
    // read-only mount takes writing away (p3-confine's `ro` runs).
    if let Some(rd) = ok(
        "open.read-flag-dir",
        w.open_at(nofollow(), "open".into(), O::DIRECTORY, F::READ)
            .await,
    ) {
        ok_eq(
            "open.read-flag-dir.get-flags",
            rd.get_flags().await,
            F::READ,
        );
        if let Some(z) = ok(
            "open.read-flag-dir.open-at.create",
            rd.open_at(nofollow(), "z".into(), O::CREATE, F::READ).await,
        ) {
            ok_eq(
                "open.read-flag-dir.create.get-flags",
                z.get_flags().await,
                rw(),
            );
        }
        ok(
            "open.read-flag-dir.unlink-file-at",
            rd.unlink_file_at("z".into()).await,
        );
        ok(
            "open.read-flag-dir.create-directory-at",
            rd.create_directory_at("zd".into()).await,
        );
        ok(
            "open.read-flag-dir.remove-directory-at",
            rd.remove_directory_at("zd".into()).await,
        );
        if let Some(r) = open_read("open.read-flag-dir.open-at.read", &rd, "a").await {
            ok_bytes(
                "open.read-flag-dir.open-at.read.contents",
                contents(&r).await,
                b"After truncate\n",
            );
        }
        err(
            "open.read-flag-dir.nothing-left",
            d.stat_at(nofollow(), "z".into()).await.map(|s| s.size),
            E::NoEntry,
        );
    }
    let (v, r) = crate::io::list(&d).await;
    ok("open.final.read-directory.result", r);
    eq(
        "open.final.read-directory",
        v,
        vec![
            crate::io::entry("a", T::RegularFile),
            crate::io::entry("b", T::RegularFile),
        ],
    );
}
