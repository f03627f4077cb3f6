//! Target (c) of issue 11: the in-memory backend's path resolver checked
//! against the host kernel's own, `openat2(RESOLVE_BENEATH)`.
//!
//! Each input makes a small tree — directories, files, symlinks with
//! relative targets (`..` chains, dangling ones, loops) and absolute ones —
//! identically in a host directory and in a fresh `MemoryFs`, then resolves
//! paths made of the tree's names, `.`, `..`, empty components, trailing
//! slashes and a leading `/`, from the tree's root or one of its
//! directories (every directory handle is its own root). Each path is
//! opened with and without following a final symlink, and sometimes with
//! `O_DIRECTORY` or for writing, three ways:
//!
//! - through the memory backend: `check_path` (what every WASI layer does
//!   first), then `MemoryDir::open_at`;
//! - through `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` on the host
//!   directory, the reference;
//! - through Warden's host backend, `HostDir::open_at` (cap-std), which must
//!   agree with the reference too.
//!
//! What was opened is compared by identity (the node's inode, mapped back
//! to the path it was made at), a failure by its errno, with one explicit
//! mapping: `EXDEV`, `RESOLVE_BENEATH`'s refusal of an absolute path, an
//! absolute symlink or a `..` above the starting directory, is Warden's
//! `perm` (docs/p1-semantics.md, as Wasmtime). Everything else maps as the
//! host backend maps errnos (`ENOENT` → `noent`, `ENOTDIR` → `notdir`,
//! `ELOOP` → `loop`, `EISDIR` → `isdir`, ...), and must be equal.
//!
//! Where the two resolvers may legitimately differ the inputs avoid it, so
//! no outcome needs normalizing beyond that mapping:
//! - paths with a NUL byte: the host cannot even be asked (a C string), and
//!   `check_path` refuses them (`ilseq`) before any backend;
//! - symlinks with an empty target: Linux cannot make one (`ENOENT`);
//! - `EAGAIN`: `RESOLVE_BENEATH` gives it for a `..` when any rename or
//!   mount happened on the system meanwhile (another process building in
//!   the same machine is enough); the call is retried, as the man page
//!   says, and as cap-std does.

use crate::{fscalls, Input};
use rustix::fs::{Mode, OFlags, ResolveFlags};
use std::collections::{HashMap, HashSet};
use std::io::IoSlice;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use warden_kernel::fs::host::HostDir;
use warden_kernel::fs::memory::MemoryFs;
use warden_kernel::fs::{check_path, Dir, Opened};
use warden_kernel::types::OpenOptions;
use warden_kernel::Errno;

/// The names of the trees' nodes (and of the paths' components).
const NAMES: &[&str] = &["a", "b", "c", "d", "e", "f"];
/// Most nodes one input's tree has.
const MAX_NODES: u8 = 24;

/// Resolves paths in trees made under one host directory.
pub struct Resolver {
    base: PathBuf,
}

/// What the comparisons covered, summed over inputs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Resolutions {
    pub trees: u64,
    pub nodes: u64,
    /// Paths resolved (each by all three ways and compared).
    pub resolutions: u64,
    /// Of those, the ones that opened something, and the ones refused.
    pub opened: u64,
    pub refused: u64,
    /// Refusals by errno (`perm`, `noent`, `notdir`, `loop`, `isdir`).
    pub perm: u64,
    pub loops: u64,
}

/// What a node of a tree is.
#[derive(Debug, Clone)]
pub enum Kind {
    Dir,
    /// A file; its contents are its path.
    File,
    /// A symlink and its target.
    Symlink(String),
}

/// One input: a tree and the paths to resolve in it.
#[derive(Debug, Clone, Default)]
pub struct Case {
    /// The nodes, each below a directory made before it.
    pub nodes: Vec<(String, Kind)>,
    pub queries: Vec<Query>,
}

/// A path to resolve, from the directory `start` (`""`: the root), with
/// and without following a final symlink.
#[derive(Debug, Clone)]
pub struct Query {
    pub start: String,
    pub path: String,
    /// `O_DIRECTORY` / `oflags::directory`.
    pub directory: bool,
    /// Opened for writing rather than reading.
    pub write: bool,
}

/// The outcome of one resolution.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Outcome {
    /// The node opened, by the path it was made at (`""`: the root).
    Opened(String),
    Refused(Errno),
}

/// One case's tree on both sides, with the inode of each node, and a
/// starting point per directory: the host descriptor, Warden's host
/// backend, the memory backend.
struct Trees {
    host_inos: HashMap<u64, String>,
    memory_inos: HashMap<u64, String>,
    starts: HashMap<String, (OwnedFd, HostDir, Arc<dyn Dir>)>,
    _fs: MemoryFs,
}

