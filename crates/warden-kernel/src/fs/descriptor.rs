//! The `wasi:filesystem` descriptor, shared by WASI 0.2 and 0.3.
//!
//! Both versions describe the same `descriptor` resource (0.3 makes its
//! methods `async` and its byte I/O streams); the rules of it — which flag
//! an operation needs, what a descriptor may hand out, which paths and
//! symlink targets are refused — live here once, over the kernel's
//! [`Dir`]/[`File`] backends. The ABI layers translate their generated WIT
//! types to these and back, nothing more.

use super::{check_path, Dir, File, Opened};
use crate::errno::{Errno, Result};
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime};
use crate::Kernel;
use crate::Object;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;

bitflags::bitflags! {
    /// `descriptor-flags` of the WIT: what a descriptor may do.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct DescriptorFlags: u8 {
        const READ = 1 << 0;
        const WRITE = 1 << 1;
        const FILE_INTEGRITY_SYNC = 1 << 2;
        const DATA_INTEGRITY_SYNC = 1 << 3;
        const REQUESTED_WRITE_SYNC = 1 << 4;
        const MUTATE_DIRECTORY = 1 << 5;
    }
}

/// `open-flags` and `path-flags` of one `open-at`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenAt {
    pub follow: bool,
    pub create: bool,
    pub directory: bool,
    pub exclusive: bool,
    pub truncate: bool,
}

/// An open file or directory of `wasi:filesystem`.
#[derive(Clone)]
pub enum Descriptor {
    File {
        file: Arc<dyn File>,
        flags: DescriptorFlags,
    },
    Dir {
        dir: Arc<dyn Dir>,
        /// What `get-flags` reports: how it was opened.
        flags: DescriptorFlags,
        /// Whether what is beneath it may be changed. Inherited from the
        /// directory it was opened from, whatever flags `open-at` asked for
        /// (as in Wasmtime: programs open `.` with no flags and then create
        /// in it); only a read-only mount takes it away.
        mutate: bool,
    },
}

/// Most bytes one `read` returns.
pub const MAX_READ: u64 = 1 << 26;

/// The preopened directories of `kernel` as descriptors, with their names:
/// `read`, plus `mutate-directory` unless the mount is read-only.
pub fn preopens(kernel: &Kernel) -> Vec<(Descriptor, String)> {
    let mut dirs = Vec::new();
    for fd in kernel.fds.fds() {
        let Ok(d) = kernel.fds.get(fd) else { continue };
        if let (Some(name), Object::Dir(dir)) = (&d.preopen, &d.object) {
            let mut flags = DescriptorFlags::READ;
            if !dir.is_read_only() {
                flags |= DescriptorFlags::MUTATE_DIRECTORY;
            }
            dirs.push((
                Descriptor::Dir {
                    dir: dir.clone(),
                    flags,
                    mutate: !dir.is_read_only(),
                },
                String::from_utf8_lossy(name).into_owned(),
            ));
        }
    }
    dirs
}

/// A hash of a file's identity, size and last modification (what the WIT
/// asks for of `metadata-hash`), that does not reveal the inode number.
pub fn metadata_hash(st: &Filestat) -> (u64, u64) {
    use std::hash::{Hash, Hasher};
    let fields = (st.dev, st.ino, st.size, st.mtim);
    let mut lower = std::collections::hash_map::DefaultHasher::new();
    (fields, 0u8).hash(&mut lower);
    let mut upper = std::collections::hash_map::DefaultHasher::new();
    (fields, 1u8).hash(&mut upper);
    (lower.finish(), upper.finish())
}

fn path(p: &str) -> Result<&str> {
    check_path(p.as_bytes())
}

impl Descriptor {
    pub fn flags(&self) -> DescriptorFlags {
        match self {
            Descriptor::File { flags, .. } | Descriptor::Dir { flags, .. } => *flags,
        }
    }

    pub fn file(&self) -> Result<&Arc<dyn File>> {
        match self {
            Descriptor::File { file, .. } => Ok(file),
            Descriptor::Dir { .. } => Err(Errno::Isdir),
        }
    }

    pub fn dir(&self) -> Result<&Arc<dyn Dir>> {
        match self {
            Descriptor::Dir { dir, .. } => Ok(dir),
            Descriptor::File { .. } => Err(Errno::Notdir),
        }
    }

