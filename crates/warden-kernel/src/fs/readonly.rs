//! A read-only view of any [`Dir`]: reads pass through, every mutation and
//! every open for writing fails with `rofs`, as on a read-only mount.

use super::{Dir, File, Opened};
use crate::errno::{Errno, Result};
use crate::sys::BorrowedFd;
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime, Whence};
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;

/// Wraps a directory so nothing beneath it can be changed.
pub struct ReadOnlyDir(pub Arc<dyn Dir>);

impl Dir for ReadOnlyDir {
    fn open_at(&self, path: &str, opts: &OpenOptions) -> Result<Opened> {
        if opts.write || opts.truncate || opts.fdflags.contains(FdFlags::APPEND) {
            return Err(Errno::Rofs);
        }
        let mut opts = *opts;
        if opts.create {
            match self.0.stat_at(path, opts.follow) {
                Ok(_) if opts.exclusive => return Err(Errno::Exist),
                Ok(_) => opts.create = false,
                Err(Errno::Noent) => return Err(Errno::Rofs),
                Err(e) => return Err(e),
            }
        }
        Ok(match self.0.open_at(path, &opts)? {
            Opened::Dir(d) => Opened::Dir(Arc::new(ReadOnlyDir(d))),
            Opened::File(f) => Opened::File(Arc::new(ReadOnlyFile(f))),
        })
    }
    fn create_dir_at(&self, _: &str) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn remove_dir_at(&self, _: &str) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn unlink_file_at(&self, _: &str) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn rename_at(&self, _: &str, _: &dyn Dir, _: &str) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn link_at(&self, _: &str, _: bool, _: &dyn Dir, _: &str) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn symlink_at(&self, _: &str, _: &str) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        self.0.readlink_at(path)
    }
    fn stat_at(&self, path: &str, follow: bool) -> Result<Filestat> {
        self.0.stat_at(path, follow)
    }
    fn set_times_at(&self, _: &str, _: bool, _: SetTime, _: SetTime) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn stat(&self) -> Result<Filestat> {
        self.0.stat()
    }
    fn set_times(&self, _: SetTime, _: SetTime) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        self.0.read_dir()
    }
    fn sync(&self) -> Result<()> {
        self.0.sync()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn is_read_only(&self) -> bool {
        true
    }
}

/// A file opened beneath a [`ReadOnlyDir`].
pub struct ReadOnlyFile(pub Arc<dyn File>);

impl File for ReadOnlyFile {
    fn filetype(&self) -> FileType {
        self.0.filetype()
    }
    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        self.0.read(bufs)
    }
    fn write(&self, _: &[IoSlice<'_>]) -> Result<usize> {
        Err(Errno::Rofs)
    }
    fn pread(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
        self.0.pread(bufs, offset)
    }
    fn pwrite(&self, _: &[IoSlice<'_>], _: u64) -> Result<usize> {
        Err(Errno::Rofs)
    }
    fn seek(&self, offset: i64, whence: Whence) -> Result<u64> {
        self.0.seek(offset, whence)
    }
    fn stat(&self) -> Result<Filestat> {
        self.0.stat()
    }
    fn set_size(&self, _: u64) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn allocate(&self, _: u64, _: u64) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<()> {
        self.0.advise(offset, len, advice)
    }
    fn set_times(&self, _: SetTime, _: SetTime) -> Result<()> {
        Err(Errno::Rofs)
    }
    fn sync(&self) -> Result<()> {
        self.0.sync()
    }
    fn datasync(&self) -> Result<()> {
        self.0.datasync()
    }
    fn fdflags(&self) -> Result<FdFlags> {
        self.0.fdflags()
    }
    fn set_fdflags(&self, flags: FdFlags) -> Result<()> {
        if flags.contains(FdFlags::APPEND) {
            return Err(Errno::Rofs);
        }
        self.0.set_fdflags(flags)
    }
    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        self.0.host_fd()
    }
    fn readable_bytes(&self) -> Result<u64> {
        self.0.readable_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::memory::MemoryFs;

    #[test]
    fn every_mutation_is_rofs_and_reads_pass() {
        let fs = MemoryFs::new();
        let root = fs.root();
        root.create_dir_at("d").unwrap();
        let opts = OpenOptions {
            write: true,
            create: true,
            follow: true,
            ..Default::default()
        };
        let Opened::File(f) = root.open_at("f", &opts).unwrap() else {
            panic!("a file")
        };
        f.write(&[IoSlice::new(b"x")]).unwrap();
        let ro = ReadOnlyDir(Arc::new(fs.root()));
        assert_eq!(ro.create_dir_at("e").err(), Some(Errno::Rofs));
        assert_eq!(ro.remove_dir_at("d").err(), Some(Errno::Rofs));
        assert_eq!(ro.unlink_file_at("f").err(), Some(Errno::Rofs));
        assert_eq!(ro.symlink_at("f", "l").err(), Some(Errno::Rofs));
        assert_eq!(
            ro.set_times_at("f", true, SetTime::Now, SetTime::Keep)
                .err(),
            Some(Errno::Rofs)
        );
        assert!(matches!(ro.open_at("f", &opts), Err(Errno::Rofs)));
        assert!(matches!(
            ro.open_at(
                "new",
                &OpenOptions {
                    create: true,
                    ..Default::default()
                }
            ),
            Err(Errno::Rofs)
        ));
        let read = OpenOptions {
            read: true,
            follow: true,
            ..Default::default()
        };
        let Ok(Opened::File(rf)) = ro.open_at("f", &read) else {
            panic!("read-only open works")
        };
        assert_eq!(rf.write(&[IoSlice::new(b"y")]).err(), Some(Errno::Rofs));
        assert_eq!(rf.set_size(0).err(), Some(Errno::Rofs));
        assert_eq!(ro.stat_at("f", true).unwrap().size, 1);
    }
}
