//! Compiled code on disk: the compile cache, and `warden compile` output.
//!
//! Both carry wasmtime's serialized code with a small header of Warden's
//! own: a magic string, the engine's compatibility hash, and a BLAKE3 hash of
//! the code. A `.cwasm` is the header followed by the code, in one file. A
//! cache entry is two files: `KEY.bin`, the code alone, so that wasmtime
//! maps it into memory instead of Warden reading and copying it (for a 20
//! MB program that was most of a warm start), and `KEY.seal`, the header
//! and, once the code was checked against the hash, the identity of the
//! `.bin` checked (see [`Identity`]). An entry whose header does not match,
//! or whose code was changed since and fails the hash, is not trusted: the
//! cache recompiles and overwrites it, and `warden run` refuses a `.cwasm`
//! it did not write. This module is the only place Warden asks wasmtime to
//! load machine code without compiling it, which is `unsafe`.

use anyhow::{bail, Context as _};
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

/// Marks a cache entry's seal.
const CACHE_MAGIC: &[u8; 16] = b"WARDEN-CACHE-v2\n";
/// Marks a file written by `warden compile`.
pub const CWASM_MAGIC: &[u8; 16] = b"WARDEN-CWASM-v1\n";
const HEADER: usize = 16 + 8 + 1 + 32;

/// What was compiled.
pub enum Compiled {
    Module(Module),
    Component(Component),
}

/// The per-user cache directory: `$WARDEN_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/warden`, else `~/.cache/warden`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WARDEN_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("warden"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/warden"))
}

/// A hash of everything that makes compiled code usable by `engine`: the
/// wasmtime version, its settings and the target, and Warden's version.
fn engine_hash(engine: &Engine) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    env!("CARGO_PKG_VERSION").hash(&mut h);
    h.finish()
}

/// The header for `payload`: the magic, the engine's hash, the kind, and
/// the BLAKE3 hash of the payload. A `.cwasm` is this followed by the
/// payload; a cache seal is this, then nothing or the identity of the code
/// checked.
fn header(magic: &[u8; 16], engine: &Engine, component: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER);
    out.extend_from_slice(magic);
    out.extend_from_slice(&engine_hash(engine).to_le_bytes());
    out.push(component as u8);
    out.extend_from_slice(blake3::hash(payload).as_bytes());
    out
}

/// A header that [`read_header`] found written by this Warden for this
/// engine.
struct Header<'a> {
    component: bool,
    /// The BLAKE3 hash of the code it vouches for.
    hash: &'a [u8],
    /// What follows the header in the same file.
    rest: &'a [u8],
}

/// Checks the header at the start of `bytes` against `magic` and `engine`.
fn read_header<'a>(
    magic: &[u8; 16],
    engine: &Engine,
    bytes: &'a [u8],
) -> anyhow::Result<Header<'a>> {
    if bytes.len() < HEADER || &bytes[..16] != magic {
        bail!("not written by this Warden");
    }
    let hash = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    if hash != engine_hash(engine) {
        bail!("compiled by another Warden version or with other settings");
    }
    Ok(Header {
        component: bytes[24] == 1,
        hash: &bytes[25..HEADER],
        rest: &bytes[HEADER..],
    })
}

/// Fails unless `code` is the code whose BLAKE3 hash is `hash`.
fn check_code(hash: &[u8], code: &[u8]) -> anyhow::Result<()> {
    if blake3::hash(code).as_bytes() != hash {
        bail!("its contents are damaged (checksum mismatch)");
    }
    Ok(())
}

fn load(engine: &Engine, component: bool, payload: &[u8]) -> anyhow::Result<Compiled> {
    // SAFETY: `payload` is code that wasmtime serialized for an engine with
    // the same compatibility hash (checked by `read_header`), and its BLAKE3 hash
    // matches the one written with it, so it is byte for byte what this
    // Warden wrote; wasmtime re-checks its own header as well.
    Ok(if component {
        Compiled::Component(unsafe { Component::deserialize(engine, payload) }?)
    } else {
        Compiled::Module(unsafe { Module::deserialize(engine, payload) }?)
    })
}

/// What a cache entry's code file was when its hash was last checked:
/// device, inode, size, and modification and change times to the
/// nanosecond. Any write to the file changes its change time, which no
/// user can set back, and a file put in its place has another inode; so
/// code with the same identity is the code that was checked.
#[derive(PartialEq)]
struct Identity([u64; 7]);

impl Identity {
    const LEN: usize = 7 * 8;

    #[cfg(unix)]
    fn of(meta: &std::fs::Metadata) -> Option<Identity> {
        Some(Identity::unix(meta))
    }

