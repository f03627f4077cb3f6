//! wasi:filesystem — types and preopens — over the kernel's `Dir`/`File`.
//!
//! A descriptor wraps the same kernel objects a WASI 0.1 descriptor does, so
//! the host, in-memory and read-only backends, and their confinement, are
//! the same for components as for modules.

use crate::bindings::wasi::filesystem::{preopens, types};
use crate::clocks::datetime;
use crate::io::{InputStream, IoError, OutputStream};
use crate::WasiP2;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;
use types::{DescriptorFlags, DescriptorType, ErrorCode};
use warden_kernel::fs::{check_path, Dir, File, Opened};
use warden_kernel::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime};
use warden_kernel::{Errno, Object};
use wasmtime::component::Resource;

/// An open file or directory.
pub enum Descriptor {
    File {
        file: Arc<dyn File>,
        flags: DescriptorFlags,
    },
    Dir {
        dir: Arc<dyn Dir>,
        flags: DescriptorFlags,
    },
}

/// The rest of a directory listing being read.
pub struct DirectoryEntryStream {
    entries: std::vec::IntoIter<DirEntry>,
}

/// Most bytes one `read` returns.
const MAX_READ: u64 = 1 << 26;

/// The WIT error code for a kernel error.
pub fn error_code(e: Errno) -> ErrorCode {
    use ErrorCode as C;
    match e {
        Errno::Acces => C::Access,
        Errno::Again => C::WouldBlock,
        Errno::Already => C::Already,
        Errno::Badf => C::BadDescriptor,
        Errno::Busy => C::Busy,
        Errno::Deadlk => C::Deadlock,
        Errno::Dquot => C::Quota,
        Errno::Exist => C::Exist,
        Errno::Fbig => C::FileTooLarge,
        Errno::Ilseq => C::IllegalByteSequence,
        Errno::Inprogress => C::InProgress,
        Errno::Intr => C::Interrupted,
        Errno::Inval => C::Invalid,
        Errno::Isdir => C::IsDirectory,
        Errno::Loop => C::Loop,
        Errno::Mlink => C::TooManyLinks,
        Errno::Msgsize => C::MessageSize,
        Errno::Nametoolong => C::NameTooLong,
        Errno::Nodev => C::NoDevice,
        Errno::Noent => C::NoEntry,
        Errno::Nolck => C::NoLock,
        Errno::Nomem => C::InsufficientMemory,
        Errno::Nospc => C::InsufficientSpace,
        Errno::Notdir => C::NotDirectory,
        Errno::Notempty => C::NotEmpty,
        Errno::Notrecoverable => C::NotRecoverable,
        Errno::Notsup | Errno::Nosys => C::Unsupported,
        Errno::Notty => C::NoTty,
        Errno::Nxio => C::NoSuchDevice,
        Errno::Overflow => C::Overflow,
        Errno::Perm | Errno::Notcapable => C::NotPermitted,
        Errno::Pipe => C::Pipe,
        Errno::Rofs => C::ReadOnly,
        Errno::Spipe => C::InvalidSeek,
        Errno::Txtbsy => C::TextFileBusy,
        Errno::Xdev => C::CrossDevice,
        _ => C::Io,
    }
}

fn descriptor_type(t: FileType) -> DescriptorType {
    match t {
        FileType::BlockDevice => DescriptorType::BlockDevice,
        FileType::CharacterDevice => DescriptorType::CharacterDevice,
        FileType::Directory => DescriptorType::Directory,
        FileType::RegularFile => DescriptorType::RegularFile,
        FileType::SymbolicLink => DescriptorType::SymbolicLink,
        FileType::SocketDgram | FileType::SocketStream => DescriptorType::Socket,
        FileType::Unknown => DescriptorType::Unknown,
    }
}

fn stat(st: &Filestat) -> types::DescriptorStat {
    types::DescriptorStat {
        type_: descriptor_type(st.file_type()),
        link_count: st.nlink,
        size: st.size,
        data_access_timestamp: Some(datetime(st.atim)),
        data_modification_timestamp: Some(datetime(st.mtim)),
        status_change_timestamp: Some(datetime(st.ctim)),
    }
}

