//! The two WASI 0.1 ABIs: `wasi_snapshot_preview1` and the older
//! `wasi_unstable` (snapshot 0). They share every function; they differ in
//! the layout of `filestat`, the numbering of `whence`, and the layout of a
//! poll `subscription`. Everything that differs is here.

use crate::memory::GuestMemory;
use warden_kernel::types::{Filestat, Whence};
use warden_kernel::{Errno, Result};

/// Which snapshot's layouts a function uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// `wasi_snapshot_preview1`.
    Preview1,
    /// `wasi_unstable`, snapshot 0.
    Unstable,
}

impl Abi {
    pub fn module(self) -> &'static str {
        match self {
            Abi::Preview1 => "wasi_snapshot_preview1",
            Abi::Unstable => "wasi_unstable",
        }
    }

    pub fn whence(self, raw: u8) -> Result<Whence> {
        match (self, raw) {
            (Abi::Preview1, 0) | (Abi::Unstable, 2) => Ok(Whence::Set),
            (Abi::Preview1, 1) | (Abi::Unstable, 0) => Ok(Whence::Cur),
            (Abi::Preview1, 2) | (Abi::Unstable, 1) => Ok(Whence::End),
            _ => Err(Errno::Inval),
        }
    }

    /// Writes a `filestat` at `ptr`.
    pub fn write_filestat(self, mem: &mut GuestMemory<'_>, ptr: u32, st: &Filestat) -> Result<()> {
        let ft = st.file_type() as u8;
        match self {
            Abi::Preview1 => {
                let mut b = [0u8; 64];
                b[0..8].copy_from_slice(&st.dev.to_le_bytes());
                b[8..16].copy_from_slice(&st.ino.to_le_bytes());
                b[16] = ft;
                b[24..32].copy_from_slice(&st.nlink.to_le_bytes());
                b[32..40].copy_from_slice(&st.size.to_le_bytes());
                b[40..48].copy_from_slice(&st.atim.to_le_bytes());
                b[48..56].copy_from_slice(&st.mtim.to_le_bytes());
                b[56..64].copy_from_slice(&st.ctim.to_le_bytes());
                mem.write(ptr, &b)
            }
            Abi::Unstable => {
                let mut b = [0u8; 56];
                b[0..8].copy_from_slice(&st.dev.to_le_bytes());
                b[8..16].copy_from_slice(&st.ino.to_le_bytes());
                b[16] = ft;
                let nlink = u32::try_from(st.nlink).unwrap_or(u32::MAX);
                b[20..24].copy_from_slice(&nlink.to_le_bytes());
                b[24..32].copy_from_slice(&st.size.to_le_bytes());
                b[32..40].copy_from_slice(&st.atim.to_le_bytes());
                b[40..48].copy_from_slice(&st.mtim.to_le_bytes());
                b[48..56].copy_from_slice(&st.ctim.to_le_bytes());
                mem.write(ptr, &b)
            }
        }
    }

    /// Size of a `subscription`.
    pub fn subscription_size(self) -> u32 {
        match self {
            Abi::Preview1 => 48,
            Abi::Unstable => 56,
        }
    }

    /// Reads the `subscription` at `ptr`.
    pub fn read_subscription(self, mem: &GuestMemory<'_>, ptr: u32) -> Result<Subscription> {
        let userdata = mem.read_u64(ptr)?;
        let tag = mem.read_u8(ptr + 8)?;
        let kind = match tag {
            0 => {
                let (id, timeout, precision, flags) = match self {
                    Abi::Preview1 => (
                        mem.read_u32(ptr + 16)?,
                        mem.read_u64(ptr + 24)?,
                        mem.read_u64(ptr + 32)?,
                        mem.read_u16(ptr + 40)?,
                    ),
                    Abi::Unstable => (
                        mem.read_u32(ptr + 24)?,
                        mem.read_u64(ptr + 32)?,
                        mem.read_u64(ptr + 40)?,
                        mem.read_u16(ptr + 48)?,
                    ),
                };
                SubscriptionKind::Clock {
                    id,
                    timeout,
                    precision,
                    absolute: flags & 1 != 0,
                }
            }
            1 => SubscriptionKind::FdRead(mem.read_u32(ptr + 16)?),
            2 => SubscriptionKind::FdWrite(mem.read_u32(ptr + 16)?),
            _ => return Err(Errno::Inval),
        };
        Ok(Subscription { userdata, kind })
    }
}

/// A poll subscription, whatever its layout.
#[derive(Clone, Copy, Debug)]
pub struct Subscription {
    pub userdata: u64,
    pub kind: SubscriptionKind,
}

#[derive(Clone, Copy, Debug)]
pub enum SubscriptionKind {
    Clock {
        id: u32,
        timeout: u64,
        precision: u64,
        absolute: bool,
    },
    FdRead(u32),
    FdWrite(u32),
}

/// Size of an `event` (the same in both snapshots).
pub const EVENT_SIZE: u32 = 32;
/// Size of a `dirent` header.
pub const DIRENT_SIZE: usize = 24;
