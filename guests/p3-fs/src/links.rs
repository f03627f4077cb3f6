//! `symlink-at`, `readlink-at`, `stat-at` with and without symlink-follow,
//! `link-at`, `rename-at`, `is-same-object`. Leaves in `WORK/links`: `t`
//! (`target\n`), its hard link `h2`, `l` → `t`, `dang` → `nowhere`, and
//! `sd2/moved` (`r\n`).

use crate::check::{eq, err, ok, ok_bytes, ok_eq};
use crate::io::contents;
use crate::{create_with, dirf, mkdir, nofollow, open_read, rw, Cx, FOLLOW};
use wasip3::filesystem::types::{
    Descriptor, DescriptorFlags as F, DescriptorType as T, ErrorCode as E, OpenFlags as O,
};

pub async fn run(cx: &Cx) {
    let Some(d) = mkdir(&cx.work, "links").await else {
        return;
    };
    let Some(t) = create_with("links.create.t", &d, "t", b"target\n").await else {
        return;
    };
    symlinks(&d, &t).await;
    hard_links(&d, &t).await;
    renames(&d, &t).await;
    same_object(cx, &d, &t).await;
}

async fn symlinks(d: &Descriptor, t: &Descriptor) {
    ok(
        "links.symlink-at",
        d.symlink_at("t".into(), "l".into()).await,
    );
    err(
        "links.symlink-at.exists",
        d.symlink_at("t".into(), "l".into()).await,
        E::Exist,
    );
    err(
        "links.symlink-at.over-file",
        d.symlink_at("x".into(), "t".into()).await,
        E::Exist,
    );
    // "If old-path starts with /, the function fails with
    // error-code::not-permitted."
    err(
        "links.symlink-at.absolute",
        d.symlink_at("/etc/passwd".into(), "abs".into()).await,
        E::NotPermitted,
    );
    err(
        "links.symlink-at.absolute.not-made",
        d.stat_at(nofollow(), "abs".into()).await.map(|s| s.size),
        E::NoEntry,
    );
    ok_eq(
        "links.readlink-at",
        d.readlink_at("l".into()).await,
        "t".to_string(),
    );
    err(
        "links.readlink-at.not-a-link",
        d.readlink_at("t".into()).await,
        E::Invalid,
    );
    err(
        "links.readlink-at.missing",
        d.readlink_at("nope".into()).await,
        E::NoEntry,
    );
    err(
        "links.symlink-at.empty-target",
        d.symlink_at("".into(), "empty".into()).await,
        E::NoEntry,
    );
    // stat-at: the link itself ("For symbolic links, the length in bytes of
    // the pathname contained in the symbolic link"), or what it points to.
    if let Some(st) = ok(
        "links.stat-at.nofollow",
        d.stat_at(nofollow(), "l".into()).await,
    ) {
        eq("links.stat-at.nofollow.type", st.type_, T::SymbolicLink);
        eq("links.stat-at.nofollow.size", st.size, 1);
        eq("links.stat-at.nofollow.link-count", st.link_count, 1);
    }
    if let Some(st) = ok("links.stat-at.follow", d.stat_at(FOLLOW, "l".into()).await) {
        eq("links.stat-at.follow.type", st.type_, T::RegularFile);
        eq("links.stat-at.follow.size", st.size, 7);
    }
    if let Some(l) = ok(
        "links.open-at.follow",
        d.open_at(FOLLOW, "l".into(), O::empty(), F::READ).await,
    ) {
        ok_eq(
            "links.open-at.follow.get-type",
            l.get_type().await,
            T::RegularFile,
        );
        ok_bytes(
            "links.open-at.follow.contents",
            contents(&l).await,
            b"target\n",
        );
        eq(
            "links.open-at.follow.is-same-object",
            l.is_same_object(t).await,
            true,
        );
    }
    // O_NOFOLLOW on a symlink: ELOOP.
    err(
        "links.open-at.nofollow",
        d.open_at(nofollow(), "l".into(), O::empty(), F::READ)
            .await
            .map(|_| ()),
        E::Loop,
    );
    // A dangling link can be made and looked at, not followed.
    ok(
        "links.symlink-at.dangling",
        d.symlink_at("nowhere".into(), "dang".into()).await,
    );
    ok_eq(
        "links.stat-at.dangling.nofollow",
        d.stat_at(nofollow(), "dang".into()).await.map(|s| s.type_),
        T::SymbolicLink,
    );
    err(
        "links.stat-at.dangling.follow",
        d.stat_at(FOLLOW, "dang".into()).await.map(|s| s.size),
        E::NoEntry,
    );
    // "If O_CREAT and O_EXCL are set, and path names a symbolic link,
    // open() shall fail with [EEXIST], regardless of the contents of the
    // symbolic link" (POSIX) — the target is not created.
    err(
        "links.open-at.create-exclusive.dangling",
        d.open_at(FOLLOW, "dang".into(), O::CREATE | O::EXCLUSIVE, rw())
            .await
            .map(|_| ()),
        E::Exist,
    );
    err(
        "links.open-at.create-exclusive.dangling.not-made",
        d.stat_at(nofollow(), "nowhere".into())
            .await
            .map(|s| s.size),
        E::NoEntry,
    );
    // A link leading out of the base directory can be made, not followed
    // ("any step of resolving a path, including .. and symbolic link
    // steps, reaches a directory outside of the base directory").
    ok(
        "links.symlink-at.escaping",
        d.symlink_at("../../escape".into(), "out".into()).await,
    );
    err(
        "links.open-at.follow-escaping",
        d.open_at(FOLLOW, "out".into(), O::empty(), F::READ)
            .await
            .map(|_| ()),
        E::NotPermitted,
    );
    err(
        "links.stat-at.follow-escaping",
        d.stat_at(FOLLOW, "out".into()).await.map(|s| s.size),
        E::NotPermitted,
    );
    ok(
        "links.unlink-file-at.escaping",
        d.unlink_file_at("out".into()).await,
    );
    // A link to a directory: followed it is the directory; unlinking it
    // leaves the directory.
    ok(
        "links.create-directory-at.sd",
        d.create_directory_at("sd".into()).await,
    );
    ok(
        "links.symlink-at.dir",
        d.symlink_at("sd".into(), "lsd".into()).await,
    );
    ok_eq(
        "links.stat-at.dir-link.follow",
        d.stat_at(FOLLOW, "lsd".into()).await.map(|s| s.type_),
        T::Directory,
    );
    if let Some(sd) = ok(
        "links.open-at.dir-link.follow",
        d.open_at(FOLLOW, "lsd".into(), O::DIRECTORY, F::READ).await,
    ) {
        ok_eq(
            "links.open-at.dir-link.get-type",
            sd.get_type().await,
            T::Directory,
        );
    }
    ok(
        "links.unlink-file-at.dir-link",
        d.unlink_file_at("lsd".into()).await,
    );
    ok_eq(
        "links.unlink-file-at.dir-link.target-kept",
        d.stat_at(nofollow(), "sd".into()).await.map(|s| s.type_),
        T::Directory,
    );
}

