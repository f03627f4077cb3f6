//! `stat`, `stat-at`, `set-size`, `set-times`, `set-times-at` (timestamp,
//! now, no-change; following a symlink or not), `get-type`, `get-flags`,
//! `sync`, `sync-data`, `advise`, `metadata-hash`, `metadata-hash-at`.
//! Leaves `WORK/meta/m` (`abc\0\0\0\0\0Z`, modified at 1 600 000 000 s) and
//! `WORK/meta/ml` → `m`.

use crate::check::{eq, err, ok, ok_bytes, ok_eq, truth};
use crate::io::{contents, write_at};
use crate::{create_with, dirf, mkdir, nofollow, open_read, rw, secs, ts, Cx, FOLLOW};
use wasip3::filesystem::types::{
    Advice, Descriptor, DescriptorType as T, ErrorCode as E, NewTimestamp,
};

/// The modification time `WORK/meta/m` is left with.
pub const M_MTIME: i64 = 1_600_000_000;

pub async fn run(cx: &Cx) {
    let Some(d) = mkdir(&cx.work, "meta").await else {
        return;
    };
    let Some(m) = create_with("meta.create", &d, "m", b"abcdef").await else {
        return;
    };
    basics(&d, &m).await;
    times(&d, &m).await;
    hashes(&d, &m).await;
    // Last: the times the test checks on the host.
    ok(
        "meta.final.set-times",
        m.set_times(ts(M_MTIME, 0), ts(M_MTIME, 0)).await,
    );
    ok_eq(
        "meta.final.mtime",
        d.stat_at(nofollow(), "m".into())
            .await
            .map(|s| secs(s.data_modification_timestamp)),
        Some((M_MTIME, 0)),
    );
}

async fn basics(d: &Descriptor, m: &Descriptor) {
    if let Some(st) = ok("meta.stat", m.stat().await) {
        eq("meta.stat.type", st.type_.clone(), T::RegularFile);
        eq("meta.stat.link-count", st.link_count, 1);
        eq("meta.stat.size", st.size, 6);
        truth(
            "meta.stat.mtime",
            st.data_modification_timestamp.is_some(),
            "a modification time",
            st,
        );
    }
    if let Some(st) = ok("meta.stat-at", d.stat_at(nofollow(), "m".into()).await) {
        eq("meta.stat-at.type", st.type_, T::RegularFile);
        eq("meta.stat-at.size", st.size, 6);
    }
    err(
        "meta.stat-at.missing",
        d.stat_at(nofollow(), "nope".into()).await.map(|s| s.size),
        E::NoEntry,
    );
    if let Some(st) = ok("meta.stat.dir", d.stat().await) {
        eq("meta.stat.dir.type", st.type_, T::Directory);
    }
    ok_eq("meta.get-type", m.get_type().await, T::RegularFile);
    ok_eq("meta.get-type.dir", d.get_type().await, T::Directory);
    ok_eq("meta.get-flags", m.get_flags().await, rw());
    ok_eq("meta.get-flags.dir", d.get_flags().await, dirf());
    // set-size: "If this increases the file's size, the extra bytes are
    // filled with zeros."
    ok("meta.set-size.shrink", m.set_size(3).await);
    ok_bytes("meta.set-size.shrink.contents", contents(m).await, b"abc");
    ok("meta.set-size.grow", m.set_size(8).await);
    ok_bytes(
        "meta.set-size.grow.contents",
        contents(m).await,
        b"abc\0\0\0\0\0",
    );
    ok_eq("meta.set-size.grow.size", m.stat().await.map(|s| s.size), 8);
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
        ok(&format!("meta.advise.{i}"), m.advise(0, 8, a).await);
    }
    ok("meta.sync", m.sync().await);
    ok("meta.sync-data", m.sync_data().await);
    ok("meta.sync.dir", d.sync().await);
    ok("meta.sync-data.dir", d.sync_data().await);
    ok_bytes("meta.unchanged", contents(m).await, b"abc\0\0\0\0\0");
}

async fn times_of(
    d: &Descriptor,
    follow: bool,
    name: &str,
) -> Result<(Option<(i64, u32)>, Option<(i64, u32)>), E> {
    let flags = if follow { FOLLOW } else { nofollow() };
    d.stat_at(flags, name.into()).await.map(|s| {
        (
            secs(s.data_access_timestamp),
            secs(s.data_modification_timestamp),
        )
    })
}

