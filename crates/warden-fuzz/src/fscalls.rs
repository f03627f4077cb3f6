//! The filesystem-weighted decoding of target (b): calls that make, open,
//! write, link, rename and remove things beneath the preopens, with typed
//! arguments, so that the trees of a sequence actually grow and two
//! backends can be compared entry by entry afterwards.
//!
//! Unlike the decoding of target (a), each argument is decoded by what it
//! is: a path is a few components from a tiny alphabet (so calls meet on
//! the same names), a size or offset stays below a few MiB (the in-memory
//! backend's data quota and the host filesystem's largest file are limits
//! of one backend, not semantics to compare), and the output pointers land
//! in a scratch area. Now and then a 32-bit argument is a hostile value of
//! [`Input::value32`] instead, so the error paths are still walked.

use crate::Input;
use warden_kernel::types::Rights;
use wasmtime::Val;

/// Where each call's path arguments are written (one slot per path
/// argument, 256 bytes apart).
const PATH_SLOTS: u32 = 1024;
/// The iovec entries (see [`template`]).
const IOVS: u32 = 512;
/// The buffer written from (and read into): 4 KiB of a pattern that
/// depends on the call's index, so files get distinct contents.
const BUF: u32 = 8192;
const BUF_LEN: usize = 4096;
/// Scratch space for results (64 bytes per slot).
const OUT: u32 = 16384;
/// Where `fd_readdir`, `path_readlink` and `fd_prestat_dir_name` write.
const READ_BUF: u32 = 24576;
/// The names paths are made of: few, so that calls meet.
const NAMES: &[&str] = &["a", "b", "c", "d"];

/// What a decoded argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    /// A directory descriptor: mostly the rw preopen (3), sometimes the
    /// read-only one (4) or one a `path_open` made (0-2 and 5-7: fds 0-2
    /// start closed, so they are handed out first).
    Fd,
    /// A descriptor a `path_open` made, mostly: what file calls, and the
    /// calls that close, renumber or narrow a descriptor, work on (so the
    /// preopen that trees grow through seldom goes away).
    Opened,
    /// A path (pointer and length).
    Path,
    /// A symlink's target (pointer and length): like a path, more often
    /// absolute.
    Target,
    Lookup,
    OFlags,
    RightsBase,
    RightsInheriting,
    FdFlags,
    /// An iovec array (pointer and count).
    Iovs,
    /// A pointer for a result.
    Out,
    /// A buffer to read into, and its length.
    Buf,
    BufLen,
    Size,
    Offset,
    SeekOffset,
    Whence,
    Time,
    FstFlags,
    Advice,
    Cookie,
}

use Arg::*;

/// The functions of target (b), each with a weight and its arguments.
/// Nothing here waits (no `poll_oneoff`, no socket calls) and nothing
/// syncs: `fd_sync` and the O_SYNC flags make every call a disk flush on
/// the host and tell nothing about trees (target (a) covers them).
const CALLS: &[(&str, u32, &[Arg])] = &[
    (
        "path_open",
        12,
        &[
            Fd,
            Lookup,
            Path,
            OFlags,
            RightsBase,
            RightsInheriting,
            FdFlags,
            Out,
        ],
    ),
    ("fd_write", 4, &[Opened, Iovs, Out]),
    ("fd_pwrite", 3, &[Opened, Iovs, Offset, Out]),
    ("fd_close", 2, &[Opened]),
    ("path_create_directory", 6, &[Fd, Path]),
    ("path_remove_directory", 2, &[Fd, Path]),
    ("path_unlink_file", 2, &[Fd, Path]),
    ("path_rename", 5, &[Fd, Path, Fd, Path]),
    ("path_link", 3, &[Fd, Lookup, Path, Fd, Path]),
    ("path_symlink", 4, &[Target, Fd, Path]),
    ("path_readlink", 1, &[Fd, Path, Buf, BufLen, Out]),
    ("path_filestat_get", 2, &[Fd, Lookup, Path, Out]),
    (
        "path_filestat_set_times",
        1,
        &[Fd, Lookup, Path, Time, Time, FstFlags],
    ),
    ("fd_filestat_set_size", 2, &[Opened, Size]),
    ("fd_allocate", 1, &[Opened, Offset, Size]),
    ("fd_read", 1, &[Opened, Iovs, Out]),
    ("fd_pread", 1, &[Opened, Iovs, Offset, Out]),
    ("fd_seek", 2, &[Opened, SeekOffset, Whence, Out]),
    ("fd_tell", 1, &[Opened, Out]),
    ("fd_readdir", 1, &[Fd, Buf, BufLen, Cookie, Out]),
    ("fd_renumber", 1, &[Opened, Opened]),
    ("fd_filestat_get", 1, &[Opened, Out]),
    ("fd_filestat_set_times", 1, &[Opened, Time, Time, FstFlags]),
    ("fd_fdstat_get", 1, &[Opened, Out]),
    ("fd_fdstat_set_flags", 1, &[Opened, FdFlags]),
    (
        "fd_fdstat_set_rights",
        1,
        &[Opened, RightsBase, RightsInheriting],
    ),
    ("fd_advise", 1, &[Opened, Offset, Size, Advice]),
    ("fd_prestat_get", 1, &[Fd, Out]),
    ("fd_prestat_dir_name", 1, &[Fd, Buf, BufLen]),
];