async fn link_count(d: &Descriptor, name: &str) -> Result<u64, E> {
    d.stat_at(nofollow(), name.into())
        .await
        .map(|s| s.link_count)
}

async fn hard_links(d: &Descriptor, t: &Descriptor) {
    ok(
        "links.link-at",
        d.link_at(nofollow(), "t".into(), d, "h".into()).await,
    );
    ok_eq("links.link-at.link-count", link_count(d, "t").await, 2);
    ok_eq(
        "links.link-at.link-count.stat",
        t.stat().await.map(|s| s.link_count),
        2,
    );
    if let Some(h) = open_read("links.link-at.open", d, "h").await {
        eq(
            "links.link-at.is-same-object",
            h.is_same_object(t).await,
            true,
        );
        ok_bytes("links.link-at.contents", contents(&h).await, b"target\n");
    }
    // "Fails with error-code::no-entry if the old path does not exist, with
    // error-code::exist if the new path already exists, and
    // error-code::not-permitted if the old path is not a file."
    err(
        "links.link-at.missing",
        d.link_at(nofollow(), "nope".into(), d, "h3".into()).await,
        E::NoEntry,
    );
    err(
        "links.link-at.exists",
        d.link_at(nofollow(), "t".into(), d, "h".into()).await,
        E::Exist,
    );
    err(
        "links.link-at.directory",
        d.link_at(nofollow(), "sd".into(), d, "hd".into()).await,
        E::NotPermitted,
    );
    // symlink-follow: the new link is to the target, not to the symlink.
    ok(
        "links.link-at.follow",
        d.link_at(FOLLOW, "l".into(), d, "hf".into()).await,
    );
    ok_eq(
        "links.link-at.follow.type",
        d.stat_at(nofollow(), "hf".into()).await.map(|s| s.type_),
        T::RegularFile,
    );
    ok_eq(
        "links.link-at.follow.link-count",
        link_count(d, "t").await,
        3,
    );
    ok(
        "links.link-at.follow.unlink",
        d.unlink_file_at("hf".into()).await,
    );
    ok_eq(
        "links.link-at.unlink.link-count",
        link_count(d, "t").await,
        2,
    );
    // Into another directory descriptor.
    if let Some(sd) = ok(
        "links.open.sd",
        d.open_at(nofollow(), "sd".into(), O::DIRECTORY, dirf())
            .await,
    ) {
        ok(
            "links.link-at.other-dir",
            d.link_at(nofollow(), "t".into(), &sd, "t-link".into())
                .await,
        );
        ok_eq(
            "links.link-at.other-dir.link-count",
            link_count(&sd, "t-link").await,
            3,
        );
        ok(
            "links.link-at.other-dir.unlink",
            sd.unlink_file_at("t-link".into()).await,
        );
    }
}

