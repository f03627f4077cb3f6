//! wasi:filesystem@0.3 — types and preopens — over the kernel's
//! [`Descriptor`], the same one WASI 0.2 uses (so the host, in-memory and
//! read-only backends and their confinement are shared, and a fix to a rule
//! serves both versions).
//!
//! How the async ABI maps onto the kernel:
//! - The `async func` methods run the kernel call at once, on the thread
//!   that runs the guest: a file operation is a syscall (or an in-memory
//!   step) that does not wait for the network, so a thread hop would only
//!   add latency. They are `async` in the WIT so a host *may* suspend;
//!   ours complete in their first poll.
//! - `read-via-stream` hands the guest a `stream<u8>` whose producer
//!   `pread`s straight into the guest's read buffer (no copy, no thread
//!   hop), one read per guest read; `write-via-stream`/`append-via-stream`
//!   consume the guest's `stream<u8>` by `pwrite`ing straight from its
//!   write buffer. Their `future<result<_, error-code>>` resolves when the
//!   stream ends: `ok` at end of file / when the guest closes its end,
//!   the error code when a read or write fails.
//! - `read-directory` lists the directory once (stable for the stream's
//!   life, as the kernel's listing is) and streams the entries.

use crate::bindings::wasi::filesystem::{preopens, types};
use crate::clocks::instant;
use crate::{done_future, Done, WasiP3, WasiP3Ctx};
use std::future::Future;
use std::io::{IoSlice, IoSliceMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use types::{DescriptorFlags, DescriptorType, ErrorCode};
use warden_kernel::fs::descriptor::{self as kd, OpenAt};
use warden_kernel::fs::File;
use warden_kernel::types::{Advice, DirEntry, FileType, Filestat, SetTime};
use warden_kernel::Errno;
use wasmtime::component::{
    Access, Accessor, Destination, FutureReader, Resource, Source, StreamConsumer, StreamProducer,
    StreamReader, StreamResult, VecBuffer,
};
use wasmtime::StoreContextMut;

/// An open file or directory: the kernel's `wasi:filesystem` descriptor.
pub use warden_kernel::fs::descriptor::Descriptor;

/// The WIT error code for a kernel error.
pub fn error_code(e: Errno) -> ErrorCode {
    warden_kernel::fs_error_code!(ErrorCode, e)
}

fn descriptor_type(t: FileType) -> DescriptorType {
    match t {
        FileType::BlockDevice => DescriptorType::BlockDevice,
        FileType::CharacterDevice => DescriptorType::CharacterDevice,
        FileType::Directory => DescriptorType::Directory,
        FileType::RegularFile => DescriptorType::RegularFile,
        FileType::SymbolicLink => DescriptorType::SymbolicLink,
        FileType::SocketDgram | FileType::SocketStream => DescriptorType::Socket,
        FileType::Unknown => DescriptorType::Other(None),
    }
}

fn stat(st: &Filestat) -> types::DescriptorStat {
    types::DescriptorStat {
        type_: descriptor_type(st.file_type()),
        link_count: st.nlink,
        size: st.size,
        data_access_timestamp: Some(instant(st.atim)),
        data_modification_timestamp: Some(instant(st.mtim)),
        status_change_timestamp: Some(instant(st.ctim)),
    }
}

/// The kernel's time for a WIT one: nanoseconds since the epoch, an
/// instant before the epoch wrapped as the kernel's `stat` reports it (so
/// what a guest reads it can set back); an instant out of the kernel's
/// range (±292 years) or with 10^9 nanoseconds or more is `invalid`.
fn set_time(t: types::NewTimestamp) -> Result<SetTime, Errno> {
    Ok(match t {
        types::NewTimestamp::NoChange => SetTime::Keep,
        types::NewTimestamp::Now => SetTime::Now,
        types::NewTimestamp::Timestamp(t) => {
            if t.nanoseconds >= 1_000_000_000 {
                return Err(Errno::Inval);
            }
            let ns = i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanoseconds);
            SetTime::At(i64::try_from(ns).map_err(|_| Errno::Inval)? as u64)
        }
    })
}

fn metadata_hash((lower, upper): (u64, u64)) -> types::MetadataHashValue {
    types::MetadataHashValue { lower, upper }
}

fn follow(flags: types::PathFlags) -> bool {
    flags.contains(types::PathFlags::SYMLINK_FOLLOW)
}

warden_kernel::descriptor_flag_conversions!(DescriptorFlags);

type FsResult<T> = wasmtime::Result<Result<T, ErrorCode>>;

impl WasiP3Ctx<'_> {
    fn desc(&self, d: &Resource<Descriptor>) -> wasmtime::Result<&Descriptor> {
        Ok(self.table.get(d)?)
    }
}