fn set_time(t: types::NewTimestamp) -> SetTime {
    match t {
        types::NewTimestamp::NoChange => SetTime::Keep,
        types::NewTimestamp::Now => SetTime::Now,
        types::NewTimestamp::Timestamp(d) => SetTime::At(
            d.seconds
                .saturating_mul(1_000_000_000)
                .saturating_add(d.nanoseconds.into()),
        ),
    }
}

/// A hash of the file's identity, size and last modification (what the WIT
/// asks for), that does not reveal the inode number itself.
fn metadata_hash(st: &Filestat) -> types::MetadataHashValue {
    use std::hash::{Hash, Hasher};
    let fields = (st.dev, st.ino, st.size, st.mtim);
    let mut lower = std::collections::hash_map::DefaultHasher::new();
    (fields, 0u8).hash(&mut lower);
    let mut upper = std::collections::hash_map::DefaultHasher::new();
    (fields, 1u8).hash(&mut upper);
    types::MetadataHashValue {
        lower: lower.finish(),
        upper: upper.finish(),
    }
}

type FsResult<T> = wasmtime::Result<Result<T, ErrorCode>>;

/// Turns a kernel result into the WIT result.
fn wit<T>(r: Result<T, Errno>) -> FsResult<T> {
    Ok(r.map_err(error_code))
}

impl Descriptor {
    fn flags(&self) -> DescriptorFlags {
        match self {
            Descriptor::File { flags, .. } | Descriptor::Dir { flags, .. } => *flags,
        }
    }

    fn file(&self) -> Result<&Arc<dyn File>, Errno> {
        match self {
            Descriptor::File { file, .. } => Ok(file),
            Descriptor::Dir { .. } => Err(Errno::Isdir),
        }
    }

    fn dir(&self) -> Result<&Arc<dyn Dir>, Errno> {
        match self {
            Descriptor::Dir { dir, .. } => Ok(dir),
            Descriptor::File { .. } => Err(Errno::Notdir),
        }
    }

    /// The file, if the descriptor was opened with `flag` (`bad-descriptor`
    /// otherwise, as the WIT text says).
    fn file_with(&self, flag: DescriptorFlags) -> Result<&Arc<dyn File>, Errno> {
        let f = self.file()?;
        if !self.flags().contains(flag) {
            return Err(Errno::Badf);
        }
        Ok(f)
    }

    /// The directory, for an operation that changes what is in it.
    fn dir_mut(&self) -> Result<&Arc<dyn Dir>, Errno> {
        let d = self.dir()?;
        if !self.flags().contains(DescriptorFlags::MUTATE_DIRECTORY) {
            return Err(Errno::Rofs);
        }
        Ok(d)
    }

    fn stat(&self) -> Result<Filestat, Errno> {
        match self {
            Descriptor::File { file, .. } => file.stat(),
            Descriptor::Dir { dir, .. } => dir.stat(),
        }
    }
}

impl WasiP2 {
    fn desc(&self, d: &Resource<Descriptor>) -> wasmtime::Result<&Descriptor> {
        Ok(self.table.get(d)?)
    }

    /// The preopened directories of the kernel, as descriptors.
    fn preopened(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        let mut dirs = Vec::new();
        for fd in self.kernel.fds.fds().collect::<Vec<_>>() {
            let d = self.kernel.fds.get(fd).expect("listed descriptors exist");
            if let (Some(name), Object::Dir(dir)) = (&d.preopen, &d.object) {
                let mut flags = DescriptorFlags::READ;
                if !dir.is_read_only() {
                    flags |= DescriptorFlags::MUTATE_DIRECTORY;
                }
                dirs.push((
                    Descriptor::Dir {
                        dir: dir.clone(),
                        flags,
                    },
                    String::from_utf8_lossy(name).into_owned(),
                ));
            }
        }
        dirs.into_iter()
            .map(|(d, name)| Ok((self.table.push(d)?, name)))
            .collect()
    }
}

impl preopens::Host for WasiP2 {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        self.preopened()
    }
}

impl types::Host for WasiP2 {
    fn filesystem_error_code(
        &mut self,
        err: Resource<IoError>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        Ok(Some(error_code(self.table.get(&err)?.0)))
    }
}

