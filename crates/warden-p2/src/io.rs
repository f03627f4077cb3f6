//! wasi:io — error, poll, streams — over kernel files, stdio and sockets.
//!
//! Streams on regular files read and write at their own offset with one
//! `pread`/`pwrite` per call; streams on stdin/stdout/pipes use the file's
//! own position. A blocking call on a pipe waits in `poll(2)` on the calling
//! thread: no thread hop, no async runtime.

use crate::bindings::wasi::io::{error, poll, streams};
use crate::WasiP2;
use std::io::{IoSlice, IoSliceMut};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use warden_kernel::clock::Clocks;
use warden_kernel::fs::File;
use warden_kernel::poll::{wait_file, wait_within, Interest, WaitError};
use warden_kernel::types::FileType;
use warden_kernel::Errno;
use wasmtime::component::Resource;

/// Most bytes one `read` returns, and the write budget `check-write` grants.
const CHUNK: u64 = 1 << 20;

/// A readable stream.
pub enum InputStream {
    /// A regular file read from `offset` on (`read-via-stream`).
    File { file: Arc<dyn File>, offset: u64 },
    /// A stream read at its own position (stdin, a pipe, a socket).
    Stream(Arc<dyn File>),
    /// A stream that failed or reached its end: every call says `closed`.
    Closed,
}

/// A writable stream.
pub enum OutputStream {
    /// A regular file written from `offset` on (`write-via-stream`).
    File { file: Arc<dyn File>, offset: u64 },
    /// A file written at its end (`append-via-stream`).
    Append(Arc<dyn File>),
    /// A stream written at its own position (stdout, stderr, a pipe, a
    /// socket). `pending` holds what a non-blocking descriptor did not take
    /// yet: `write` never blocks, and `check-write` grants nothing until it
    /// has drained.
    Stream {
        file: Arc<dyn File>,
        pending: Arc<Pending>,
    },
    /// A stream that failed or reached its end: every call says `closed`.
    Closed,
}

impl OutputStream {
    /// What `check-write` grants at most: the file's own permit (an HTTP
    /// body's chunk size), else one chunk.
    fn permit(&self) -> u64 {
        match self {
            OutputStream::Stream { file, .. }
            | OutputStream::Append(file)
            | OutputStream::File { file, .. } => file.write_permit().unwrap_or(CHUNK),
            OutputStream::Closed => CHUNK,
        }
    }

    pub fn stream(file: Arc<dyn File>) -> OutputStream {
        OutputStream::Stream {
            file,
            pending: Arc::new(Pending::default()),
        }
    }
}

/// Something a guest can wait for.
pub enum Pollable {
    /// Always ready (regular files, output streams).
    Ready,
    /// Ready once the monotonic clock reaches this many nanoseconds.
    Deadline(u64),
    /// Ready when the host descriptor is readable (or writable).
    Host { file: Arc<dyn File>, read: bool },
    /// Like `Host`, but what to wait for follows the owner's state (a TCP
    /// socket: readable once listening, writable while connecting, ready
    /// otherwise), so one pollable serves the socket's whole life.
    Watch {
        file: Arc<dyn File>,
        interest: Arc<AtomicU8>,
    },
}

/// `Pollable::Watch` interests.
pub const WATCH_READY: u8 = 0;
pub const WATCH_READ: u8 = 1;
pub const WATCH_WRITE: u8 = 2;

/// The error behind a `stream-error::last-operation-failed`.
pub struct IoError(pub Errno);

fn is_stream(f: &Arc<dyn File>) -> bool {
    f.filetype() != FileType::RegularFile && f.host_fd().is_some()
}

/// Writes all of `data` with `write`, which may take part of it.
fn write_all(
    mut write: impl FnMut(&[u8]) -> Result<usize, Errno>,
    data: &[u8],
) -> Result<(), Errno> {
    let mut done = 0;
    while done < data.len() {
        match write(&data[done..])? {
            0 => return Err(Errno::Pipe),
            n => done += n,
        }
    }
    Ok(())
}

