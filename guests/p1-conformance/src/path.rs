//! path_create_directory, path_filestat_get, path_filestat_set_times,
//! path_link, path_open, path_readlink, path_remove_directory, path_rename,
//! path_symlink, path_unlink_file.

use crate::check::{self, close, exists, filestat, open, ALL_RIGHTS, DIR_RIGHTS, FILE_RIGHTS, OOB};
use crate::fd::read_file;
use crate::ROOT;
use wasi::wasi_snapshot_preview1 as raw;
use wasi::Errno;

const FOLLOW: wasi::Lookupflags = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;

pub fn run() {
    setup();
    create_directory();
    filestat_get();
    names();
    open_flags();
    symlinks();
    links();
    renames();
    unlinks();
    remove_directories();
    set_times();
    rights_needed();
    faults();
}

fn setup() {
    check::ok("path.setup.mkdir", unsafe {
        wasi::path_create_directory(ROOT, "p_d")
    });
    check::make_file(ROOT, "p_f", b"hello");
}

fn kind(path: &str, follow: bool) -> Result<u8, Errno> {
    filestat(ROOT, path, follow).map(|s| s.filetype.raw())
}

fn create_directory() {
    unsafe {
        check::err(
            "path_create_directory.exist",
            wasi::ERRNO_EXIST,
            wasi::path_create_directory(ROOT, "p_d"),
        );
        check::err(
            "path_create_directory.over_file",
            wasi::ERRNO_EXIST,
            wasi::path_create_directory(ROOT, "p_f"),
        );
        check::ok(
            "path_create_directory.nested",
            wasi::path_create_directory(ROOT, "p_d/sub"),
        );
        check::ok(
            "path_create_directory.trailing_slash",
            wasi::path_create_directory(ROOT, "p_d/sub2/"),
        );
        check::ok_eq(
            "path_create_directory.nested.kind",
            wasi::FILETYPE_DIRECTORY.raw(),
            kind("p_d/sub2", false),
        );
        check::err(
            "path_create_directory.parent_missing",
            wasi::ERRNO_NOENT,
            wasi::path_create_directory(ROOT, "p_nodir/sub"),
        );
        check::err(
            "path_create_directory.parent_file",
            wasi::ERRNO_NOTDIR,
            wasi::path_create_directory(ROOT, "p_f/sub"),
        );
        check::err(
            "path_create_directory.empty",
            wasi::ERRNO_NOENT,
            wasi::path_create_directory(ROOT, ""),
        );
        check::err(
            "path_create_directory.dot",
            wasi::ERRNO_EXIST,
            wasi::path_create_directory(ROOT, "."),
        );
    }
}

fn filestat_get() {
    if let Some(st) = check::ok("path_filestat_get.file", filestat(ROOT, "p_f", false)) {
        check::ftype(
            "path_filestat_get.file.filetype",
            wasi::FILETYPE_REGULAR_FILE,
            st.filetype,
        );
        check::eq("path_filestat_get.file.size", 5u64, st.size);
        check::eq("path_filestat_get.file.nlink", 1u64, st.nlink);
    }
    if let Some(st) = check::ok("path_filestat_get.dir", filestat(ROOT, "p_d", false)) {
        check::ftype(
            "path_filestat_get.dir.filetype",
            wasi::FILETYPE_DIRECTORY,
            st.filetype,
        );
    }
    if let Some(st) = check::ok("path_filestat_get.dot", filestat(ROOT, ".", false)) {
        let root = unsafe { wasi::fd_filestat_get(ROOT) };
        check::ok_eq("path_filestat_get.dot.ino", st.ino, root.map(|r| r.ino));
    }
    check::ok_eq(
        "path_filestat_get.dotdot_inside",
        wasi::FILETYPE_REGULAR_FILE.raw(),
        kind("p_d/../p_f", false),
    );
    check::ok_eq(
        "path_filestat_get.dir_trailing_slash",
        wasi::FILETYPE_DIRECTORY.raw(),
        kind("p_d/", false),
    );
    check::err(
        "path_filestat_get.noent",
        wasi::ERRNO_NOENT,
        filestat(ROOT, "p_nope", false),
    );
    check::err(
        "path_filestat_get.noent_nested",
        wasi::ERRNO_NOENT,
        filestat(ROOT, "p_d/nope/x", false),
    );
    check::err(
        "path_filestat_get.file_trailing_slash",
        wasi::ERRNO_NOTDIR,
        filestat(ROOT, "p_f/", false),
    );
    check::err(
        "path_filestat_get.file_as_dir",
        wasi::ERRNO_NOTDIR,
        filestat(ROOT, "p_f/x", false),
    );
}

/// Name-level errors: empty, NUL, too long; boundaries that still work.
fn names() {
    check::err("path.empty", wasi::ERRNO_NOENT, filestat(ROOT, "", false));
    check::err(
        "path.nul",
        wasi::ERRNO_ILSEQ,
        filestat(ROOT, "p_\0f", false),
    );
    check::err_fd(
        "path.nul_open",
        wasi::ERRNO_ILSEQ,
        open(ROOT, "p_f\0", 0, wasi::RIGHTS_FD_READ),
    );
    check::err("path.nul_mkdir", wasi::ERRNO_ILSEQ, unsafe {
        wasi::path_create_directory(ROOT, "p_\0x")
    });
    check::truth(
        "path.nul_mkdir.nothing",
        !exists(ROOT, "p_"),
        "no p_",
        "p_ exists",
    );
    let c255 = "n".repeat(255);
    let c256 = "n".repeat(256);
    check::err(
        "path.component_255_noent",
        wasi::ERRNO_NOENT,
        filestat(ROOT, &c255, false),
    );
    check::err(
        "path.component_256",
        wasi::ERRNO_NAMETOOLONG,
        filestat(ROOT, &c256, false),
    );
    check::err(
        "path.component_256_nested",
        wasi::ERRNO_NAMETOOLONG,
        filestat(ROOT, &format!("p_d/{c256}/x"), false),
    );
    check::err_fd(
        "path.component_256_create",
        wasi::ERRNO_NAMETOOLONG,
        open(ROOT, &c256, wasi::OFLAGS_CREAT, FILE_RIGHTS),
    );
    if let Some(fd) = check::ok(
        "path.component_255_create",
        open(ROOT, &c255, wasi::OFLAGS_CREAT, FILE_RIGHTS),
    ) {
        close(fd);
        check::ok("path.component_255_unlink", unsafe {
            wasi::path_unlink_file(ROOT, &c255)
        });
    }
    // 2046 * "./" + "p_f" is 4095 bytes: allowed. One more "./": too long.
    let p4095 = format!("{}p_f", "./".repeat(2046));
    let p4097 = format!("{}p_f", "./".repeat(2047));
    check::eq("path.len_4095.len", 4095, p4095.len());
    check::ok_eq(
        "path.len_4095",
        wasi::FILETYPE_REGULAR_FILE.raw(),
        kind(&p4095, false),
    );
    check::err(
        "path.len_4097",
        wasi::ERRNO_NAMETOOLONG,
        filestat(ROOT, &p4097, false),
    );
    let long_missing = "a/".repeat(2100);
    check::err(
        "path.len_4200_missing",
        wasi::ERRNO_NAMETOOLONG,
        filestat(ROOT, &long_missing, false),
    );
}

