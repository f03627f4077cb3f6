//! An in-memory filesystem backend, and overlays built on it.
//!
//! One tree per [`MemoryFs`], behind one mutex: calls are short and a single
//! lock keeps renames and links trivially consistent. Every directory handle
//! is its own root: `..` above it, an absolute symlink, or a symlink leading
//! above it fails with `perm`, exactly like the host backend.
//!
//! An overlay ([`MemoryFs::overlay`]) is the same tree over a host directory
//! opened read-only (the lower layer). A directory of it lists its host
//! directory the first time it is looked into, and from then on its entries
//! are the tree's own: a removed name stays removed (the whiteout is its
//! absence), a rename moves the inode whichever layer its bytes are in. A
//! file's bytes stay on the host until it is first changed, then are copied
//! into memory whole (copy-up), accounted against the quota. So path
//! resolution, confinement and every rule of this backend hold for overlays
//! unchanged, and nothing is ever opened for writing on the host.

use super::{Dir, File, Opened};
use crate::clock::realtime_ns;
use crate::errno::{Errno, Result};
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime, Whence};
use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::io::{IoSlice, IoSliceMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Most symlinks followed while resolving one path (Linux's limit).
const MAX_SYMLINKS: usize = 40;

type Ino = u64;

enum Content {
    File(Vec<u8>),
    /// A file of an overlay's lower layer whose bytes are still on the host
    /// (at `path` beneath the lower root; `size` as listed).
    LowerFile {
        path: PathBuf,
        size: u64,
    },
    Dir {
        entries: BTreeMap<String, Ino>,
        parent: Ino,
        /// An overlay directory not yet listed: its host directory beneath
        /// the lower root. `None` once its entries are the tree's.
        lower: Option<PathBuf>,
    },
    Symlink(String),
}

struct Inode {
    content: Content,
    nlink: u64,
    /// Open handles; the inode lives while linked or open.
    handles: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

impl Inode {
    fn filetype(&self) -> FileType {
        match self.content {
            Content::File(_) | Content::LowerFile { .. } => FileType::RegularFile,
            Content::Dir { .. } => FileType::Directory,
            Content::Symlink(_) => FileType::SymbolicLink,
        }
    }
}

struct Tree {
    dev: u64,
    next_ino: Ino,
    inodes: BTreeMap<Ino, Inode>,
    /// Bytes of file data held, and the most the guest may make it hold:
    /// growing past it is `nospc`, so a guest cannot make the host allocate
    /// without bound (`set_size(1 << 40)` once aborted the host).
    used: u64,
    quota: u64,
    /// Names in all directories (each hard link is one), and the most the
    /// guest may make: every name holds host memory whatever its file's
    /// size, so empty files, links and directories are bounded too.
    names: u64,
    name_quota: u64,
    /// An overlay's lower layer: the host directory, opened read-only.
    lower: Option<Arc<cap_std::fs::Dir>>,
}

/// The data quota of an in-memory filesystem unless set
/// (`--mem-dir GUEST::size=BYTES`); symlink targets count as data.
pub const DEFAULT_QUOTA: u64 = 256 << 20;

/// The name (inode) quota of an in-memory filesystem unless set
/// (`--mem-dir GUEST::inodes=N`).
pub const DEFAULT_NAME_QUOTA: u64 = 256 << 10;

impl Tree {
    /// Accounts a file growing (or shrinking) from `old` to `new` bytes:
    /// `nospc` past the quota, before anything is allocated.
    fn resize_accounted(&mut self, old: u64, new: u64) -> Result<()> {
        if new > old {
            let grown = self.used.saturating_add(new - old);
            if grown > self.quota {
                return Err(Errno::Nospc);
            }
            self.used = grown;
        } else {
            self.used -= old - new;
        }
        Ok(())
    }

    /// Accounts one more name: `nospc` past the quota (as a disk out of
    /// inodes answers), before anything is allocated.
    fn add_name(&mut self) -> Result<()> {
        if self.names >= self.name_quota {
            return Err(Errno::Nospc);
        }
        self.names += 1;
        Ok(())
    }

    fn drop_name(&mut self) {
        self.names = self.names.saturating_sub(1);
    }

    fn node(&self, ino: Ino) -> &Inode {
        self.inodes.get(&ino).expect("a live inode is in the table")
    }

    fn node_mut(&mut self, ino: Ino) -> &mut Inode {
        self.inodes
            .get_mut(&ino)
            .expect("a live inode is in the table")
    }

    fn alloc(&mut self, content: Content) -> Ino {
        let now = realtime_ns();
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(
            ino,
            Inode {
                content,
                nlink: 1,
                handles: 0,
                atim: now,
                mtim: now,
                ctim: now,
            },
        );
        ino
    }

    fn stat(&mut self, ino: Ino) -> Filestat {
        // A directory's size is its number of entries: list it first. (A
        // host error here shows as an empty directory; looking into it
        // reports the error.)
        let _ = self.merge_lower(ino);
        let n = self.node(ino);
        let size = match &n.content {
            Content::File(d) => d.len() as u64,
            Content::LowerFile { size, .. } => *size,
            Content::Dir { entries, .. } => entries.len() as u64,
            Content::Symlink(t) => t.len() as u64,
        };
        Filestat {
            dev: self.dev,
            ino,
            filetype: Some(n.filetype()),
            nlink: n.nlink,
            size,
            atim: n.atim,
            mtim: n.mtim,
            ctim: n.ctim,
        }
    }

    fn entries(&mut self, dir: Ino) -> Result<&BTreeMap<String, Ino>> {
        self.merge_lower(dir)?;
        match &self.node(dir).content {
            Content::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::Notdir),
        }
    }

    fn entries_mut(&mut self, dir: Ino) -> Result<&mut BTreeMap<String, Ino>> {
        self.merge_lower(dir)?;
        let now = realtime_ns();
        let n = self.node_mut(dir);
        if n.nlink == 0 {
            // A removed directory cannot gain entries.
            return Err(Errno::Noent);
        }
        n.mtim = now;
        n.ctim = now;
        match &mut n.content {
            Content::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::Notdir),
        }
    }

    /// Drops one link; frees the inode when nothing refers to it any more.
    fn unlink(&mut self, ino: Ino) {
        let n = self.node_mut(ino);
        n.nlink = n.nlink.saturating_sub(1);
        n.ctim = realtime_ns();
        self.maybe_free(ino);
    }

    fn maybe_free(&mut self, ino: Ino) {
        let n = self.node(ino);
        if n.handles == 0 && n.nlink == 0 {
            match self.inodes.remove(&ino) {
                Some(Inode {
                    content: Content::File(d),
                    ..
                }) => self.used -= d.len() as u64,
                Some(Inode {
                    content: Content::Symlink(t),
                    ..
                }) => self.used -= t.len() as u64,
                _ => {}
            }
        }
    }

    fn set_times(&mut self, ino: Ino, atim: SetTime, mtim: SetTime) {
        let now = realtime_ns();
        let n = self.node_mut(ino);
        match atim {
            SetTime::Keep => {}
            SetTime::Now => n.atim = now,
            SetTime::At(t) => n.atim = t,
        }
        match mtim {
            SetTime::Keep => {}
            SetTime::Now => n.mtim = now,
            SetTime::At(t) => n.mtim = t,
        }
        n.ctim = now;
    }
}

/// One entry of a lower directory, read before anything is allocated.
struct LowerEntry {
    name: String,
    content: Content,
    stat: Filestat,
}

impl Tree {
    /// Makes the overlay directory `dir` hold its host directory's entries,
    /// the first time it is looked into; afterwards (and for every directory
    /// of a plain in-memory tree) it does nothing.
    fn merge_lower(&mut self, dir: Ino) -> Result<()> {
        let Content::Dir { lower, .. } = &self.node(dir).content else {
            return Ok(());
        };
        let Some(path) = lower.clone() else {
            return Ok(());
        };
        let root = self
            .lower
            .clone()
            .expect("only an overlay has lower directories");
        // Everything is read before the tree changes: an error leaves the
        // directory as it was, to be listed again.
        let listed = list_lower(&root, &path)?;
        for e in listed {
            let is_dir = matches!(e.content, Content::Dir { .. });
            if let Content::Symlink(t) = &e.content {
                // Counted like the guest's own, never refused: the host's
                // tree is the user's choice; the quota bounds what the
                // guest adds.
                self.used += t.len() as u64;
            }
            let ino = self.alloc(e.content);
            let n = self.node_mut(ino);
            n.atim = e.stat.atim;
            n.mtim = e.stat.mtim;
            n.ctim = e.stat.ctim;
            if is_dir {
                n.nlink = 2;
                if let Content::Dir { parent, .. } = &mut n.content {
                    *parent = dir;
                }
                self.node_mut(dir).nlink += 1;
            }
            // The host's names are not counted against the name quota,
            // which bounds what the guest adds.
            if let Content::Dir { entries, .. } = &mut self.node_mut(dir).content {
                entries.insert(e.name, ino);
            }
        }
        if let Content::Dir { lower, .. } = &mut self.node_mut(dir).content {
            *lower = None;
        }
        Ok(())
    }
}

/// The entries of the lower directory `path` (beneath `root`): files,
/// directories and symlinks; other kinds (sockets, devices, FIFOs) and names
/// that are not UTF-8 (which no WASI path can name) are left out.
fn list_lower(root: &cap_std::fs::Dir, path: &Path) -> Result<Vec<LowerEntry>> {
    let mut out = Vec::new();
    for entry in read_lower_dir(root, path)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // The entry's own metadata (a symlink is not followed).
        let meta = match entry.metadata() {
            Ok(m) => m,
            // Removed on the host since it was listed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        let child = path.join(&name);
        let ft = meta.file_type();
        let content = if ft.is_symlink() {
            let target = root.read_link_contents(&child)?;
            Content::Symlink(target.to_string_lossy().into_owned())
        } else if ft.is_dir() {
            Content::Dir {
                entries: BTreeMap::new(),
                parent: 0,
                lower: Some(child),
            }
        } else if ft.is_file() {
            Content::LowerFile {
                path: child,
                size: meta.len(),
            }
        } else {
            continue;
        };
        out.push(LowerEntry {
            name,
            content,
            stat: crate::sys::metadata_stat(&meta),
        });
    }
    Ok(out)
}

/// The entries of the lower directory `path` beneath `root` (the empty
/// path: the root itself, which cap-std names differently).
fn read_lower_dir(root: &cap_std::fs::Dir, path: &Path) -> std::io::Result<cap_std::fs::ReadDir> {
    if path.as_os_str().is_empty() {
        root.entries()
    } else {
        root.read_dir(path)
    }
}

/// Where a path led.
struct Resolved {
    /// The directory holding the last component.
    parent: Ino,
    /// The last component, `None` when the path ended in `.` or `..`.
    name: Option<String>,
    /// What the last component names, if it exists.
    target: Option<Ino>,
    /// The path ended with `/`: the target must be a directory.
    must_be_dir: bool,
}

impl Tree {
    /// Resolves `path` beneath `root`, never leaving it.
    fn resolve(&mut self, root: Ino, path: &str, follow_last: bool) -> Result<Resolved> {
        self.resolve_with(root, path, follow_last, false)
    }

    /// [`Tree::resolve`]; with `create` (open with O_CREAT), a last name
    /// followed by a slash — in the path or in the target of a final
    /// symlink — is `isdir` before it is looked up, as open(2) answers.
    fn resolve_with(
        &mut self,
        root: Ino,
        path: &str,
        follow_last: bool,
        create: bool,
    ) -> Result<Resolved> {
        let mut queue: VecDeque<String> = VecDeque::new();
        let mut must_be_dir = path.ends_with('/');
        push_components(&mut queue, path, false);
        // The directories from `root` down to where we are.
        let mut stack = vec![root];
        let mut links = 0;
        let mut last = Resolved {
            parent: root,
            name: None,
            target: Some(root),
            must_be_dir,
        };
        while let Some(comp) = queue.pop_front() {
            let is_last = queue.is_empty();
            let cur = *stack.last().expect("the root never leaves the stack");
            if comp == "." || comp == ".." {
                if comp == ".." {
                    if stack.len() == 1 {
                        return Err(Errno::Perm);
                    }
                    stack.pop();
                }
                let here = *stack.last().expect("the root never leaves the stack");
                last = Resolved {
                    parent: here,
                    name: None,
                    target: Some(here),
                    must_be_dir,
                };
                continue;
            }
            if create && is_last && must_be_dir {
                return Err(Errno::Isdir);
            }
            let entries = self.entries(cur)?;
            let Some(&ino) = entries.get(&comp) else {
                if is_last {
                    return Ok(Resolved {
                        parent: cur,
                        name: Some(comp),
                        target: None,
                        must_be_dir,
                    });
                }
                return Err(Errno::Noent);
            };
            match &self.node(ino).content {
                Content::Symlink(target) if !is_last || follow_last || must_be_dir => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(Errno::Loop);
                    }
                    if target.starts_with('/') {
                        return Err(Errno::Perm);
                    }
                    if is_last && target.ends_with('/') {
                        must_be_dir = true;
                    }
                    push_components(&mut queue, target, true);
                    if queue.is_empty() {
                        // An empty symlink target names nothing.
                        return Err(Errno::Noent);
                    }
                }
                Content::Dir { .. } => {
                    if is_last {
                        last = Resolved {
                            parent: cur,
                            name: Some(comp),
                            target: Some(ino),
                            must_be_dir,
                        };
                    } else {
                        stack.push(ino);
                    }
                }
                _ => {
                    if !is_last {
                        return Err(Errno::Notdir);
                    }
                    last = Resolved {
                        parent: cur,
                        name: Some(comp),
                        target: Some(ino),
                        must_be_dir,
                    };
                }
            }
        }
        if let Some(t) = last.target {
            if last.must_be_dir
                && !matches!(
                    self.node(t).content,
                    Content::Dir { .. } | Content::Symlink(_)
                )
            {
                return Err(Errno::Notdir);
            }
        }
        Ok(last)
    }
}