    /// The file, if the descriptor was opened with `flag` (`bad-descriptor`
    /// otherwise, as the WIT text says).
    pub fn file_with(&self, flag: DescriptorFlags) -> Result<&Arc<dyn File>> {
        let f = self.file()?;
        if !self.flags().contains(flag) {
            return Err(Errno::Badf);
        }
        Ok(f)
    }

    /// The directory, for an operation that changes what is in it.
    pub fn dir_mut(&self) -> Result<&Arc<dyn Dir>> {
        match self {
            Descriptor::Dir {
                dir, mutate: true, ..
            } => Ok(dir),
            Descriptor::Dir { .. } => Err(Errno::Rofs),
            Descriptor::File { .. } => Err(Errno::Notdir),
        }
    }

    pub fn stat(&self) -> Result<Filestat> {
        match self {
            Descriptor::File { file, .. } => file.stat(),
            Descriptor::Dir { dir, .. } => dir.stat(),
        }
    }

    pub fn file_type(&self) -> FileType {
        match self {
            Descriptor::File { file, .. } => file.filetype(),
            Descriptor::Dir { .. } => FileType::Directory,
        }
    }

    /// `advise` is about a file's data: on a directory it is
    /// `bad-descriptor` (as Wasmtime, wasi-testsuite filesystem-advise).
    pub fn advise(&self, offset: u64, length: u64, advice: Advice) -> Result<()> {
        self.file()
            .map_err(|_| Errno::Badf)?
            .advise(offset, length, advice)
    }

    pub fn sync_data(&self) -> Result<()> {
        match self {
            Descriptor::File { file, .. } => file.datasync(),
            Descriptor::Dir { dir, .. } => dir.sync(),
        }
    }

    pub fn sync(&self) -> Result<()> {
        match self {
            Descriptor::File { file, .. } => file.sync(),
            Descriptor::Dir { dir, .. } => dir.sync(),
        }
    }

    pub fn set_size(&self, size: u64) -> Result<()> {
        self.file_with(DescriptorFlags::WRITE)?.set_size(size)
    }

    pub fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()> {
        // Changing a directory's metadata is a change of the directory: it
        // needs `mutate-directory` (WIT). A file's times follow the host
        // (futimens needs ownership, not an open for writing).
        match self {
            Descriptor::File { file, .. } => file.set_times(atim, mtim),
            Descriptor::Dir { .. } => self.dir_mut()?.set_times(atim, mtim),
        }
    }

    /// `read`: up to `length` bytes at `offset`, and whether the end of the
    /// file was reached.
    pub fn read(&self, length: u64, offset: u64) -> Result<(Vec<u8>, bool)> {
        let file = self.file_with(DescriptorFlags::READ)?;
        let mut buf = vec![0u8; length.min(MAX_READ) as usize];
        let n = file.pread(&mut [IoSliceMut::new(&mut buf)], offset)?;
        let eof = n < buf.len() || (n == 0 && length > 0);
        buf.truncate(n);
        Ok((buf, eof))
    }

    pub fn write(&self, buffer: &[u8], offset: u64) -> Result<u64> {
        let file = self.file_with(DescriptorFlags::WRITE)?;
        Ok(file.pwrite(&[IoSlice::new(buffer)], offset)? as u64)
    }

    /// The entries of the directory, without `.` and `..` (wasi:filesystem
    /// lists neither).
    pub fn read_directory(&self) -> Result<Vec<DirEntry>> {
        let listing = self.dir()?.read_dir()?;
        Ok(listing
            .into_iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .collect())
    }

    pub fn create_directory_at(&self, p: &str) -> Result<()> {
        self.dir_mut()?.create_dir_at(path(p)?)
    }

    pub fn stat_at(&self, follow: bool, p: &str) -> Result<Filestat> {
        self.dir()?.stat_at(path(p)?, follow)
    }

    pub fn set_times_at(&self, follow: bool, p: &str, atim: SetTime, mtim: SetTime) -> Result<()> {
        self.dir_mut()?.set_times_at(path(p)?, follow, atim, mtim)
    }

    pub fn link_at(&self, follow: bool, old: &str, new_dir: &Descriptor, new: &str) -> Result<()> {
        let new_dir = new_dir.dir_mut()?;
        self.dir()?
            .link_at(path(old)?, follow, &**new_dir, path(new)?)
    }