    #[cfg(unix)]
    fn unix(meta: &std::fs::Metadata) -> Identity {
        use std::os::unix::fs::MetadataExt;
        Identity([
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime() as u64,
            meta.mtime_nsec() as u64,
            meta.ctime() as u64,
            meta.ctime_nsec() as u64,
        ])
    }

    /// Elsewhere the code is checked against its hash at every load.
    #[cfg(not(unix))]
    fn of(_meta: &std::fs::Metadata) -> Option<Identity> {
        None
    }

    /// Whether the file changed less than two seconds ago: then it could
    /// change again without a new change time on a filesystem whose clock
    /// is coarse, so its identity is not recorded (git's "racily clean"
    /// rule, as for program files in [`remember`]).
    fn is_settled(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let changed = (self.0[3] as i64).max(self.0[5] as i64);
        now as i64 - changed >= 2
    }

    fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn from_bytes(b: &[u8]) -> Option<Identity> {
        (b.len() == Identity::LEN).then(|| {
            let mut v = [0u64; 7];
            for (i, c) in b.chunks_exact(8).enumerate() {
                v[i] = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            }
            Identity(v)
        })
    }
}

/// Loads the code `path` that `seal` (read from `seal_path`) vouches for:
/// mapped as it is when it is the very file last checked, else checked
/// against the seal's hash first (and its identity written into the seal
/// once it is settled).
fn open_sealed(
    engine: &Engine,
    path: &Path,
    seal_path: &Path,
    seal: &[u8],
) -> anyhow::Result<Compiled> {
    let header = read_header(CACHE_MAGIC, engine, seal)?;
    let identity = Identity::of(&std::fs::metadata(path)?);
    let checked = Identity::from_bytes(header.rest);
    if identity.is_none() || identity != checked {
        // (Not settled, never checked, or changed since: read it whole.)
        check_code(header.hash, &std::fs::read(path)?)?;
        if let Some(id) = identity.as_ref().filter(|id| id.is_settled()) {
            let mut sealed = seal[..HEADER].to_vec();
            sealed.extend_from_slice(&id.to_bytes());
            if let Err(e) = write_atomically(seal_path, &sealed) {
                tracing::debug!("compile cache seal not updated: {e}");
            }
        }
    }
    // SAFETY: the file holds code that wasmtime serialized for an engine
    // with the same compatibility hash (checked above), and it is byte for
    // byte the code whose BLAKE3 hash this Warden wrote in the seal: it was
    // just checked against it, or it is the same file, unchanged, that was
    // checked before (same identity); and it is still that file after
    // wasmtime opened it (checked below, else the code is dropped unrun).
    // wasmtime maps it copy-on-write, and the cache never changes a file
    // in place (it writes a new file and renames it over the old one), so
    // the mapped code stays what was checked; wasmtime re-checks its own
    // header as well.
    let compiled = if header.component {
        Compiled::Component(unsafe { Component::deserialize_file(engine, path) }?)
    } else {
        Compiled::Module(unsafe { Module::deserialize_file(engine, path) }?)
    };
    if Identity::of(&std::fs::metadata(path)?) != identity {
        bail!("it was replaced while it was being loaded");
    }
    Ok(compiled)
}

/// True when `bytes` is a component rather than a core module.
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [0x01, 0x00]
}

fn compile(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Compiled> {
    let _progress = crate::progress::Progress::after_a_second("compiling");
    Ok(if is_component(bytes) {
        Compiled::Component(
            Component::new(engine, bytes)
                .map_err(anyhow::Error::from)
                .context("not a valid WebAssembly component")?,
        )
    } else {
        Compiled::Module(
            Module::new(engine, bytes)
                .map_err(anyhow::Error::from)
                .context("not a valid WebAssembly module")?,
        )
    })
}

/// Compiles `bytes`, or loads the code compiled for them before from the
/// cache in `dir` (when given). A damaged or stale entry is replaced.
pub fn compile_cached(
    engine: &Engine,
    bytes: &[u8],
    dir: Option<&Path>,
) -> anyhow::Result<Compiled> {
    let Some(dir) = dir else {
        return compile(engine, bytes);
    };
    let content = blake3::hash(bytes).to_hex();
    if let Some(compiled) = load_entry(engine, dir, &content) {
        return Ok(compiled);
    }
    let path = entry_path(engine, dir, &content);
    let compiled = compile(engine, bytes)?;
    let payload = match &compiled {
        Compiled::Module(m) => m.serialize(),
        Compiled::Component(c) => c.serialize(),
    };
    if let Ok(payload) = payload {
        let seal = header(
            CACHE_MAGIC,
            engine,
            matches!(compiled, Compiled::Component(_)),
            &payload,
        );
        // The code first: a seal never names code that is not there yet.
        let written = write_atomically(&path, &payload)
            .and_then(|()| write_atomically(&path.with_extension("seal"), &seal));
        if let Err(e) = written {
            tracing::debug!("compile cache not written: {e}");
        }
    }
    Ok(compiled)
}

/// Where the code compiled by `engine` for the bytes whose BLAKE3 hash is
/// `content` (hex) lives in the cache `dir`.
fn entry_path(engine: &Engine, dir: &Path, content: &str) -> PathBuf {
    let key = format!("{content}-{:016x}", engine_hash(engine));
    dir.join(&key[..2]).join(format!("{key}.bin"))
}

/// The cached code for the bytes hashing to `content` (BLAKE3 hex), if
/// there is a sound entry (a damaged or stale one is reported and left to
/// be replaced).
pub fn load_entry(engine: &Engine, dir: &Path, content: &str) -> Option<Compiled> {
    let path = entry_path(engine, dir, content);
    let seal_path = path.with_extension("seal");
    let seal = std::fs::read(&seal_path).ok()?;
    match open_sealed(engine, &path, &seal_path, &seal) {
        Ok(compiled) => {
            tracing::debug!(path = %path.display(), "compile cache hit");
            Some(compiled)
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), "compile cache entry ignored: {e}");
            None
        }
    }
}