impl Case {
    /// The case `data` encodes: a node count, then per node its parent
    /// directory, name and kind, and for a symlink its target; then per
    /// query its start, flags and path.
    pub fn decode(data: &[u8]) -> Case {
        let mut input = Input { data, at: 0 };
        let mut case = Case::default();
        let mut dirs = vec![String::new()];
        let mut taken = HashSet::new();
        for _ in 0..1 + input.byte().unwrap_or(0) % MAX_NODES {
            let parent = &dirs[usize::from(input.byte().unwrap_or(0)) % dirs.len()];
            let k = input.byte().unwrap_or(0);
            let name = NAMES[usize::from(k) % NAMES.len()];
            let path = if parent.is_empty() {
                name.to_string()
            } else {
                format!("{parent}/{name}")
            };
            let kind = match (k / NAMES.len() as u8) % 8 {
                0..=2 => Kind::Dir,
                3 | 4 => Kind::File,
                _ => {
                    let count = 1 + usize::from(input.byte().unwrap_or(0)) % 6;
                    Kind::Symlink(fscalls::path(&mut input, count, NAMES, true))
                }
            };
            if !taken.insert(path.clone()) {
                continue;
            }
            if let Kind::Dir = kind {
                dirs.push(path.clone());
            }
            case.nodes.push((path, kind));
        }
        while let Some(s) = input.byte() {
            let start = if s.is_multiple_of(4) {
                dirs[usize::from(s >> 2) % dirs.len()].clone()
            } else {
                String::new()
            };
            let f = input.byte().unwrap_or(0);
            let n = input.byte().unwrap_or(0);
            // Half the paths start at a node of the tree, so that they meet
            // what is there (links above all) rather than `noent`.
            let path = if n & 1 == 1 && !case.nodes.is_empty() {
                let node = &case.nodes[usize::from(n >> 1) % case.nodes.len()].0;
                let more = input.byte().unwrap_or(0);
                if more.is_multiple_of(4) {
                    let rest =
                        fscalls::path(&mut input, 1 + usize::from(more >> 2) % 3, NAMES, false);
                    format!("{node}/{}", rest.trim_start_matches('/'))
                } else if more % 4 == 1 {
                    format!("{node}/")
                } else {
                    node.clone()
                }
            } else {
                fscalls::path(&mut input, 1 + usize::from(n >> 1) % 8, NAMES, false)
            };
            case.queries.push(Query {
                start,
                path,
                directory: f & 3 == 3,
                write: f & 12 == 12,
            });
        }
        case
    }

    fn describe(&self) -> String {
        let mut out = String::new();
        for (path, kind) in &self.nodes {
            out.push_str(&match kind {
                Kind::Dir => format!("  {path}/\n"),
                Kind::File => format!("  {path}\n"),
                Kind::Symlink(t) => format!("  {path} -> {t:?}\n"),
            });
        }
        out
    }
}

impl Resolver {
    /// Trees are made at `base/t` (`base` must exist).
    pub fn new(base: &Path) -> Resolver {
        Resolver {
            base: base.to_path_buf(),
        }
    }

    /// Checks the case `data` encodes ([`Case::decode`]).
    pub fn run(&self, data: &[u8], totals: &mut Resolutions) -> anyhow::Result<()> {
        self.check(&Case::decode(data), totals)
            .map_err(|e| e.context(format!("input {data:?}")))
    }