/// Bytes a non-blocking descriptor did not take yet, and the state of the
/// thread sending them. `write` never blocks (WIT): what the descriptor
/// refuses is handed to a short-lived flusher thread, and `check-write`
/// grants nothing until it is gone.
#[derive(Default)]
pub struct Pending {
    state: Mutex<PendingState>,
    drained: Condvar,
}

#[derive(Default)]
struct PendingState {
    data: Vec<u8>,
    /// Set when sending failed; the stream is then closed.
    error: Option<Errno>,
}

impl Pending {
    fn lock(&self) -> MutexGuard<'_, PendingState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queued bytes, or the error that ended sending.
    fn status(&self) -> Result<usize, Errno> {
        let st = self.lock();
        match st.error {
            Some(e) => Err(e),
            None => Ok(st.data.len()),
        }
    }

    /// Waits until everything queued is sent (or failed).
    pub fn wait_drained(&self) -> Result<(), Errno> {
        let mut st = self.lock();
        while st.error.is_none() && !st.data.is_empty() {
            st = self.drained.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.error.map_or(Ok(()), Err)
    }
}

/// Flusher threads running, across every guest of the process, and the most
/// there may be: past it a write flushes on the guest's own thread (it
/// waits as a blocking write would), so guests cannot make the host start
/// threads without bound.
static FLUSHERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const MAX_FLUSHERS: usize = 64;

/// Sends `data` on a stream: straight to the descriptor when nothing is
/// queued; whatever it does not take now (or everything, behind queued
/// bytes) goes to the queue and a flusher thread. With `block`, returns once
/// all is sent. Nothing waits past `deadline` (the guest's time limit).
fn send(
    file: &Arc<dyn File>,
    pending: &Arc<Pending>,
    data: &[u8],
    block: bool,
    deadline: Option<u64>,
) -> Result<(), Errno> {
    let mut st = pending.lock();
    if let Some(e) = st.error {
        return Err(e);
    }
    if !st.data.is_empty() {
        // The flusher is running; it sends these after what it has.
        st.data.extend_from_slice(data);
        drop(st);
        return if block {
            pending.wait_drained()
        } else {
            Ok(())
        };
    }
    let mut sent = 0;
    while sent < data.len() {
        match file.write(&[IoSlice::new(&data[sent..])]) {
            Ok(0) => return Err(Errno::Pipe),
            Ok(n) => sent += n,
            Err(Errno::Again) => break,
            Err(e) => return Err(e),
        }
    }
    if sent == data.len() {
        return Ok(());
    }
    st.data.extend_from_slice(&data[sent..]);
    drop(st);
    if FLUSHERS.fetch_add(1, Ordering::AcqRel) >= MAX_FLUSHERS {
        FLUSHERS.fetch_sub(1, Ordering::AcqRel);
        flush(file, pending, deadline);
        return pending.status().map(|_| ());
    }
    let (file, queue) = (file.clone(), pending.clone());
    std::thread::spawn(move || {
        flush(&file, &queue, deadline);
        FLUSHERS.fetch_sub(1, Ordering::AcqRel);
    });
    if block {
        pending.wait_drained()?;
    }
    Ok(())
}

/// The flusher: sends the queue, waiting in poll(2) while the descriptor is
/// full, and ends when the queue is empty, sending failed, or the guest's
/// time limit passed (`timedout`: a peer that never reads cannot hold a
/// host thread for ever).
fn flush(file: &Arc<dyn File>, pending: &Arc<Pending>, deadline: Option<u64>) {
    loop {
        let chunk: Vec<u8> = {
            let st = pending.lock();
            if st.data.is_empty() || st.error.is_some() {
                pending.drained.notify_all();
                return;
            }
            st.data[..st.data.len().min(1 << 16)].to_vec()
        };
        let r = match file.write(&[IoSlice::new(&chunk)]) {
            Err(Errno::Again) => match file.host_fd() {
                Some(fd) => match wait_within(&[Interest { fd, read: false }], None, deadline) {
                    Ok(_) => Ok(0),
                    Err(WaitError::TimeLimit) => Err(Errno::Timedout),
                    Err(WaitError::Errno(e)) => Err(e),
                },
                None => Ok(0),
            },
            Ok(0) => Err(Errno::Pipe),
            r => r,
        };
        let mut st = pending.lock();
        match r {
            Ok(n) => {
                st.data.drain(..n);
            }
            Err(e) => {
                st.error = Some(e);
                st.data.clear();
            }
        }
        if st.data.is_empty() || st.error.is_some() {
            pending.drained.notify_all();
        }
    }
}

/// Waits until a host descriptor is readable (or writable), or traps with
/// [`DeadlineExceeded`](crate::DeadlineExceeded) once `deadline` passes.
fn wait_ready(f: &Arc<dyn File>, read: bool, deadline: Option<u64>) -> wasmtime::Result<()> {
    waited(wait_file(&**f, read, deadline))
}

/// A wait's outcome for a host call: the time limit is a trap naming it.
fn waited<T>(r: Result<T, WaitError>) -> wasmtime::Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(WaitError::TimeLimit) => Err(crate::DeadlineExceeded.into()),
        Err(WaitError::Errno(e)) => Err(e.into()),
    }
}