impl types::HostDescriptor for WasiP2 {
    fn read_via_stream(
        &mut self,
        d: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<InputStream>> {
        let file = match self.desc(&d)?.file_with(DescriptorFlags::READ) {
            Ok(f) => f.clone(),
            Err(e) => return wit(Err(e)),
        };
        Ok(Ok(self.push_input(InputStream::File { file, offset })?))
    }

    fn write_via_stream(
        &mut self,
        d: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<OutputStream>> {
        let file = match self.desc(&d)?.file_with(DescriptorFlags::WRITE) {
            Ok(f) => f.clone(),
            Err(e) => return wit(Err(e)),
        };
        Ok(Ok(self.push_output(OutputStream::File { file, offset })?))
    }

    fn append_via_stream(&mut self, d: Resource<Descriptor>) -> FsResult<Resource<OutputStream>> {
        let file = match self.desc(&d)?.file_with(DescriptorFlags::WRITE) {
            Ok(f) => f.clone(),
            Err(e) => return wit(Err(e)),
        };
        Ok(Ok(self.push_output(OutputStream::Append(file))?))
    }

    fn advise(
        &mut self,
        d: Resource<Descriptor>,
        offset: u64,
        length: u64,
        advice: types::Advice,
    ) -> FsResult<()> {
        let advice = match advice {
            types::Advice::Normal => Advice::Normal,
            types::Advice::Sequential => Advice::Sequential,
            types::Advice::Random => Advice::Random,
            types::Advice::WillNeed => Advice::WillNeed,
            types::Advice::DontNeed => Advice::DontNeed,
            types::Advice::NoReuse => Advice::NoReuse,
        };
        wit(self
            .desc(&d)?
            .file()
            .and_then(|f| f.advise(offset, length, advice)))
    }

    fn sync_data(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        wit(match self.desc(&d)? {
            Descriptor::File { file, .. } => file.datasync(),
            Descriptor::Dir { dir, .. } => dir.sync(),
        })
    }

    fn get_flags(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorFlags> {
        Ok(Ok(self.desc(&d)?.flags()))
    }

    fn get_type(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorType> {
        Ok(Ok(match self.desc(&d)? {
            Descriptor::File { file, .. } => descriptor_type(file.filetype()),
            Descriptor::Dir { .. } => DescriptorType::Directory,
        }))
    }

    fn set_size(&mut self, d: Resource<Descriptor>, size: u64) -> FsResult<()> {
        wit(self
            .desc(&d)?
            .file_with(DescriptorFlags::WRITE)
            .and_then(|f| f.set_size(size)))
    }

    fn set_times(
        &mut self,
        d: Resource<Descriptor>,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> FsResult<()> {
        let (a, m) = (set_time(atim), set_time(mtim));
        let desc = self.desc(&d)?;
        // Changing a directory's metadata is a change of the directory: it
        // needs `mutate-directory` (WIT). A file's times follow the host
        // (futimens needs ownership, not an open for writing).
        wit(match desc {
            Descriptor::File { file, .. } => file.set_times(a, m),
            Descriptor::Dir { .. } => desc.dir_mut().and_then(|dir| dir.set_times(a, m)),
        })
    }

    fn read(
        &mut self,
        d: Resource<Descriptor>,
        length: u64,
        offset: u64,
    ) -> FsResult<(Vec<u8>, bool)> {
        let file = match self.desc(&d)?.file_with(DescriptorFlags::READ) {
            Ok(f) => f,
            Err(e) => return wit(Err(e)),
        };
        let mut buf = vec![0u8; length.min(MAX_READ) as usize];
        wit(file
            .pread(&mut [IoSliceMut::new(&mut buf)], offset)
            .map(|n| {
                let eof = n < buf.len() || (n == 0 && length > 0);
                buf.truncate(n);
                (buf, eof)
            }))
    }

    fn write(&mut self, d: Resource<Descriptor>, buffer: Vec<u8>, offset: u64) -> FsResult<u64> {
        wit(self
            .desc(&d)?
            .file_with(DescriptorFlags::WRITE)
            .and_then(|f| f.pwrite(&[IoSlice::new(&buffer)], offset))
            .map(|n| n as u64))
    }

    fn read_directory(
        &mut self,
        d: Resource<Descriptor>,
    ) -> FsResult<Resource<DirectoryEntryStream>> {
        let listing = match self.desc(&d)?.dir().and_then(|dir| dir.read_dir()) {
            Ok(l) => l,
            Err(e) => return wit(Err(e)),
        };
        // wasi:filesystem lists neither `.` nor `..`.
        let entries: Vec<DirEntry> = listing
            .into_iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .collect();
        Ok(Ok(self.table.push(DirectoryEntryStream {
            entries: entries.into_iter(),
        })?))
    }

    fn sync(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        wit(match self.desc(&d)? {
            Descriptor::File { file, .. } => file.sync(),
            Descriptor::Dir { dir, .. } => dir.sync(),
        })
    }

    fn create_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        wit(self
            .desc(&d)?
            .dir_mut()
            .and_then(|dir| dir.create_dir_at(check_path(path.as_bytes())?)))
    }

    fn stat(&mut self, d: Resource<Descriptor>) -> FsResult<types::DescriptorStat> {
        wit(self.desc(&d)?.stat().map(|st| stat(&st)))
    }

    fn stat_at(
        &mut self,
        d: Resource<Descriptor>,
        flags: types::PathFlags,
        path: String,
    ) -> FsResult<types::DescriptorStat> {
        let follow = flags.contains(types::PathFlags::SYMLINK_FOLLOW);
        wit(self
            .desc(&d)?
            .dir()
            .and_then(|dir| dir.stat_at(check_path(path.as_bytes())?, follow))
            .map(|st| stat(&st)))
    }

    fn set_times_at(
        &mut self,
        d: Resource<Descriptor>,
        flags: types::PathFlags,
        path: String,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> FsResult<()> {
        let follow = flags.contains(types::PathFlags::SYMLINK_FOLLOW);
        let (a, m) = (set_time(atim), set_time(mtim));
        wit(self
            .desc(&d)?
            .dir_mut()
            .and_then(|dir| dir.set_times_at(check_path(path.as_bytes())?, follow, a, m)))
    }

    fn link_at(
        &mut self,
        d: Resource<Descriptor>,
        old_flags: types::PathFlags,
        old_path: String,
        new_d: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let follow = old_flags.contains(types::PathFlags::SYMLINK_FOLLOW);
        let new_dir = match self.desc(&new_d)?.dir_mut() {
            Ok(n) => n.clone(),
            Err(e) => return wit(Err(e)),
        };
        wit(self.desc(&d)?.dir().and_then(|dir| {
            dir.link_at(
                check_path(old_path.as_bytes())?,
                follow,
                &*new_dir,
                check_path(new_path.as_bytes())?,
            )
        }))
    }

    fn open_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        open_flags: types::OpenFlags,
        flags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let parent = self.desc(&d)?;
        let dir = match parent.dir() {
            Ok(d) => d.clone(),
            Err(e) => return wit(Err(e)),
        };
        let parent_flags = parent.flags();
        let changes = flags.intersects(DescriptorFlags::WRITE | DescriptorFlags::MUTATE_DIRECTORY)
            || open_flags.intersects(types::OpenFlags::CREATE | types::OpenFlags::TRUNCATE);
        // A descriptor cannot hand out more than it has.
        if changes && !parent_flags.contains(DescriptorFlags::MUTATE_DIRECTORY) {
            return wit(Err(Errno::Rofs));
        }
        let path = match check_path(path.as_bytes()) {
            Ok(p) => p,
            Err(e) => return wit(Err(e)),
        };
        let mut fdflags = FdFlags::empty();
        if flags.contains(DescriptorFlags::FILE_INTEGRITY_SYNC) {
            fdflags |= FdFlags::SYNC;
        }
        if flags.contains(DescriptorFlags::DATA_INTEGRITY_SYNC) {
            fdflags |= FdFlags::DSYNC;
        }
        if flags.contains(DescriptorFlags::REQUESTED_WRITE_SYNC) {
            fdflags |= FdFlags::RSYNC;
        }
        let opts = OpenOptions {
            read: flags.contains(DescriptorFlags::READ),
            write: flags.contains(DescriptorFlags::WRITE),
            create: open_flags.contains(types::OpenFlags::CREATE),
            exclusive: open_flags.contains(types::OpenFlags::EXCLUSIVE),
            truncate: open_flags.contains(types::OpenFlags::TRUNCATE),
            directory: open_flags.contains(types::OpenFlags::DIRECTORY),
            follow: path_flags.contains(types::PathFlags::SYMLINK_FOLLOW),
            fdflags,
        };
        let desc = match dir.open_at(path, &opts) {
            Ok(Opened::File(file)) => Descriptor::File { file, flags },
            Ok(Opened::Dir(dir)) => {
                let mut flags = flags;
                if dir.is_read_only() {
                    flags &= !DescriptorFlags::MUTATE_DIRECTORY;
                }
                Descriptor::Dir { dir, flags }
            }
            Err(e) => return wit(Err(e)),
        };
        Ok(Ok(self.table.push(desc)?))
    }

    fn readlink_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<String> {
        wit(self
            .desc(&d)?
            .dir()
            .and_then(|dir| dir.readlink_at(check_path(path.as_bytes())?))
            .and_then(|t| String::from_utf8(t).map_err(|_| Errno::Ilseq))
            // WIT: a link to an absolute path is not readable (not-permitted).
            .and_then(|t| {
                if t.starts_with('/') {
                    Err(Errno::Perm)
                } else {
                    Ok(t)
                }
            }))
    }

    fn remove_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        wit(self
            .desc(&d)?
            .dir_mut()
            .and_then(|dir| dir.remove_dir_at(check_path(path.as_bytes())?)))
    }

    fn rename_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_d: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let new_dir = match self.desc(&new_d)?.dir_mut() {
            Ok(n) => n.clone(),
            Err(e) => return wit(Err(e)),
        };
        wit(self.desc(&d)?.dir_mut().and_then(|dir| {
            dir.rename_at(
                check_path(old_path.as_bytes())?,
                &*new_dir,
                check_path(new_path.as_bytes())?,
            )
        }))
    }

    fn symlink_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> FsResult<()> {
        wit(self.desc(&d)?.dir_mut().and_then(|dir| {
            if old_path.is_empty() {
                return Err(Errno::Noent);
            }
            if old_path.contains('\0') {
                return Err(Errno::Ilseq);
            }
            // WIT: an absolute target fails with not-permitted.
            if old_path.starts_with('/') {
                return Err(Errno::Perm);
            }
            dir.symlink_at(&old_path, check_path(new_path.as_bytes())?)
        }))
    }

    fn unlink_file_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        wit(self
            .desc(&d)?
            .dir_mut()
            .and_then(|dir| dir.unlink_file_at(check_path(path.as_bytes())?)))
    }

    fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        let (a, b) = (self.desc(&a)?.stat(), self.desc(&b)?.stat());
        Ok(matches!((a, b), (Ok(a), Ok(b)) if a.dev == b.dev && a.ino == b.ino))
    }