    /// `open-at`. A descriptor cannot hand out more than it has: asking to
    /// write, create, truncate or mutate needs a directory whose contents may
    /// change. The new descriptor inherits that permission; the flags only
    /// choose how a file is opened (and what `get-flags` reports).
    pub fn open_at(&self, how: OpenAt, p: &str, flags: DescriptorFlags) -> Result<Descriptor> {
        let dir = self.dir()?;
        let may_mutate = matches!(self, Descriptor::Dir { mutate: true, .. });
        let changes = flags.intersects(DescriptorFlags::WRITE | DescriptorFlags::MUTATE_DIRECTORY)
            || how.create
            || how.truncate;
        if changes && !may_mutate {
            return Err(Errno::Rofs);
        }
        let p = path(p)?;
        let mut fdflags = FdFlags::empty();
        let sync = DescriptorFlags::FILE_INTEGRITY_SYNC
            | DescriptorFlags::DATA_INTEGRITY_SYNC
            | DescriptorFlags::REQUESTED_WRITE_SYNC;
        if flags.contains(DescriptorFlags::FILE_INTEGRITY_SYNC) {
            fdflags |= FdFlags::SYNC;
        }
        if flags.contains(DescriptorFlags::DATA_INTEGRITY_SYNC) {
            fdflags |= FdFlags::DSYNC;
        }
        if flags.contains(DescriptorFlags::REQUESTED_WRITE_SYNC) {
            fdflags |= FdFlags::RSYNC;
        }
        // Creating or truncating opens for writing; a file is readable when
        // asked, or when nothing else was asked (as Wasmtime: `create` with
        // no flags is read-write, `write` alone is write-only).
        let asked_write = flags.contains(DescriptorFlags::WRITE);
        let write = asked_write || how.create || how.truncate;
        let read = flags.contains(DescriptorFlags::READ) || !asked_write;
        let opts = OpenOptions {
            read,
            write,
            create: how.create,
            exclusive: how.exclusive,
            truncate: how.truncate,
            directory: how.directory,
            follow: how.follow,
            fdflags,
        };
        Ok(match dir.open_at(p, &opts)? {
            Opened::File(file) => {
                let mut mode = flags & sync;
                if read {
                    mode |= DescriptorFlags::READ;
                }
                if write {
                    mode |= DescriptorFlags::WRITE;
                }
                Descriptor::File { file, flags: mode }
            }
            Opened::Dir(dir) => {
                let mutate = may_mutate && !dir.is_read_only();
                let mut mode = DescriptorFlags::READ | (flags & sync);
                if mutate && flags.contains(DescriptorFlags::MUTATE_DIRECTORY) {
                    mode |= DescriptorFlags::MUTATE_DIRECTORY;
                }
                Descriptor::Dir {
                    dir,
                    flags: mode,
                    mutate,
                }
            }
        })
    }

    pub fn readlink_at(&self, p: &str) -> Result<String> {
        let target = self.dir()?.readlink_at(path(p)?)?;
        let target = String::from_utf8(target).map_err(|_| Errno::Ilseq)?;
        // WIT: a link to an absolute path is not readable (not-permitted).
        if target.starts_with('/') {
            return Err(Errno::Perm);
        }
        Ok(target)
    }

    pub fn remove_directory_at(&self, p: &str) -> Result<()> {
        self.dir_mut()?.remove_dir_at(path(p)?)
    }

    pub fn rename_at(&self, old: &str, new_dir: &Descriptor, new: &str) -> Result<()> {
        let new_dir = new_dir.dir_mut()?;
        self.dir_mut()?
            .rename_at(path(old)?, &**new_dir, path(new)?)
    }

    pub fn symlink_at(&self, target: &str, p: &str) -> Result<()> {
        let dir = self.dir_mut()?;
        dir.symlink_at(super::check_symlink_target(target.as_bytes())?, path(p)?)
    }

    pub fn unlink_file_at(&self, p: &str) -> Result<()> {
        self.dir_mut()?.unlink_file_at(path(p)?)
    }

    /// Whether both descriptors are the same file or directory.
    pub fn is_same_object(&self, other: &Descriptor) -> bool {
        matches!((self.stat(), other.stat()), (Ok(a), Ok(b)) if a.dev == b.dev && a.ino == b.ino)
    }

    pub fn metadata_hash(&self) -> Result<(u64, u64)> {
        Ok(metadata_hash(&self.stat()?))
    }