impl InputStream {
    fn pollable(&self) -> Pollable {
        match self {
            InputStream::Stream(f) if is_stream(f) => Pollable::Host {
                file: f.clone(),
                read: true,
            },
            _ => Pollable::Ready,
        }
    }
}

/// Whether `file` is readable (or writable) now, without waiting. A file
/// with no host descriptor (in memory) always is.
pub(crate) fn ready_now(file: &dyn File, read: bool) -> Result<bool, Errno> {
    match file.host_fd() {
        Some(fd) => warden_kernel::poll::ready_now(fd, read),
        None => Ok(true),
    }
}

impl Pollable {
    fn ready_now(&self, clocks: &Clocks) -> bool {
        match self {
            Pollable::Ready => true,
            Pollable::Deadline(d) => clocks.monotonic() >= *d,
            Pollable::Watch { file, interest } => match interest.load(Ordering::Relaxed) {
                WATCH_READY => true,
                i => ready_now(&**file, i == WATCH_READ).unwrap_or(true),
            },
            Pollable::Host { file, read } => ready_now(&**file, *read).unwrap_or(true),
        }
    }
}

impl WasiP2 {
    pub(crate) fn stream_error(&mut self, e: Errno) -> wasmtime::Result<streams::StreamError> {
        let err = self.table.push(IoError(e))?;
        Ok(streams::StreamError::LastOperationFailed(err))
    }

    pub fn push_input(&mut self, s: InputStream) -> wasmtime::Result<Resource<InputStream>> {
        Ok(self.table.push(s)?)
    }

    pub fn push_output(&mut self, s: OutputStream) -> wasmtime::Result<Resource<OutputStream>> {
        Ok(self.table.push(s)?)
    }

    pub(crate) fn push_pollable(&mut self, p: Pollable) -> wasmtime::Result<Resource<Pollable>> {
        Ok(self.table.push(p)?)
    }