/// What the cache remembers of a program file by its identity, so a warm
/// start neither reads nor hashes it (reading and hashing a 2 MB program
/// was a third of a hello world's start-up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    /// BLAKE3 (hex) of the file's bytes: the key of its compiled code.
    pub content: String,
    /// It needs the engine with component-model async (a WASI 0.3
    /// component, or a 0.2 one using async built-ins).
    pub concurrent: bool,
}

/// A program file's identity: device, inode, size, and modification and
/// change times to the nanosecond. Any write changes the change time,
/// which no user can set back; a file replaced by another gets a new one.
#[cfg(unix)]
fn identity_path(engine: &Engine, dir: &Path, meta: &std::fs::Metadata) -> PathBuf {
    let mut h = blake3::Hasher::new();
    for v in Identity::unix(meta)
        .0
        .into_iter()
        .chain([engine_hash(engine)])
    {
        h.update(&v.to_le_bytes());
    }
    let key = h.finalize().to_hex();
    dir.join("files").join(&key[..2]).join(&key[..])
}

/// What was remembered of the file with metadata `meta` for `engine`.
#[cfg(unix)]
pub fn recall(engine: &Engine, dir: &Path, meta: &std::fs::Metadata) -> Option<Remembered> {
    let text = std::fs::read_to_string(identity_path(engine, dir, meta)).ok()?;
    let (content, concurrent) = text.trim_end().split_once(' ')?;
    let valid = content.len() == 64 && content.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| Remembered {
        content: content.to_owned(),
        concurrent: concurrent == "1",
    })
}

/// Remembers the file with metadata `meta` and contents `bytes` (for
/// `engine`, the engine it was first tried on; `concurrent` as in
/// [`Remembered`]). Not while the file may still be in the middle of being
/// written: a file changed in the last two seconds could change again
/// within the same timestamp on a coarse filesystem, so it is read and
/// hashed until it is older (git's "racily clean" rule); the hash is only
/// taken for a file that will be remembered.
#[cfg(unix)]
pub fn remember(
    engine: &Engine,
    dir: &Path,
    meta: &std::fs::Metadata,
    bytes: &[u8],
    concurrent: bool,
) {
    if !Identity::unix(meta).is_settled() {
        return;
    }
    let line = format!(
        "{} {}\n",
        blake3::hash(bytes).to_hex(),
        u8::from(concurrent)
    );
    if let Err(e) = write_atomically(&identity_path(engine, dir, meta), line.as_bytes()) {
        tracing::debug!("compile cache index not written: {e}");
    }
}

fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// `warden compile`: the compiled form of `bytes`, ready to write to disk.
pub fn precompile(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let component = is_component(bytes);
    let payload = {
        let _progress = crate::progress::Progress::after_a_second("compiling");
        if component {
            engine.precompile_component(bytes)
        } else {
            engine.precompile_module(bytes)
        }
    }
    .map_err(anyhow::Error::from)
    .context("cannot compile it")?;
    let mut cwasm = header(CWASM_MAGIC, engine, component, &payload);
    cwasm.extend_from_slice(&payload);
    Ok(cwasm)
}

/// Loads a file written by `warden compile`, refusing anything else.
pub fn load_precompiled(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Compiled> {
    let header = read_header(CWASM_MAGIC, engine, bytes)
        .and_then(|h| check_code(h.hash, h.rest).map(|()| h))
        .context("refusing to run this precompiled file: only files written by `warden compile` of this Warden are run")?;
    load(engine, header.component, header.rest)
}