    /// Makes the case's tree on both sides and resolves its paths; `Err`
    /// describes the first disagreement.
    pub fn check(&self, case: &Case, totals: &mut Resolutions) -> anyhow::Result<()> {
        let root = self.base.join("t");
        match std::fs::remove_dir_all(&root) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        std::fs::create_dir(&root)?;
        let trees = make_trees(&root, case)?;
        totals.trees += 1;
        totals.nodes += case.nodes.len() as u64;
        for q in &case.queries {
            let (fd, host_dir, memory_dir) = trees
                .starts
                .get(&q.start)
                .ok_or_else(|| anyhow::anyhow!("no directory {:?} to start from", q.start))?;
            for follow in [true, false] {
                let opts = OpenOptions {
                    read: !q.write,
                    write: q.write,
                    directory: q.directory,
                    follow,
                    ..Default::default()
                };
                let reference = open_beneath(fd, &q.path, &opts, &trees.host_inos)?;
                let memory = open_dir(&**memory_dir, &q.path, &opts, &trees.memory_inos);
                let host = open_dir(host_dir, &q.path, &opts, &trees.host_inos);
                if memory != reference || host != reference {
                    anyhow::bail!(
                        "from {:?}, {:?} with {opts:?}:\n  openat2(RESOLVE_BENEATH): {reference:?}\n  memory backend: {memory:?}\n  host backend (cap-std): {host:?}\ntree:\n{}",
                        q.start,
                        q.path,
                        case.describe()
                    );
                }
                totals.resolutions += 1;
                match reference {
                    Outcome::Opened(_) => totals.opened += 1,
                    Outcome::Refused(e) => {
                        totals.refused += 1;
                        totals.perm += u64::from(e == Errno::Perm);
                        totals.loops += u64::from(e == Errno::Loop);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Makes the case's tree in the host directory `root` and in a new
/// `MemoryFs`.
fn make_trees(root: &Path, case: &Case) -> anyhow::Result<Trees> {
    let fs = MemoryFs::new();
    let mroot = fs.root();
    let mut host_inos = HashMap::new();
    let mut memory_inos = HashMap::new();
    host_inos.insert(std::fs::metadata(root)?.ino(), String::new());
    memory_inos.insert(mroot.stat().map_err(errno)?.ino, String::new());
    let mut dirs = vec![String::new()];
    for (path, kind) in &case.nodes {
        let on_host = root.join(path);
        let made = match kind {
            Kind::Dir => {
                std::fs::create_dir(&on_host)?;
                dirs.push(path.clone());
                mroot.create_dir_at(path)
            }
            Kind::File => {
                std::fs::write(&on_host, path)?;
                let opts = OpenOptions {
                    write: true,
                    create: true,
                    ..Default::default()
                };
                mroot.open_at(path, &opts).and_then(|o| match o {
                    Opened::File(f) => f.write(&[IoSlice::new(path.as_bytes())]).map(drop),
                    Opened::Dir(_) => Err(Errno::Isdir),
                })
            }
            Kind::Symlink(target) => {
                std::os::unix::fs::symlink(target, &on_host)?;
                mroot.symlink_at(target, path)
            }
        };
        made.map_err(|e| anyhow::anyhow!("making {path} in memory: {e:?}"))?;
        host_inos.insert(std::fs::symlink_metadata(&on_host)?.ino(), path.clone());
        memory_inos.insert(mroot.stat_at(path, false).map_err(errno)?.ino, path.clone());
    }
    let mut starts = HashMap::new();
    for dir in dirs {
        let on_host = root.join(&dir);
        let fd = rustix::fs::open(
            &on_host,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let memory: Arc<dyn Dir> = if dir.is_empty() {
            Arc::new(fs.root())
        } else {
            let opts = OpenOptions {
                read: true,
                directory: true,
                ..Default::default()
            };
            match mroot.open_at(&dir, &opts).map_err(errno)? {
                Opened::Dir(d) => d,
                Opened::File(_) => anyhow::bail!("{dir} opened as a file"),
            }
        };
        let host = HostDir::open_ambient(&on_host)?;
        starts.insert(dir, (fd, host, memory));
    }
    Ok(Trees {
        host_inos,
        memory_inos,
        starts,
        _fs: fs,
    })
}

fn errno(e: Errno) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// The reference: the host kernel's `openat2` confined beneath `dir`.
fn open_beneath(
    dir: &OwnedFd,
    path: &str,
    opts: &OpenOptions,
    inos: &HashMap<u64, String>,
) -> anyhow::Result<Outcome> {
    let mut flags = OFlags::CLOEXEC;
    flags |= if opts.write {
        OFlags::WRONLY
    } else {
        OFlags::RDONLY
    };
    if !opts.follow {
        flags |= OFlags::NOFOLLOW;
    }
    if opts.directory {
        flags |= OFlags::DIRECTORY;
    }
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
    let mut again = 0;
    loop {
        match rustix::fs::openat2(dir, path, flags, Mode::empty(), resolve) {
            Ok(fd) => {
                let ino = rustix::fs::fstat(&fd)?.st_ino;
                return Ok(Outcome::Opened(identify(ino, inos)));
            }
            // A rename somewhere on the system meanwhile: try again.
            Err(rustix::io::Errno::AGAIN) if again < 1000 => again += 1,
            // RESOLVE_BENEATH's refusal to leave `dir`: Warden's `perm`.
            Err(rustix::io::Errno::XDEV) => return Ok(Outcome::Refused(Errno::Perm)),
            Err(e) => return Ok(Outcome::Refused(e.into())),
        }
    }
}

/// `path` opened through a backend, as a WASI layer hands it over.
fn open_dir(dir: &dyn Dir, path: &str, opts: &OpenOptions, inos: &HashMap<u64, String>) -> Outcome {
    let opened = check_path(path.as_bytes()).and_then(|p| dir.open_at(p, opts));
    let st = opened.and_then(|o| match o {
        Opened::File(f) => f.stat(),
        Opened::Dir(d) => d.stat(),
    });
    match st {
        Ok(st) => Outcome::Opened(identify(st.ino, inos)),
        Err(e) => Outcome::Refused(e),
    }
}

fn identify(ino: u64, inos: &HashMap<u64, String>) -> String {
    inos.get(&ino)
        .cloned()
        .unwrap_or_else(|| format!("<not of the tree: inode {ino}>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(what: &str, r: &Resolutions, inputs: u64, start: std::time::Instant) {
        eprintln!(
            "{what}: {inputs} inputs, {} trees of {} nodes, {} resolutions ({} opened, {} refused: {} perm, {} loop), {:?}",
            r.trees,
            r.nodes,
            r.resolutions,
            r.opened,
            r.refused,
            r.perm,
            r.loops,
            start.elapsed()
        );
    }

    /// A hand-made case of each class — an escape through a symlink's `..`
    /// chain, an absolute symlink, a loop, a dangling link, a trailing
    /// slash on a file and through a link, `..` above a subdirectory start,
    /// a link that leaves and re-enters the tree — and a decoded one.
    #[test]
    fn hand_made_cases_resolve_alike() {
        let dir = tempfile::tempdir().unwrap();
        let r = Resolver::new(dir.path());
        let link = |p: &str, t: &str| (p.to_string(), Kind::Symlink(t.to_string()));
        let nodes = vec![
            ("d".to_string(), Kind::Dir),
            ("d/e".to_string(), Kind::Dir),
            ("d/a".to_string(), Kind::File),
            link("up", "d/../.."),
            link("abs", "/d"),
            link("loop", "loop"),
            link("gone", "x"),
            link("d/e/f", "../a"),
            link("d/e/g", "../../d/a/"),
            link("back", "d/e/../../../t/d"),
        ];
        let mut queries = Vec::new();
        for (start, path) in [
            ("", "up"),
            ("", "abs"),
            ("", "loop"),
            ("", "gone"),
            ("", "d/a/"),
            ("", "d/e/f"),
            ("", "d/e/f/"),
            ("", "d/e/g"),
            ("", "back"),
            ("", "/d"),
            ("", "d//e/./.."),
            ("d", ".."),
            ("d/e", "f"),
            ("d/e", "../a"),
        ] {
            for (directory, write) in [(false, false), (true, false), (false, true)] {
                queries.push(Query {
                    start: start.to_string(),
                    path: path.to_string(),
                    directory,
                    write,
                });
            }
        }
        let case = Case { nodes, queries };
        let mut t = Resolutions::default();
        r.check(&case, &mut t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.resolutions, 84);
        assert!(t.opened > 5 && t.perm > 10 && t.loops > 5, "{t:?}");
        let mut t = Resolutions::default();
        let data: Vec<u8> = (0..=255).collect();
        r.run(&data, &mut t).unwrap_or_else(|e| panic!("{e}"));
        assert!(t.resolutions > 50, "{t:?}");
    }

    /// The fixed-seed run: a few thousand small trees, some hundred
    /// thousand resolutions, all three ways agreeing.
    #[test]
    fn fixed_seed_resolutions_agree_with_openat2() {
        let dir = tempfile::tempdir().unwrap();
        let r = Resolver::new(dir.path());
        let (mut t, start) = (Resolutions::default(), std::time::Instant::now());
        for input in crate::inputs(0x7265_736f, 2000, 300) {
            r.run(&input, &mut t).unwrap_or_else(|e| panic!("{e}"));
        }
        report("fixed seed", &t, 2000, start);
        assert!(t.resolutions > 100_000, "{t:?}");
        assert!(
            t.opened > 5_000 && t.perm > 5_000 && t.loops > 1_000,
            "{t:?}"
        );
    }

    /// The long run (`cargo test --release -p warden-fuzz -- --ignored
    /// ten_million_resolutions --nocapture`).
    #[test]
    #[ignore]
    fn ten_million_resolutions() {
        let dir = tempfile::tempdir().unwrap();
        let r = Resolver::new(dir.path());
        let (mut t, start, mut seed, mut inputs) = (
            Resolutions::default(),
            std::time::Instant::now(),
            1u64,
            0u64,
        );
        while t.resolutions < 10_000_000 {
            for input in crate::inputs(0x7265_7300 + seed, 1000, 600) {
                r.run(&input, &mut t)
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                inputs += 1;
            }
            seed += 1;
        }
        report("long run", &t, inputs, start);
    }
}