/// Runs `op` on the descriptor `d` (and the guest's table), now, and
/// translates its kernel result.
fn with_desc<T, R>(
    accessor: &Accessor<T, WasiP3>,
    d: &Resource<Descriptor>,
    op: impl FnOnce(&Descriptor) -> Result<R, Errno>,
) -> FsResult<R> {
    accessor.with(|mut access| {
        let ctx = access.get();
        Ok(op(ctx.desc(d)?).map_err(error_code))
    })
}

/// Like [`with_desc`], with a second descriptor (`link-at`, `rename-at`).
fn with_two<T, R>(
    accessor: &Accessor<T, WasiP3>,
    a: &Resource<Descriptor>,
    b: &Resource<Descriptor>,
    op: impl FnOnce(&Descriptor, &Descriptor) -> Result<R, Errno>,
) -> FsResult<R> {
    accessor.with(|mut access| {
        let ctx = access.get();
        Ok(op(ctx.desc(a)?, ctx.desc(b)?).map_err(error_code))
    })
}

impl preopens::Host for WasiP3Ctx<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        kd::preopens(self.kernel)
            .into_iter()
            .map(|(d, name)| Ok((self.table.push(d)?, name)))
            .collect()
    }
}

impl types::Host for WasiP3Ctx<'_> {}

impl types::HostDescriptor for WasiP3Ctx<'_> {
    fn drop(&mut self, d: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.table.delete(d)?;
        Ok(())
    }
}

/// The file behind `d` if it was opened with `flag`, or the error the
/// stream's future will carry.
fn stream_file(
    access: &mut Access<'_, impl Send + 'static, WasiP3>,
    d: &Resource<Descriptor>,
    flag: kd::DescriptorFlags,
) -> wasmtime::Result<Result<Arc<dyn File>, ErrorCode>> {
    Ok(access
        .get()
        .desc(d)?
        .file_with(flag)
        .cloned()
        .map_err(error_code))
}