impl Tree {
    /// Whether the directory `at` is `top` or lies beneath it. (A removed
    /// directory's ancestors may be gone: the walk stops there.)
    fn lies_within(&self, mut at: Ino, top: Ino) -> bool {
        loop {
            if at == top {
                return true;
            }
            let Some(Inode {
                content: Content::Dir { parent, .. },
                ..
            }) = self.inodes.get(&at)
            else {
                return false;
            };
            if *parent == at {
                return false;
            }
            at = *parent;
        }
    }

    /// [`Tree::resolve`] for a call that works on a name in a directory,
    /// as the host backend resolves it (cap-std's `open_parent`): a path
    /// ending in `/` names a directory that must exist by then.
    fn resolve_parent(&mut self, root: Ino, path: &str, follow_last: bool) -> Result<Resolved> {
        let r = self.resolve(root, path, follow_last)?;
        if r.must_be_dir && r.target.is_none() {
            return Err(Errno::Noent);
        }
        Ok(r)
    }
}

/// Splits `path` into components, in front of what the queue holds when
/// `front` (a symlink's target replaces the link's place in the walk).
fn push_components(queue: &mut VecDeque<String>, path: &str, front: bool) {
    let comps: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    if front {
        for c in comps.into_iter().rev() {
            queue.push_front(c);
        }
    } else {
        queue.extend(comps);
    }
}

