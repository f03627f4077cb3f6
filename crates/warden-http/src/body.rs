//! Bodies and futures: how bytes and late results cross between a guest's
//! `wasi:io` streams and hyper.
//!
//! A body is a host pipe. The guest holds one end as an ordinary
//! `warden-p2` stream, so reading, writing, `check-write` and `poll` work as
//! for any pipe; a tokio task holds the other end and moves frames between
//! it and hyper. A future is a [`Slot`]: a value and a pipe that turns
//! readable once the value is there, so it joins the same `poll(2)`.

use crate::bindings::wasi::http::types::{
    ErrorCode, HostFutureTrailers, HostIncomingBody, HostOutgoingBody,
};
pub use crate::error::BodyError;
use crate::fields::Fields;
use crate::HttpView;
use bytes::Bytes;
use http_body::{Body, Frame};
use std::io::{IoSlice, IoSliceMut};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use warden_kernel::fs::host::HostPipe;
use warden_kernel::fs::File;
use warden_kernel::sys::{pipe, BorrowedFd, OwnedFd};
use warden_kernel::types::{Advice, FdFlags, FileType, Filestat, SetTime, Whence};
use warden_kernel::{Errno, Result as KResult};
use warden_p2::io::{InputStream, OutputStream, Pending, Pollable};
use wasmtime::component::Resource;

/// Header fields as the host keeps them: lower-case names, in order.
pub type FieldList = Vec<(String, Vec<u8>)>;

/// After a guest stops reading a body, how much more the host drains to
/// reach its trailers before giving up on the connection.
const DRAIN_LIMIT: u64 = 256 << 10;

