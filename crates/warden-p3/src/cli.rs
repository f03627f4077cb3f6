//! wasi:cli@0.3 — environment, exit, stdin, stdout, stderr, terminal-*.
//!
//! The standard streams are the kernel's descriptors 0, 1 and 2, as for
//! WASI 0.1 and 0.2. `write-via-stream` pipes the guest's `stream<u8>` into
//! a [`StdoutConsumer`] that writes each chunk to the descriptor;
//! `read-via-stream` hands the guest a stream fed by a [`StdinProducer`]
//! whose reads run on tokio's blocking pool, so the guest's other tasks go
//! on while stdin waits.

use crate::bindings::wasi::cli::types::ErrorCode;
use crate::bindings::wasi::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout, types,
};
use crate::{done_future, WasiP3, WasiP3Ctx};
use std::future::Future;
use std::io::{IoSlice, IoSliceMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use warden_kernel::fs::File;
use warden_kernel::proc::ProcExit;
use warden_kernel::Kernel;
use wasmtime::component::{
    Access, Destination, FutureReader, Resource, Source, StreamConsumer, StreamProducer,
    StreamReader, StreamResult,
};
use wasmtime::StoreContextMut;

fn stdio(kernel: &Kernel, fd: u32) -> wasmtime::Result<Arc<dyn File>> {
    match kernel.stdio(fd) {
        Some(f) => Ok(f),
        None => wasmtime::bail!("the standard stream {fd} is not available"),
    }
}

/// A terminal the guest reads from (`terminal-input`).
pub struct TerminalInput;
/// A terminal the guest writes to (`terminal-output`).
pub struct TerminalOutput;

impl WasiP3Ctx<'_> {
    /// A new terminal resource when descriptor `fd` is a terminal.
    fn terminal<R: Send + 'static>(
        &mut self,
        fd: u32,
        resource: R,
    ) -> wasmtime::Result<Option<Resource<R>>> {
        if !self.kernel.is_terminal(fd) {
            return Ok(None);
        }
        Ok(Some(self.table.push(resource)?))
    }
}

impl terminal_input::Host for WasiP3Ctx<'_> {}
impl terminal_input::HostTerminalInput for WasiP3Ctx<'_> {
    fn drop(&mut self, r: Resource<TerminalInput>) -> wasmtime::Result<()> {
        self.table.delete(r)?;
        Ok(())
    }
}
impl terminal_output::Host for WasiP3Ctx<'_> {}
impl terminal_output::HostTerminalOutput for WasiP3Ctx<'_> {
    fn drop(&mut self, r: Resource<TerminalOutput>) -> wasmtime::Result<()> {
        self.table.delete(r)?;
        Ok(())
    }
}
impl terminal_stdin::Host for WasiP3Ctx<'_> {
    fn get_terminal_stdin(&mut self) -> wasmtime::Result<Option<Resource<TerminalInput>>> {
        self.terminal(0, TerminalInput)
    }
}
impl terminal_stdout::Host for WasiP3Ctx<'_> {
    fn get_terminal_stdout(&mut self) -> wasmtime::Result<Option<Resource<TerminalOutput>>> {
        self.terminal(1, TerminalOutput)
    }
}
impl terminal_stderr::Host for WasiP3Ctx<'_> {
    fn get_terminal_stderr(&mut self) -> wasmtime::Result<Option<Resource<TerminalOutput>>> {
        self.terminal(2, TerminalOutput)
    }
}

impl environment::Host for WasiP3Ctx<'_> {
    fn get_environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.kernel.env_lossy())
    }
    fn get_arguments(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.kernel.args_lossy())
    }
    fn get_initial_cwd(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.kernel.initial_cwd.clone())
    }
}

impl exit::Host for WasiP3Ctx<'_> {
    fn exit(&mut self, status: Result<(), ()>) -> wasmtime::Result<()> {
        Err(wasmtime::Error::new(ProcExit(if status.is_ok() {
            0
        } else {
            1
        })))
    }
    fn exit_with_code(&mut self, status_code: u8) -> wasmtime::Result<()> {
        Err(wasmtime::Error::new(ProcExit(status_code.into())))
    }
}

impl types::Host for WasiP3Ctx<'_> {}
impl stdin::Host for WasiP3Ctx<'_> {}
impl stdout::Host for WasiP3Ctx<'_> {}
impl stderr::Host for WasiP3Ctx<'_> {}

/// The sender of the `future<result<_, error-code>>` of a stdio stream.
type Done = crate::Done<ErrorCode>;

fn write_via_stream<T: Send + 'static>(
    mut access: Access<'_, T, WasiP3>,
    data: StreamReader<u8>,
    fd: u32,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    let file = stdio(access.get().kernel, fd)?;
    let (done, future) = done_future(&mut access)?;
    data.pipe(
        &mut access,
        StdoutConsumer {
            file,
            done: Some(done),
        },
    )?;
    Ok(future)
}