    fn metadata_hash(&mut self, d: Resource<Descriptor>) -> FsResult<types::MetadataHashValue> {
        wit(self.desc(&d)?.stat().map(|st| metadata_hash(&st)))
    }

    fn metadata_hash_at(
        &mut self,
        d: Resource<Descriptor>,
        flags: types::PathFlags,
        path: String,
    ) -> FsResult<types::MetadataHashValue> {
        let follow = flags.contains(types::PathFlags::SYMLINK_FOLLOW);
        wit(self
            .desc(&d)?
            .dir()
            .and_then(|dir| dir.stat_at(check_path(path.as_bytes())?, follow))
            .map(|st| metadata_hash(&st)))
    }

    fn drop(&mut self, d: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.table.delete(d)?;
        Ok(())
    }
}

impl types::HostDirectoryEntryStream for WasiP2 {
    fn read_directory_entry(
        &mut self,
        s: Resource<DirectoryEntryStream>,
    ) -> FsResult<Option<types::DirectoryEntry>> {
        let s = self.table.get_mut(&s)?;
        Ok(Ok(s.entries.next().map(|e| types::DirectoryEntry {
            type_: descriptor_type(e.filetype),
            name: String::from_utf8_lossy(&e.name).into_owned(),
        })))
    }

    fn drop(&mut self, s: Resource<DirectoryEntryStream>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}
