//! The descriptor table: numbers a guest holds, and what each may do.

use crate::errno::{Errno, Result};
use crate::fs::{Dir, File};
use crate::poll::WaitError;
use crate::socket::Socket;
use crate::types::{DirEntry, FdFlags, FileType, Rights};
use std::sync::Arc;

/// What a descriptor refers to.
#[derive(Clone)]
pub enum Object {
    File(Arc<dyn File>),
    Dir(Arc<dyn Dir>),
    Socket(Arc<Socket>),
}

/// A descriptor that data flows through.
pub enum Stream<'a> {
    File(&'a Arc<dyn File>),
    Socket(&'a Arc<Socket>),
}

impl Stream<'_> {
    /// Under the guest's time limit `limit`, waits until a blocking read
    /// (`read`) or write on this stream would not block, so the limit can
    /// end it rather than a read(2) or write(2) that might never return.
    /// Without a limit, and for regular files, it never waits.
    pub fn wait_within(
        &self,
        read: bool,
        limit: Option<u64>,
    ) -> std::result::Result<(), WaitError> {
        if limit.is_none() {
            return Ok(());
        }
        match self {
            Stream::File(f) if f.filetype() == FileType::RegularFile => Ok(()),
            Stream::File(f) => crate::poll::wait_file(&***f, read, limit),
            Stream::Socket(s) => s.wait_within(read, limit),
        }
    }
}

/// One open descriptor.
#[derive(Clone)]
pub struct Descriptor {
    pub object: Object,
    /// Rights for operations on this descriptor.
    pub rights: Rights,
    /// Rights that descriptors opened through this one may have.
    pub inheriting: Rights,
    /// The guest name of a preopened directory.
    pub preopen: Option<Vec<u8>>,
    /// The listing read at the last `fd_readdir` with cookie 0, so cookies
    /// stay stable while the guest pages through it.
    pub listing: Option<Arc<Vec<DirEntry>>>,
    /// fdflags of a directory (files and sockets keep theirs on the host).
    pub dir_flags: FdFlags,
    /// One of the host's standard streams that is not a regular file, with
    /// the type the guest is told: a terminal is a character device, any
    /// other stream (a pipe, /dev/null) `unknown`, as Wasmtime reports them,
    /// so wasi-libc's `isatty` is true only for a terminal. Its metadata
    /// (device, inode, times) is the host's: `fd_filestat_get` reports
    /// zeros.
    pub host_stream: Option<FileType>,
}

impl Descriptor {
    pub fn new(object: Object, rights: Rights, inheriting: Rights) -> Descriptor {
        Descriptor {
            object,
            rights,
            inheriting,
            preopen: None,
            listing: None,
            dir_flags: FdFlags::empty(),
            host_stream: None,
        }
    }

    /// Fails with `notcapable` unless the descriptor holds every right in
    /// `needed`.
    pub fn require(&self, needed: Rights) -> Result<()> {
        if self.rights.contains(needed) {
            Ok(())
        } else {
            Err(Errno::Notcapable)
        }
    }

    /// The file behind a file descriptor: `isdir` for a directory.
    pub fn file(&self, needed: Rights) -> Result<&Arc<dyn File>> {
        match &self.object {
            Object::File(f) => {
                self.require(needed)?;
                Ok(f)
            }
            Object::Dir(_) => Err(Errno::Isdir),
            Object::Socket(_) => Err(Errno::Spipe),
        }
    }

    /// What `read`/`write` act on: a file or a connected socket; `isdir`
    /// for a directory.
    pub fn stream(&self, needed: Rights) -> Result<Stream<'_>> {
        let s = match &self.object {
            Object::File(f) => Stream::File(f),
            Object::Socket(s) => Stream::Socket(s),
            Object::Dir(_) => return Err(Errno::Isdir),
        };
        self.require(needed)?;
        Ok(s)
    }

    /// The file behind a descriptor, for an operation that needs a position
    /// (seek, tell, pread, pwrite): a stream that cannot seek fails with
    /// `spipe` before its rights are looked at.
    pub fn seekable_file(&self, needed: Rights) -> Result<&Arc<dyn File>> {
        match &self.object {
            Object::File(f) => {
                if f.filetype() != FileType::RegularFile && !self.rights.contains(needed) {
                    return Err(Errno::Spipe);
                }
                self.require(needed)?;
                Ok(f)
            }
            Object::Dir(_) => Err(Errno::Isdir),
            Object::Socket(_) => Err(Errno::Spipe),
        }
    }

    /// The directory behind a descriptor: `notdir` for anything else.
    pub fn dir(&self, needed: Rights) -> Result<&Arc<dyn Dir>> {
        match &self.object {
            Object::Dir(d) => {
                self.require(needed)?;
                Ok(d)
            }
            _ => Err(Errno::Notdir),
        }
    }

    /// The socket behind a descriptor: `notsock` for anything else.
    pub fn socket(&self, needed: Rights) -> Result<&Arc<Socket>> {
        match &self.object {
            Object::Socket(s) => {
                self.require(needed)?;
                Ok(s)
            }
            _ => Err(Errno::Notsock),
        }
    }

    pub fn filetype(&self) -> FileType {
        if let Some(ft) = self.host_stream {
            return ft;
        }
        match &self.object {
            Object::File(f) => f.filetype(),
            Object::Dir(_) => FileType::Directory,
            Object::Socket(_) => FileType::SocketStream,
        }
    }
}

