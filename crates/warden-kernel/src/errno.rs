//! [`Errno`]: the one error currency of the kernel.
//!
//! Every kernel operation fails with an `Errno`. Its numbering is WASI 0.1's
//! (`wasi_snapshot_preview1` `errno`), so the p1 layer passes it to the guest
//! unchanged; the p2 and p3 layers map it onto their `error-code` variants.

use std::io;

macro_rules! errnos {
    ($( $(#[$doc:meta])* $name:ident = $num:expr, $text:literal; )*) => {
        /// A WASI error number (witx `errno`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Errno {
            $( $(#[$doc])* $name = $num, )*
        }

        impl Errno {
            /// The witx name of the error, e.g. `"noent"`.
            pub fn name(self) -> &'static str {
                match self { $( Errno::$name => $text, )* }
            }

            /// The error with WASI number `n`, if there is one.
            pub fn from_raw(n: u16) -> Option<Errno> {
                match n { $( $num => Some(Errno::$name), )* _ => None }
            }
        }
    };
}

errnos! {
    /// No error occurred.
    Success = 0, "success";
    TooBig = 1, "2big";
    Acces = 2, "acces";
    Addrinuse = 3, "addrinuse";
    Addrnotavail = 4, "addrnotavail";
    Afnosupport = 5, "afnosupport";
    Again = 6, "again";
    Already = 7, "already";
    Badf = 8, "badf";
    Badmsg = 9, "badmsg";
    Busy = 10, "busy";
    Canceled = 11, "canceled";
    Child = 12, "child";
    Connaborted = 13, "connaborted";
    Connrefused = 14, "connrefused";
    Connreset = 15, "connreset";
    Deadlk = 16, "deadlk";
    Destaddrreq = 17, "destaddrreq";
    Dom = 18, "dom";
    Dquot = 19, "dquot";
    Exist = 20, "exist";
    Fault = 21, "fault";
    Fbig = 22, "fbig";
    Hostunreach = 23, "hostunreach";
    Idrm = 24, "idrm";
    Ilseq = 25, "ilseq";
    Inprogress = 26, "inprogress";
    Intr = 27, "intr";
    Inval = 28, "inval";
    Io = 29, "io";
    Isconn = 30, "isconn";
    Isdir = 31, "isdir";
    Loop = 32, "loop";
    Mfile = 33, "mfile";
    Mlink = 34, "mlink";
    Msgsize = 35, "msgsize";
    Multihop = 36, "multihop";
    Nametoolong = 37, "nametoolong";
    Netdown = 38, "netdown";
    Netreset = 39, "netreset";
    Netunreach = 40, "netunreach";
    Nfile = 41, "nfile";
    Nobufs = 42, "nobufs";
    Nodev = 43, "nodev";
    Noent = 44, "noent";
    Noexec = 45, "noexec";
    Nolck = 46, "nolck";
    Nolink = 47, "nolink";
    Nomem = 48, "nomem";
    Nomsg = 49, "nomsg";
    Noprotoopt = 50, "noprotoopt";
    Nospc = 51, "nospc";
    Nosys = 52, "nosys";
    Notconn = 53, "notconn";
    Notdir = 54, "notdir";
    Notempty = 55, "notempty";
    Notrecoverable = 56, "notrecoverable";
    Notsock = 57, "notsock";
    Notsup = 58, "notsup";
    Notty = 59, "notty";
    Nxio = 60, "nxio";
    Overflow = 61, "overflow";
    Ownerdead = 62, "ownerdead";
    Perm = 63, "perm";
    Pipe = 64, "pipe";
    Proto = 65, "proto";
    Protonosupport = 66, "protonosupport";
    Prototype = 67, "prototype";
    Range = 68, "range";
    Rofs = 69, "rofs";
    Spipe = 70, "spipe";
    Srch = 71, "srch";
    Stale = 72, "stale";
    Timedout = 73, "timedout";
    Txtbsy = 74, "txtbsy";
    Xdev = 75, "xdev";
    /// The descriptor lacks a right the operation needs.
    Notcapable = 76, "notcapable";
}

/// The result type of kernel operations.
pub type Result<T, E = Errno> = std::result::Result<T, E>;

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), *self as u16)
    }
}

impl std::error::Error for Errno {}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        Errno::from_host_raw(e.raw_os_error())
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        if let Some(raw) = e.raw_os_error() {
            return Errno::from_host_raw(raw);
        }
        // Errors without an OS number come from libraries. cap-std reports a
        // path that would leave its directory as PermissionDenied.
        match e.kind() {
            io::ErrorKind::PermissionDenied => Errno::Perm,
            io::ErrorKind::NotFound => Errno::Noent,
            io::ErrorKind::AlreadyExists => Errno::Exist,
            io::ErrorKind::InvalidInput => Errno::Inval,
            io::ErrorKind::WouldBlock => Errno::Again,
            io::ErrorKind::Interrupted => Errno::Intr,
            io::ErrorKind::Unsupported => Errno::Notsup,
            io::ErrorKind::OutOfMemory => Errno::Nomem,
            io::ErrorKind::NotADirectory => Errno::Notdir,
            io::ErrorKind::IsADirectory => Errno::Isdir,
            io::ErrorKind::DirectoryNotEmpty => Errno::Notempty,
            io::ErrorKind::ReadOnlyFilesystem => Errno::Rofs,
            io::ErrorKind::InvalidFilename => Errno::Nametoolong,
            io::ErrorKind::TimedOut => Errno::Timedout,
            io::ErrorKind::BrokenPipe => Errno::Pipe,
            io::ErrorKind::ConnectionRefused => Errno::Connrefused,
            io::ErrorKind::ConnectionReset => Errno::Connreset,
            io::ErrorKind::NotConnected => Errno::Notconn,
            _ => Errno::Io,
        }
    }
}

impl Errno {
    /// Maps a host error number (`errno`; on Windows, a Win32 or Winsock
    /// error) onto WASI's numbering.
    pub fn from_host_raw(raw: i32) -> Errno {
        crate::sys::errno_from_raw(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in 0..=76u16 {
            let e = Errno::from_raw(n).expect("every number up to 76 is an errno");
            assert_eq!(e as u16, n);
        }
        assert_eq!(Errno::from_raw(77), None);
    }

    #[test]
    fn host_errors_map_by_meaning() {
        assert_eq!(Errno::from_host_raw(libc_enoent()), Errno::Noent);
        let escape = io::Error::new(io::ErrorKind::PermissionDenied, "outside");
        assert_eq!(Errno::from(escape), Errno::Perm);
    }

    /// "No such file" in the host's own numbering: `ENOENT` on Unix,
    /// `ERROR_FILE_NOT_FOUND` on Windows, both 2.
    fn libc_enoent() -> i32 {
        2
    }
}