    /// Reads up to `len` bytes; `block` waits for data on a stream.
    fn read_stream(
        &mut self,
        s: &Resource<InputStream>,
        len: u64,
        block: bool,
    ) -> wasmtime::Result<Result<Vec<u8>, streams::StreamError>> {
        let len = len.min(CHUNK) as usize;
        let deadline = self.kernel.deadline;
        let stream = self.table.get_mut(s)?;
        let mut buf = vec![0u8; len];
        let r = match stream {
            InputStream::Closed => return Ok(Err(streams::StreamError::Closed)),
            InputStream::File { file, offset } => file
                .pread(&mut [IoSliceMut::new(&mut buf)], *offset)
                .inspect(|&n| {
                    *offset += n as u64;
                }),
            InputStream::Stream(f) => loop {
                if !block && is_stream(f) && !ready_now(&**f, true)? {
                    return Ok(Ok(Vec::new()));
                }
                if block && deadline.is_some() && is_stream(f) {
                    // Under a time limit, wait where the limit can end it,
                    // not in a read(2) that might never return.
                    wait_ready(f, true, deadline)?;
                }
                match f.read(&mut [IoSliceMut::new(&mut buf)]) {
                    // A non-blocking descriptor (a socket) with nothing yet:
                    // a blocking read waits for it.
                    Err(Errno::Again) if block => wait_ready(f, true, deadline)?,
                    r => break r,
                }
            },
        };
        match r {
            Ok(0) if len > 0 => {
                *stream = InputStream::Closed;
                Ok(Err(streams::StreamError::Closed))
            }
            Ok(n) => {
                buf.truncate(n);
                Ok(Ok(buf))
            }
            Err(Errno::Again) => Ok(Ok(Vec::new())),
            Err(e) => {
                *stream = InputStream::Closed;
                Ok(Err(self.stream_error(e)?))
            }
        }
    }

    /// Writes `data`. Files take it whole. A stream queues it and sends
    /// what the descriptor takes now; with `block`, until all is sent.
    fn write_stream(
        &mut self,
        s: &Resource<OutputStream>,
        data: &[u8],
        block: bool,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        let deadline = self.kernel.deadline;
        let stream = self.table.get_mut(s)?;
        let r = match stream {
            OutputStream::Closed => return Ok(Err(streams::StreamError::Closed)),
            OutputStream::File { file, offset } => write_all(
                |b| {
                    file.pwrite(&[IoSlice::new(b)], *offset)
                        .inspect(|&n| *offset += n as u64)
                },
                data,
            ),
            // At the end of the file as it is now, with a positional write:
            // setting O_APPEND on the shared open file would turn every other
            // stream's and `write`'s positional writes into appends, and
            // streams must not interfere.
            OutputStream::Append(f) => write_all(
                |b| {
                    f.stat()
                        .and_then(|st| f.pwrite(&[IoSlice::new(b)], st.size))
                },
                data,
            ),
            OutputStream::Stream { file, pending } => send(file, pending, data, block, deadline),
        };
        match r {
            Ok(()) => Ok(Ok(())),
            Err(e) => {
                // After a failure the stream is closed (WIT).
                *stream = OutputStream::Closed;
                match e {
                    Errno::Pipe | Errno::Connreset => Ok(Err(streams::StreamError::Closed)),
                    e => Ok(Err(self.stream_error(e)?)),
                }
            }
        }
    }

    /// Whether a stream has sent everything queued (`block`: waits until
    /// it has); a failure while sending closes the stream.
    fn flush_stream(
        &mut self,
        s: &Resource<OutputStream>,
        block: bool,
    ) -> wasmtime::Result<Result<bool, streams::StreamError>> {
        let stream = self.table.get_mut(s)?;
        let r = match stream {
            OutputStream::Closed => return Ok(Err(streams::StreamError::Closed)),
            OutputStream::Stream { pending, .. } if block => pending.wait_drained().map(|()| true),
            OutputStream::Stream { pending, .. } => pending.status().map(|n| n == 0),
            _ => Ok(true),
        };
        match r {
            Ok(empty) => Ok(Ok(empty)),
            Err(e) => {
                *stream = OutputStream::Closed;
                match e {
                    Errno::Pipe | Errno::Connreset => Ok(Err(streams::StreamError::Closed)),
                    e => Ok(Err(self.stream_error(e)?)),
                }
            }
        }
    }
}

impl error::Host for WasiP2 {}

