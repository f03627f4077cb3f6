//! wasi:cli — environment, exit, stdin/stdout/stderr, terminal-*.
//!
//! The standard streams are the kernel's descriptors 0, 1 and 2: the very
//! objects a WASI 0.1 module would write to.

use crate::bindings::wasi::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout,
};
use crate::io::{InputStream, OutputStream};
use crate::WasiP2;
use std::sync::Arc;
use warden_kernel::fs::File;
use warden_kernel::proc::ProcExit;
use wasmtime::component::Resource;

/// A terminal the guest reads from.
pub struct TerminalInput;
/// A terminal the guest writes to.
pub struct TerminalOutput;

impl WasiP2 {
    fn stdio(&self, fd: u32) -> wasmtime::Result<Arc<dyn File>> {
        match self.kernel.stdio(fd) {
            Some(f) => Ok(f),
            None => wasmtime::bail!("the standard stream {fd} is not available"),
        }
    }

    fn is_terminal(&self, fd: u32) -> bool {
        self.kernel.is_terminal(fd)
    }
}

impl environment::Host for WasiP2 {
    fn get_environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.kernel.env_lossy())
    }
    fn get_arguments(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.kernel.args_lossy())
    }
    fn initial_cwd(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.kernel.initial_cwd.clone())
    }
}

impl exit::Host for WasiP2 {
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

impl stdin::Host for WasiP2 {
    fn get_stdin(&mut self) -> wasmtime::Result<Resource<InputStream>> {
        let f = self.stdio(0)?;
        self.push_input(InputStream::Stream(f))
    }
}

impl stdout::Host for WasiP2 {
    fn get_stdout(&mut self) -> wasmtime::Result<Resource<OutputStream>> {
        let f = self.stdio(1)?;
        self.push_output(OutputStream::stream(f))
    }
}

impl stderr::Host for WasiP2 {
    fn get_stderr(&mut self) -> wasmtime::Result<Resource<OutputStream>> {
        let f = self.stdio(2)?;
        self.push_output(OutputStream::stream(f))
    }
}

impl terminal_input::Host for WasiP2 {}
impl terminal_input::HostTerminalInput for WasiP2 {
    fn drop(&mut self, r: Resource<TerminalInput>) -> wasmtime::Result<()> {
        self.table.delete(r)?;
        Ok(())
    }
}
impl terminal_output::Host for WasiP2 {}
impl terminal_output::HostTerminalOutput for WasiP2 {
    fn drop(&mut self, r: Resource<TerminalOutput>) -> wasmtime::Result<()> {
        self.table.delete(r)?;
        Ok(())
    }
}

impl terminal_stdin::Host for WasiP2 {
    fn get_terminal_stdin(&mut self) -> wasmtime::Result<Option<Resource<TerminalInput>>> {
        if self.is_terminal(0) {
            Ok(Some(self.table.push(TerminalInput)?))
        } else {
            Ok(None)
        }
    }
}
impl terminal_stdout::Host for WasiP2 {
    fn get_terminal_stdout(&mut self) -> wasmtime::Result<Option<Resource<TerminalOutput>>> {
        if self.is_terminal(1) {
            Ok(Some(self.table.push(TerminalOutput)?))
        } else {
            Ok(None)
        }
    }
}
impl terminal_stderr::Host for WasiP2 {
    fn get_terminal_stderr(&mut self) -> wasmtime::Result<Option<Resource<TerminalOutput>>> {
        if self.is_terminal(2) {
            Ok(Some(self.table.push(TerminalOutput)?))
        } else {
            Ok(None)
        }
    }
}