impl<T: Send + 'static> types::HostDescriptorWithStore<T> for WasiP3 {
    fn read_via_stream(
        mut access: Access<'_, T, Self>,
        d: Resource<Descriptor>,
        offset: u64,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        let file = stream_file(&mut access, &d, kd::DescriptorFlags::READ)?;
        let (done, future) = done_future(&mut access)?;
        let done = settle_now(done, &file);
        let stream = StreamReader::new(access, FileReader { file, offset, done })?;
        Ok((stream, future))
    }

    fn write_via_stream(
        mut access: Access<'_, T, Self>,
        d: Resource<Descriptor>,
        data: StreamReader<u8>,
        offset: u64,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        let file = stream_file(&mut access, &d, kd::DescriptorFlags::WRITE)?;
        pipe_into(access, data, file, Some(offset))
    }

    fn append_via_stream(
        mut access: Access<'_, T, Self>,
        d: Resource<Descriptor>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        let file = stream_file(&mut access, &d, kd::DescriptorFlags::WRITE)?;
        pipe_into(access, data, file, None)
    }

    fn read_directory(
        mut access: Access<'_, T, Self>,
        d: Resource<Descriptor>,
    ) -> wasmtime::Result<(
        StreamReader<types::DirectoryEntry>,
        FutureReader<Result<(), ErrorCode>>,
    )> {
        let ctx = access.get();
        let mut listing = ctx.desc(&d)?.read_directory().map_err(error_code);
        if let Ok(entries) = &mut listing {
            ctx.kernel.order_listing(entries);
        }
        let (done, future) = done_future(&mut access)?;
        let done = settle_now(done, &listing);
        let stream = StreamReader::new(
            access,
            EntryProducer {
                entries: listing.unwrap_or_default().into_iter(),
                done,
            },
        )?;
        Ok((stream, future))
    }

    fn advise(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        offset: u64,
        length: u64,
        advice: types::Advice,
    ) -> impl Future<Output = FsResult<()>> + Send {
        let advice = match advice {
            types::Advice::Normal => Advice::Normal,
            types::Advice::Sequential => Advice::Sequential,
            types::Advice::Random => Advice::Random,
            types::Advice::WillNeed => Advice::WillNeed,
            types::Advice::DontNeed => Advice::DontNeed,
            types::Advice::NoReuse => Advice::NoReuse,
        };
        std::future::ready(with_desc(accessor, &d, |d| {
            d.advise(offset, length, advice)
        }))
    }

    fn sync_data(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.sync_data()))
    }

    fn get_flags(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
    ) -> impl Future<Output = FsResult<DescriptorFlags>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| Ok(from_kernel(d.flags()))))
    }

    fn get_type(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
    ) -> impl Future<Output = FsResult<DescriptorType>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| {
            Ok(descriptor_type(d.file_type()))
        }))
    }

    fn set_size(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        size: u64,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.set_size(size)))
    }

    fn set_times(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| {
            d.set_times(set_time(atim)?, set_time(mtim)?)
        }))
    }

    fn sync(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.sync()))
    }

    fn create_directory_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        path: String,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.create_directory_at(&path)))
    }

    fn stat(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
    ) -> impl Future<Output = FsResult<types::DescriptorStat>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.stat().map(|st| stat(&st))))
    }

    fn stat_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        flags: types::PathFlags,
        path: String,
    ) -> impl Future<Output = FsResult<types::DescriptorStat>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| {
            d.stat_at(follow(flags), &path).map(|st| stat(&st))
        }))
    }

    fn set_times_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        flags: types::PathFlags,
        path: String,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| {
            d.set_times_at(follow(flags), &path, set_time(atim)?, set_time(mtim)?)
        }))
    }

    fn link_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        old_flags: types::PathFlags,
        old_path: String,
        new_d: Resource<Descriptor>,
        new_path: String,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_two(accessor, &d, &new_d, |d, new_dir| {
            d.link_at(follow(old_flags), &old_path, new_dir, &new_path)
        }))
    }

    fn open_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        open_flags: types::OpenFlags,
        flags: DescriptorFlags,
    ) -> impl Future<Output = FsResult<Resource<Descriptor>>> + Send {
        let how = OpenAt {
            follow: follow(path_flags),
            create: open_flags.contains(types::OpenFlags::CREATE),
            directory: open_flags.contains(types::OpenFlags::DIRECTORY),
            exclusive: open_flags.contains(types::OpenFlags::EXCLUSIVE),
            truncate: open_flags.contains(types::OpenFlags::TRUNCATE),
        };
        std::future::ready(accessor.with(|mut access| {
            let ctx = access.get();
            match ctx.desc(&d)?.open_at(how, &path, to_kernel(flags)) {
                Ok(opened) => Ok(Ok(ctx.table.push(opened)?)),
                Err(e) => Ok(Err(error_code(e))),
            }
        }))
    }

    fn readlink_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        path: String,
    ) -> impl Future<Output = FsResult<String>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.readlink_at(&path)))
    }

    fn remove_directory_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        path: String,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.remove_directory_at(&path)))
    }

    fn rename_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        old_path: String,
        new_d: Resource<Descriptor>,
        new_path: String,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_two(accessor, &d, &new_d, |d, new_dir| {
            d.rename_at(&old_path, new_dir, &new_path)
        }))
    }

    fn symlink_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| {
            d.symlink_at(&old_path, &new_path)
        }))
    }

    fn unlink_file_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        path: String,
    ) -> impl Future<Output = FsResult<()>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| d.unlink_file_at(&path)))
    }

    fn is_same_object(
        accessor: &Accessor<T, Self>,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> impl Future<Output = wasmtime::Result<bool>> + Send {
        std::future::ready(
            with_two(accessor, &a, &b, |a, b| Ok(a.is_same_object(b))).map(|r| r.unwrap_or(false)),
        )
    }

    fn metadata_hash(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
    ) -> impl Future<Output = FsResult<types::MetadataHashValue>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| {
            d.metadata_hash().map(metadata_hash)
        }))
    }

    fn metadata_hash_at(
        accessor: &Accessor<T, Self>,
        d: Resource<Descriptor>,
        flags: types::PathFlags,
        path: String,
    ) -> impl Future<Output = FsResult<types::MetadataHashValue>> + Send {
        std::future::ready(with_desc(accessor, &d, |d| {
            d.metadata_hash_at(follow(flags), &path).map(metadata_hash)
        }))
    }
}

/// Most bytes one read of a file stream takes when the reader is the host
/// (a guest reader gives its own buffer size).
const HOST_READ_CHUNK: usize = 64 * 1024;

/// The producer of a `read-via-stream` stream: each guest read is one
/// `pread` at the stream's offset straight into the guest's buffer.
struct FileReader {
    /// The file, or why the descriptor cannot be read.
    file: Result<Arc<dyn File>, ErrorCode>,
    offset: u64,
    done: Option<Done<ErrorCode>>,
}

impl FileReader {
    fn finish(&mut self, r: Result<(), ErrorCode>) -> Poll<wasmtime::Result<StreamResult>> {
        if let Some(done) = self.done.take() {
            let _ = done.send(r);
        }
        Poll::Ready(Ok(StreamResult::Dropped))
    }
}