impl error::HostError for WasiP2 {
    fn to_debug_string(&mut self, e: Resource<IoError>) -> wasmtime::Result<String> {
        let e = self.table.get(&e)?;
        Ok(format!("{}", e.0))
    }
    fn drop(&mut self, e: Resource<IoError>) -> wasmtime::Result<()> {
        self.table.delete(e)?;
        Ok(())
    }
}

impl poll::HostPollable for WasiP2 {
    fn ready(&mut self, p: Resource<Pollable>) -> wasmtime::Result<bool> {
        Ok(self.table.get(&p)?.ready_now(&self.kernel.clocks))
    }
    fn block(&mut self, p: Resource<Pollable>) -> wasmtime::Result<()> {
        let rep = Resource::<Pollable>::new_borrow(p.rep());
        poll::Host::poll(self, vec![rep])?;
        Ok(())
    }
    fn drop(&mut self, p: Resource<Pollable>) -> wasmtime::Result<()> {
        self.table.delete(p)?;
        Ok(())
    }
}

impl poll::Host for WasiP2 {
    fn poll(&mut self, list: Vec<Resource<Pollable>>) -> wasmtime::Result<Vec<u32>> {
        if list.is_empty() {
            wasmtime::bail!("wasi:io/poll.poll called with an empty list");
        }
        if list.len() > u32::MAX as usize {
            wasmtime::bail!("wasi:io/poll.poll called with too many pollables");
        }
        loop {
            let mut ready = Vec::new();
            let mut deadline: Option<u64> = None;
            let mut files = Vec::new();
            let mut owners = Vec::new();
            let clocks = self.kernel.clocks.clone();
            let now = clocks.monotonic();
            for (i, p) in list.iter().enumerate() {
                match self.table.get(p)? {
                    Pollable::Ready => ready.push(i as u32),
                    Pollable::Deadline(d) if *d <= now => ready.push(i as u32),
                    Pollable::Deadline(d) => {
                        deadline = Some(deadline.map_or(*d, |x: u64| x.min(*d)))
                    }
                    Pollable::Watch { file, interest } => match interest.load(Ordering::Relaxed) {
                        WATCH_READY => ready.push(i as u32),
                        w => {
                            files.push((file.clone(), w == WATCH_READ));
                            owners.push(i as u32);
                        }
                    },
                    Pollable::Host { file, read } => {
                        files.push((file.clone(), *read));
                        owners.push(i as u32);
                    }
                }
            }
            let interests: Vec<Interest<'_>> = files
                .iter()
                .filter_map(|(f, read)| f.host_fd().map(|fd| Interest { fd, read: *read }))
                .collect();
            // In virtual time a deadline never waits on the host: look at
            // the files, and if none is ready, time jumps to the deadline.
            let nearest = deadline;
            let deadline = clocks.poll_deadline(nearest, !ready.is_empty());
            // The guest's own time limit bounds every wait (in the kernel).
            let limit = self.kernel.deadline;
            if !interests.is_empty() || !ready.is_empty() || deadline.is_some() || limit.is_some() {
                let seen = waited(wait_within(&interests, deadline, limit))?;
                for (k, r) in seen.iter().enumerate() {
                    if r.ready {
                        ready.push(owners[k]);
                    }
                }
                clocks.polled(nearest, !ready.is_empty());
            } else {
                wasmtime::bail!(
                    "wasi:io/poll.poll would wait for ever: nothing it waits on can become ready"
                );
            }
            if !ready.is_empty() {
                ready.sort_unstable();
                return Ok(ready);
            }
        }
    }
}

impl streams::Host for WasiP2 {}