fn open_flags() {
    unsafe {
        check::err_fd(
            "path_open.noent",
            wasi::ERRNO_NOENT,
            open(ROOT, "p_nope", 0, wasi::RIGHTS_FD_READ),
        );
        check::err_fd(
            "path_open.creat_excl_exist",
            wasi::ERRNO_EXIST,
            open(
                ROOT,
                "p_f",
                wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL,
                FILE_RIGHTS,
            ),
        );
        check::err_fd(
            "path_open.creat_excl_dir",
            wasi::ERRNO_EXIST,
            open(
                ROOT,
                "p_d",
                wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL,
                FILE_RIGHTS,
            ),
        );
        check::err_fd(
            "path_open.directory_on_file",
            wasi::ERRNO_NOTDIR,
            open(ROOT, "p_f", wasi::OFLAGS_DIRECTORY, wasi::RIGHTS_FD_READ),
        );
        check::err_fd(
            "path_open.file_trailing_slash",
            wasi::ERRNO_NOTDIR,
            open(ROOT, "p_f/", 0, wasi::RIGHTS_FD_READ),
        );
        check::err_fd(
            "path_open.creat_on_dir",
            wasi::ERRNO_ISDIR,
            open(ROOT, "p_d", wasi::OFLAGS_CREAT, wasi::RIGHTS_FD_READ),
        );
        check::err_fd(
            "path_open.creat_parent_missing",
            wasi::ERRNO_NOENT,
            open(ROOT, "p_nodir/x", wasi::OFLAGS_CREAT, FILE_RIGHTS),
        );
        check::err_fd(
            "path_open.creat_parent_file",
            wasi::ERRNO_NOTDIR,
            open(ROOT, "p_f/x", wasi::OFLAGS_CREAT, FILE_RIGHTS),
        );
        check::err_fd(
            "path_open.empty",
            wasi::ERRNO_NOENT,
            open(ROOT, "", 0, wasi::RIGHTS_FD_READ),
        );
        check::err_fd(
            "path_open.dotdot_escape",
            wasi::ERRNO_PERM,
            open(ROOT, "../x", 0, wasi::RIGHTS_FD_READ),
        );
        check::err_fd(
            "path_open.absolute",
            wasi::ERRNO_PERM,
            open(ROOT, "/p_f", 0, wasi::RIGHTS_FD_READ),
        );
        check::err_fd(
            "path_open.nested_escape",
            wasi::ERRNO_PERM,
            open(ROOT, "p_d/../../p_f", 0, wasi::RIGHTS_FD_READ),
        );

        // A directory opened without oflags::directory, with every directory
        // right plus file read rights: rights that do not apply are dropped.
        // (Write-type file rights are left out: whether they are dropped or
        // make the open fail with isdir, as O_RDWR would, is left open.)
        let base = DIR_RIGHTS | wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK | wasi::RIGHTS_FD_TELL;
        if let Some(d) = check::ok(
            "path_open.dir_plain",
            wasi::path_open(ROOT, 0, "p_d", 0, base, ALL_RIGHTS, 0),
        ) {
            if let Ok(st) = wasi::fd_fdstat_get(d) {
                check::ftype(
                    "path_open.dir_plain.filetype",
                    wasi::FILETYPE_DIRECTORY,
                    st.fs_filetype,
                );
                check::rights_eq("path_open.dir_plain.base", DIR_RIGHTS, st.fs_rights_base);
            }
            check::ok_eq(
                "path_open.dir_plain.usable",
                wasi::FILETYPE_DIRECTORY.raw(),
                filestat(d, "sub", false).map(|s| s.filetype.raw()),
            );
            close(d);
        }
        if let Some(d) = check::ok(
            "path_open.dotdot_inside",
            check::open_dir(ROOT, "p_d/..", DIR_RIGHTS, ALL_RIGHTS),
        ) {
            check::ok_eq(
                "path_open.dotdot_inside.is_root",
                wasi::FILETYPE_REGULAR_FILE.raw(),
                filestat(d, "p_f", false).map(|s| s.filetype.raw()),
            );
            close(d);
        }

        // creat makes an empty file; trunc empties an existing one.
        if let Some(fd) = check::ok(
            "path_open.creat",
            open(ROOT, "p_new", wasi::OFLAGS_CREAT, FILE_RIGHTS),
        ) {
            check::ok_eq(
                "path_open.creat.size",
                0,
                wasi::fd_filestat_get(fd).map(|s| s.size),
            );
            check::ok_eq("path_open.creat.write", 3, check::write_all(fd, b"abc"));
            close(fd);
        }
        if let Some(fd) = check::ok(
            "path_open.creat_existing",
            open(ROOT, "p_new", wasi::OFLAGS_CREAT, FILE_RIGHTS),
        ) {
            check::ok_eq(
                "path_open.creat_existing.kept",
                3,
                wasi::fd_filestat_get(fd).map(|s| s.size),
            );
            close(fd);
        }
        if let Some(fd) = check::ok(
            "path_open.trunc",
            open(
                ROOT,
                "p_new",
                wasi::OFLAGS_TRUNC,
                wasi::RIGHTS_FD_WRITE | wasi::RIGHTS_FD_FILESTAT_GET,
            ),
        ) {
            check::ok_eq(
                "path_open.trunc.size",
                0,
                wasi::fd_filestat_get(fd).map(|s| s.size),
            );
            close(fd);
        }
        check::ok("path_open.cleanup", wasi::path_unlink_file(ROOT, "p_new"));
    }
}

