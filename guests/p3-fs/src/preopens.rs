//! `wasi:filesystem/preopens` and the read-only preopen `RO`.

use crate::check::{eq, err, ok, ok_bytes, ok_eq, read_ok, truth};
use crate::io::{contents, entry, list, write_at};
use crate::{dirf, nofollow, open_read, rw, ts, Cx, FOLLOW, RO_HELLO};
use wasip3::filesystem::preopens::get_directories;
use wasip3::filesystem::types::{
    DescriptorFlags as F, DescriptorType as T, ErrorCode as E, NewTimestamp, OpenFlags as O,
};

/// `get-directories`: exactly the two preopens, by name; `None` (after a
/// failed check) when one is missing.
pub fn find(work: &str, ro: &str) -> Option<Cx> {
    let dirs = get_directories();
    let mut names: Vec<String> = dirs.iter().map(|(_, n)| n.clone()).collect();
    names.sort();
    let mut want = vec![work.to_string(), ro.to_string()];
    want.sort();
    eq("preopens.names", names, want);
    let (mut w, mut r) = (None, None);
    for (d, name) in dirs {
        if name == work {
            w = Some(d);
        } else if name == ro {
            r = Some(d);
        }
    }
    let found = truth(
        "preopens.found",
        w.is_some() && r.is_some(),
        "both preopens",
        (w.is_some(), r.is_some()),
    );
    found.then(|| Cx {
        work: w.unwrap(),
        ro: r.unwrap(),
        work_name: work.to_string(),
        ro_name: ro.to_string(),
    })
}

/// Before anything is made: `WORK` is empty (and `.`/`..` are not listed).
pub async fn empty_at_start(cx: &Cx) {
    let (v, r) = list(&cx.work).await;
    ok("start.read-directory.result", r);
    eq("start.read-directory.empty", v, vec![]);
}