async fn renames(d: &Descriptor, t: &Descriptor) {
    ok(
        "links.rename-at",
        d.rename_at("h".into(), d, "h2".into()).await,
    );
    err(
        "links.rename-at.old-gone",
        d.stat_at(nofollow(), "h".into()).await.map(|s| s.size),
        E::NoEntry,
    );
    ok_eq(
        "links.rename-at.new.link-count",
        link_count(d, "h2").await,
        2,
    );
    if let Some(h2) = open_read("links.rename-at.open", d, "h2").await {
        eq(
            "links.rename-at.is-same-object",
            h2.is_same_object(t).await,
            true,
        );
    }
    // Onto itself: nothing happens (rename(2): "If the old argument and
    // the new argument resolve to ... the same existing file, rename()
    // shall return successfully and perform no other action").
    ok(
        "links.rename-at.self",
        d.rename_at("t".into(), d, "t".into()).await,
    );
    ok(
        "links.rename-at.hard-link-pair",
        d.rename_at("t".into(), d, "h2".into()).await,
    );
    ok_eq(
        "links.rename-at.self.link-count",
        link_count(d, "t").await,
        2,
    );
    ok_eq(
        "links.rename-at.hard-link-pair.kept",
        link_count(d, "h2").await,
        2,
    );
    err(
        "links.rename-at.missing",
        d.rename_at("nope".into(), d, "x".into()).await,
        E::NoEntry,
    );
    // Over an existing file: replaces it; an open descriptor follows its file.
    let r = create_with("links.create.r", d, "r", b"r\n").await;
    create_with("links.create.victim", d, "victim", b"victim\n").await;
    ok(
        "links.rename-at.replace",
        d.rename_at("r".into(), d, "victim".into()).await,
    );
    if let Some(v) = open_read("links.rename-at.replace.open", d, "victim").await {
        ok_bytes(
            "links.rename-at.replace.contents",
            contents(&v).await,
            b"r\n",
        );
        if let Some(r) = &r {
            eq(
                "links.rename-at.descriptor-follows",
                r.is_same_object(&v).await,
                true,
            );
        }
    }
    // Into another directory.
    if let Some(sd) = ok(
        "links.rename-at.open-sd",
        d.open_at(nofollow(), "sd".into(), O::DIRECTORY, dirf())
            .await,
    ) {
        ok(
            "links.rename-at.other-dir",
            d.rename_at("victim".into(), &sd, "moved".into()).await,
        );
        ok_eq(
            "links.rename-at.other-dir.stat",
            sd.stat_at(nofollow(), "moved".into()).await.map(|s| s.size),
            2,
        );
    }
    // Directories.
    ok(
        "links.rename-at.dir",
        d.rename_at("sd".into(), d, "sd2".into()).await,
    );
    ok_eq(
        "links.rename-at.dir.moved",
        d.stat_at(nofollow(), "sd2/moved".into())
            .await
            .map(|s| s.size),
        2,
    );
    err(
        "links.rename-at.file-over-dir",
        d.rename_at("t".into(), d, "sd2".into()).await,
        E::IsDirectory,
    );
    err(
        "links.rename-at.dir-over-file",
        d.rename_at("sd2".into(), d, "t".into()).await,
        E::NotDirectory,
    );
    ok(
        "links.rename-at.empty-dir.setup",
        d.create_directory_at("ed".into()).await,
    );
    err(
        "links.rename-at.dir-over-nonempty-dir",
        d.rename_at("ed".into(), d, "sd2".into()).await,
        E::NotEmpty,
    );
    ok(
        "links.rename-at.empty-dir.remove",
        d.remove_directory_at("ed".into()).await,
    );
    // "The new directory pathname contains a path prefix that names the
    // old directory": EINVAL (rename(2)).
    err(
        "links.rename-at.into-itself",
        d.rename_at("sd2".into(), d, "sd2/inner".into()).await,
        E::Invalid,
    );
    err(
        "links.rename-at.escape",
        d.rename_at("t".into(), d, "../t".into()).await,
        E::NotPermitted,
    );
}

async fn same_object(cx: &Cx, d: &Descriptor, t: &Descriptor) {
    eq(
        "links.is-same-object.file-dir",
        t.is_same_object(d).await,
        false,
    );
    eq("links.is-same-object.self", t.is_same_object(t).await, true);
    if let Some(dot) = ok(
        "links.is-same-object.open-dot",
        d.open_at(nofollow(), ".".into(), O::DIRECTORY, F::READ)
            .await,
    ) {
        eq(
            "links.is-same-object.dot",
            dot.is_same_object(d).await,
            true,
        );
    }
    if let Some(l) = ok(
        "links.is-same-object.open-via-work",
        cx.work
            .open_at(nofollow(), "links".into(), O::DIRECTORY, F::READ)
            .await,
    ) {
        eq(
            "links.is-same-object.via-work",
            l.is_same_object(d).await,
            true,
        );
        eq(
            "links.is-same-object.not-work",
            l.is_same_object(&cx.work).await,
            false,
        );
    }
    let (v, r) = crate::io::list(d).await;
    ok("links.final.read-directory.result", r);
    eq(
        "links.final.read-directory",
        v,
        vec![
            crate::io::entry("dang", T::SymbolicLink),
            crate::io::entry("h2", T::RegularFile),
            crate::io::entry("l", T::SymbolicLink),
            crate::io::entry("sd2", T::Directory),
            crate::io::entry("t", T::RegularFile),
        ],
    );
}