fn readlink(dir: wasi::Fd, path: &str, len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0xeeu8; len + 1];
    let n = unsafe { wasi::path_readlink(dir, path, buf.as_mut_ptr(), len) }?;
    if buf[len] != 0xee {
        return Ok(b"<overrun>".to_vec());
    }
    buf.truncate(n);
    Ok(buf)
}

fn symlinks() {
    unsafe {
        check::ok("path_symlink", wasi::path_symlink("p_f", ROOT, "p_ln"));
        check::err(
            "path_symlink.exist",
            wasi::ERRNO_EXIST,
            wasi::path_symlink("p_f", ROOT, "p_ln"),
        );
        check::err(
            "path_symlink.over_file",
            wasi::ERRNO_EXIST,
            wasi::path_symlink("x", ROOT, "p_f"),
        );
        check::err(
            "path_symlink.over_dir",
            wasi::ERRNO_EXIST,
            wasi::path_symlink("x", ROOT, "p_d"),
        );
        check::err(
            "path_symlink.parent_missing",
            wasi::ERRNO_NOENT,
            wasi::path_symlink("x", ROOT, "p_nodir/l"),
        );
        check::err(
            "path_symlink.empty_new",
            wasi::ERRNO_NOENT,
            wasi::path_symlink("x", ROOT, ""),
        );
    }
    check::ok_eq("path_readlink", b"p_f".to_vec(), readlink(ROOT, "p_ln", 64));
    check::ok_eq(
        "path_readlink.exact_buf",
        b"p_f".to_vec(),
        readlink(ROOT, "p_ln", 3),
    );
    check::ok_eq(
        "path_readlink.truncated",
        b"p_".to_vec(),
        readlink(ROOT, "p_ln", 2),
    );
    check::err(
        "path_readlink.file",
        wasi::ERRNO_INVAL,
        readlink(ROOT, "p_f", 64),
    );
    check::err(
        "path_readlink.dir",
        wasi::ERRNO_INVAL,
        readlink(ROOT, "p_d", 64),
    );
    check::err(
        "path_readlink.noent",
        wasi::ERRNO_NOENT,
        readlink(ROOT, "p_nope", 64),
    );

    if let Some(st) = check::ok(
        "path_filestat_get.symlink_nofollow",
        filestat(ROOT, "p_ln", false),
    ) {
        check::ftype(
            "path_filestat_get.symlink_nofollow.filetype",
            wasi::FILETYPE_SYMBOLIC_LINK,
            st.filetype,
        );
        check::eq("path_filestat_get.symlink_nofollow.size", 3u64, st.size);
    }
    if let Some(st) = check::ok(
        "path_filestat_get.symlink_follow",
        filestat(ROOT, "p_ln", true),
    ) {
        check::ftype(
            "path_filestat_get.symlink_follow.filetype",
            wasi::FILETYPE_REGULAR_FILE,
            st.filetype,
        );
        check::eq("path_filestat_get.symlink_follow.size", 5u64, st.size);
    }
    unsafe {
        if let Some(fd) = check::ok(
            "path_open.symlink_follow",
            wasi::path_open(
                ROOT,
                FOLLOW,
                "p_ln",
                0,
                wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK,
                0,
                0,
            ),
        ) {
            check::ok_eq(
                "path_open.symlink_follow.data",
                b"hello".to_vec(),
                check::pread_vec(fd, 64, 0),
            );
            close(fd);
        }
        check::err_fd(
            "path_open.symlink_nofollow",
            wasi::ERRNO_LOOP,
            wasi::path_open(ROOT, 0, "p_ln", 0, wasi::RIGHTS_FD_READ, 0, 0),
        );
        check::err_fd(
            "path_open.symlink_nofollow_directory",
            wasi::ERRNO_NOTDIR,
            wasi::path_open(
                ROOT,
                0,
                "p_ln",
                wasi::OFLAGS_DIRECTORY,
                wasi::RIGHTS_FD_READ,
                0,
                0,
            ),
        );
        check::err_fd(
            "path_open.symlink_creat_excl",
            wasi::ERRNO_EXIST,
            wasi::path_open(
                ROOT,
                FOLLOW,
                "p_ln",
                wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL,
                FILE_RIGHTS,
                0,
                0,
            ),
        );

        // A symlink to a directory, followed in the middle of a path.
        check::ok(
            "path_symlink.to_dir",
            wasi::path_symlink("p_d", ROOT, "p_dl"),
        );
        check::ok_eq(
            "path.through_dir_symlink",
            wasi::FILETYPE_DIRECTORY.raw(),
            kind("p_dl/sub", false),
        );
        check::ok_eq(
            "path.dir_symlink_trailing_slash",
            wasi::FILETYPE_DIRECTORY.raw(),
            kind("p_dl/", false),
        );
        if let Some(d) = check::ok(
            "path_open.dir_symlink_follow",
            wasi::path_open(
                ROOT,
                FOLLOW,
                "p_dl",
                wasi::OFLAGS_DIRECTORY,
                DIR_RIGHTS,
                ALL_RIGHTS,
                0,
            ),
        ) {
            check::ok_eq(
                "path_open.dir_symlink_follow.usable",
                wasi::FILETYPE_DIRECTORY.raw(),
                filestat(d, "sub", false).map(|s| s.filetype.raw()),
            );
            close(d);
        }
        // Relative targets resolve from the link's own directory.
        check::ok(
            "path_symlink.relative_nested",
            wasi::path_symlink("../p_f", ROOT, "p_d/up"),
        );
        check::ok_eq(
            "path.relative_nested",
            wasi::FILETYPE_REGULAR_FILE.raw(),
            kind("p_d/up", true),
        );
        check::ok_eq(
            "path_readlink.relative_nested",
            b"../p_f".to_vec(),
            readlink(ROOT, "p_d/up", 64),
        );

        // Dangling links.
        check::ok(
            "path_symlink.dangling",
            wasi::path_symlink("p_nowhere", ROOT, "p_dang"),
        );
        check::err(
            "path_filestat_get.dangling_follow",
            wasi::ERRNO_NOENT,
            filestat(ROOT, "p_dang", true),
        );
        check::ok_eq(
            "path_filestat_get.dangling_nofollow",
            wasi::FILETYPE_SYMBOLIC_LINK.raw(),
            kind("p_dang", false),
        );
        check::err_fd(
            "path_open.dangling_creat_excl",
            wasi::ERRNO_EXIST,
            wasi::path_open(
                ROOT,
                FOLLOW,
                "p_dang",
                wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL,
                FILE_RIGHTS,
                0,
                0,
            ),
        );
        check::truth(
            "path_open.dangling_creat_excl.nothing",
            !exists(ROOT, "p_nowhere"),
            "no p_nowhere",
            "created",
        );

        // Loops.
        check::ok(
            "path_symlink.loop1",
            wasi::path_symlink("p_loop2", ROOT, "p_loop1"),
        );
        check::ok(
            "path_symlink.loop2",
            wasi::path_symlink("p_loop1", ROOT, "p_loop2"),
        );
        check::ok(
            "path_symlink.self",
            wasi::path_symlink("p_self", ROOT, "p_self"),
        );
        check::err(
            "path_filestat_get.loop",
            wasi::ERRNO_LOOP,
            filestat(ROOT, "p_loop1", true),
        );
        check::err(
            "path_filestat_get.self_loop",
            wasi::ERRNO_LOOP,
            filestat(ROOT, "p_self", true),
        );
        check::err_fd(
            "path_open.loop",
            wasi::ERRNO_LOOP,
            wasi::path_open(ROOT, FOLLOW, "p_loop1", 0, wasi::RIGHTS_FD_READ, 0, 0),
        );
        check::err(
            "path.loop_in_middle",
            wasi::ERRNO_LOOP,
            filestat(ROOT, "p_loop1/x", false),
        );
        check::ok_eq(
            "path_readlink.loop",
            b"p_loop2".to_vec(),
            readlink(ROOT, "p_loop1", 64),
        );
        // A chain of 40 links resolves; the 41st is one too many.
        for i in 0..41 {
            let target = if i == 0 {
                "p_f".to_string()
            } else {
                format!("p_chain{}", i - 1)
            };
            let _ = wasi::path_symlink(&target, ROOT, &format!("p_chain{i}"));
        }
        check::ok_eq(
            "path.chain_40",
            wasi::FILETYPE_REGULAR_FILE.raw(),
            kind("p_chain39", true),
        );
        check::err(
            "path.chain_41",
            wasi::ERRNO_LOOP,
            filestat(ROOT, "p_chain40", true),
        );
        for i in 0..41 {
            let _ = wasi::path_unlink_file(ROOT, &format!("p_chain{i}"));
        }
    }
}