/// Most descriptors one guest may hold.
pub const MAX_FDS: usize = 1 << 16;

/// Descriptors by number. New descriptors take the lowest free number.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<Descriptor>>,
    /// Lowest slot that may be free: everything below it is in use.
    first_free: usize,
    /// Most descriptors open at once (`-S max-resources`), at most
    /// [`MAX_FDS`]; more is `mfile`.
    max: Option<usize>,
}

impl FdTable {
    pub fn new() -> FdTable {
        FdTable::default()
    }

    /// Caps how many descriptors may be open at once (never above
    /// [`MAX_FDS`]).
    pub fn set_max(&mut self, max: usize) {
        self.max = Some(max.min(MAX_FDS));
    }

    pub fn get(&self, fd: u32) -> Result<&Descriptor> {
        self.slots
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::Badf)
    }

    pub fn get_mut(&mut self, fd: u32) -> Result<&mut Descriptor> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// Adds a descriptor at the lowest free number.
    pub fn insert(&mut self, d: Descriptor) -> Result<u32> {
        let mut i = self.first_free;
        while i < self.slots.len() && self.slots[i].is_some() {
            i += 1;
        }
        if i >= self.max.unwrap_or(MAX_FDS) {
            return Err(Errno::Mfile);
        }
        if i == self.slots.len() {
            self.slots.push(Some(d));
        } else {
            self.slots[i] = Some(d);
        }
        self.first_free = i + 1;
        Ok(i as u32)
    }

    /// Puts a descriptor at `fd`, closing what was there.
    pub fn insert_at(&mut self, fd: u32, d: Descriptor) {
        let i = fd as usize;
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i] = Some(d);
    }

    pub fn remove(&mut self, fd: u32) -> Result<Descriptor> {
        let d = self
            .slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::Badf)?;
        self.first_free = self.first_free.min(fd as usize);
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        Ok(d)
    }

    /// Moves `from` to `to`, closing what `to` held. Both must be open.
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<()> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(());
        }
        let d = self.remove(from)?;
        self.insert_at(to, d);
        Ok(())
    }

    /// Numbers in use, lowest first.
    pub fn fds(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::memory::MemoryFs;

    fn dir_descriptor(fs: &MemoryFs) -> Descriptor {
        Descriptor::new(
            Object::Dir(Arc::new(fs.root())),
            Rights::DIRECTORY,
            Rights::all(),
        )
    }

    #[test]
    fn lowest_free_number_and_renumber() {
        let fs = MemoryFs::new();
        let mut t = FdTable::new();
        for want in 0..4 {
            assert_eq!(t.insert(dir_descriptor(&fs)).unwrap(), want);
        }
        t.remove(1).unwrap();
        t.remove(2).unwrap();
        assert_eq!(t.insert(dir_descriptor(&fs)).unwrap(), 1);
        assert_eq!(t.remove(2).err(), Some(Errno::Badf));
        assert_eq!(
            t.renumber(0, 9).err(),
            Some(Errno::Badf),
            "`to` must be open"
        );
        t.renumber(3, 0).unwrap();
        assert_eq!(t.get(3).err().map(|e| e as u16), Some(Errno::Badf as u16));
        assert_eq!(t.fds().collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(t.insert(dir_descriptor(&fs)).unwrap(), 2);
    }

    #[test]
    fn kind_checks_come_before_rights() {
        let fs = MemoryFs::new();
        let mut d = dir_descriptor(&fs);
        d.rights = Rights::empty();
        assert_eq!(d.file(Rights::FD_READ).err(), Some(Errno::Isdir));
        assert_eq!(d.socket(Rights::FD_READ).err(), Some(Errno::Notsock));
        assert_eq!(d.dir(Rights::PATH_OPEN).err(), Some(Errno::Notcapable));
    }
}