impl<D> StreamProducer<D> for FileReader {
    type Item = u8;
    type Buffer = Option<u8>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        dst: Destination<'a, u8, Option<u8>>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let this = &mut *self;
        let file = match &this.file {
            Ok(f) => f.clone(),
            Err(e) => {
                let e = e.clone();
                return this.finish(Err(e));
            }
        };
        let want = dst.remaining(&mut store);
        if want == Some(0) {
            // A readiness probe: a file is always ready.
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let cap = want.unwrap_or(HOST_READ_CHUNK);
        let mut direct = dst.as_direct(store, cap);
        let buf = direct.remaining();
        let n = buf.len().min(cap);
        match file.pread(&mut [IoSliceMut::new(&mut buf[..n])], this.offset) {
            Ok(0) => this.finish(Ok(())),
            Ok(n) => {
                direct.mark_written(n);
                this.offset += n as u64;
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Err(e) => this.finish(Err(error_code(e))),
        }
    }
}

/// Starts consuming the guest's `data` into `file` (at `offset`, or at the
/// end of the file for each chunk when `None`: append).
fn pipe_into<T: Send + 'static>(
    mut access: Access<'_, T, WasiP3>,
    data: StreamReader<u8>,
    file: Result<Arc<dyn File>, ErrorCode>,
    offset: Option<u64>,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    let (done, future) = done_future(&mut access)?;
    let done = settle_now(done, &file);
    data.pipe(access, FileWriter { file, offset, done })?;
    Ok(future)
}

/// Resolves a stream's outcome at once when its descriptor already failed
/// (no read or write permission, a directory): the error is known before
/// any data flows, and a guest that never reads or writes must see it too.
/// Otherwise hands the sender on to the producer or consumer.
fn settle_now<F>(done: Done<ErrorCode>, file: &Result<F, ErrorCode>) -> Option<Done<ErrorCode>> {
    match file {
        Ok(_) => Some(done),
        Err(e) => {
            let _ = done.send(Err(e.clone()));
            None
        }
    }
}

/// The consumer of a `write-via-stream`/`append-via-stream` stream: each
/// guest write is `pwrite`n straight from the guest's buffer.
struct FileWriter {
    file: Result<Arc<dyn File>, ErrorCode>,
    /// Where the next byte goes; `None` appends.
    offset: Option<u64>,
    done: Option<Done<ErrorCode>>,
}

impl FileWriter {
    fn finish(&mut self, r: Result<(), ErrorCode>) {
        if let Some(done) = self.done.take() {
            let _ = done.send(r);
        }
    }

    fn write(&mut self, file: &Arc<dyn File>, bytes: &[u8]) -> Result<usize, Errno> {
        match self.offset {
            Some(at) => {
                let n = file.pwrite(&[IoSlice::new(bytes)], at)?;
                self.offset = Some(at + n as u64);
                Ok(n)
            }
            None => {
                let end = file.stat()?.size;
                file.pwrite(&[IoSlice::new(bytes)], end)
            }
        }
    }
}

impl Drop for FileWriter {
    /// The guest closed its end (or the store went away) after every chunk
    /// was written: the stream ended well.
    fn drop(&mut self) {
        self.finish(Ok(()));
    }
}

impl<D> StreamConsumer<D> for FileWriter {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        source: Source<'_, u8>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let this = &mut *self;
        let file = match &this.file {
            Ok(f) => f.clone(),
            Err(e) => {
                let e = e.clone();
                this.finish(Err(e));
                return Poll::Ready(Ok(StreamResult::Dropped));
            }
        };
        let written = crate::write_direct(store, source, ErrorCode::InsufficientSpace, |bytes| {
            this.write(&file, bytes).map_err(error_code)
        });
        if let Err(e) = written {
            this.finish(Err(e));
        }
        if this.done.is_none() {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// The producer of a `read-directory` stream. The listing is read whole
/// when the stream is made, so the only error (the descriptor's) is known
/// then; the future resolves `ok` when the entries are out or the guest
/// stops reading.
struct EntryProducer {
    entries: std::vec::IntoIter<DirEntry>,
    done: Option<Done<ErrorCode>>,
}

/// Most entries handed over per guest read.
const ENTRIES_PER_READ: usize = 256;

impl<D> StreamProducer<D> for EntryProducer {
    type Item = types::DirectoryEntry;
    type Buffer = VecBuffer<types::DirectoryEntry>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        mut dst: Destination<'a, types::DirectoryEntry, Self::Buffer>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let want = dst.remaining(&mut store).unwrap_or(ENTRIES_PER_READ);
        if want == 0 {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let batch: Vec<types::DirectoryEntry> = self
            .entries
            .by_ref()
            .take(want.min(ENTRIES_PER_READ))
            .map(|e| types::DirectoryEntry {
                type_: descriptor_type(e.filetype),
                name: String::from_utf8_lossy(&e.name).into_owned(),
            })
            .collect();
        if batch.is_empty() {
            if let Some(done) = self.done.take() {
                let _ = done.send(Ok(()));
            }
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        dst.set_buffer(batch.into());
        Poll::Ready(Ok(StreamResult::Completed))
    }
}