fn links() {
    unsafe {
        let ino = filestat(ROOT, "p_f", false).map(|s| s.ino).ok();
        check::ok("path_link", wasi::path_link(ROOT, 0, "p_f", ROOT, "p_hard"));
        if let Some(st) = check::ok("path_link.stat", filestat(ROOT, "p_hard", false)) {
            check::eq("path_link.same_ino", ino, Some(st.ino));
            check::eq("path_link.nlink", 2u64, st.nlink);
        }
        check::ok_eq(
            "path_link.source_nlink",
            2,
            filestat(ROOT, "p_f", false).map(|s| s.nlink),
        );
        check::ok_eq("path_link.data", b"hello".to_vec(), read_file("p_hard"));
        check::err(
            "path_link.exist",
            wasi::ERRNO_EXIST,
            wasi::path_link(ROOT, 0, "p_f", ROOT, "p_hard"),
        );
        check::err(
            "path_link.over_dir",
            wasi::ERRNO_EXIST,
            wasi::path_link(ROOT, 0, "p_f", ROOT, "p_d"),
        );
        check::err(
            "path_link.noent",
            wasi::ERRNO_NOENT,
            wasi::path_link(ROOT, 0, "p_nope", ROOT, "p_h2"),
        );
        check::err(
            "path_link.dir",
            wasi::ERRNO_PERM,
            wasi::path_link(ROOT, 0, "p_d", ROOT, "p_h2"),
        );
        check::err(
            "path_link.target_parent_missing",
            wasi::ERRNO_NOENT,
            wasi::path_link(ROOT, 0, "p_f", ROOT, "p_nodir/h"),
        );
        check::err(
            "path_link.source_trailing_slash",
            wasi::ERRNO_NOTDIR,
            wasi::path_link(ROOT, 0, "p_f/", ROOT, "p_h2"),
        );
        check::truth(
            "path_link.errors.nothing",
            !exists(ROOT, "p_h2"),
            "no p_h2",
            "created",
        );

        // Into another directory, through another descriptor.
        if let Some(d) = check::ok(
            "path_link.open_dir",
            check::open_dir(ROOT, "p_d", DIR_RIGHTS, ALL_RIGHTS),
        ) {
            check::ok(
                "path_link.other_dir",
                wasi::path_link(ROOT, 0, "p_f", d, "h3"),
            );
            check::ok_eq(
                "path_link.other_dir.nlink",
                3,
                filestat(ROOT, "p_f", false).map(|s| s.nlink),
            );
            check::ok(
                "path_unlink_file.other_dir",
                wasi::path_unlink_file(d, "h3"),
            );
            close(d);
        }
        check::ok_eq(
            "path_unlink_file.nlink_drops",
            2,
            filestat(ROOT, "p_f", false).map(|s| s.nlink),
        );

        // symlink_follow set: link to the target; unset: to the link itself.
        check::ok(
            "path_link.follow",
            wasi::path_link(ROOT, FOLLOW, "p_ln", ROOT, "p_hard_f"),
        );
        if let Ok(st) = filestat(ROOT, "p_hard_f", false) {
            check::ftype(
                "path_link.follow.filetype",
                wasi::FILETYPE_REGULAR_FILE,
                st.filetype,
            );
            check::eq("path_link.follow.ino", ino, Some(st.ino));
        }
        check::ok(
            "path_link.nofollow",
            wasi::path_link(ROOT, 0, "p_ln", ROOT, "p_hard_l"),
        );
        if let Ok(st) = filestat(ROOT, "p_hard_l", false) {
            check::ftype(
                "path_link.nofollow.filetype",
                wasi::FILETYPE_SYMBOLIC_LINK,
                st.filetype,
            );
        }
        let _ = wasi::path_unlink_file(ROOT, "p_hard_f");
        let _ = wasi::path_unlink_file(ROOT, "p_hard_l");
    }
}