/// One decoded call: the function, its arguments, and the paths to place
/// in guest memory first.
pub(crate) struct FsCall {
    pub name: &'static str,
    pub args: Vec<Val>,
    /// `(address, bytes)`, written over the template before the call.
    pub paths: Vec<(u32, Vec<u8>)>,
}

/// The guest memory every call starts from: the iovec entries, the
/// scratch areas zeroed.
pub(crate) fn template() -> Vec<u8> {
    let mut mem = vec![0u8; 65536];
    let entries: [(u32, u32); 6] = [
        (BUF, 13),
        (BUF, 100),
        (BUF, BUF_LEN as u32),
        (BUF + 13, 1),
        (BUF, 0),
        // Runs past the end of memory: `fault`.
        (65000, 4096),
    ];
    for (i, (ptr, len)) in entries.iter().enumerate() {
        let at = IOVS as usize + 8 * i;
        mem[at..at + 4].copy_from_slice(&ptr.to_le_bytes());
        mem[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
    }
    mem
}

/// Writes call `index`'s buffer pattern and paths into `mem` (a copy of
/// [`template`]).
pub(crate) fn prepare(mem: &mut [u8], call: &FsCall, index: u64) {
    let buf = &mut mem[BUF as usize..BUF as usize + BUF_LEN];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = b'a' + ((index as usize + i) % 26) as u8;
    }
    for (at, bytes) in &call.paths {
        let at = *at as usize;
        mem[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

/// The next call `input` encodes, or `None` at its end.
pub(crate) fn next(input: &mut Input<'_>) -> Option<FsCall> {
    let total: u32 = CALLS.iter().map(|c| c.1).sum();
    let sel = (u32::from(input.byte()?) * 256 + u32::from(input.byte().unwrap_or(0))) % total;
    let mut at = 0;
    let &(name, _, spec) = CALLS
        .iter()
        .find(|c| {
            at += c.1;
            sel < at
        })
        .expect("sel is below the total weight");
    let mut call = FsCall {
        name,
        args: Vec::with_capacity(spec.len() + 2),
        paths: Vec::new(),
    };
    for &arg in spec {
        decode(input, arg, &mut call);
    }
    Some(call)
}

fn i32v(v: u32) -> Val {
    Val::I32(v as i32)
}

fn i64v(v: u64) -> Val {
    Val::I64(v as i64)
}

fn decode(input: &mut Input<'_>, arg: Arg, call: &mut FsCall) {
    let b = input.byte().unwrap_or(0);
    // One byte in 256 makes a 32-bit argument hostile (paths and iovec
    // arrays stay well formed: their hostile forms are target (a)'s).
    let wide = matches!(
        arg,
        RightsBase | RightsInheriting | Size | Offset | SeekOffset | Time | Cookie
    );
    if b == 0xff && !wide && !matches!(arg, Path | Target | Iovs) {
        call.args.push(i32v(input.value32()));
        return;
    }
    let hi = u64::from(b >> 4);
    let v = match arg {
        Fd => i32v(match b % 32 {
            0..=25 => 3,
            26 | 27 => 4,
            28 => 0,
            29 => 1,
            30 => 5,
            _ => b as u32 >> 5,
        }),
        Opened => i32v(match b % 16 {
            0..=4 => 0,
            5..=7 => 1,
            8 | 9 => 2,
            10 | 11 => 5,
            12 => 6,
            13 => 3,
            14 => 4,
            _ => b as u32 >> 4,
        }),
        Path | Target => {
            // Half the paths are one name long: trees grow through them.
            let count = if b & 0x80 == 0 {
                1
            } else {
                1 + usize::from(b) % 4
            };
            let path = path(input, count, NAMES, arg == Target);
            let at = PATH_SLOTS + 256 * call.paths.len() as u32;
            call.args.push(i32v(at));
            call.args.push(i32v(path.len() as u32));
            call.paths.push((at, path.into_bytes()));
            return;
        }
        Lookup => i32v(match b % 16 {
            0..=7 => 1,
            8..=14 => 0,
            _ => b as u32 >> 4,
        }),
        OFlags => {
            const CREAT: u32 = 1;
            const DIRECTORY: u32 = 2;
            const EXCL: u32 = 4;
            const TRUNC: u32 = 8;
            i32v(match b % 32 {
                0..=5 => 0,
                6..=13 => CREAT,
                14..=16 => CREAT | TRUNC,
                17..=19 => CREAT | EXCL,
                20..=22 => DIRECTORY,
                23 | 24 => TRUNC,
                25 => CREAT | DIRECTORY,
                26 => CREAT | EXCL | TRUNC,
                27 => EXCL,
                28 => DIRECTORY | TRUNC,
                29 | 30 => u32::from(b >> 4) & 0xf,
                _ => 0x10,
            })
        }
        RightsBase => {
            let read = Rights::FD_READ | Rights::FD_READDIR;
            let write = Rights::FD_WRITE | Rights::FD_SEEK | Rights::FD_TELL;
            i64v(match b % 16 {
                0..=6 => Rights::all().bits(),
                7 | 8 => read.bits(),
                9 | 10 => write.bits(),
                11 | 12 => (read | write).bits(),
                13 | 14 => 0,
                // An unknown bit: `notcapable`.
                _ => Rights::all().bits() | 1 << 40,
            })
        }
        RightsInheriting => i64v(match b % 4 {
            0 | 1 => Rights::all().bits(),
            2 => 0,
            _ => (Rights::FD_READ | Rights::FD_WRITE).bits(),
        }),
        FdFlags => i32v(match b % 16 {
            0..=9 => 0,
            10 | 11 => 1, // append
            12 => 4,      // nonblock
            13 | 14 => 1 | 4,
            _ => 0x20, // unknown: `inval`
        }),
        Iovs => {
            call.args.push(i32v(IOVS + 8 * (u32::from(b & 7) % 6)));
            call.args.push(i32v(match (b >> 3) % 4 {
                3 => 0,
                n => u32::from(n) + 1,
            }));
            return;
        }
        Out => i32v(if b >> 3 == 31 {
            65535 - u32::from(b & 7)
        } else {
            OUT + 64 * u32::from(b & 7)
        }),
        Buf => i32v(READ_BUF),
        BufLen => i32v([0, 1, 8, 24, 64, 256, 4096, 100][b as usize % 8]),
        Size => i64v(
            [0, 1, 7, 13, 100, 4095, 4096, 4097, 65536, 100_000, 1 << 20][b as usize % 11] + hi,
        ),
        Offset => {
            i64v([0, 0, 1, 13, 100, 4096, 8192, 65536, 1 << 20, 3 << 20][b as usize % 10] + hi)
        }
        SeekOffset => i64v(
            [
                0,
                1,
                -1,
                13,
                -13,
                4096,
                -4096,
                1 << 20,
                -(1 << 40),
                i64::MIN,
            ][b as usize % 10] as u64,
        ),
        Whence => i32v(match b % 4 {
            3 => u32::from(b >> 2),
            n => u32::from(n),
        }),
        Time => i64v(match b % 8 {
            0 => 0,
            1 => 1,
            2..=5 => 1_700_000_000_000_000_000 + hi,
            6 => 1 << 62,
            _ => u64::MAX - hi,
        }),
        FstFlags => i32v(if b == 0xfe { 0x10 } else { u32::from(b & 0xf) }),
        Advice => i32v(u32::from(b % 8)),
        Cookie => i64v([0, 0, 0, 1, 2, 3, 100, u64::MAX][b as usize % 8]),
    };
    call.args.push(v);
}

/// A path of `count` components from `names`, `.`, `..` and empty ones
/// (`a//b`), one input byte each, and one more byte for its shape: maybe
/// absolute (more often when `often_absolute`), maybe with a trailing
/// slash. Shared with the resolver target.
pub(crate) fn path(
    input: &mut Input<'_>,
    count: usize,
    names: &[&str],
    often_absolute: bool,
) -> String {
    let shape = input.byte().unwrap_or(0);
    let mut out = String::new();
    if shape % 16 == 15 || (often_absolute && shape % 8 == 7) {
        out.push('/');
    }
    for i in 0..count {
        if i > 0 {
            out.push('/');
        }
        let c = input.byte().unwrap_or(0);
        out.push_str(match c % 16 {
            0..=10 => names[usize::from(c / 16) % names.len()],
            11..=13 => "..",
            // An empty first component would make the path absolute.
            15 if i > 0 => "",
            _ => ".",
        });
    }
    if (shape >> 4) % 4 == 3 && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The calls `data` encodes, one line each, paths shown as text (for the
/// report of a difference, and as [`encode`] reads them).
pub fn describe(data: &[u8]) -> Vec<String> {
    let mut input = Input { data, at: 0 };
    let mut out = Vec::new();
    while let Some(c) = next(&mut input) {
        let spec = CALLS
            .iter()
            .find(|f| f.0 == c.name)
            .expect("a decoded call is in the table")
            .2;
        out.push(format!("{}({})", c.name, show(&c, spec).join(", ")));
    }
    out
}

/// The arguments of `call`, decoded as `spec` says, as text.
fn show(call: &FsCall, spec: &[Arg]) -> Vec<String> {
    let (mut args, mut paths) = (call.args.iter(), call.paths.iter());
    let mut value = || match args.next() {
        Some(Val::I32(v)) => i64::from(*v),
        Some(Val::I64(v)) => *v,
        _ => 0,
    };
    let mut shown = Vec::new();
    for arg in spec {
        shown.push(match arg {
            Path | Target => {
                value();
                value();
                let (_, bytes) = paths.next().expect("a path per path argument");
                format!("{:?}", String::from_utf8_lossy(bytes))
            }
            Iovs => {
                let (at, n) = (value(), value());
                format!("iovs[{}; {n}]", (at - i64::from(IOVS)) / 8)
            }
            _ => value().to_string(),
        });
    }
    shown
}

/// Input bytes that decode to `calls`, each written as [`describe`] shows
/// one: the inverse of the decoding, so that the regression tests (and the
/// seed corpus) read as calls. Panics on a call the decoding cannot make.
pub fn encode(calls: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for call in calls {
        let (name, rest) = call.split_once('(').expect("name(arguments)");
        let rest = rest.strip_suffix(')').expect("name(arguments)");
        let at = CALLS
            .iter()
            .position(|c| c.0 == name)
            .unwrap_or_else(|| panic!("{name} is not decoded"));
        let (_, _, spec) = CALLS[at];
        // The selector: the first of the call's weights.
        let sel: u32 = CALLS[..at].iter().map(|c| c.1).sum();
        out.extend([(sel >> 8) as u8, sel as u8]);
        let texts = split_arguments(rest);
        assert_eq!(texts.len(), spec.len(), "{call}: arguments");
        for (&arg, text) in spec.iter().zip(texts) {
            out.extend(encode_argument(arg, &text).unwrap_or_else(|| panic!("{call}: {text}")));
        }
    }
    out
}

/// `a, "b, c", iovs[1; 2]` → `a`, `"b, c"`, `iovs[1; 2]`.
fn split_arguments(text: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut bracket) = (Vec::new(), String::new(), false, false);
    for ch in text.chars() {
        match ch {
            '"' => quoted = !quoted,
            '[' => bracket = true,
            ']' => bracket = false,
            ',' if !quoted && !bracket => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The bytes, found by search, that decode to an argument shown as `text`.
fn encode_argument(arg: Arg, text: &str) -> Option<Vec<u8>> {
    let shows = |bytes: &[u8]| {
        let mut input = Input { data: bytes, at: 0 };
        let mut call = FsCall {
            name: "",
            args: Vec::new(),
            paths: Vec::new(),
        };
        decode(&mut input, arg, &mut call);
        input.at == bytes.len() && show(&call, &[arg])[0] == text
    };
    if !matches!(arg, Path | Target) {
        return (0..=255u8).map(|b| vec![b]).find(|c| shows(c));
    }
    // A head byte (how many components), a shape byte, a byte per
    // component: a name, `..`, `.` or an empty one.
    let components = [0x00, 0x10, 0x20, 0x30, 11, 14, 15];
    for count in 1..=4usize {
        let head = if count == 1 {
            0
        } else {
            0x80 + count as u8 - 1
        };
        for shape in [0x00, 0x30, 0x0f, 0x3f, 0x07, 0x37] {
            let mut picks = vec![0usize; count];
            loop {
                let mut bytes = vec![head, shape];
                bytes.extend(picks.iter().map(|&i| components[i]));
                if shows(&bytes) {
                    return Some(bytes);
                }
                // The next combination of components.
                let Some(i) = picks.iter().position(|&p| p + 1 < components.len()) else {
                    break;
                };
                picks[i] += 1;
                for p in &mut picks[..i] {
                    *p = 0;
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FUNCTIONS;

    /// Every call's decoded arguments fit the function's core signature.
    #[test]
    fn decoded_calls_match_their_signatures() {
        for data in crate::inputs(3, 200, 64) {
            let mut input = Input { data: &data, at: 0 };
            while let Some(c) = next(&mut input) {
                let (_, params) = FUNCTIONS
                    .iter()
                    .find(|f| f.0 == c.name)
                    .expect("a WASI function");
                let widths: Vec<bool> = c.args.iter().map(|v| matches!(v, Val::I64(_))).collect();
                assert_eq!(&widths, params, "{}", c.name);
            }
        }
    }

    /// What `encode` makes, `describe` shows back, call for call.
    #[test]
    fn encoding_inverts_the_decoding() {
        let calls = [
            "path_open(3, 1, \"a/..//b/\", 1, 1073741823, 0, 1, 16448)",
            "fd_pwrite(0, iovs[3; 2], 4096, 16384)",
            "path_symlink(\"/a\", 3, \"b\")",
            "path_rename(3, \"..\", 3, \"d/./\")",
            "path_filestat_set_times(3, 0, \"c\", 0, -1, 5)",
        ];
        let data = encode(&calls);
        assert_eq!(describe(&data), calls);
    }

    #[test]
    fn paths_are_short_and_made_of_the_names() {
        // Four components, a trailing slash (shape 0x30).
        let data = [0x30, 0x10, 11, 14, 15];
        let mut input = Input { data: &data, at: 0 };
        assert_eq!(path(&mut input, 4, NAMES, false), "b/.././");
        let data = [0x0f, 15];
        let mut input = Input { data: &data, at: 0 };
        assert_eq!(path(&mut input, 1, NAMES, false), "/.");
        // path_open(3, 1, "a", ...): the first weight's call.
        let shown = describe(&[0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(shown.len(), 1);
        assert!(
            shown[0].starts_with("path_open(3, 1, \"a\", 0, "),
            "{}",
            shown[0]
        );
    }
}