impl streams::HostInputStream for WasiP2 {
    fn read(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<Vec<u8>, streams::StreamError>> {
        self.read_stream(&s, len, false)
    }
    fn blocking_read(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<Vec<u8>, streams::StreamError>> {
        self.read_stream(&s, len, true)
    }
    fn skip(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<u64, streams::StreamError>> {
        Ok(self.read_stream(&s, len, false)?.map(|b| b.len() as u64))
    }
    fn blocking_skip(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<u64, streams::StreamError>> {
        Ok(self.read_stream(&s, len, true)?.map(|b| b.len() as u64))
    }
    fn subscribe(&mut self, s: Resource<InputStream>) -> wasmtime::Result<Resource<Pollable>> {
        let p = self.table.get(&s)?.pollable();
        self.push_pollable(p)
    }
    fn drop(&mut self, s: Resource<InputStream>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl streams::HostOutputStream for WasiP2 {
    fn check_write(
        &mut self,
        s: Resource<OutputStream>,
    ) -> wasmtime::Result<Result<u64, streams::StreamError>> {
        // What a non-blocking descriptor did not take yet must go first.
        let permit = self.table.get(&s)?.permit();
        Ok(self
            .flush_stream(&s, false)?
            .map(|empty| if empty { permit } else { 0 }))
    }
    fn write(
        &mut self,
        s: Resource<OutputStream>,
        contents: Vec<u8>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        let permit = self.table.get(&s)?.permit();
        if contents.len() as u64 > permit {
            wasmtime::bail!("wasi:io/streams.output-stream.write of {} bytes exceeds the check-write permit of {permit}", contents.len());
        }
        self.write_stream(&s, &contents, false)
    }
    fn blocking_write_and_flush(
        &mut self,
        s: Resource<OutputStream>,
        contents: Vec<u8>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        if contents.len() > 4096 {
            wasmtime::bail!(
                "wasi:io/streams.output-stream.blocking-write-and-flush of {} bytes exceeds 4096",
                contents.len()
            );
        }
        self.write_stream(&s, &contents, true)
    }
    fn flush(
        &mut self,
        s: Resource<OutputStream>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        Ok(self.flush_stream(&s, false)?.map(|_| ()))
    }
    fn blocking_flush(
        &mut self,
        s: Resource<OutputStream>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        Ok(self.flush_stream(&s, true)?.map(|_| ()))
    }
    fn subscribe(&mut self, s: Resource<OutputStream>) -> wasmtime::Result<Resource<Pollable>> {
        let p = match self.table.get(&s)? {
            OutputStream::Stream { file, .. } if is_stream(file) => Pollable::Host {
                file: file.clone(),
                read: false,
            },
            _ => Pollable::Ready,
        };
        self.push_pollable(p)
    }
    fn write_zeroes(
        &mut self,
        s: Resource<OutputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        if len > CHUNK {
            wasmtime::bail!("wasi:io/streams.output-stream.write-zeroes of {len} bytes exceeds the check-write permit of {CHUNK}");
        }
        self.write_stream(&s, &vec![0u8; len as usize], false)
    }
    fn blocking_write_zeroes_and_flush(
        &mut self,
        s: Resource<OutputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        if len > 4096 {
            wasmtime::bail!("wasi:io/streams.output-stream.blocking-write-zeroes-and-flush of {len} bytes exceeds 4096");
        }
        self.write_stream(&s, &vec![0u8; len as usize], true)
    }
    fn splice(
        &mut self,
        dst: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<u64, streams::StreamError>> {
        self.splice_streams(dst, src, len, false)
    }
    fn blocking_splice(
        &mut self,
        dst: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<u64, streams::StreamError>> {
        self.splice_streams(dst, src, len, true)
    }
    fn drop(&mut self, s: Resource<OutputStream>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl WasiP2 {
    fn splice_streams(
        &mut self,
        dst: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
        block: bool,
    ) -> wasmtime::Result<Result<u64, streams::StreamError>> {
        // Without blocking, move nothing while the destination still holds
        // unsent bytes.
        match self.flush_stream(&dst, block)? {
            Err(e) => return Ok(Err(e)),
            Ok(false) => return Ok(Ok(0)),
            Ok(true) => {}
        }
        let data = match self.read_stream(&src, len, block)? {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        Ok(self
            .write_stream(&dst, &data, block)?
            .map(|()| data.len() as u64))
    }
}