fn renames() {
    check::make_file(ROOT, "p_r1", b"one");
    check::make_file(ROOT, "p_r2", b"two");
    unsafe {
        let ino = filestat(ROOT, "p_r1", false).map(|s| s.ino).ok();
        check::ok(
            "path_rename.file",
            wasi::path_rename(ROOT, "p_r1", ROOT, "p_r3"),
        );
        check::truth(
            "path_rename.file.old_gone",
            !exists(ROOT, "p_r1"),
            "p_r1 gone",
            "still there",
        );
        check::ok_eq("path_rename.file.data", b"one".to_vec(), read_file("p_r3"));
        check::eq(
            "path_rename.file.ino_kept",
            ino,
            filestat(ROOT, "p_r3", false).map(|s| s.ino).ok(),
        );
        check::ok(
            "path_rename.replace_file",
            wasi::path_rename(ROOT, "p_r3", ROOT, "p_r2"),
        );
        check::ok_eq(
            "path_rename.replace_file.data",
            b"one".to_vec(),
            read_file("p_r2"),
        );
        check::truth(
            "path_rename.replace_file.old_gone",
            !exists(ROOT, "p_r3"),
            "p_r3 gone",
            "still there",
        );
        check::ok(
            "path_rename.same_name",
            wasi::path_rename(ROOT, "p_r2", ROOT, "p_r2"),
        );
        check::ok_eq(
            "path_rename.same_name.kept",
            b"one".to_vec(),
            read_file("p_r2"),
        );
        check::err(
            "path_rename.noent",
            wasi::ERRNO_NOENT,
            wasi::path_rename(ROOT, "p_nope", ROOT, "p_r4"),
        );
        check::err(
            "path_rename.target_parent_missing",
            wasi::ERRNO_NOENT,
            wasi::path_rename(ROOT, "p_r2", ROOT, "p_nodir/x"),
        );
        check::err(
            "path_rename.file_trailing_slash",
            wasi::ERRNO_NOTDIR,
            wasi::path_rename(ROOT, "p_r2/", ROOT, "p_r4"),
        );

        // Directories.
        check::ok(
            "path_rename.setup.mkdir_a",
            wasi::path_create_directory(ROOT, "p_ra"),
        );
        check::ok(
            "path_rename.setup.mkdir_b",
            wasi::path_create_directory(ROOT, "p_rb"),
        );
        check::ok(
            "path_rename.setup.mkdir_full",
            wasi::path_create_directory(ROOT, "p_rfull"),
        );
        check::make_file(ROOT, "p_ra/inner", b"in");
        check::make_file(ROOT, "p_rfull/x", b"x");
        check::ok(
            "path_rename.dir_over_empty_dir",
            wasi::path_rename(ROOT, "p_ra", ROOT, "p_rb"),
        );
        check::ok_eq(
            "path_rename.dir.content_moved",
            b"in".to_vec(),
            read_file("p_rb/inner"),
        );
        check::truth(
            "path_rename.dir.old_gone",
            !exists(ROOT, "p_ra"),
            "p_ra gone",
            "still there",
        );
        check::err(
            "path_rename.dir_over_nonempty",
            wasi::ERRNO_NOTEMPTY,
            wasi::path_rename(ROOT, "p_rb", ROOT, "p_rfull"),
        );
        check::err(
            "path_rename.dir_over_file",
            wasi::ERRNO_NOTDIR,
            wasi::path_rename(ROOT, "p_rb", ROOT, "p_r2"),
        );
        check::err(
            "path_rename.file_over_dir",
            wasi::ERRNO_ISDIR,
            wasi::path_rename(ROOT, "p_r2", ROOT, "p_rb"),
        );
        check::err(
            "path_rename.dir_into_itself",
            wasi::ERRNO_INVAL,
            wasi::path_rename(ROOT, "p_rb", ROOT, "p_rb/sub"),
        );
        check::ok(
            "path_rename.dir_trailing_slash",
            wasi::path_rename(ROOT, "p_rb/", ROOT, "p_rc/"),
        );
        check::ok_eq(
            "path_rename.dir_trailing_slash.moved",
            b"in".to_vec(),
            read_file("p_rc/inner"),
        );

        // Across descriptors.
        if let Some(d) = check::ok(
            "path_rename.open_dir",
            check::open_dir(ROOT, "p_rc", DIR_RIGHTS, ALL_RIGHTS),
        ) {
            check::ok(
                "path_rename.across_fds",
                wasi::path_rename(ROOT, "p_r2", d, "moved"),
            );
            check::ok_eq(
                "path_rename.across_fds.data",
                b"one".to_vec(),
                read_file("p_rc/moved"),
            );
            check::ok(
                "path_rename.across_fds.back",
                wasi::path_rename(d, "moved", ROOT, "p_r2"),
            );
            close(d);
        }
        // Renaming a symlink moves the link, not its target.
        check::ok(
            "path_rename.setup.symlink",
            wasi::path_symlink("p_r2", ROOT, "p_rl"),
        );
        check::ok(
            "path_rename.symlink",
            wasi::path_rename(ROOT, "p_rl", ROOT, "p_rl2"),
        );
        check::ok_eq(
            "path_rename.symlink.is_link",
            wasi::FILETYPE_SYMBOLIC_LINK.raw(),
            kind("p_rl2", false),
        );
        check::ok_eq(
            "path_rename.symlink.target_kept",
            b"one".to_vec(),
            read_file("p_r2"),
        );
    }
}