pub async fn run(cx: &Cx) {
    let (w, ro) = (&cx.work, &cx.ro);
    // Both are directories; WORK may be changed, RO may not ("When this
    // flag is unset ... shall fail with error-code::read-only").
    ok_eq("preopens.work.get-type", w.get_type().await, T::Directory);
    ok_eq("preopens.ro.get-type", ro.get_type().await, T::Directory);
    ok_eq(
        "preopens.work.stat.type",
        w.stat().await.map(|s| s.type_),
        T::Directory,
    );
    ok_eq(
        "preopens.ro.stat.type",
        ro.stat().await.map(|s| s.type_),
        T::Directory,
    );
    ok_eq("preopens.work.get-flags", w.get_flags().await, dirf());
    ok_eq("preopens.ro.get-flags", ro.get_flags().await, F::READ);
    eq(
        "preopens.is-same-object.distinct",
        w.is_same_object(ro).await,
        false,
    );
    // A second call hands out new descriptors for the same directories.
    for (d, name) in get_directories() {
        let same = if name == cx.work_name { w } else { ro };
        eq(
            &format!("preopens.again.{name}.is-same-object"),
            d.is_same_object(same).await,
            true,
        );
    }

    // RO's contents, exactly.
    let (v, r) = list(ro).await;
    ok("preopens.ro.read-directory.result", r);
    eq(
        "preopens.ro.read-directory",
        v,
        vec![
            entry("abs", T::SymbolicLink),
            entry("big.bin", T::RegularFile),
            entry("hello.txt", T::RegularFile),
            entry("link", T::SymbolicLink),
            entry("old.txt", T::RegularFile),
            entry("sub", T::Directory),
        ],
    );
    if let Some(h) = open_read("preopens.ro.open", ro, "hello.txt").await {
        ok_eq("preopens.ro.open.get-flags", h.get_flags().await, F::READ);
        ok_bytes("preopens.ro.open.contents", contents(&h).await, RO_HELLO);
        ok_eq(
            "preopens.ro.open.stat.size",
            h.stat().await.map(|s| s.size),
            RO_HELLO.len() as u64,
        );
        // A read-only descriptor: "bad descriptor", as for pwrite(2) on
        // a file not open for writing.
        err(
            "preopens.ro.open.write-via-stream",
            write_at(&h, b"x", 0).await,
            E::BadDescriptor,
        );
        err(
            "preopens.ro.open.set-times",
            h.set_times(NewTimestamp::Now, NewTimestamp::Now).await,
            E::ReadOnly,
        );
        ok("preopens.ro.open.sync", h.sync().await);
    }
    ok_eq(
        "preopens.ro.readlink-at",
        ro.readlink_at("link".into()).await,
        "hello.txt".to_string(),
    );
    if let Some(st) = ok(
        "preopens.ro.stat-at.nofollow",
        ro.stat_at(nofollow(), "link".into()).await,
    ) {
        eq(
            "preopens.ro.stat-at.nofollow.type",
            st.type_,
            T::SymbolicLink,
        );
        eq("preopens.ro.stat-at.nofollow.size", st.size, 9);
    }
    if let Some(st) = ok(
        "preopens.ro.stat-at.follow",
        ro.stat_at(FOLLOW, "link".into()).await,
    ) {
        eq("preopens.ro.stat-at.follow.type", st.type_, T::RegularFile);
        eq(
            "preopens.ro.stat-at.follow.size",
            st.size,
            RO_HELLO.len() as u64,
        );
    }
    // `abs` → `/etc/hostname`, made by the test: "If the contents contain
    // an absolute or rooted path in the underlying filesystem, this
    // function fails with error-code::not-permitted", and resolving
    // through it "reaches a symlink to an absolute or rooted path".
    err(
        "preopens.ro.readlink-at.absolute",
        ro.readlink_at("abs".into()).await,
        E::NotPermitted,
    );
    ok_eq(
        "preopens.ro.stat-at.absolute.nofollow",
        ro.stat_at(nofollow(), "abs".into()).await.map(|s| s.type_),
        T::SymbolicLink,
    );
    err(
        "preopens.ro.stat-at.absolute.follow",
        ro.stat_at(FOLLOW, "abs".into()).await.map(|s| s.size),
        E::NotPermitted,
    );
    err(
        "preopens.ro.open-at.absolute.follow",
        ro.open_at(FOLLOW, "abs".into(), O::empty(), F::READ)
            .await
            .map(|_| ()),
        E::NotPermitted,
    );
    // `old.txt` was last modified one nanosecond before the epoch: "{ -1
    // seconds, 999999999 nanoseconds } represents the instant one
    // nanosecond before the epoch".
    ok_eq(
        "preopens.ro.stat-at.before-epoch",
        ro.stat_at(nofollow(), "old.txt".into())
            .await
            .map(|s| crate::secs(s.data_modification_timestamp)),
        Some((-1, 999_999_999)),
    );
    if let Some(sub) = ok(
        "preopens.ro.open.sub",
        ro.open_at(nofollow(), "sub".into(), O::DIRECTORY, F::READ)
            .await,
    ) {
        ok_eq("preopens.ro.sub.get-flags", sub.get_flags().await, F::READ);
        let (v, r) = list(&sub).await;
        ok("preopens.ro.sub.read-directory.result", r);
        eq(
            "preopens.ro.sub.read-directory",
            v,
            vec![entry("inner.txt", T::RegularFile)],
        );
        if let Some(f) = open_read("preopens.ro.sub.open", &sub, "inner.txt").await {
            read_ok(
                "preopens.ro.sub.read",
                crate::io::read_from(&f, 0).await,
                b"inner\n",
            );
        }
        err(
            "preopens.ro.sub.create-directory-at",
            sub.create_directory_at("x".into()).await,
            E::ReadOnly,
        );
    }

    // "If flags contains write or mutate-directory, or open-flags contains
    // truncate or create, and the base descriptor doesn't have
    // mutate-directory set, open-at fails with error-code::read-only."
    err(
        "preopens.ro.open-at.write",
        ro.open_at(nofollow(), "hello.txt".into(), O::empty(), rw())
            .await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.open-at.write-only",
        ro.open_at(nofollow(), "hello.txt".into(), O::empty(), F::WRITE)
            .await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.open-at.create",
        ro.open_at(nofollow(), "new".into(), O::CREATE, F::READ)
            .await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.open-at.create-existing",
        ro.open_at(nofollow(), "hello.txt".into(), O::CREATE, F::READ)
            .await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.open-at.truncate",
        ro.open_at(nofollow(), "hello.txt".into(), O::TRUNCATE, F::READ)
            .await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.open-at.mutate-directory",
        ro.open_at(nofollow(), "sub".into(), O::DIRECTORY, dirf())
            .await,
        E::ReadOnly,
    );
    // "operations using the descriptor which would create, rename, delete,
    // modify the data or metadata of filesystem objects ... shall fail
    // with error-code::read-only"
    err(
        "preopens.ro.create-directory-at",
        ro.create_directory_at("newdir".into()).await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.unlink-file-at",
        ro.unlink_file_at("hello.txt".into()).await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.remove-directory-at",
        ro.remove_directory_at("sub".into()).await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.rename-at",
        ro.rename_at("hello.txt".into(), ro, "renamed".into()).await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.symlink-at",
        ro.symlink_at("hello.txt".into(), "l2".into()).await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.link-at",
        ro.link_at(nofollow(), "hello.txt".into(), ro, "h2".into())
            .await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.set-times-at",
        ro.set_times_at(nofollow(), "hello.txt".into(), ts(1, 0), ts(1, 0))
            .await,
        E::ReadOnly,
    );
    err(
        "preopens.ro.set-times",
        ro.set_times(ts(1, 0), ts(1, 0)).await,
        E::ReadOnly,
    );
    // Nothing changed.
    let (v, _) = list(ro).await;
    eq(
        "preopens.ro.unchanged",
        v.into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
        ["abs", "big.bin", "hello.txt", "link", "old.txt", "sub"]
            .map(String::from)
            .to_vec(),
    );
    ok_eq(
        "preopens.ro.unchanged.hello",
        ro.stat_at(nofollow(), "hello.txt".into())
            .await
            .map(|s| s.size),
        RO_HELLO.len() as u64,
    );
}