/// The `File` methods of a body end, which is a stream: no offsets, no
/// size, no times.
macro_rules! not_seekable {
    () => {
        fn pread(&self, _: &mut [IoSliceMut<'_>], _: u64) -> KResult<usize> {
            Err(Errno::Spipe)
        }
        fn pwrite(&self, _: &[IoSlice<'_>], _: u64) -> KResult<usize> {
            Err(Errno::Spipe)
        }
        fn seek(&self, _: i64, _: Whence) -> KResult<u64> {
            Err(Errno::Spipe)
        }
        fn set_size(&self, _: u64) -> KResult<()> {
            Err(Errno::Inval)
        }
        fn allocate(&self, _: u64, _: u64) -> KResult<()> {
            Err(Errno::Spipe)
        }
        fn advise(&self, _: u64, _: u64, _: Advice) -> KResult<()> {
            Ok(())
        }
        fn set_times(&self, _: SetTime, _: SetTime) -> KResult<()> {
            Err(Errno::Notsup)
        }
        fn sync(&self) -> KResult<()> {
            Ok(())
        }
        fn datasync(&self) -> KResult<()> {
            Ok(())
        }
        fn set_fdflags(&self, _: FdFlags) -> KResult<()> {
            Err(Errno::Notsup)
        }
    };
}

// ---------------------------------------------------------------------------
// Slots: values that arrive later, pollable through an eventfd.

/// A value filled once by the host, taken once by the guest.
pub struct Slot<T> {
    value: Mutex<SlotState<T>>,
    /// A pipe's read end, readable once the value is there (never read:
    /// it stays ready).
    ready: Arc<HostPipe>,
    /// The pipe's write end.
    wake: OwnedFd,
}

enum SlotState<T> {
    Empty,
    Full(T),
    Taken,
}

impl<T> Slot<T> {
    pub fn new() -> std::io::Result<Arc<Slot<T>>> {
        let (ready, wake) = warden_kernel::sys::pipe()?;
        Ok(Arc::new(Slot {
            value: Mutex::new(SlotState::Empty),
            ready: Arc::new(HostPipe::new(ready, FileType::Unknown)),
            wake,
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState<T>> {
        self.value.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fills the slot (the first fill wins) and wakes whoever polls it.
    pub fn fill(&self, v: T) {
        let mut st = self.lock();
        if matches!(*st, SlotState::Empty) {
            *st = SlotState::Full(v);
            // One byte in an empty pipe never blocks.
            let _ = warden_kernel::sys::pipe_write(&self.wake, &[1]);
        }
    }

    /// `None`: not there yet; `Some(None)`: already taken.
    pub fn take(&self) -> Option<Option<T>> {
        let mut st = self.lock();
        match std::mem::replace(&mut *st, SlotState::Taken) {
            SlotState::Empty => {
                *st = SlotState::Empty;
                None
            }
            SlotState::Full(v) => Some(Some(v)),
            SlotState::Taken => Some(None),
        }
    }

    pub fn pollable(&self) -> Pollable {
        Pollable::Host {
            file: self.ready.clone(),
            read: true,
        }
    }
}

// ---------------------------------------------------------------------------
// The guest's end of a body pipe.

/// The guest's (read) end of a body pipe as a kernel file. At the end of
/// data it reports the failure the host side recorded (a timeout, a reset),
/// so a truncated body never looks complete.
pub struct BodyPipe {
    end: HostPipe,
    failure: Mutex<Option<Errno>>,
}

impl BodyPipe {
    fn new(fd: OwnedFd) -> Arc<BodyPipe> {
        Arc::new(BodyPipe {
            end: HostPipe::new(fd, FileType::Unknown),
            failure: Mutex::new(None),
        })
    }

    fn fail(&self, e: Errno) {
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
    }
}

impl File for BodyPipe {
    fn filetype(&self) -> FileType {
        FileType::Unknown
    }
    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> KResult<usize> {
        let n = self.end.read(bufs)?;
        if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
            if let Some(e) = *self.failure.lock().unwrap_or_else(|e| e.into_inner()) {
                return Err(e);
            }
        }
        Ok(n)
    }
    fn write(&self, _: &[IoSlice<'_>]) -> KResult<usize> {
        Err(Errno::Badf)
    }
    not_seekable!();
    fn stat(&self) -> KResult<Filestat> {
        self.end.stat()
    }
    fn fdflags(&self) -> KResult<FdFlags> {
        self.end.fdflags()
    }
    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        self.end.host_fd()
    }
    fn readable_bytes(&self) -> KResult<u64> {
        self.end.readable_bytes()
    }
}

/// The host's (write) end of a body pipe, for tokio: a Unix pipe, or on
/// Windows the loopback socket that stands in for one ([`pipe`]).
#[cfg(unix)]
type PipeSender = tokio::net::unix::pipe::Sender;

#[cfg(unix)]
fn pipe_sender(fd: OwnedFd) -> std::io::Result<PipeSender> {
    PipeSender::from_owned_fd(fd)
}

#[cfg(windows)]
type PipeSender = tokio::net::TcpStream;

#[cfg(windows)]
fn pipe_sender(fd: OwnedFd) -> std::io::Result<PipeSender> {
    let stream = std::net::TcpStream::from(fd);
    stream.set_nonblocking(true)?;
    PipeSender::from_std(stream)
}

// ---------------------------------------------------------------------------
// Incoming bodies: hyper → pipe → guest.

/// A size limit on a body, and the error code for going over it.
pub type BodyLimit = (u64, fn(u64) -> ErrorCode);

/// The sending side of an outgoing body's frames.
pub type FrameSender = mpsc::Sender<Result<Frame<Bytes>, BodyError>>;

/// What the trailers future resolves to.
pub type TrailersResult = Result<Option<FieldList>, ErrorCode>;

/// An `incoming-body`: the guest's read end and the trailers to come.
///
/// Nothing is set up until the guest asks for the stream or the trailers:
/// a request or response whose body the guest ignores costs no pipe and no
/// task.
pub struct IncomingBody {
    state: BodyState,
    stream_given: bool,
}

type Started = (Arc<BodyPipe>, Arc<Slot<TrailersResult>>);

enum BodyState {
    Unstarted(Box<dyn FnOnce() -> std::io::Result<Started> + Send>),
    Started(Started),
    Failed,
}

/// How the pump reading a host body ends a failed read.
pub trait BodyErrorCode {
    fn error_code(&self) -> ErrorCode;
}

impl BodyErrorCode for hyper::Error {
    fn error_code(&self) -> ErrorCode {
        crate::error::hyper_error_code(self)
    }
}

impl IncomingBody {
    /// A body that, once the guest asks for it, moves `body` into a pipe
    /// the guest reads. `between_bytes` bounds each wait for a frame;
    /// `limit` the bytes accepted (more is an error with `too_big(limit)`).
    /// `done` runs when the body has ended cleanly (to return a connection
    /// to its pool).
    pub fn spawn<B>(
        body: B,
        between_bytes: Duration,
        limit: Option<BodyLimit>,
        done: Option<Box<dyn FnOnce() + Send>>,
    ) -> std::io::Result<IncomingBody>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: BodyErrorCode + Send,
    {
        let start = move || start_pump(body, between_bytes, limit, done);
        Ok(IncomingBody {
            state: BodyState::Unstarted(Box::new(start)),
            stream_given: false,
        })
    }

    /// The pipe and trailers slot, set up on first use.
    fn started(&mut self) -> wasmtime::Result<Started> {
        if let BodyState::Unstarted(_) = self.state {
            let BodyState::Unstarted(start) = std::mem::replace(&mut self.state, BodyState::Failed)
            else {
                unreachable!()
            };
            self.state = BodyState::Started(start()?);
        }
        match &self.state {
            BodyState::Started((r, t)) => Ok((r.clone(), t.clone())),
            _ => wasmtime::bail!("the body could not be set up"),
        }
    }
}

fn start_pump<B>(
    body: B,
    between_bytes: Duration,
    limit: Option<BodyLimit>,
    done: Option<Box<dyn FnOnce() + Send>>,
) -> std::io::Result<Started>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: BodyErrorCode + Send,
{
    let (rx, tx) = pipe()?;
    let reader = BodyPipe::new(rx);
    let trailers = Slot::new()?;
    let (r, t) = (reader.clone(), trailers.clone());
    crate::runtime::runtime().spawn(async move {
        let mut tx = pipe_sender(tx).ok();
        let outcome = match tx {
            Some(_) => pump_in(body, &mut tx, between_bytes, limit).await,
            None => Err((Errno::Io, ErrorCode::InternalError(Some("pipe".into())))),
        };
        match outcome {
            Ok(tr) => {
                t.fill(Ok(tr));
                if let Some(done) = done {
                    done();
                }
            }
            Err((errno, code)) => {
                r.fail(errno);
                t.fill(Err(code));
            }
        }
        // Only now, with any failure recorded, does the guest see the end
        // of the pipe.
        drop(tx);
    });
    Ok((reader, trailers))
}

/// Moves frames of `body` into the pipe `tx`. Ends with the trailers, or
/// the errno the guest's read reports and the error code the trailers
/// future gives.
async fn pump_in<B>(
    mut body: B,
    tx: &mut Option<PipeSender>,
    between_bytes: Duration,
    limit: Option<BodyLimit>,
) -> Result<Option<FieldList>, (Errno, ErrorCode)>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: BodyErrorCode,
{
    use http_body_util::BodyExt;
    let mut total: u64 = 0;
    let mut drained: u64 = 0;
    loop {
        let frame = match tokio::time::timeout(between_bytes, body.frame()).await {
            Err(_) => return Err((Errno::Timedout, ErrorCode::ConnectionReadTimeout)),
            Ok(None) => return Ok(None),
            Ok(Some(Err(e))) => {
                let code = e.error_code();
                return Err((Errno::Connreset, code));
            }
            Ok(Some(Ok(f))) => f,
        };
        match frame.into_data() {
            Ok(data) => {
                total += data.len() as u64;
                if let Some((max, too_big)) = limit {
                    if total > max {
                        return Err((Errno::Fbig, too_big(max)));
                    }
                }
                match tx.as_mut() {
                    Some(sender) => {
                        if sender.write_all(&data).await.is_err() {
                            // The guest stopped reading: drain to the
                            // trailers, within reason.
                            *tx = None;
                        }
                    }
                    None => {
                        drained += data.len() as u64;
                        if drained > DRAIN_LIMIT {
                            return Err((Errno::Pipe, ErrorCode::ConnectionTerminated));
                        }
                    }
                }
            }
            Err(frame) => {
                if let Ok(map) = frame.into_trailers() {
                    return Ok(Some(crate::fields::from_header_map(&map)));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Outgoing bodies: guest → pipe → hyper.

/// A body hyper sends: frames from the task reading the guest's pipe.
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Frame<Bytes>, BodyError>>,
    size: Option<u64>,
}

impl ChannelBody {
    pub fn empty() -> ChannelBody {
        let (_, rx) = mpsc::channel(1);
        ChannelBody { rx, size: Some(0) }
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BodyError;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.rx.poll_recv(cx)
    }
    fn size_hint(&self) -> http_body::SizeHint {
        match self.size {
            Some(n) => http_body::SizeHint::with_exact(n),
            None => http_body::SizeHint::default(),
        }
    }
    /// An [`empty`](ChannelBody::empty) body is over before it starts, so
    /// hyper sends the message with no body framing at all (no
    /// `content-length`, no `transfer-encoding`).
    fn is_end_stream(&self) -> bool {
        self.size == Some(0) && self.rx.is_closed() && self.rx.is_empty()
    }
}

/// The guest's end of an outgoing body: each write becomes one data frame
/// in the bounded channel hyper reads, with no pipe and no task between.
/// When hyper is behind (the channel is full), a write waits for it on the
/// guest's own thread; `check-write` always grants up to one chunk.
pub struct BodyWriter {
    frames: Mutex<Option<FrameSender>>,
    count: AtomicU64,
    /// The guest's time limit (monotonic ns): a reader that stalls past it
    /// fails the write instead of holding the guest for ever.
    deadline: Option<u64>,
    /// The body's declared `content-length`: a write that would pass it
    /// fails then and there (`HTTP-request-body-size`), as in Wasmtime, and
    /// nothing of it is sent.
    content_length: Option<u64>,
    /// Most bytes one write may carry (`-S http-outgoing-body-chunk-size`).
    chunk_size: u64,
}

/// Frames queued between a guest and hyper.
pub(crate) const QUEUED_FRAMES: usize = 16;

impl BodyWriter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<FrameSender>> {
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, frame: Result<Frame<Bytes>, BodyError>) -> KResult<()> {
        let sender = self.lock().clone().ok_or(Errno::Pipe)?;
        // Outside any async context (the guest's thread): wait in place,
        // up to the guest's time limit.
        match self.deadline {
            None => sender.blocking_send(frame).map_err(|_| Errno::Pipe),
            Some(d) => {
                let left = Duration::from_nanos(
                    d.saturating_sub(warden_kernel::clock::Clock::Monotonic.now()),
                );
                match crate::runtime::runtime()
                    .block_on(tokio::time::timeout(left, sender.send(frame)))
                {
                    Ok(r) => r.map_err(|_| Errno::Pipe),
                    Err(_) => Err(Errno::Timedout),
                }
            }
        }
    }

    /// Ends the body with trailers or an error; later writes fail.
    fn end(&self, last: Option<Result<Frame<Bytes>, BodyError>>) {
        let sender = self.lock().take();
        if let (Some(sender), Some(last)) = (sender, last) {
            let _ = sender.blocking_send(last);
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl File for BodyWriter {
    fn filetype(&self) -> FileType {
        FileType::Unknown
    }
    fn read(&self, _: &mut [IoSliceMut<'_>]) -> KResult<usize> {
        Err(Errno::Badf)
    }
    fn write_permit(&self) -> Option<u64> {
        Some(self.chunk_size)
    }
    fn write(&self, bufs: &[IoSlice<'_>]) -> KResult<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Ok(0);
        }
        if self
            .content_length
            .is_some_and(|n| self.count().saturating_add(total as u64) > n)
        {
            return Err(Errno::Fbig);
        }
        let mut data = bytes::BytesMut::with_capacity(total);
        for b in bufs {
            data.extend_from_slice(b);
        }
        self.send(Ok(Frame::data(data.freeze())))?;
        self.count.fetch_add(total as u64, Ordering::Relaxed);
        Ok(total)
    }
    not_seekable!();
    fn stat(&self) -> KResult<Filestat> {
        Ok(Filestat {
            dev: 0,
            ino: 0,
            filetype: Some(FileType::Unknown),
            nlink: 1,
            size: 0,
            atim: 0,
            mtim: 0,
            ctim: 0,
        })
    }
    fn fdflags(&self) -> KResult<FdFlags> {
        Ok(FdFlags::empty())
    }
    fn readable_bytes(&self) -> KResult<u64> {
        Ok(0)
    }
}

/// An `outgoing-body`.
pub struct OutgoingBody {
    writer: Arc<BodyWriter>,
    pending: Arc<Pending>,
    stream_given: bool,
    content_length: Option<u64>,
    /// Names the `trailer` header declares (lower-case): HTTP/1.1 sends
    /// only these, so `finish` refuses others rather than drop them.
    declared_trailers: Vec<String>,
    finished: bool,
}

impl OutgoingBody {
    /// A body the guest writes for a message with `headers`, and the host
    /// body hyper sends.
    pub fn new(
        headers: &FieldList,
        deadline: Option<u64>,
        buffering: &crate::BodyBuffering,
    ) -> std::io::Result<(OutgoingBody, ChannelBody)> {
        let rules = BodyRules::of(headers);
        let (frames_tx, body) = channel_with(&rules, buffering.chunks);
        Ok((
            OutgoingBody {
                writer: Arc::new(BodyWriter {
                    frames: Mutex::new(Some(frames_tx)),
                    count: AtomicU64::new(0),
                    deadline,
                    content_length: rules.content_length,
                    chunk_size: buffering.chunk_size,
                }),
                pending: Arc::new(Pending::default()),
                stream_given: false,
                content_length: rules.content_length,
                declared_trailers: rules.declared_trailers,
                finished: false,
            },
            body,
        ))
    }
}

/// What a message's headers say about the body a guest sends: its declared
/// length and the trailer names it may end with. Shared by wasi:http 0.2
/// (`outgoing-body`) and 0.3 (a guest's `stream<u8>` and trailers).
#[derive(Clone, Debug, Default)]
pub struct BodyRules {
    pub content_length: Option<u64>,
    /// Names the `trailer` header declares (lower-case).
    pub declared_trailers: Vec<String>,
}

impl BodyRules {
    pub fn of(headers: &FieldList) -> BodyRules {
        let content_length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse().ok());
        let declared_trailers = headers
            .iter()
            .filter(|(n, _)| n == "trailer")
            .flat_map(|(_, v)| {
                String::from_utf8_lossy(v)
                    .split(',')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
            })
            .collect();
        BodyRules {
            content_length,
            declared_trailers,
        }
    }

    /// The outcome of a body that ended after `written` bytes with
    /// `trailers` (docs/http.md: the declared length must match; HTTP/1.1
    /// sends only declared trailers, so an undeclared one is refused rather
    /// than dropped).
    pub fn check_end(&self, written: u64, trailers: Option<&FieldList>) -> Result<(), ErrorCode> {
        if let Some(n) = self.content_length {
            if n != written {
                return Err(ErrorCode::HttpRequestBodySize(Some(written)));
            }
        }
        let undeclared = trailers.and_then(|t| {
            t.iter()
                .find(|(n, _)| !self.declared_trailers.contains(n))
                .map(|(n, _)| n.clone())
        });
        match undeclared {
            Some(name) => Err(ErrorCode::InternalError(Some(format!(
                "trailer field `{name}` is not declared in the message's `trailer` header; HTTP/1.1 sends only declared trailers, so Warden refuses rather than drop it"
            )))),
            None => Ok(()),
        }
    }
}

/// A bounded channel of frames and the body hyper reads from it.
pub fn channel(rules: &BodyRules) -> (FrameSender, ChannelBody) {
    channel_with(rules, QUEUED_FRAMES)
}

/// [`channel`] holding up to `frames` frames before a writer waits.
pub fn channel_with(rules: &BodyRules, frames: usize) -> (FrameSender, ChannelBody) {
    let (frames_tx, frames_rx) = mpsc::channel(frames.max(1));
    (
        frames_tx,
        ChannelBody {
            rx: frames_rx,
            size: rules.content_length,
        },
    )
}

impl Drop for OutgoingBody {
    fn drop(&mut self) {
        if !self.finished {
            // Dropped without `finish`: the body is incomplete (WIT). The
            // store may be dropped anywhere, so the error is sent by a task
            // rather than by waiting here.
            if let Some(sender) = self.writer.lock().take() {
                crate::runtime::runtime().spawn(async move {
                    let code = ErrorCode::HttpRequestBodySize(None);
                    let _ = sender.send(Err(BodyError(code))).await;
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The guest-facing resources.

impl HostIncomingBody for HttpView<'_> {
    fn stream(
        &mut self,
        b: Resource<IncomingBody>,
    ) -> wasmtime::Result<Result<Resource<InputStream>, ()>> {
        let body = self.wasi.table.get_mut(&b)?;
        if body.stream_given {
            return Ok(Err(()));
        }
        body.stream_given = true;
        let (reader, _) = body.started()?;
        let file: Arc<dyn File> = reader;
        Ok(Ok(self.wasi.push_input(InputStream::Stream(file))?))
    }

    fn finish(&mut self, b: Resource<IncomingBody>) -> wasmtime::Result<Resource<FutureTrailers>> {
        let mut body = self.wasi.table.delete(b)?;
        let (_, slot) = body.started()?;
        Ok(self.wasi.table.push(FutureTrailers { slot })?)
    }

    fn drop(&mut self, b: Resource<IncomingBody>) -> wasmtime::Result<()> {
        self.wasi.table.delete(b)?;
        Ok(())
    }
}

/// A `future-trailers`.
pub struct FutureTrailers {
    slot: Arc<Slot<TrailersResult>>,
}

impl HostFutureTrailers for HttpView<'_> {
    fn subscribe(&mut self, f: Resource<FutureTrailers>) -> wasmtime::Result<Resource<Pollable>> {
        let p = self.wasi.table.get(&f)?.slot.pollable();
        Ok(self.wasi.table.push(p)?)
    }

    fn get(
        &mut self,
        f: Resource<FutureTrailers>,
    ) -> wasmtime::Result<Option<Result<Result<Option<Resource<Fields>>, ErrorCode>, ()>>> {
        let taken = self.wasi.table.get(&f)?.slot.take();
        Ok(match taken {
            None => None,
            Some(None) => Some(Err(())),
            Some(Some(Err(code))) => Some(Ok(Err(code))),
            Some(Some(Ok(None))) => Some(Ok(Ok(None))),
            Some(Some(Ok(Some(list)))) => {
                Some(Ok(Ok(Some(self.push_fields(Fields::immutable(list))?))))
            }
        })
    }

    fn drop(&mut self, f: Resource<FutureTrailers>) -> wasmtime::Result<()> {
        self.wasi.table.delete(f)?;
        Ok(())
    }
}

impl HostOutgoingBody for HttpView<'_> {
    fn write(
        &mut self,
        b: Resource<OutgoingBody>,
    ) -> wasmtime::Result<Result<Resource<OutputStream>, ()>> {
        let body = self.wasi.table.get_mut(&b)?;
        if body.stream_given {
            return Ok(Err(()));
        }
        body.stream_given = true;
        let stream = OutputStream::Stream {
            file: body.writer.clone(),
            pending: body.pending.clone(),
        };
        Ok(Ok(self.wasi.push_output(stream)?))
    }

    fn finish(
        &mut self,
        b: Resource<OutgoingBody>,
        trailers: Option<Resource<Fields>>,
    ) -> wasmtime::Result<Result<(), ErrorCode>> {
        let trailers = match trailers {
            Some(t) => Some(self.take_fields(t)?.0),
            None => None,
        };
        let mut body = self.wasi.table.delete(b)?;
        body.finished = true;
        let drained = body.pending.wait_drained();
        // The stream child must be gone (WIT).
        if Arc::strong_count(&body.writer) > 1 {
            wasmtime::bail!(
                "outgoing-body.finish called while its output-stream is still alive (drop the stream first)"
            );
        }
        let written = body.writer.count();
        let rules = BodyRules {
            content_length: body.content_length,
            declared_trailers: std::mem::take(&mut body.declared_trailers),
        };
        let result = match drained {
            Err(_) => Err(ErrorCode::ConnectionTerminated),
            Ok(()) => rules.check_end(written, trailers.as_ref()),
        };
        let last = match (&result, trailers) {
            (Err(code), _) => Some(Err(BodyError(code.clone()))),
            (Ok(()), Some(t)) => Some(Ok(Frame::trailers(crate::fields::to_header_map(&t)))),
            (Ok(()), None) => None,
        };
        body.writer.end(last);
        Ok(result)
    }

    fn drop(&mut self, b: Resource<OutgoingBody>) -> wasmtime::Result<()> {
        // Without `finish` the body is incomplete: the pump fails it when
        // `finish` (the oneshot) is dropped here.
        self.wasi.table.delete(b)?;
        Ok(())
    }
}