fn unlinks() {
    check::make_file(ROOT, "p_u", b"u");
    unsafe {
        check::err(
            "path_unlink_file.dir",
            wasi::ERRNO_ISDIR,
            wasi::path_unlink_file(ROOT, "p_d"),
        );
        check::err(
            "path_unlink_file.noent",
            wasi::ERRNO_NOENT,
            wasi::path_unlink_file(ROOT, "p_nope"),
        );
        check::err(
            "path_unlink_file.trailing_slash",
            wasi::ERRNO_NOTDIR,
            wasi::path_unlink_file(ROOT, "p_u/"),
        );
        check::err(
            "path_unlink_file.empty",
            wasi::ERRNO_NOENT,
            wasi::path_unlink_file(ROOT, ""),
        );
        check::ok("path_unlink_file", wasi::path_unlink_file(ROOT, "p_u"));
        check::truth(
            "path_unlink_file.gone",
            !exists(ROOT, "p_u"),
            "p_u gone",
            "still there",
        );
        check::err(
            "path_unlink_file.twice",
            wasi::ERRNO_NOENT,
            wasi::path_unlink_file(ROOT, "p_u"),
        );
        // Unlinking a symlink leaves the target.
        check::ok(
            "path_unlink_file.symlink",
            wasi::path_unlink_file(ROOT, "p_dang"),
        );
        check::ok(
            "path_unlink_file.symlink_to_file",
            wasi::path_unlink_file(ROOT, "p_rl2"),
        );
        check::ok_eq(
            "path_unlink_file.symlink.target_kept",
            b"one".to_vec(),
            read_file("p_r2"),
        );
        // Unlinking one hard link leaves the other.
        check::ok(
            "path_unlink_file.hard",
            wasi::path_unlink_file(ROOT, "p_hard"),
        );
        check::ok_eq(
            "path_unlink_file.hard.nlink",
            1,
            filestat(ROOT, "p_f", false).map(|s| s.nlink),
        );
        // An open file stays readable after unlink.
        check::make_file(ROOT, "p_u2", b"still");
        if let Some(fd) = check::ok(
            "path_unlink_file.open_file",
            open(ROOT, "p_u2", 0, FILE_RIGHTS),
        ) {
            check::ok(
                "path_unlink_file.while_open",
                wasi::path_unlink_file(ROOT, "p_u2"),
            );
            check::ok_eq(
                "path_unlink_file.while_open.read",
                b"still".to_vec(),
                check::pread_vec(fd, 64, 0),
            );
            check::ok_eq(
                "path_unlink_file.while_open.write",
                1,
                check::write_all(fd, b"S"),
            );
            check::ok_eq(
                "path_unlink_file.while_open.nlink",
                0,
                wasi::fd_filestat_get(fd).map(|s| s.nlink),
            );
            close(fd);
        }
    }
}

fn remove_directories() {
    unsafe {
        check::ok(
            "path_remove_directory.setup",
            wasi::path_create_directory(ROOT, "p_rm"),
        );
        check::make_file(ROOT, "p_rm/f", b"");
        check::err(
            "path_remove_directory.notempty",
            wasi::ERRNO_NOTEMPTY,
            wasi::path_remove_directory(ROOT, "p_rm"),
        );
        check::err(
            "path_remove_directory.file",
            wasi::ERRNO_NOTDIR,
            wasi::path_remove_directory(ROOT, "p_f"),
        );
        check::err(
            "path_remove_directory.noent",
            wasi::ERRNO_NOENT,
            wasi::path_remove_directory(ROOT, "p_nope"),
        );
        check::err(
            "path_remove_directory.symlink_to_dir",
            wasi::ERRNO_NOTDIR,
            wasi::path_remove_directory(ROOT, "p_dl"),
        );
        check::ok_eq(
            "path_remove_directory.symlink_kept",
            wasi::FILETYPE_SYMBOLIC_LINK.raw(),
            kind("p_dl", false),
        );
        check::ok(
            "path_remove_directory.empty_it",
            wasi::path_unlink_file(ROOT, "p_rm/f"),
        );
        check::ok(
            "path_remove_directory",
            wasi::path_remove_directory(ROOT, "p_rm"),
        );
        check::truth(
            "path_remove_directory.gone",
            !exists(ROOT, "p_rm"),
            "p_rm gone",
            "still there",
        );
        check::err(
            "path_remove_directory.twice",
            wasi::ERRNO_NOENT,
            wasi::path_remove_directory(ROOT, "p_rm"),
        );
        check::ok(
            "path_remove_directory.setup2",
            wasi::path_create_directory(ROOT, "p_rm2"),
        );
        check::ok(
            "path_remove_directory.trailing_slash",
            wasi::path_remove_directory(ROOT, "p_rm2/"),
        );
    }
}

fn set_times() {
    unsafe {
        let (a, m) = (1_234_567_890_123_456_789u64, 1_345_678_901_234_567_890u64);
        let both = wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM;
        check::ok(
            "path_filestat_set_times",
            wasi::path_filestat_set_times(ROOT, 0, "p_f", a, m, both),
        );
        if let Ok(st) = filestat(ROOT, "p_f", false) {
            check::eq("path_filestat_set_times.values", (a, m), (st.atim, st.mtim));
        }
        check::ok(
            "path_filestat_set_times.atim_only",
            wasi::path_filestat_set_times(ROOT, 0, "p_f", 7_000_000_000, 0, wasi::FSTFLAGS_ATIM),
        );
        if let Ok(st) = filestat(ROOT, "p_f", false) {
            check::eq(
                "path_filestat_set_times.atim_only.values",
                (7_000_000_000, m),
                (st.atim, st.mtim),
            );
        }
        // Through a symlink with symlink_follow: the target changes.
        check::ok(
            "path_filestat_set_times.follow",
            wasi::path_filestat_set_times(ROOT, FOLLOW, "p_ln", a, m + 1, both),
        );
        check::ok_eq(
            "path_filestat_set_times.follow.target",
            m + 1,
            filestat(ROOT, "p_f", false).map(|s| s.mtim),
        );
        // Without symlink_follow: the link itself changes, not the target.
        check::ok(
            "path_filestat_set_times.nofollow",
            wasi::path_filestat_set_times(ROOT, 0, "p_ln", a, 5_000_000_000, both),
        );
        check::ok_eq(
            "path_filestat_set_times.nofollow.link",
            5_000_000_000,
            filestat(ROOT, "p_ln", false).map(|s| s.mtim),
        );
        check::ok_eq(
            "path_filestat_set_times.nofollow.target",
            m + 1,
            filestat(ROOT, "p_f", false).map(|s| s.mtim),
        );
        // Directories too.
        check::ok(
            "path_filestat_set_times.dir",
            wasi::path_filestat_set_times(ROOT, 0, "p_d", a, m, both),
        );
        check::ok_eq(
            "path_filestat_set_times.dir.mtim",
            m,
            filestat(ROOT, "p_d", false).map(|s| s.mtim),
        );
        let before = check::realtime();
        check::ok(
            "path_filestat_set_times.now",
            wasi::path_filestat_set_times(
                ROOT,
                0,
                "p_f",
                0,
                0,
                wasi::FSTFLAGS_ATIM_NOW | wasi::FSTFLAGS_MTIM_NOW,
            ),
        );
        let after = check::realtime();
        if let Ok(st) = filestat(ROOT, "p_f", false) {
            let range = before.saturating_sub(1_000_000_000)..=after + 1_000_000_000;
            check::truth(
                "path_filestat_set_times.now.mtim",
                range.contains(&st.mtim),
                "about now",
                st.mtim,
            );
        }
        check::err(
            "path_filestat_set_times.atim_and_now",
            wasi::ERRNO_INVAL,
            wasi::path_filestat_set_times(
                ROOT,
                0,
                "p_f",
                1,
                1,
                wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_ATIM_NOW,
            ),
        );
        check::err(
            "path_filestat_set_times.mtim_and_now",
            wasi::ERRNO_INVAL,
            wasi::path_filestat_set_times(
                ROOT,
                0,
                "p_f",
                1,
                1,
                wasi::FSTFLAGS_MTIM | wasi::FSTFLAGS_MTIM_NOW,
            ),
        );
        check::err(
            "path_filestat_set_times.noent",
            wasi::ERRNO_NOENT,
            wasi::path_filestat_set_times(ROOT, 0, "p_nope", 1, 1, both),
        );
    }
}