async fn times(d: &Descriptor, m: &Descriptor) {
    ok(
        "meta.set-times",
        m.set_times(ts(1_000_000_000, 500), ts(2_000_000_000, 0))
            .await,
    );
    ok_eq(
        "meta.set-times.stat",
        times_of(d, false, "m").await,
        (Some((1_000_000_000, 500)), Some((2_000_000_000, 0))),
    );
    // now / no-change
    ok(
        "meta.set-times.now",
        m.set_times(NewTimestamp::NoChange, NewTimestamp::Now).await,
    );
    let wall = wasip3::clocks::system_clock::now().seconds;
    let mut now_mtime = None;
    if let Some(st) = ok("meta.set-times.now.stat", m.stat().await) {
        eq(
            "meta.set-times.no-change",
            secs(st.data_access_timestamp),
            Some((1_000_000_000, 500)),
        );
        now_mtime = secs(st.data_modification_timestamp);
        let s = now_mtime.map(|t| t.0).unwrap_or(0);
        truth(
            "meta.set-times.now.mtime",
            (wall - 60..=wall + 60).contains(&s),
            "within a minute of the system clock",
            (s, wall),
        );
    }
    // set-times-at by path
    ok(
        "meta.set-times-at",
        d.set_times_at(
            nofollow(),
            "m".into(),
            ts(3_000_000_000, 7),
            NewTimestamp::NoChange,
        )
        .await,
    );
    ok_eq(
        "meta.set-times-at.stat",
        times_of(d, false, "m").await,
        (Some((3_000_000_000, 7)), now_mtime),
    );
    ok(
        "meta.set-times-at.now",
        d.set_times_at(
            nofollow(),
            "m".into(),
            NewTimestamp::Now,
            NewTimestamp::NoChange,
        )
        .await,
    );
    if let Some((a, m2)) = ok("meta.set-times-at.now.stat", times_of(d, false, "m").await) {
        let s = a.map(|t| t.0).unwrap_or(0);
        truth(
            "meta.set-times-at.now.atime",
            (wall - 60..=wall + 60).contains(&s),
            "within a minute of the system clock",
            (s, wall),
        );
        eq("meta.set-times-at.now.mtime-kept", m2, now_mtime);
    }
    err(
        "meta.set-times-at.missing",
        d.set_times_at(
            nofollow(),
            "nope".into(),
            NewTimestamp::Now,
            NewTimestamp::Now,
        )
        .await,
        E::NoEntry,
    );
    // Through a symlink: symlink-follow changes the target, no flag the
    // link itself.
    ok(
        "meta.symlink-at",
        d.symlink_at("m".into(), "ml".into()).await,
    );
    if let Some(st) = ok(
        "meta.stat-at.link.nofollow",
        d.stat_at(nofollow(), "ml".into()).await,
    ) {
        eq("meta.stat-at.link.nofollow.type", st.type_, T::SymbolicLink);
        eq("meta.stat-at.link.nofollow.size", st.size, 1);
    }
    if let Some(st) = ok(
        "meta.stat-at.link.follow",
        d.stat_at(FOLLOW, "ml".into()).await,
    ) {
        eq("meta.stat-at.link.follow.type", st.type_, T::RegularFile);
        eq("meta.stat-at.link.follow.size", st.size, 8);
    }
    ok(
        "meta.set-times-at.follow",
        d.set_times_at(
            FOLLOW,
            "ml".into(),
            NewTimestamp::NoChange,
            ts(1_700_000_000, 0),
        )
        .await,
    );
    ok_eq(
        "meta.set-times-at.follow.target",
        times_of(d, false, "m").await.map(|t| t.1),
        Some((1_700_000_000, 0)),
    );
    ok(
        "meta.set-times-at.nofollow-link",
        d.set_times_at(
            nofollow(),
            "ml".into(),
            NewTimestamp::NoChange,
            ts(1_500_000_000, 0),
        )
        .await,
    );
    ok_eq(
        "meta.set-times-at.nofollow-link.link",
        times_of(d, false, "ml").await.map(|t| t.1),
        Some((1_500_000_000, 0)),
    );
    ok_eq(
        "meta.set-times-at.nofollow-link.target-kept",
        times_of(d, true, "ml").await.map(|t| t.1),
        Some((1_700_000_000, 0)),
    );
    // Before the epoch: "{ -1 seconds, 999999999 nanoseconds } represents
    // the instant one nanosecond before the epoch" (wasi:clocks instant).
    ok(
        "meta.set-times.before-epoch",
        m.set_times(NewTimestamp::NoChange, ts(-1, 999_999_999))
            .await,
    );
    ok_eq(
        "meta.set-times.before-epoch.stat",
        times_of(d, false, "m").await.map(|t| t.1),
        Some((-1, 999_999_999)),
    );
    // By path, Warden's host backend cannot set an instant before the
    // epoch (its confined path resolution, cap-std, takes only later
    // ones): it must then say `invalid` and leave the time alone, never
    // set another one. The in-memory backend sets it.
    let before = times_of(d, false, "m").await.map(|t| t.1).ok();
    let r = d
        .set_times_at(
            nofollow(),
            "m".into(),
            NewTimestamp::NoChange,
            ts(-1_000_000_000, 5),
        )
        .await;
    let after = times_of(d, false, "m").await.map(|t| t.1).ok();
    let exact = matches!(r, Ok(())) && after == Some(Some((-1_000_000_000, 5)));
    let refused =
        matches!(r, Err(wasip3::filesystem::types::ErrorCode::Invalid)) && after == before;
    truth(
        "meta.set-times-at.before-epoch",
        exact || refused,
        "ok and mtime (-1000000000, 5), or invalid and mtime unchanged",
        (&r, &before, &after),
    );
    // A directory's times.
    ok(
        "meta.set-times.dir",
        d.set_times(ts(4_000_000_000, 0), ts(5_000_000_000, 0))
            .await,
    );
    ok_eq(
        "meta.set-times.dir.stat",
        d.stat().await.map(|s| {
            (
                secs(s.data_access_timestamp),
                secs(s.data_modification_timestamp),
            )
        }),
        (Some((4_000_000_000, 0)), Some((5_000_000_000, 0))),
    );
}

