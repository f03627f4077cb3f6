//! wasi:io — error, poll, streams — over kernel files, stdio and sockets.
//!
//! Streams on regular files read and write at their own offset with one
//! `pread`/`pwrite` per call; streams on stdin/stdout/pipes use the file's
//! own position. A blocking call on a pipe waits in `poll(2)` on the calling
//! thread: no thread hop, no async runtime.

use crate::bindings::wasi::io::{error, poll, streams};
use crate::WasiP2;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;
use warden_kernel::clock::Clock;
use warden_kernel::fs::File;
use warden_kernel::poll::{wait, Interest};
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
    /// A stream written at its own position (stdout, stderr, a pipe).
    Stream(Arc<dyn File>),
    /// A stream that failed or reached its end: every call says `closed`.
    Closed,
}

/// Something a guest can wait for.
pub enum Pollable {
    /// Always ready (regular files, output streams).
    Ready,
    /// Ready once the monotonic clock reaches this many nanoseconds.
    Deadline(u64),
    /// Ready when the host descriptor is readable (or writable).
    Host { file: Arc<dyn File>, read: bool },
}

/// The error behind a `stream-error::last-operation-failed`.
pub struct IoError(pub Errno);

fn is_stream(f: &Arc<dyn File>) -> bool {
    f.filetype() != FileType::RegularFile && f.host_fd().is_some()
}

/// Waits until a non-blocking host descriptor is readable (or writable).
fn wait_ready(f: &Arc<dyn File>, read: bool) -> wasmtime::Result<()> {
    if let Some(fd) = f.host_fd() {
        wait(&[Interest { fd, read }], None)?;
    }
    Ok(())
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

impl Pollable {
    fn ready_now(&self) -> bool {
        match self {
            Pollable::Ready => true,
            Pollable::Deadline(d) => Clock::Monotonic.now() >= *d,
            Pollable::Host { file, read } => match file.host_fd() {
                Some(fd) => wait(&[Interest { fd, read: *read }], Some(0))
                    .map(|r| r[0].ready)
                    .unwrap_or(true),
                None => true,
            },
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
                if !block && is_stream(f) {
                    let fd = f.host_fd().expect("a stream has a host descriptor");
                    if !wait(&[Interest { fd, read: true }], Some(0))?[0].ready {
                        return Ok(Ok(Vec::new()));
                    }
                }
                match f.read(&mut [IoSliceMut::new(&mut buf)]) {
                    // A non-blocking descriptor (a socket) with nothing yet:
                    // a blocking read waits for it.
                    Err(Errno::Again) if block => wait_ready(f, true)?,
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

    fn write_stream(
        &mut self,
        s: &Resource<OutputStream>,
        data: &[u8],
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        let stream = self.table.get_mut(s)?;
        let mut done = 0;
        while done < data.len() {
            let chunk = &data[done..];
            let r = match stream {
                OutputStream::Closed => return Ok(Err(streams::StreamError::Closed)),
                OutputStream::File { file, offset } => {
                    file.pwrite(&[IoSlice::new(chunk)], *offset).inspect(|&n| {
                        *offset += n as u64;
                    })
                }
                // At the end of the file as it is now, with a positional
                // write: setting O_APPEND on the shared open file would turn
                // every other stream's and `write`'s positional writes into
                // appends, and streams must not interfere.
                OutputStream::Append(f) => f
                    .stat()
                    .and_then(|st| f.pwrite(&[IoSlice::new(chunk)], st.size)),
                OutputStream::Stream(f) => match f.write(&[IoSlice::new(chunk)]) {
                    // A non-blocking descriptor (a socket) that is full.
                    Err(Errno::Again) => {
                        wait_ready(f, false)?;
                        continue;
                    }
                    r => r,
                },
            };
            match r {
                Ok(0) | Err(Errno::Pipe) => {
                    *stream = OutputStream::Closed;
                    return Ok(Err(streams::StreamError::Closed));
                }
                Ok(n) => done += n,
                Err(e) => {
                    // After a failure the stream is closed (WIT).
                    *stream = OutputStream::Closed;
                    return Ok(Err(self.stream_error(e)?));
                }
            }
        }
        Ok(Ok(()))
    }

    /// `closed` once a stream has failed or ended.
    fn output_open(
        &mut self,
        s: &Resource<OutputStream>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        Ok(match self.table.get(s)? {
            OutputStream::Closed => Err(streams::StreamError::Closed),
            _ => Ok(()),
        })
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
        Ok(self.table.get(&p)?.ready_now())
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
            let now = Clock::Monotonic.now();
            for (i, p) in list.iter().enumerate() {
                match self.table.get(p)? {
                    Pollable::Ready => ready.push(i as u32),
                    Pollable::Deadline(d) if *d <= now => ready.push(i as u32),
                    Pollable::Deadline(d) => {
                        deadline = Some(deadline.map_or(*d, |x: u64| x.min(*d)))
                    }
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
            let deadline = if ready.is_empty() { deadline } else { Some(0) };
            if !interests.is_empty() || !ready.is_empty() || deadline.is_some() {
                let seen = wait(&interests, deadline)?;
                for (k, r) in seen.iter().enumerate() {
                    if r.ready {
                        ready.push(owners[k]);
                    }
                }
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
        Ok(self.output_open(&s)?.map(|()| CHUNK))
    }
    fn write(
        &mut self,
        s: Resource<OutputStream>,
        contents: Vec<u8>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        if contents.len() as u64 > CHUNK {
            wasmtime::bail!("wasi:io/streams.output-stream.write of {} bytes exceeds the check-write permit of {CHUNK}", contents.len());
        }
        self.write_stream(&s, &contents)
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
        self.write_stream(&s, &contents)
    }
    fn flush(
        &mut self,
        s: Resource<OutputStream>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        self.output_open(&s)
    }
    fn blocking_flush(
        &mut self,
        s: Resource<OutputStream>,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        self.output_open(&s)
    }
    fn subscribe(&mut self, s: Resource<OutputStream>) -> wasmtime::Result<Resource<Pollable>> {
        let p = match self.table.get(&s)? {
            OutputStream::Stream(f) if is_stream(f) => Pollable::Host {
                file: f.clone(),
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
        self.write_stream(&s, &vec![0u8; len as usize])
    }
    fn blocking_write_zeroes_and_flush(
        &mut self,
        s: Resource<OutputStream>,
        len: u64,
    ) -> wasmtime::Result<Result<(), streams::StreamError>> {
        if len > 4096 {
            wasmtime::bail!("wasi:io/streams.output-stream.blocking-write-zeroes-and-flush of {len} bytes exceeds 4096");
        }
        self.write_stream(&s, &vec![0u8; len as usize])
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
        self.table.get(&dst)?;
        let data = match self.read_stream(&src, len, block)? {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        Ok(self.write_stream(&dst, &data)?.map(|()| data.len() as u64))
    }
}