static NEXT_DEV: AtomicU64 = AtomicU64::new(1);

/// An in-memory filesystem. Cloning shares the tree.
#[derive(Clone)]
pub struct MemoryFs {
    tree: Arc<Mutex<Tree>>,
}

impl Default for MemoryFs {
    fn default() -> Self {
        MemoryFs::new()
    }
}

impl MemoryFs {
    /// An empty filesystem holding one root directory.
    pub fn new() -> MemoryFs {
        let dev = 0x5741_5244_0000_0000 | NEXT_DEV.fetch_add(1, Ordering::Relaxed);
        let mut tree = Tree {
            dev,
            next_ino: 1,
            inodes: BTreeMap::new(),
            used: 0,
            quota: DEFAULT_QUOTA,
            names: 0,
            name_quota: DEFAULT_NAME_QUOTA,
            lower: None,
        };
        let root = tree.alloc(Content::Dir {
            entries: BTreeMap::new(),
            parent: 1,
            lower: None,
        });
        tree.node_mut(root).nlink = 2;
        MemoryFs {
            tree: Arc::new(Mutex::new(tree)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tree> {
        // A panic while the lock was held cannot leave the tree half-changed
        // in a way that matters more than stopping the guest would.
        self.tree.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A capability for the root directory.
    pub fn root(&self) -> MemoryDir {
        MemoryDir::new(self.clone(), 1)
    }

    /// Sets how many bytes of file data the filesystem may hold (what is
    /// held already stays).
    pub fn set_quota(&self, bytes: u64) {
        self.lock().quota = bytes;
    }

    /// Sets how many names (files, directories, symlinks, hard links) the
    /// guest may make it hold in all: past it, creating one is `nospc`.
    pub fn set_name_quota(&self, names: u64) {
        self.lock().name_quota = names;
    }

    /// An overlay of the host directory `path`: the guest sees what is
    /// there and may change anything, but changes stay in memory (whole
    /// files copied up when first changed, at most the quota's bytes) and
    /// the host is only ever read.
    pub fn overlay(path: &Path) -> std::io::Result<MemoryFs> {
        let root = cap_std::fs::Dir::open_ambient_dir(path, cap_std::ambient_authority())?;
        let st = crate::sys::metadata_stat(&root.dir_metadata()?);
        let fs = MemoryFs::new();
        {
            let mut tree = fs.lock();
            let n = tree.node_mut(1);
            n.atim = st.atim;
            n.mtim = st.mtim;
            n.ctim = st.ctim;
            if let Content::Dir { lower, .. } = &mut n.content {
                *lower = Some(PathBuf::new());
            }
            tree.lower = Some(Arc::new(root));
        }
        Ok(fs)
    }

    /// Writes an overlay's upper layer into the host directory `out` (made
    /// if missing; it must be empty), as an OCI image layer spells one:
    /// every file, symlink and directory that is not what the host has at
    /// that path, and an empty `.wh.NAME` for each host name that was
    /// removed. Changes of times alone are not written. Of a plain
    /// in-memory filesystem it writes everything.
    pub fn save_upper(&self, out: &Path) -> std::io::Result<SavedLayer> {
        std::fs::create_dir_all(out)?;
        if std::fs::read_dir(out)?.next().is_some() {
            return Err(std::io::Error::other(format!(
                "`{}` is not empty",
                out.display()
            )));
        }
        let mut tree = self.lock();
        let mut saved = SavedLayer::default();
        save_dir(&mut tree, 1, Path::new(""), out, &mut saved)?;
        Ok(saved)
    }

    /// A filesystem holding a copy of the host directory `path` (files,
    /// directories and symlinks, with their times). Nothing written to it
    /// reaches the host.
    pub fn copy_of_host_dir(path: &Path) -> std::io::Result<MemoryFs> {
        let fs = MemoryFs::new();
        {
            let mut tree = fs.lock();
            copy_in(&mut tree, 1, path)?;
        }
        Ok(fs)
    }
}

fn copy_in(tree: &mut Tree, dir: Ino, path: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(entry.path())?;
        let ino = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path())?;
            let target = target.to_string_lossy().into_owned();
            tree.used += target.len() as u64;
            tree.alloc(Content::Symlink(target))
        } else if meta.is_dir() {
            let ino = tree.alloc(Content::Dir {
                entries: BTreeMap::new(),
                parent: dir,
                lower: None,
            });
            tree.node_mut(ino).nlink = 2;
            tree.node_mut(dir).nlink += 1;
            copy_in(tree, ino, &entry.path())?;
            ino
        } else if meta.is_file() {
            // The host's own files, chosen by the user: counted, never
            // refused (the quota bounds what the guest adds).
            let data = std::fs::read(entry.path())?;
            tree.used += data.len() as u64;
            tree.alloc(Content::File(data))
        } else {
            continue;
        };
        let n = tree.node_mut(ino);
        let st = crate::sys::metadata_stat(&cap_std::fs::Metadata::from_just_metadata(meta));
        n.atim = st.atim;
        n.mtim = st.mtim;
        if let Content::Dir { entries, .. } = &mut tree.node_mut(dir).content {
            entries.insert(name, ino);
        }
        tree.names += 1;
    }
    Ok(())
}

/// What [`MemoryFs::save_upper`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SavedLayer {
    /// Files, symlinks and directories written.
    pub entries: u64,
    /// `.wh.NAME` markers of names removed from the host's tree.
    pub whiteouts: u64,
}

/// What the lower layer holds at `rel`: `None` when nothing (or no overlay).
fn lower_kind(tree: &Tree, rel: &Path) -> Option<cap_std::fs::FileType> {
    let root = tree.lower.as_ref()?;
    let meta = if rel.as_os_str().is_empty() {
        root.dir_metadata().ok()?
    } else {
        root.symlink_metadata(rel).ok()?
    };
    Some(meta.file_type())
}