async fn hash_of(d: &Descriptor) -> Result<(u64, u64), E> {
    d.metadata_hash().await.map(|h| (h.lower, h.upper))
}

async fn hash_at(d: &Descriptor, follow: bool, name: &str) -> Result<(u64, u64), E> {
    let flags = if follow { FOLLOW } else { nofollow() };
    d.metadata_hash_at(flags, name.into())
        .await
        .map(|h| (h.lower, h.upper))
}

async fn hashes(d: &Descriptor, m: &Descriptor) {
    let Some(h) = ok("meta.metadata-hash", hash_of(m).await) else {
        return;
    };
    ok_eq("meta.metadata-hash.stable", hash_of(m).await, h);
    ok_eq(
        "meta.metadata-hash-at.same",
        hash_at(d, false, "m").await,
        h,
    );
    ok_eq(
        "meta.metadata-hash-at.follow",
        hash_at(d, true, "ml").await,
        h,
    );
    if let Some(r) = open_read("meta.metadata-hash.reopen", d, "m").await {
        ok_eq("meta.metadata-hash.other-descriptor", hash_of(&r).await, h);
    }
    let link = hash_at(d, false, "ml").await;
    truth(
        "meta.metadata-hash-at.nofollow",
        matches!(&link, Ok(l) if *l != h),
        "the link's own hash",
        link,
    );
    let dir = hash_of(d).await;
    truth(
        "meta.metadata-hash.dir",
        matches!(&dir, Ok(x) if *x != h),
        "another hash",
        dir,
    );
    err(
        "meta.metadata-hash-at.missing",
        hash_at(d, false, "nope").await,
        E::NoEntry,
    );
    // "If the object is modified or replaced, the computed hash value
    // should usually change": a write that grows it.
    ok("meta.metadata-hash.write", write_at(m, b"Z", 8).await);
    let after = hash_of(m).await;
    truth(
        "meta.metadata-hash.after-write",
        matches!(&after, Ok(x) if *x != h),
        "another hash",
        &after,
    );
    if let Ok(after) = after {
        ok_eq(
            "meta.metadata-hash-at.after-write",
            hash_at(d, false, "m").await,
            after,
        );
    }
}