impl<T: Send + 'static> stdout::HostWithStore<T> for WasiP3 {
    fn write_via_stream(
        access: Access<'_, T, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        write_via_stream(access, data, 1)
    }
}

impl<T: Send + 'static> stderr::HostWithStore<T> for WasiP3 {
    fn write_via_stream(
        access: Access<'_, T, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        write_via_stream(access, data, 2)
    }
}

impl<T: Send + 'static> stdin::HostWithStore<T> for WasiP3 {
    fn read_via_stream(
        mut access: Access<'_, T, Self>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        let file = stdio(access.get().kernel, 0)?;
        let (done, future) = done_future(&mut access)?;
        let stream = StreamReader::new(
            &mut access,
            StdinProducer {
                file,
                pending: None,
                leftover: Vec::new(),
                done: Some(done),
            },
        )?;
        Ok((stream, future))
    }
}

/// The host's read end of a guest's stdout/stderr stream: every chunk the
/// guest writes goes to the kernel file with one `write`.
pub struct StdoutConsumer {
    file: Arc<dyn File>,
    done: Option<Done>,
}

impl StdoutConsumer {
    fn finish(&mut self, r: Result<(), ErrorCode>) {
        if let Some(done) = self.done.take() {
            let _ = done.send(r);
        }
    }
}

impl Drop for StdoutConsumer {
    /// The guest dropped its end (or the store went away): every chunk was
    /// written, so the stream ended well.
    fn drop(&mut self) {
        self.finish(Ok(()));
    }
}

impl<D> StreamConsumer<D> for StdoutConsumer {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        source: Source<'_, u8>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let file = self.file.clone();
        let written = crate::write_direct(store, source, ErrorCode::Pipe, |bytes| {
            file.write(&[IoSlice::new(bytes)]).map_err(error_code)
        });
        if let Err(e) = written {
            self.finish(Err(e));
        }
        if self.done.is_none() {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

fn error_code(e: warden_kernel::Errno) -> ErrorCode {
    match e {
        warden_kernel::Errno::Pipe => ErrorCode::Pipe,
        warden_kernel::Errno::Ilseq => ErrorCode::IllegalByteSequence,
        _ => ErrorCode::Io,
    }
}

/// Most bytes one stdin read takes.
const STDIN_CHUNK: usize = 64 * 1024;

type StdinRead = tokio::task::JoinHandle<Result<Vec<u8>, warden_kernel::Errno>>;

/// The host's write end of the guest's stdin stream: each guest read starts
/// one read of descriptor 0 on tokio's blocking pool.
pub struct StdinProducer {
    file: Arc<dyn File>,
    pending: Option<StdinRead>,
    /// Bytes read but not yet taken by a (smaller) guest read.
    leftover: Vec<u8>,
    done: Option<Done>,
}

impl StdinProducer {
    fn deliver<D>(
        &mut self,
        store: StoreContextMut<'_, D>,
        dst: Destination<'_, u8, Option<u8>>,
        mut bytes: Vec<u8>,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let mut direct = dst.as_direct(store, bytes.len());
        let room = direct.remaining();
        let n = room.len().min(bytes.len());
        room[..n].copy_from_slice(&bytes[..n]);
        direct.mark_written(n);
        self.leftover = bytes.split_off(n);
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

impl<D> StreamProducer<D> for StdinProducer {
    type Item = u8;
    type Buffer = Option<u8>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        dst: Destination<'a, u8, Option<u8>>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let want = dst.remaining(&mut store).unwrap_or(STDIN_CHUNK);
        if want == 0 {
            // A readiness probe: say ready; a later read may wait.
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let this = &mut *self;
        if !this.leftover.is_empty() {
            let bytes = std::mem::take(&mut this.leftover);
            return this.deliver(store, dst, bytes);
        }
        let want = want.min(STDIN_CHUNK);
        let task = this.pending.get_or_insert_with(|| {
            let file = this.file.clone();
            tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; want];
                let n = file.read(&mut [IoSliceMut::new(&mut buf)])?;
                buf.truncate(n);
                Ok(buf)
            })
        });
        let r = match Pin::new(task).poll(cx) {
            Poll::Pending if finish => return Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        this.pending = None;
        match r {
            Ok(Ok(bytes)) if bytes.is_empty() => {
                if let Some(done) = this.done.take() {
                    let _ = done.send(Ok(()));
                }
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Ok(Ok(bytes)) => this.deliver(store, dst, bytes),
            Ok(Err(e)) => {
                if let Some(done) = this.done.take() {
                    let _ = done.send(Err(error_code(e)));
                }
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Err(join) => Poll::Ready(Err(wasmtime::format_err!("stdin read failed: {join}"))),
        }
    }
}