/// Each directory right, taken away alone, makes its call fail with
/// notcapable and change nothing.
fn rights_needed() {
    unsafe {
        check::ok(
            "rights.setup.mkdir",
            wasi::path_create_directory(ROOT, "p_caps"),
        );
        check::ok(
            "rights.setup.mkdir_sub",
            wasi::path_create_directory(ROOT, "p_caps/sub"),
        );
        check::ok(
            "rights.setup.symlink",
            wasi::path_symlink("f", ROOT, "p_caps/sl"),
        );
    }
    check::make_file(ROOT, "p_caps/f", b"caps");
    type Call = fn(wasi::Fd) -> Result<(), Errno>;
    let cases: &[(&str, wasi::Rights, Call)] = &[
        (
            "path_create_directory",
            wasi::RIGHTS_PATH_CREATE_DIRECTORY,
            |d| unsafe { wasi::path_create_directory(d, "new") },
        ),
        ("path_open.creat", wasi::RIGHTS_PATH_CREATE_FILE, |d| {
            open(d, "new", wasi::OFLAGS_CREAT, wasi::RIGHTS_FD_READ).map(close)
        }),
        ("path_open", wasi::RIGHTS_PATH_OPEN, |d| {
            open(d, "f", 0, wasi::RIGHTS_FD_READ).map(close)
        }),
        (
            "path_link.source",
            wasi::RIGHTS_PATH_LINK_SOURCE,
            |d| unsafe { wasi::path_link(d, 0, "f", ROOT, "p_caps_new") },
        ),
        (
            "path_link.target",
            wasi::RIGHTS_PATH_LINK_TARGET,
            |d| unsafe { wasi::path_link(ROOT, 0, "p_f", d, "new") },
        ),
        ("path_readlink", wasi::RIGHTS_PATH_READLINK, |d| {
            readlink(d, "sl", 16).map(drop)
        }),
        (
            "path_rename.source",
            wasi::RIGHTS_PATH_RENAME_SOURCE,
            |d| unsafe { wasi::path_rename(d, "f", ROOT, "p_caps_new") },
        ),
        (
            "path_rename.target",
            wasi::RIGHTS_PATH_RENAME_TARGET,
            |d| unsafe { wasi::path_rename(ROOT, "p_caps/f", d, "new") },
        ),
        ("path_filestat_get", wasi::RIGHTS_PATH_FILESTAT_GET, |d| {
            filestat(d, "f", false).map(drop)
        }),
        (
            "path_filestat_set_times",
            wasi::RIGHTS_PATH_FILESTAT_SET_TIMES,
            |d| unsafe { wasi::path_filestat_set_times(d, 0, "f", 1, 1, wasi::FSTFLAGS_MTIM) },
        ),
        ("fd_filestat_get", wasi::RIGHTS_FD_FILESTAT_GET, |d| {
            unsafe { wasi::fd_filestat_get(d) }.map(drop)
        }),
        (
            "fd_filestat_set_times",
            wasi::RIGHTS_FD_FILESTAT_SET_TIMES,
            |d| unsafe { wasi::fd_filestat_set_times(d, 1, 1, wasi::FSTFLAGS_MTIM) },
        ),
        ("path_symlink", wasi::RIGHTS_PATH_SYMLINK, |d| unsafe {
            wasi::path_symlink("f", d, "new")
        }),
        (
            "path_remove_directory",
            wasi::RIGHTS_PATH_REMOVE_DIRECTORY,
            |d| unsafe { wasi::path_remove_directory(d, "sub") },
        ),
        (
            "path_unlink_file",
            wasi::RIGHTS_PATH_UNLINK_FILE,
            |d| unsafe { wasi::path_unlink_file(d, "f") },
        ),
        ("fd_readdir", wasi::RIGHTS_FD_READDIR, |d| {
            let mut b = [0u8; 64];
            unsafe { wasi::fd_readdir(d, b.as_mut_ptr(), 64, 0) }.map(drop)
        }),
        ("fd_sync.dir", wasi::RIGHTS_FD_SYNC, |d| unsafe {
            wasi::fd_sync(d)
        }),
        (
            "fd_fdstat_set_flags.dir",
            wasi::RIGHTS_FD_FDSTAT_SET_FLAGS,
            |d| unsafe { wasi::fd_fdstat_set_flags(d, 0) },
        ),
    ];
    for (name, right, call) in cases {
        let Some(d) = check::ok(
            &format!("{name}.rights.open"),
            check::open_dir_limited(ROOT, "p_caps", DIR_RIGHTS & !right, ALL_RIGHTS),
        ) else {
            continue;
        };
        check::err(
            &format!("{name}.notcapable"),
            wasi::ERRNO_NOTCAPABLE,
            call(d),
        );
        close(d);
    }
    // Nothing changed.
    check::truth(
        "rights.nothing_created",
        !exists(ROOT, "p_caps/new") && !exists(ROOT, "p_caps_new"),
        "no new entries",
        "created",
    );
    check::ok_eq("rights.file_kept", b"caps".to_vec(), read_file("p_caps/f"));
    check::ok_eq(
        "rights.sub_kept",
        wasi::FILETYPE_DIRECTORY.raw(),
        kind("p_caps/sub", false),
    );
    // Rights are checked before arguments: an empty path still gives notcapable.
    if let Some(d) = check::ok(
        "rights.order.open",
        check::open_dir_limited(
            ROOT,
            "p_caps",
            DIR_RIGHTS & !wasi::RIGHTS_PATH_FILESTAT_GET,
            ALL_RIGHTS,
        ),
    ) {
        check::err(
            "rights.order.before_args",
            wasi::ERRNO_NOTCAPABLE,
            filestat(d, "", false),
        );
        close(d);
    }
    // A directory whose inheriting rights lack fd_write: files opened through
    // it cannot ask for fd_write.
    if let Some(d) = check::ok(
        "rights.inheriting.open",
        check::open_dir_limited(
            ROOT,
            "p_caps",
            DIR_RIGHTS,
            wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK,
        ),
    ) {
        if let Ok(st) = unsafe { wasi::fd_fdstat_get(d) } {
            check::rights_eq(
                "rights.inheriting.value",
                wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK,
                st.fs_rights_inheriting,
            );
        }
        check::err_fd(
            "path_open.beyond_inheriting",
            wasi::ERRNO_NOTCAPABLE,
            open(d, "f", 0, wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_WRITE),
        );
        check::err_fd(
            "path_open.beyond_inheriting_creat",
            wasi::ERRNO_NOTCAPABLE,
            open(d, "new", wasi::OFLAGS_CREAT, wasi::RIGHTS_FD_WRITE),
        );
        check::truth(
            "path_open.beyond_inheriting_creat.nothing",
            !exists(ROOT, "p_caps/new"),
            "no new",
            "created",
        );
        if let Some(f) = check::ok(
            "path_open.within_inheriting",
            open(d, "f", 0, wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK),
        ) {
            check::ok_eq(
                "path_open.within_inheriting.data",
                b"caps".to_vec(),
                check::pread_vec(f, 16, 0),
            );
            close(f);
        }
        close(d);
    }
}

