//! A directory opened with rights 0 keeps what its preopen grants: the
//! rights asked for at `path_open` only choose whether a *file* is opened
//! for reading or writing (as in Wasmtime and wazero). Run with the scratch
//! directory preopened as fd 3; `rw` expects every step to work, `ro`
//! (a read-only mount) expects reading to work and every change to fail
//! with `rofs`. Prints `ok N steps`, or `FAIL ...` lines and exits 1.

use wasi::{Errno, Fd};

const PREOPEN: Fd = 3;

struct Steps {
    done: u32,
    failed: u32,
}

impl Steps {
    fn check<T: std::fmt::Debug>(
        &mut self,
        name: &str,
        got: Result<T, Errno>,
        want: Result<(), Errno>,
    ) -> Option<T> {
        self.done += 1;
        match (&got, want) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(w)) if *e == w => {}
            _ => {
                self.failed += 1;
                println!("FAIL {name}: got {got:?}, want {want:?}");
            }
        }
        got.ok()
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "rw".into());
    let rw = mode == "rw";
    let change = |ok: bool| if ok { Ok(()) } else { Err(wasi::ERRNO_ROFS) };
    let mut s = Steps { done: 0, failed: 0 };
    unsafe {
        // The helpers of Rust's std and the preview1 adapter open the
        // directory they work in like this.
        let dir = s
            .check(
                "open . with rights 0",
                wasi::path_open(PREOPEN, 0, ".", wasi::OFLAGS_DIRECTORY, 0, 0, 0),
                Ok(()),
            )
            .expect("the directory opens");
        let stat = s.check("fd_fdstat_get of it", wasi::fd_fdstat_get(dir), Ok(()));
        if let Some(st) = stat {
            s.check(
                "it reports the preopen's directory rights",
                if st.fs_rights_base & wasi::RIGHTS_PATH_CREATE_FILE != 0 {
                    Ok(())
                } else {
                    Err(wasi::ERRNO_NOTCAPABLE)
                },
                Ok(()),
            );
        }
        s.check(
            "read the seed file",
            read(dir, "seed.txt").map(|v| assert_eq!(v, b"seed")),
            Ok(()),
        );
        let f = s.check(
            "create a.txt asking only FD_WRITE",
            wasi::path_open(
                dir,
                0,
                "a.txt",
                wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL,
                wasi::RIGHTS_FD_WRITE,
                0,
                0,
            ),
            change(rw),
        );
        if let Some(f) = f {
            s.check(
                "write to it",
                wasi::fd_write(
                    f,
                    &[wasi::Ciovec {
                        buf: b"hello".as_ptr(),
                        buf_len: 5,
                    }],
                ),
                Ok(()),
            );
            s.check("close it", wasi::fd_close(f), Ok(()));
        }
        s.check(
            "mkdir sub",
            wasi::path_create_directory(dir, "sub"),
            change(rw),
        );
        s.check(
            "rename a.txt to sub/b.txt",
            wasi::path_rename(dir, "a.txt", dir, "sub/b.txt"),
            change(rw),
        );
        s.check(
            "link seed.txt to seed2.txt",
            wasi::path_link(dir, 0, "seed.txt", dir, "seed2.txt"),
            change(rw),
        );
        s.check(
            "symlink sub/l -> b.txt",
            wasi::path_symlink("b.txt", dir, "sub/l"),
            change(rw),
        );
        if rw {
            // A directory opened beneath it with rights 0 again: same powers.
            let sub = s
                .check(
                    "open sub with rights 0",
                    wasi::path_open(dir, 0, "sub", wasi::OFLAGS_DIRECTORY, 0, 0, 0),
                    Ok(()),
                )
                .expect("sub opens");
            s.check(
                "stat sub/b.txt",
                wasi::path_filestat_get(sub, 0, "b.txt").map(|st| assert_eq!(st.size, 5)),
                Ok(()),
            );
            s.check(
                "read b.txt opened with rights 0",
                read(sub, "b.txt").map(|v| assert_eq!(v, b"hello")),
                Ok(()),
            );
            let ro = s
                .check(
                    "open b.txt with rights 0",
                    wasi::path_open(sub, 0, "b.txt", 0, 0, 0, 0),
                    Ok(()),
                )
                .expect("b.txt opens");
            let w = wasi::fd_write(
                ro,
                &[wasi::Ciovec {
                    buf: b"x".as_ptr(),
                    buf_len: 1,
                }],
            );
            s.check(
                "a file opened without write rights is not written",
                if w.is_err() {
                    Ok(())
                } else {
                    Err(wasi::ERRNO_SUCCESS)
                },
                Ok(()),
            );
            s.check("close it", wasi::fd_close(ro), Ok(()));
            s.check("unlink sub/l", wasi::path_unlink_file(sub, "l"), Ok(()));
            s.check(
                "unlink sub/b.txt",
                wasi::path_unlink_file(sub, "b.txt"),
                Ok(()),
            );
            s.check(
                "unlink seed2.txt",
                wasi::path_unlink_file(dir, "seed2.txt"),
                Ok(()),
            );
            s.check("close sub", wasi::fd_close(sub), Ok(()));
            s.check("rmdir sub", wasi::path_remove_directory(dir, "sub"), Ok(()));
        } else {
            s.check(
                "unlink seed.txt",
                wasi::path_unlink_file(dir, "seed.txt"),
                Err(wasi::ERRNO_ROFS),
            );
        }
        s.check("close the directory", wasi::fd_close(dir), Ok(()));
    }
    if s.failed > 0 {
        println!("{} of {} steps failed", s.failed, s.done);
        std::process::exit(1);
    }
    println!("ok {} steps", s.done);
}

/// Opens `path` beneath `dir` with rights 0 and reads it whole.
unsafe fn read(dir: Fd, path: &str) -> Result<Vec<u8>, Errno> {
    let f = wasi::path_open(dir, 0, path, 0, 0, 0, 0)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = wasi::fd_read(
            f,
            &[wasi::Iovec {
                buf: buf.as_mut_ptr(),
                buf_len: buf.len(),
            }],
        )?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    wasi::fd_close(f)?;
    Ok(out)
}