/// Saves the directory `dir`, at `rel` in the guest's tree, into `out/rel`.
fn save_dir(
    tree: &mut Tree,
    dir: Ino,
    rel: &Path,
    out: &Path,
    saved: &mut SavedLayer,
) -> std::io::Result<()> {
    // A host directory never looked into, at the place it came from: the
    // same as the host's, nothing beneath it to save.
    if let Content::Dir {
        lower: Some(from), ..
    } = &tree.node(dir).content
    {
        if from == rel {
            return Ok(());
        }
    }
    tree.merge_lower(dir)
        .map_err(|e| std::io::Error::other(format!("listing `{}`: {e:?}", rel.display())))?;
    let entries: Vec<(String, Ino)> = match &tree.node(dir).content {
        Content::Dir { entries, .. } => entries.iter().map(|(n, i)| (n.clone(), *i)).collect(),
        _ => return Ok(()),
    };
    let here = out.join(rel);
    std::fs::create_dir_all(&here)?;
    // Host names the guest removed (or that the guest's directory here,
    // moved or made anew, never had).
    let host_names: Vec<String> = match (&tree.lower, lower_kind(tree, rel)) {
        (Some(root), Some(k)) if k.is_dir() => read_lower_dir(root, rel)?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect(),
        _ => Vec::new(),
    };
    for name in host_names {
        if !entries.iter().any(|(n, _)| *n == name) {
            std::fs::write(here.join(format!(".wh.{name}")), b"")?;
            saved.whiteouts += 1;
        }
    }
    for (name, ino) in entries {
        let child = rel.join(&name);
        let target = out.join(&child);
        let host = lower_kind(tree, &child);
        match &tree.node(ino).content {
            Content::File(data) => {
                std::fs::write(&target, data)?;
                saved.entries += 1;
            }
            Content::LowerFile { path, .. } => {
                if *path == child && host.is_some_and(|k| k.is_file()) {
                    continue;
                }
                let root = tree.lower.as_ref().expect("a lower file is in an overlay");
                let mut from = root.open(path)?;
                let mut to = std::fs::File::create(&target)?;
                std::io::copy(&mut from, &mut to)?;
                saved.entries += 1;
            }
            Content::Symlink(link) => {
                let same = host.is_some_and(|k| k.is_symlink())
                    && tree
                        .lower
                        .as_ref()
                        .and_then(|r| r.read_link_contents(&child).ok())
                        == Some(PathBuf::from(link));
                if !same {
                    make_symlink(link, &target)?;
                    saved.entries += 1;
                }
            }
            Content::Dir { .. } => {
                if !host.is_some_and(|k| k.is_dir()) {
                    saved.entries += 1;
                }
                save_dir(tree, ino, &child, out, saved)?;
                // A host directory with nothing changed beneath it leaves
                // nothing behind (`remove_dir` only removes it if empty).
                if host.is_some_and(|k| k.is_dir()) {
                    let _ = std::fs::remove_dir(&target);
                }
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_symlink(link: &str, at: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(link, at)
}

#[cfg(windows)]
fn make_symlink(link: &str, at: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(link, at)
}

/// A directory capability of a [`MemoryFs`].
pub struct MemoryDir {
    fs: MemoryFs,
    ino: Ino,
}

impl MemoryDir {
    fn new(fs: MemoryFs, ino: Ino) -> MemoryDir {
        fs.lock().node_mut(ino).handles += 1;
        MemoryDir { fs, ino }
    }

    fn same_fs<'a>(&self, other: &'a dyn Dir) -> Result<&'a MemoryDir> {
        let other = other
            .as_any()
            .downcast_ref::<MemoryDir>()
            .ok_or(Errno::Xdev)?;
        if Arc::ptr_eq(&self.fs.tree, &other.fs.tree) {
            Ok(other)
        } else {
            Err(Errno::Xdev)
        }
    }
}

impl Drop for MemoryDir {
    fn drop(&mut self) {
        let mut tree = self.fs.lock();
        tree.node_mut(self.ino).handles -= 1;
        tree.maybe_free(self.ino);
    }
}

impl Dir for MemoryDir {
    fn open_at(&self, path: &str, opts: &OpenOptions) -> Result<Opened> {
        if opts.create && opts.directory {
            // O_CREAT|O_DIRECTORY, whatever the path: `inval`, as Linux
            // (since 6.4) answers the host backend, and as Wasmtime.
            return Err(Errno::Inval);
        }
        let mut tree = self.fs.lock();
        // O_CREAT|O_EXCL never follows a final symlink: the name must be new.
        let follow = opts.follow && !(opts.create && opts.exclusive);
        let r = tree.resolve_with(self.ino, path, follow, opts.create)?;
        let ino = match r.target {
            None => {
                if !opts.create {
                    return Err(Errno::Noent);
                }
                if r.must_be_dir || opts.directory {
                    return Err(Errno::Isdir);
                }
                let name = r.name.expect("a missing target has a name");
                tree.entries(r.parent)?;
                tree.add_name()?;
                let ino = tree.alloc(Content::File(Vec::new()));
                tree.entries_mut(r.parent)?.insert(name, ino);
                ino
            }
            Some(ino) => {
                if opts.create && opts.exclusive {
                    return Err(Errno::Exist);
                }
                ino
            }
        };
        let write = opts.write || opts.truncate;
        if opts.directory
            && matches!(
                tree.node(ino).content,
                Content::File(_) | Content::LowerFile { .. }
            )
        {
            return Err(Errno::Notdir);
        }
        let mut lower = None;
        if let Content::LowerFile { path, .. } = &tree.node(ino).content {
            if opts.truncate {
                // Copied up empty: nothing of the host's bytes is needed;
                // emptying a non-empty file changes it now, as on the host.
                let emptied = !matches!(tree.node(ino).content, Content::LowerFile { size: 0, .. });
                let n = tree.node_mut(ino);
                n.content = Content::File(Vec::new());
                if emptied {
                    let now = realtime_ns();
                    n.mtim = now;
                    n.ctim = now;
                }
            } else {
                // The host file, opened for reading only whatever the guest
                // asked: it reads through it until the first change.
                let root = tree.lower.as_ref().expect("a lower file is in an overlay");
                lower = Some(root.open(path)?.into_std());
            }
        }
        match &mut tree.node_mut(ino).content {
            Content::Symlink(_) => Err(if opts.directory {
                Errno::Notdir
            } else {
                Errno::Loop
            }),
            Content::Dir { .. } => {
                if write || opts.create {
                    return Err(Errno::Isdir);
                }
                drop(tree);
                Ok(Opened::Dir(Arc::new(MemoryDir::new(self.fs.clone(), ino))))
            }
            Content::File(_) | Content::LowerFile { .. } => {
                if let Content::File(data) = &mut tree.node_mut(ino).content {
                    if opts.truncate && !data.is_empty() {
                        let old = data.len() as u64;
                        data.clear();
                        tree.used -= old;
                        let now = realtime_ns();
                        let n = tree.node_mut(ino);
                        n.mtim = now;
                        n.ctim = now;
                    }
                }
                tree.node_mut(ino).handles += 1;
                drop(tree);
                Ok(Opened::File(Arc::new(MemoryFile {
                    fs: self.fs.clone(),
                    ino,
                    state: Mutex::new(FileState {
                        pos: 0,
                        flags: opts.fdflags,
                    }),
                    readable: opts.read || !opts.write,
                    writable: opts.write,
                    lower,
                })))
            }
        }
    }

    fn create_dir_at(&self, path: &str) -> Result<()> {
        let mut tree = self.fs.lock();
        // mkdir(2) never follows the last name, trailing slash or not: an
        // existing name, be it a (dangling) symlink or a file, is `exist`.
        let r = tree.resolve(self.ino, path.trim_end_matches('/'), false)?;
        match (r.target, r.name) {
            (None, Some(name)) => {
                tree.entries(r.parent)?;
                tree.add_name()?;
                let ino = tree.alloc(Content::Dir {
                    entries: BTreeMap::new(),
                    parent: r.parent,
                    lower: None,
                });
                tree.node_mut(ino).nlink = 2;
                tree.entries_mut(r.parent)?.insert(name, ino);
                tree.node_mut(r.parent).nlink += 1;
                Ok(())
            }
            _ => Err(Errno::Exist),
        }
    }

    fn remove_dir_at(&self, path: &str) -> Result<()> {
        let mut tree = self.fs.lock();
        let trimmed = path.trim_end_matches('/');
        if trimmed.len() < path.len() {
            if let Some(t) = tree.resolve(self.ino, trimmed, false)?.target {
                if matches!(tree.node(t).content, Content::Symlink(_)) {
                    // `link/` names what the link points to, which is not an
                    // entry rmdir may remove (`notdir`, as the host backend
                    // answers) once it resolved (`perm` out of the tree).
                    tree.resolve(self.ino, path, true)?
                        .target
                        .ok_or(Errno::Noent)?;
                    return Err(Errno::Notdir);
                }
            }
        }
        let r = tree.resolve(self.ino, path, false)?;
        let target = r.target.ok_or(Errno::Noent)?;
        let Some(name) = r.name else {
            // A path ending in `.` or `..` (that stayed inside): `inval`,
            // as the host backend answers (cap-std removes `.` of the
            // directory the path names).
            return Err(Errno::Inval);
        };
        tree.merge_lower(target)?;
        match &tree.node(target).content {
            Content::Dir { entries, .. } if entries.is_empty() => {}
            Content::Dir { .. } => return Err(Errno::Notempty),
            _ => return Err(Errno::Notdir),
        }
        tree.entries_mut(r.parent)?.remove(&name);
        tree.drop_name();
        tree.node_mut(r.parent).nlink -= 1;
        tree.node_mut(target).nlink = 0;
        tree.maybe_free(target);
        Ok(())
    }

    fn unlink_file_at(&self, path: &str) -> Result<()> {
        let mut tree = self.fs.lock();
        let r = tree.resolve(self.ino, path, false)?;
        let target = r.target.ok_or(Errno::Noent)?;
        let name = r.name.ok_or(Errno::Isdir)?;
        if matches!(tree.node(target).content, Content::Dir { .. }) {
            return Err(Errno::Isdir);
        }
        tree.entries_mut(r.parent)?.remove(&name);
        tree.drop_name();
        tree.unlink(target);
        Ok(())
    }

    fn rename_at(&self, old: &str, new_dir: &dyn Dir, new: &str) -> Result<()> {
        let new_dir = self.same_fs(new_dir)?;
        let mut tree = self.fs.lock();
        // As the host backend (cap-std): trailing slashes off both paths,
        // both parents resolved, then the names in renameat(2)'s order, the
        // source's trailing slash back on (it must name a directory, not a
        // link to one); the target's is dropped.
        let from = tree.resolve(self.ino, old.trim_end_matches('/'), false)?;
        let to = tree.resolve(new_dir.ino, new.trim_end_matches('/'), false)?;
        let (Some(from_name), Some(to_name)) = (from.name, to.name) else {
            return Err(Errno::Busy);
        };
        let src = from.target.ok_or(Errno::Noent)?;
        if tree.node(to.parent).nlink == 0 {
            // The target directory was removed: it can hold nothing.
            return Err(Errno::Noent);
        }
        let src_is_dir = matches!(tree.node(src).content, Content::Dir { .. });
        if old.ends_with('/') && !src_is_dir {
            return Err(Errno::Notdir);
        }
        // renameat(2)'s checks of where the two names lie first: a directory
        // cannot move into itself or beneath itself (`inval`), nor can a
        // name replace a directory it lies in (`notempty`).
        if src_is_dir && tree.lies_within(to.parent, src) {
            return Err(Errno::Inval);
        }
        if let Some(dst) = to.target {
            if tree.lies_within(from.parent, dst) {
                return Err(Errno::Notempty);
            }
            if dst == src {
                return Ok(());
            }
            tree.merge_lower(dst)?;
            match (&tree.node(dst).content, src_is_dir) {
                (Content::Dir { entries, .. }, true) if !entries.is_empty() => {
                    return Err(Errno::Notempty)
                }
                (Content::Dir { .. }, true) => {}
                (Content::Dir { .. }, false) => return Err(Errno::Isdir),
                (_, true) => return Err(Errno::Notdir),
                (_, false) => {}
            }
        }
        if let Some(dst) = to.target {
            tree.entries_mut(to.parent)?.remove(&to_name);
            tree.drop_name();
            if src_is_dir {
                tree.node_mut(to.parent).nlink -= 1;
                tree.node_mut(dst).nlink = 0;
                tree.maybe_free(dst);
            } else {
                tree.unlink(dst);
            }
        }
        tree.entries_mut(from.parent)?.remove(&from_name);
        tree.entries_mut(to.parent)?.insert(to_name, src);
        if src_is_dir && from.parent != to.parent {
            tree.node_mut(from.parent).nlink -= 1;
            tree.node_mut(to.parent).nlink += 1;
            if let Content::Dir { parent, .. } = &mut tree.node_mut(src).content {
                *parent = to.parent;
            }
        }
        tree.node_mut(src).ctim = realtime_ns();
        Ok(())
    }

    fn link_at(&self, old: &str, follow: bool, new_dir: &dyn Dir, new: &str) -> Result<()> {
        let new_dir = self.same_fs(new_dir)?;
        let mut tree = self.fs.lock();
        // As the host backend: a followed source is looked up first;
        // otherwise both paths are, then the names in linkat(2)'s order
        // (the source missing, the link existing, the source a directory).
        let from = tree.resolve_parent(self.ino, old, follow)?;
        if follow && from.target.is_none() {
            return Err(Errno::Noent);
        }
        let to = tree.resolve_parent(new_dir.ino, new, false)?;
        let src = from.target.ok_or(Errno::Noent)?;
        if tree.node(to.parent).nlink == 0 {
            // A removed directory can hold nothing (before `perm` for a
            // directory source, as linkat(2) answers).
            return Err(Errno::Noent);
        }
        if to.target.is_some() {
            return Err(Errno::Exist);
        }
        if matches!(tree.node(src).content, Content::Dir { .. }) {
            return Err(Errno::Perm);
        }
        let name = to.name.ok_or(Errno::Exist)?;
        tree.add_name()?;
        tree.entries_mut(to.parent)?.insert(name, src);
        let n = tree.node_mut(src);
        n.nlink += 1;
        n.ctim = realtime_ns();
        Ok(())
    }

    fn symlink_at(&self, target: &str, path: &str) -> Result<()> {
        let mut tree = self.fs.lock();
        let r = tree.resolve(self.ino, path, false)?;
        if r.target.is_some() {
            return Err(Errno::Exist);
        }
        if r.must_be_dir {
            return Err(Errno::Noent);
        }
        let name = r.name.ok_or(Errno::Exist)?;
        tree.entries(r.parent)?;
        tree.resize_accounted(0, target.len() as u64)?;
        if let Err(e) = tree.add_name() {
            tree.resize_accounted(target.len() as u64, 0)?;
            return Err(e);
        }
        let ino = tree.alloc(Content::Symlink(target.to_owned()));
        tree.entries_mut(r.parent)?.insert(name, ino);
        Ok(())
    }

    fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        let mut tree = self.fs.lock();
        let r = tree.resolve(self.ino, path, false)?;
        match &tree.node(r.target.ok_or(Errno::Noent)?).content {
            Content::Symlink(t) => Ok(t.as_bytes().to_vec()),
            _ => Err(Errno::Inval),
        }
    }

    fn stat_at(&self, path: &str, follow: bool) -> Result<Filestat> {
        let mut tree = self.fs.lock();
        let r = tree.resolve(self.ino, path, follow)?;
        Ok(tree.stat(r.target.ok_or(Errno::Noent)?))
    }

    fn set_times_at(&self, path: &str, follow: bool, atim: SetTime, mtim: SetTime) -> Result<()> {
        // A time past i64::MAX, which Warden reads as one before the epoch,
        // cannot be set by path on the host (cap-std): `inval` there, before
        // the path is looked at, so here too.
        if [atim, mtim]
            .iter()
            .any(|t| matches!(t, SetTime::At(ns) if *ns > i64::MAX as u64))
        {
            return Err(Errno::Inval);
        }
        let mut tree = self.fs.lock();
        let r = tree.resolve(self.ino, path, follow)?;
        let Some(target) = r.target else {
            // utimensat(2) with nothing to set succeeds without looking the
            // last name up, and the host backend reaches it when it does not
            // follow.
            if !follow && !r.must_be_dir && atim == SetTime::Keep && mtim == SetTime::Keep {
                return Ok(());
            }
            return Err(Errno::Noent);
        };
        tree.set_times(target, atim, mtim);
        Ok(())
    }

    fn stat(&self) -> Result<Filestat> {
        Ok(self.fs.lock().stat(self.ino))
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()> {
        self.fs.lock().set_times(self.ino, atim, mtim);
        Ok(())
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        let mut tree = self.fs.lock();
        tree.merge_lower(self.ino)?;
        let Content::Dir {
            entries, parent, ..
        } = &tree.node(self.ino).content
        else {
            return Err(Errno::Notdir);
        };
        let mut out = Vec::with_capacity(entries.len() + 2);
        out.push(DirEntry {
            name: b".".to_vec(),
            ino: self.ino,
            filetype: FileType::Directory,
        });
        out.push(DirEntry {
            name: b"..".to_vec(),
            ino: *parent,
            filetype: FileType::Directory,
        });
        for (name, &ino) in entries {
            out.push(DirEntry {
                name: name.as_bytes().to_vec(),
                ino,
                filetype: tree.node(ino).filetype(),
            });
        }
        Ok(out)
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct FileState {
    pos: u64,
    flags: FdFlags,
}

/// An open file of a [`MemoryFs`].
pub struct MemoryFile {
    fs: MemoryFs,
    ino: Ino,
    state: Mutex<FileState>,
    readable: bool,
    writable: bool,
    /// The host file of an overlay's lower layer this was opened on, read
    /// while the inode's bytes are still there (see [`Content::LowerFile`]).
    lower: Option<std::fs::File>,
}

impl Drop for MemoryFile {
    fn drop(&mut self) {
        let mut tree = self.fs.lock();
        tree.node_mut(self.ino).handles -= 1;
        tree.maybe_free(self.ino);
    }
}

/// An offset past `i64::MAX` is `inval`, as pread(2) and pwrite(2) answer
/// the host backend (wasi-testsuite filesystem-io reads at `u64::MAX`).
fn check_offset(offset: u64) -> Result<()> {
    if offset > i64::MAX as u64 {
        return Err(Errno::Inval);
    }
    Ok(())
}

/// Largest file the in-memory backend holds (bytes).
const MAX_FILE_SIZE: u64 = 1 << 40;

impl MemoryFile {
    fn state(&self) -> MutexGuard<'_, FileState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_at(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
        if !self.readable {
            return Err(Errno::Badf);
        }
        check_offset(offset)?;
        let mut tree = self.fs.lock();
        let n = tree.node_mut(self.ino);
        if let Content::LowerFile { .. } = n.content {
            n.atim = realtime_ns();
            return crate::sys::pread(self.lower_file()?, bufs, offset);
        }
        let Content::File(data) = &n.content else {
            return Err(Errno::Isdir);
        };
        let mut at = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let start = at;
        for buf in bufs.iter_mut() {
            let take = buf.len().min(data.len() - at);
            buf[..take].copy_from_slice(&data[at..at + take]);
            at += take;
            if at == data.len() {
                break;
            }
        }
        n.atim = realtime_ns();
        Ok(at - start)
    }

    fn write_at(
        &self,
        bufs: &[IoSlice<'_>],
        offset: Option<u64>,
        append: bool,
    ) -> Result<(usize, u64)> {
        if !self.writable {
            return Err(Errno::Badf);
        }
        if !append {
            check_offset(offset.unwrap_or(0))?;
        }
        let total: u64 = bufs.iter().map(|b| b.len() as u64).sum();
        if total == 0 {
            // Nothing written changes nothing: not the size (a zero-length
            // pwrite past the end once grew the file), not the position.
            return Ok((0, offset.unwrap_or(0)));
        }
        let mut tree = self.fs.lock();
        self.copy_up(&mut tree)?;
        let Content::File(data) = &tree.node(self.ino).content else {
            return Err(Errno::Isdir);
        };
        let old = data.len() as u64;
        let at = if append { old } else { offset.unwrap_or(0) };
        let end = at.checked_add(total).ok_or(Errno::Fbig)?;
        if end > MAX_FILE_SIZE {
            return Err(Errno::Fbig);
        }
        if end > old {
            tree.resize_accounted(old, end)?;
        }
        let n = tree.node_mut(self.ino);
        let Content::File(data) = &mut n.content else {
            return Err(Errno::Isdir);
        };
        let (at, end) = (at as usize, end as usize);
        if data.len() < end {
            data.resize(end, 0);
        }
        let mut pos = at;
        for buf in bufs {
            data[pos..pos + buf.len()].copy_from_slice(buf);
            pos += buf.len();
        }
        let now = realtime_ns();
        n.mtim = now;
        n.ctim = now;
        Ok((total as usize, end as u64))
    }

    /// Sets the file's size to `size` (`grow_only`: only if that is
    /// larger), accounted against the quota.
    fn resize_locked(&self, tree: &mut Tree, size: u64, grow_only: bool) -> Result<()> {
        self.copy_up(tree)?;
        let old = match &tree.node(self.ino).content {
            Content::File(d) => d.len() as u64,
            _ => return Err(Errno::Isdir),
        };
        if grow_only && size <= old {
            return Ok(());
        }
        tree.resize_accounted(old, size)?;
        let n = tree.node_mut(self.ino);
        if let Content::File(d) = &mut n.content {
            d.resize(size as usize, 0);
        }
        let now = realtime_ns();
        n.mtim = now;
        n.ctim = now;
        Ok(())
    }

    /// The host file this reads through while the bytes are on the host.
    fn lower_file(&self) -> Result<&std::fs::File> {
        // Every open of a lower file keeps its host file (an open that
        // truncates copies up first), and an inode never goes back to the
        // host: a missing one is a broken invariant, not a guest error.
        self.lower.as_ref().ok_or(Errno::Io)
    }

    /// Brings a lower file's bytes into memory before its first change,
    /// accounted against the quota (`nospc` past it, before allocating).
    fn copy_up(&self, tree: &mut Tree) -> Result<()> {
        if !matches!(tree.node(self.ino).content, Content::LowerFile { .. }) {
            return Ok(());
        }
        let file = self.lower_file()?;
        let len = file.metadata()?.len();
        if len > MAX_FILE_SIZE {
            return Err(Errno::Fbig);
        }
        tree.resize_accounted(0, len)?;
        let mut data = vec![0u8; len as usize];
        let mut at = 0;
        while at < data.len() {
            match crate::sys::pread(file, &mut [IoSliceMut::new(&mut data[at..])], at as u64) {
                Ok(0) => break,
                Ok(n) => at += n,
                Err(Errno::Intr) => {}
                Err(e) => {
                    tree.resize_accounted(len, 0)?;
                    return Err(e);
                }
            }
        }
        // A host file that shrank since: what was read is the file.
        data.truncate(at);
        tree.resize_accounted(len, at as u64)?;
        tree.node_mut(self.ino).content = Content::File(data);
        Ok(())
    }

    fn len(&self) -> u64 {
        match &self.fs.lock().node(self.ino).content {
            Content::File(d) => d.len() as u64,
            Content::LowerFile { size, .. } => *size,
            _ => 0,
        }
    }
}

impl File for MemoryFile {
    fn filetype(&self) -> FileType {
        FileType::RegularFile
    }

    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        let mut st = self.state();
        let n = self.read_at(bufs, st.pos)?;
        st.pos += n as u64;
        Ok(n)
    }

    fn write(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        let mut st = self.state();
        let append = st.flags.contains(FdFlags::APPEND);
        let (n, end) = self.write_at(bufs, Some(st.pos), append)?;
        st.pos = end;
        Ok(n)
    }

    fn pread(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
        self.read_at(bufs, offset)
    }

    fn pwrite(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize> {
        // As Linux answers the host backend: in append mode pwrite appends,
        // whatever the offset (pwrite(2), BUGS).
        let append = self.state().flags.contains(FdFlags::APPEND);
        Ok(self.write_at(bufs, Some(offset), append)?.0)
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64> {
        let mut st = self.state();
        let base = match whence {
            Whence::Set => 0,
            Whence::Cur => st.pos as i64,
            Whence::End => self.len() as i64,
        };
        let pos = base.checked_add(offset).ok_or(Errno::Overflow)?;
        if pos < 0 {
            return Err(Errno::Inval);
        }
        st.pos = pos as u64;
        Ok(st.pos)
    }

    fn stat(&self) -> Result<Filestat> {
        Ok(self.fs.lock().stat(self.ino))
    }

    fn set_size(&self, size: u64) -> Result<()> {
        if !self.writable {
            return Err(Errno::Inval);
        }
        if size > MAX_FILE_SIZE {
            return Err(Errno::Fbig);
        }
        let mut tree = self.fs.lock();
        self.resize_locked(&mut tree, size, false)
    }

    fn allocate(&self, offset: u64, len: u64) -> Result<()> {
        if !self.writable {
            return Err(Errno::Badf);
        }
        let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
        if end > MAX_FILE_SIZE {
            return Err(Errno::Fbig);
        }
        // Length read and file grown under one lock: a concurrent write
        // cannot slip between them.
        let mut tree = self.fs.lock();
        self.resize_locked(&mut tree, end, true)
    }

    fn advise(&self, _offset: u64, _len: u64, _advice: Advice) -> Result<()> {
        Ok(())
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()> {
        self.fs.lock().set_times(self.ino, atim, mtim);
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn datasync(&self) -> Result<()> {
        Ok(())
    }

    fn fdflags(&self) -> Result<FdFlags> {
        Ok(self.state().flags)
    }

    fn set_fdflags(&self, flags: FdFlags) -> Result<()> {
        let mut st = self.state();
        let sync = FdFlags::SYNC | FdFlags::DSYNC | FdFlags::RSYNC;
        if (flags & sync) != (st.flags & sync) {
            return Err(Errno::Notsup);
        }
        st.flags = flags;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name counts against the inode quota, hard links included,
    /// and gives its place back when removed; symlink targets count as
    /// data.
    #[test]
    fn names_and_link_targets_are_bounded() {
        let fs = MemoryFs::new();
        fs.set_name_quota(3);
        fs.set_quota(10);
        let root = fs.root();
        let create = OpenOptions {
            write: true,
            create: true,
            ..OpenOptions::default()
        };
        root.create_dir_at("d").unwrap();
        assert!(root.open_at("f", &create).is_ok());
        root.link_at("f", false, &root, "g").unwrap();
        assert_eq!(root.create_dir_at("e").err(), Some(Errno::Nospc));
        assert_eq!(root.symlink_at("t", "l").err(), Some(Errno::Nospc));
        root.unlink_file_at("g").unwrap();
        assert_eq!(
            root.symlink_at("0123456789x", "l").err(),
            Some(Errno::Nospc)
        );
        root.symlink_at("0123456789", "l").unwrap();
        root.unlink_file_at("l").unwrap();
        root.symlink_at("0123456789", "l").unwrap();
    }

    fn opts(create: bool) -> OpenOptions {
        OpenOptions {
            read: true,
            write: true,
            create,
            follow: true,
            ..Default::default()
        }
    }

    #[test]
    fn write_read_back_and_confinement() {
        let fs = MemoryFs::new();
        let root = fs.root();
        root.create_dir_at("d").unwrap();
        let Opened::File(f) = root.open_at("d/f", &opts(true)).unwrap() else {
            panic!()
        };
        assert_eq!(f.write(&[IoSlice::new(b"hello")]).unwrap(), 5);
        f.seek(0, Whence::Set).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(f.read(&mut [IoSliceMut::new(&mut buf)]).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        assert!(matches!(root.open_at("..", &opts(false)), Err(Errno::Perm)));
        root.symlink_at("../x", "out").unwrap();
        assert!(matches!(
            root.open_at("out", &opts(false)),
            Err(Errno::Perm)
        ));
        root.symlink_at("loop", "loop").unwrap();
        assert!(matches!(
            root.open_at("loop", &opts(false)),
            Err(Errno::Loop)
        ));
        assert_eq!(root.stat_at("d/f", true).unwrap().size, 5);
        assert_eq!(root.remove_dir_at("d"), Err(Errno::Notempty));
    }

    #[test]
    fn rename_into_a_removed_directory_fails_without_panicking() {
        let fs = MemoryFs::new();
        let root = fs.root();
        root.create_dir_at("p").unwrap();
        root.create_dir_at("p/d").unwrap();
        root.create_dir_at("x").unwrap();
        let dir = OpenOptions {
            read: true,
            directory: true,
            follow: true,
            ..Default::default()
        };
        let Opened::Dir(d) = root.open_at("p/d", &dir).unwrap() else {
            panic!("a directory")
        };
        root.remove_dir_at("p/d").unwrap();
        root.remove_dir_at("p").unwrap(); // p is gone for good: nothing holds it
        assert_eq!(root.rename_at("x", &*d, "y"), Err(Errno::Noent));
        assert!(root.stat_at("x", false).is_ok(), "nothing moved");
    }

    fn names(d: &dyn Dir) -> Vec<String> {
        d.read_dir()
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8(e.name).unwrap())
            .filter(|n| n != "." && n != "..")
            .collect()
    }

    fn read_all(d: &dyn Dir, path: &str) -> Vec<u8> {
        let Opened::File(f) = d.open_at(path, &opts(false)).unwrap() else {
            panic!("{path} is a file")
        };
        let mut buf = vec![0u8; 64];
        let n = f.pread(&mut [IoSliceMut::new(&mut buf)], 0).unwrap();
        buf.truncate(n);
        buf
    }

    /// A host tree: a/f ("lower"), a/g ("gee"), b/ (empty), top ("top").
    fn lower_tree() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a")).unwrap();
        std::fs::create_dir_all(tmp.path().join("b")).unwrap();
        std::fs::write(tmp.path().join("a/f"), "lower").unwrap();
        std::fs::write(tmp.path().join("a/g"), "gee").unwrap();
        std::fs::write(tmp.path().join("top"), "top").unwrap();
        tmp
    }

    fn host_listing(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p.clone());
                    out.push((p, Vec::new()));
                } else {
                    let data = std::fs::read(&p).unwrap();
                    out.push((p, data));
                }
            }
        }
        out.sort();
        out
    }

    /// Reads go to the host; writes, removals and renames stay in memory,
    /// whichever layer the bytes are in, and the host tree is unchanged.
    #[test]
    fn overlay_writes_never_reach_the_host() {
        let tmp = lower_tree();
        let before = host_listing(tmp.path());
        let fs = MemoryFs::overlay(tmp.path()).unwrap();
        let root = fs.root();
        assert_eq!(names(&root), ["a", "b", "top"]);
        assert_eq!(read_all(&root, "a/f"), b"lower");
        assert_eq!(root.stat_at("a/f", true).unwrap().size, 5);

        // A reader opened before the copy-up sees the change after it.
        let Opened::File(reader) = root.open_at("a/f", &opts(false)).unwrap() else {
            panic!()
        };
        let Opened::File(w) = root.open_at("a/f", &opts(false)).unwrap() else {
            panic!()
        };
        w.pwrite(&[IoSlice::new(b"UP")], 0).unwrap();
        let mut buf = [0u8; 8];
        let n = reader.pread(&mut [IoSliceMut::new(&mut buf)], 0).unwrap();
        assert_eq!(&buf[..n], b"UPwer");
        assert_eq!(read_all(&root, "a/f"), b"UPwer");

        // Truncating open, append, new files and directories.
        let trunc = OpenOptions {
            truncate: true,
            ..opts(false)
        };
        let Opened::File(t) = root.open_at("top", &trunc).unwrap() else {
            panic!()
        };
        t.write(&[IoSlice::new(b"new top")]).unwrap();
        assert_eq!(read_all(&root, "top"), b"new top");
        root.create_dir_at("b/c").unwrap();
        let Opened::File(n) = root.open_at("b/c/n", &opts(true)).unwrap() else {
            panic!()
        };
        n.write(&[IoSlice::new(b"n")]).unwrap();

        // Whiteouts: removed names stay removed; a non-empty lower
        // directory cannot be removed.
        assert_eq!(root.remove_dir_at("a"), Err(Errno::Notempty));
        root.unlink_file_at("a/g").unwrap();
        assert_eq!(names(&*open_dir(&root, "a")), ["f"]);
        assert_eq!(root.stat_at("a/g", false).err(), Some(Errno::Noent));

        // Renames across layers and directories, of files and of a lower
        // directory never looked into.
        root.rename_at("a/f", &root, "b/f2").unwrap();
        assert_eq!(read_all(&root, "b/f2"), b"UPwer");
        root.rename_at("top", &root, "b/c/top").unwrap();
        std::fs::create_dir_all(tmp.path().join("deep/er")).unwrap();
        std::fs::write(tmp.path().join("deep/er/x"), "x").unwrap();
        // (`deep` was made on the host after the root was listed: the
        // overlay's root already holds its own entries.)
        assert_eq!(root.stat_at("deep", false).err(), Some(Errno::Noent));
        root.remove_dir_at("a").unwrap();
        assert_eq!(names(&root), ["b"]);
        std::fs::remove_dir_all(tmp.path().join("deep")).unwrap();
        assert_eq!(host_listing(tmp.path()), before);
    }

    #[test]
    fn overlay_directories_move_with_their_host_contents() {
        let tmp = lower_tree();
        let fs = MemoryFs::overlay(tmp.path()).unwrap();
        let root = fs.root();
        // `a` is renamed before it was ever listed: it still lists a/f, a/g.
        root.rename_at("a", &root, "b/moved").unwrap();
        assert_eq!(names(&*open_dir(&root, "b/moved")), ["f", "g"]);
        assert_eq!(read_all(&root, "b/moved/g"), b"gee");
        assert!(tmp.path().join("a/g").exists());
        // Hard links to a lower file share its inode, copied up once.
        root.link_at("b/moved/g", false, &root, "g2").unwrap();
        let Opened::File(w) = root.open_at("g2", &opts(false)).unwrap() else {
            panic!()
        };
        w.pwrite(&[IoSlice::new(b"G")], 0).unwrap();
        assert_eq!(read_all(&root, "b/moved/g"), b"Gee");
        assert_eq!(std::fs::read(tmp.path().join("a/g")).unwrap(), b"gee");
    }

    /// Copy-up counts against the quota: a file larger than what is left
    /// cannot be changed (`nospc`), and nothing is allocated.
    #[test]
    fn overlay_copy_up_is_bounded_by_the_quota() {
        let tmp = lower_tree();
        std::fs::write(tmp.path().join("big"), vec![7u8; 4096]).unwrap();
        let fs = MemoryFs::overlay(tmp.path()).unwrap();
        fs.set_quota(1024);
        let root = fs.root();
        let Opened::File(w) = root.open_at("big", &opts(false)).unwrap() else {
            panic!()
        };
        assert_eq!(w.pwrite(&[IoSlice::new(b"x")], 0), Err(Errno::Nospc));
        assert_eq!(w.set_size(10), Err(Errno::Nospc));
        assert_eq!(read_all(&root, "big")[..4], [7, 7, 7, 7]);
        // A truncating open needs none of the host's bytes.
        let trunc = OpenOptions {
            truncate: true,
            ..opts(false)
        };
        let listed = root.stat_at("big", true).unwrap().mtim;
        assert!(root.open_at("big", &trunc).is_ok());
        let st = root.stat_at("big", true).unwrap();
        assert_eq!(st.size, 0);
        assert!(st.mtim > listed, "emptying a file changes its mtime");
        assert_eq!(std::fs::read(tmp.path().join("big")).unwrap().len(), 4096);
    }

    /// The saved upper layer holds exactly the changes: new and changed
    /// files, moved host files, new directories and symlinks, and a
    /// whiteout per removed host name; nothing for what was only read.
    #[test]
    fn overlay_saves_its_upper_layer() {
        let tmp = lower_tree();
        std::fs::create_dir_all(tmp.path().join("c/d")).unwrap();
        std::fs::write(tmp.path().join("c/d/keep"), "k").unwrap();
        let fs = MemoryFs::overlay(tmp.path()).unwrap();
        let root = fs.root();
        assert_eq!(read_all(&root, "a/f"), b"lower"); // read only
        assert_eq!(names(&*open_dir(&root, "c/d")), ["keep"]); // listed only
        let Opened::File(w) = root.open_at("a/g", &opts(false)).unwrap() else {
            panic!()
        };
        w.pwrite(&[IoSlice::new(b"G")], 0).unwrap();
        root.unlink_file_at("top").unwrap();
        root.rename_at("a/f", &root, "b/f").unwrap();
        root.create_dir_at("new").unwrap();
        root.symlink_at("../a/g", "new/link").unwrap();

        let out = tempfile::tempdir().unwrap();
        let saved = fs.save_upper(&out.path().join("layer")).unwrap();
        let layer = out.path().join("layer");
        let mut got: Vec<String> = host_listing(&layer)
            .into_iter()
            .map(|(p, data)| {
                let rel = p.strip_prefix(&layer).unwrap().display().to_string();
                format!("{rel}={}", String::from_utf8_lossy(&data))
            })
            .collect();
        got.sort();
        let mut want = [
            "a=",
            "a/.wh.f=",
            "a/g=Gee",
            "b=",
            "b/f=lower",
            ".wh.top=",
            "new=",
            "new/link=Gee", // the symlink, read through
        ];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(
            std::fs::read_link(layer.join("new/link")).unwrap(),
            Path::new("../a/g")
        );
        assert_eq!(
            saved,
            SavedLayer {
                entries: 4,
                whiteouts: 2
            }
        );
        // Into a directory that is not empty: refused.
        assert!(fs.save_upper(&layer).is_err());
    }

    fn open_dir(root: &MemoryDir, path: &str) -> Arc<dyn Dir> {
        let dir = OpenOptions {
            read: true,
            directory: true,
            follow: true,
            ..Default::default()
        };
        match root.open_at(path, &dir).unwrap() {
            Opened::Dir(d) => d,
            Opened::File(_) => panic!("{path} is a directory"),
        }
    }

    #[test]
    fn unlinked_open_file_stays_readable() {
        let fs = MemoryFs::new();
        let root = fs.root();
        let Opened::File(f) = root.open_at("f", &opts(true)).unwrap() else {
            panic!()
        };
        f.write(&[IoSlice::new(b"abc")]).unwrap();
        root.unlink_file_at("f").unwrap();
        assert_eq!(f.stat().unwrap().nlink, 0);
        let mut buf = [0u8; 3];
        assert_eq!(f.pread(&mut [IoSliceMut::new(&mut buf)], 0).unwrap(), 3);
    }

    /// Offsets past `i64::MAX` are `inval`, as the host answers: the
    /// official suite's filesystem-io found this backend reading nothing.
    #[test]
    fn offsets_past_i64_max_are_invalid() {
        let fs = MemoryFs::new();
        let root = fs.root();
        let Opened::File(f) = root.open_at("f", &opts(true)).unwrap() else {
            panic!()
        };
        f.write(&[IoSlice::new(b"abc")]).unwrap();
        let mut buf = [0u8; 3];
        let far = i64::MAX as u64 + 1;
        assert_eq!(
            f.pread(&mut [IoSliceMut::new(&mut buf)], u64::MAX),
            Err(Errno::Inval)
        );
        assert_eq!(
            f.pread(&mut [IoSliceMut::new(&mut buf)], far),
            Err(Errno::Inval)
        );
        assert_eq!(f.pwrite(&[IoSlice::new(b"x")], far), Err(Errno::Inval));
        assert_eq!(f.pread(&mut [IoSliceMut::new(&mut buf)], 1 << 40), Ok(0));
    }
}
