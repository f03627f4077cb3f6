//! wasi:filesystem — types and preopens — over the kernel's `Dir`/`File`.
//!
//! A descriptor wraps the same kernel objects a WASI 0.1 descriptor does, so
//! the host, in-memory and read-only backends, and their confinement, are
//! the same for components as for modules.

use crate::bindings::wasi::filesystem::{preopens, types};
use crate::clocks::datetime;
use crate::io::{InputStream, IoError, OutputStream};
use crate::WasiP2;
use types::{DescriptorFlags, DescriptorType, ErrorCode};
use warden_kernel::fs::descriptor::{self as kd, OpenAt};
use warden_kernel::types::{Advice, DirEntry, FileType, Filestat, SetTime};
use warden_kernel::Errno;
use wasmtime::component::Resource;

/// An open file or directory: the kernel's `wasi:filesystem` descriptor.
pub use warden_kernel::fs::descriptor::Descriptor;

/// The rest of a directory listing being read.
pub struct DirectoryEntryStream {
    entries: std::vec::IntoIter<DirEntry>,
}

/// The WIT error code for a kernel error.
pub fn error_code(e: Errno) -> ErrorCode {
    warden_kernel::fs_error_code!(ErrorCode, e, Errno::Again => WouldBlock)
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

fn metadata_hash((lower, upper): (u64, u64)) -> types::MetadataHashValue {
    types::MetadataHashValue { lower, upper }
}

warden_kernel::descriptor_flag_conversions!(DescriptorFlags);

type FsResult<T> = wasmtime::Result<Result<T, ErrorCode>>;

/// Turns a kernel result into the WIT result.
fn wit<T>(r: Result<T, Errno>) -> FsResult<T> {
    Ok(r.map_err(error_code))
}

impl WasiP2 {
    fn desc(&self, d: &Resource<Descriptor>) -> wasmtime::Result<&Descriptor> {
        Ok(self.table.get(d)?)
    }

    /// The preopened directories of the kernel, as descriptors.
    fn preopened(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        kd::preopens(&self.kernel)
            .into_iter()
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

fn follow(flags: types::PathFlags) -> bool {
    flags.contains(types::PathFlags::SYMLINK_FOLLOW)
}

impl types::HostDescriptor for WasiP2 {
    fn read_via_stream(
        &mut self,
        d: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<InputStream>> {
        let file = match self.desc(&d)?.file_with(kd::DescriptorFlags::READ) {
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
        let file = match self.desc(&d)?.file_with(kd::DescriptorFlags::WRITE) {
            Ok(f) => f.clone(),
            Err(e) => return wit(Err(e)),
        };
        Ok(Ok(self.push_output(OutputStream::File { file, offset })?))
    }

    fn append_via_stream(&mut self, d: Resource<Descriptor>) -> FsResult<Resource<OutputStream>> {
        let file = match self.desc(&d)?.file_with(kd::DescriptorFlags::WRITE) {
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
        wit(self.desc(&d)?.advise(offset, length, advice))
    }

    fn sync_data(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        wit(self.desc(&d)?.sync_data())
    }

    fn get_flags(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorFlags> {
        Ok(Ok(from_kernel(self.desc(&d)?.flags())))
    }

    fn get_type(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorType> {
        Ok(Ok(descriptor_type(self.desc(&d)?.file_type())))
    }

    fn set_size(&mut self, d: Resource<Descriptor>, size: u64) -> FsResult<()> {
        wit(self.desc(&d)?.set_size(size))
    }

    fn set_times(
        &mut self,
        d: Resource<Descriptor>,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> FsResult<()> {
        wit(self.desc(&d)?.set_times(set_time(atim), set_time(mtim)))
    }

    fn read(
        &mut self,
        d: Resource<Descriptor>,
        length: u64,
        offset: u64,
    ) -> FsResult<(Vec<u8>, bool)> {
        wit(self.desc(&d)?.read(length, offset))
    }

    fn write(&mut self, d: Resource<Descriptor>, buffer: Vec<u8>, offset: u64) -> FsResult<u64> {
        wit(self.desc(&d)?.write(&buffer, offset))
    }

    fn read_directory(
        &mut self,
        d: Resource<Descriptor>,
    ) -> FsResult<Resource<DirectoryEntryStream>> {
        let mut entries = match self.desc(&d)?.read_directory() {
            Ok(l) => l,
            Err(e) => return wit(Err(e)),
        };
        self.kernel.order_listing(&mut entries);
        Ok(Ok(self.table.push(DirectoryEntryStream {
            entries: entries.into_iter(),
        })?))
    }

    fn sync(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        wit(self.desc(&d)?.sync())
    }

    fn create_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        wit(self.desc(&d)?.create_directory_at(&path))
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
        wit(self
            .desc(&d)?
            .stat_at(follow(flags), &path)
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
        let (a, m) = (set_time(atim), set_time(mtim));
        wit(self.desc(&d)?.set_times_at(follow(flags), &path, a, m))
    }

    fn link_at(
        &mut self,
        d: Resource<Descriptor>,
        old_flags: types::PathFlags,
        old_path: String,
        new_d: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let new_dir = self.desc(&new_d)?;
        wit(self
            .desc(&d)?
            .link_at(follow(old_flags), &old_path, new_dir, &new_path))
    }

    fn open_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        open_flags: types::OpenFlags,
        flags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let how = OpenAt {
            follow: follow(path_flags),
            create: open_flags.contains(types::OpenFlags::CREATE),
            directory: open_flags.contains(types::OpenFlags::DIRECTORY),
            exclusive: open_flags.contains(types::OpenFlags::EXCLUSIVE),
            truncate: open_flags.contains(types::OpenFlags::TRUNCATE),
        };
        match self.desc(&d)?.open_at(how, &path, to_kernel(flags)) {
            Ok(desc) => Ok(Ok(self.table.push(desc)?)),
            Err(e) => wit(Err(e)),
        }
    }

    fn readlink_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<String> {
        wit(self.desc(&d)?.readlink_at(&path))
    }

    fn remove_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        wit(self.desc(&d)?.remove_directory_at(&path))
    }

    fn rename_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_d: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let new_dir = self.desc(&new_d)?;
        wit(self.desc(&d)?.rename_at(&old_path, new_dir, &new_path))
    }

    fn symlink_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> FsResult<()> {
        wit(self.desc(&d)?.symlink_at(&old_path, &new_path))
    }

    fn unlink_file_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        wit(self.desc(&d)?.unlink_file_at(&path))
    }

    fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        Ok(self.desc(&a)?.is_same_object(self.desc(&b)?))
    }

    fn metadata_hash(&mut self, d: Resource<Descriptor>) -> FsResult<types::MetadataHashValue> {
        wit(self.desc(&d)?.metadata_hash().map(metadata_hash))
    }

    fn metadata_hash_at(
        &mut self,
        d: Resource<Descriptor>,
        flags: types::PathFlags,
        path: String,
    ) -> FsResult<types::MetadataHashValue> {
        wit(self
            .desc(&d)?
            .metadata_hash_at(follow(flags), &path)
            .map(metadata_hash))
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