    pub fn metadata_hash_at(&self, follow: bool, p: &str) -> Result<(u64, u64)> {
        Ok(metadata_hash(&self.stat_at(follow, p)?))
    }
}

/// `match`es a kernel [`Errno`] onto the `error-code` enum `$code` of a
/// wasi:filesystem binding (0.2 and 0.3 name the same cases; each version's
/// bindings generate their own type, hence a macro). Extra arms for cases
/// only one version has come first, e.g. `Errno::Again => WouldBlock`.
#[macro_export]
macro_rules! fs_error_code {
    ($code:ident, $errno:expr $(, $extra:pat => $case:ident)* $(,)?) => {{
        use $crate::Errno;
        match $errno {
            $($extra => $code::$case,)*
            Errno::Acces => $code::Access,
            Errno::Already => $code::Already,
            Errno::Badf => $code::BadDescriptor,
            Errno::Busy => $code::Busy,
            Errno::Deadlk => $code::Deadlock,
            Errno::Dquot => $code::Quota,
            Errno::Exist => $code::Exist,
            Errno::Fbig => $code::FileTooLarge,
            Errno::Ilseq => $code::IllegalByteSequence,
            Errno::Inprogress => $code::InProgress,
            Errno::Intr => $code::Interrupted,
            Errno::Inval => $code::Invalid,
            Errno::Isdir => $code::IsDirectory,
            Errno::Loop => $code::Loop,
            Errno::Mlink => $code::TooManyLinks,
            Errno::Msgsize => $code::MessageSize,
            Errno::Nametoolong => $code::NameTooLong,
            Errno::Nodev => $code::NoDevice,
            Errno::Noent => $code::NoEntry,
            Errno::Nolck => $code::NoLock,
            Errno::Nomem => $code::InsufficientMemory,
            Errno::Nospc => $code::InsufficientSpace,
            Errno::Notdir => $code::NotDirectory,
            Errno::Notempty => $code::NotEmpty,
            Errno::Notrecoverable => $code::NotRecoverable,
            Errno::Notsup | Errno::Nosys => $code::Unsupported,
            Errno::Notty => $code::NoTty,
            Errno::Nxio => $code::NoSuchDevice,
            Errno::Overflow => $code::Overflow,
            Errno::Perm | Errno::Notcapable => $code::NotPermitted,
            Errno::Pipe => $code::Pipe,
            Errno::Rofs => $code::ReadOnly,
            Errno::Spipe => $code::InvalidSeek,
            Errno::Txtbsy => $code::TextFileBusy,
            Errno::Xdev => $code::CrossDevice,
            _ => $code::Io,
        }
    }};
}

/// Defines `to_kernel` and `from_kernel` between the `descriptor-flags` type
/// `$flags` of a wasi:filesystem binding and [`DescriptorFlags`] (the same
/// six flags in every version).
#[macro_export]
macro_rules! descriptor_flag_conversions {
    ($flags:ident) => {
        const FLAGS: [($flags, $crate::fs::descriptor::DescriptorFlags); 6] = {
            use $crate::fs::descriptor::DescriptorFlags as K;
            [
                ($flags::READ, K::READ),
                ($flags::WRITE, K::WRITE),
                ($flags::FILE_INTEGRITY_SYNC, K::FILE_INTEGRITY_SYNC),
                ($flags::DATA_INTEGRITY_SYNC, K::DATA_INTEGRITY_SYNC),
                ($flags::REQUESTED_WRITE_SYNC, K::REQUESTED_WRITE_SYNC),
                ($flags::MUTATE_DIRECTORY, K::MUTATE_DIRECTORY),
            ]
        };

        /// The kernel's descriptor flags for the WIT's.
        fn to_kernel(f: $flags) -> $crate::fs::descriptor::DescriptorFlags {
            FLAGS.iter().filter(|(wit, _)| f.contains(*wit)).fold(
                $crate::fs::descriptor::DescriptorFlags::empty(),
                |k, (_, kernel)| k | *kernel,
            )
        }

        /// The WIT's descriptor flags for the kernel's.
        fn from_kernel(k: $crate::fs::descriptor::DescriptorFlags) -> $flags {
            FLAGS
                .iter()
                .filter(|(_, kernel)| k.contains(*kernel))
                .fold($flags::empty(), |f, (wit, _)| f | *wit)
        }
    };
}