fn faults() {
    let end = check::mem_end();
    let mut out = [0u64; 16];
    let op = out.as_mut_ptr() as i32;
    let p = b"p_f";
    let pp = p.as_ptr() as i32;
    let r = ROOT as i32;
    let o = OOB as i32;
    let s = (end - 2) as i32; // a 3-byte path straddling the end of memory
    unsafe {
        check::raw(
            "path_create_directory.fault",
            wasi::ERRNO_FAULT,
            raw::path_create_directory(r, o, 3),
        );
        check::raw(
            "path_create_directory.fault_straddle",
            wasi::ERRNO_FAULT,
            raw::path_create_directory(r, s, 3),
        );
        check::raw(
            "path_filestat_get.fault_path",
            wasi::ERRNO_FAULT,
            raw::path_filestat_get(r, 0, o, 3, op),
        );
        check::raw(
            "path_filestat_get.fault_result",
            wasi::ERRNO_FAULT,
            raw::path_filestat_get(r, 0, pp, 3, o),
        );
        check::raw(
            "path_filestat_set_times.fault",
            wasi::ERRNO_FAULT,
            raw::path_filestat_set_times(r, 0, o, 3, 0, 0, wasi::FSTFLAGS_MTIM_NOW as i32),
        );
        check::raw(
            "path_link.fault_old",
            wasi::ERRNO_FAULT,
            raw::path_link(r, 0, o, 3, r, pp, 3),
        );
        check::raw(
            "path_link.fault_new",
            wasi::ERRNO_FAULT,
            raw::path_link(r, 0, pp, 3, r, o, 3),
        );
        check::raw(
            "path_open.fault_path",
            wasi::ERRNO_FAULT,
            raw::path_open(r, 0, o, 3, 0, 2, 0, 0, op),
        );
        check::raw(
            "path_open.fault_result",
            wasi::ERRNO_FAULT,
            raw::path_open(r, 0, pp, 3, 0, wasi::RIGHTS_FD_READ as i64, 0, 0, o),
        );
        // A failed path_open must not leave a descriptor behind.
        let next = open(ROOT, "p_f", 0, wasi::RIGHTS_FD_READ);
        check::ok_eq("path_open.fault_result.no_fd_leak", 4, next);
        if let Ok(fd) = next {
            close(fd);
        }
        check::raw(
            "path_readlink.fault_path",
            wasi::ERRNO_FAULT,
            raw::path_readlink(r, o, 4, op, 16, op + 64),
        );
        let ln = b"p_ln";
        check::raw(
            "path_readlink.fault_buf",
            wasi::ERRNO_FAULT,
            raw::path_readlink(r, ln.as_ptr() as i32, 4, o, 16, op),
        );
        check::raw(
            "path_readlink.fault_result",
            wasi::ERRNO_FAULT,
            raw::path_readlink(r, ln.as_ptr() as i32, 4, op, 16, o),
        );
        check::raw(
            "path_remove_directory.fault",
            wasi::ERRNO_FAULT,
            raw::path_remove_directory(r, o, 3),
        );
        check::raw(
            "path_rename.fault_old",
            wasi::ERRNO_FAULT,
            raw::path_rename(r, o, 3, r, pp, 3),
        );
        check::raw(
            "path_rename.fault_new",
            wasi::ERRNO_FAULT,
            raw::path_rename(r, pp, 3, r, o, 3),
        );
        check::raw(
            "path_symlink.fault_old",
            wasi::ERRNO_FAULT,
            raw::path_symlink(o, 3, r, pp, 3),
        );
        check::raw(
            "path_symlink.fault_new",
            wasi::ERRNO_FAULT,
            raw::path_symlink(pp, 3, r, o, 3),
        );
        check::raw(
            "path_unlink_file.fault",
            wasi::ERRNO_FAULT,
            raw::path_unlink_file(r, o, 3),
        );
        check::raw(
            "path_unlink_file.fault_len",
            wasi::ERRNO_FAULT,
            raw::path_unlink_file(r, pp, -1),
        );
    }
    check::ok_eq(
        "path.faults.file_kept",
        wasi::FILETYPE_REGULAR_FILE.raw(),
        kind("p_f", false),
    );
}
