//! An in-memory filesystem backend.
//!
//! One tree per [`MemoryFs`], behind one mutex: calls are short and a single
//! lock keeps renames and links trivially consistent. Every directory handle
//! is its own root: `..` above it, an absolute symlink, or a symlink leading
//! above it fails with `perm`, exactly like the host backend.

use super::{Dir, File, Opened};
use crate::clock::realtime_ns;
use crate::errno::{Errno, Result};
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime, Whence};
use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::io::{IoSlice, IoSliceMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Most symlinks followed while resolving one path (Linux's limit).
const MAX_SYMLINKS: usize = 40;

type Ino = u64;

enum Content {
    File(Vec<u8>),
    Dir {
        entries: BTreeMap<String, Ino>,
        parent: Ino,
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
            Content::File(_) => FileType::RegularFile,
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

    fn stat(&self, ino: Ino) -> Filestat {
        let n = self.node(ino);
        let size = match &n.content {
            Content::File(d) => d.len() as u64,
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

    fn entries(&self, dir: Ino) -> Result<&BTreeMap<String, Ino>> {
        match &self.node(dir).content {
            Content::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::Notdir),
        }
    }

    fn entries_mut(&mut self, dir: Ino) -> Result<&mut BTreeMap<String, Ino>> {
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
    fn resolve(&self, root: Ino, path: &str, follow_last: bool) -> Result<Resolved> {
        self.resolve_with(root, path, follow_last, false)
    }

    /// [`Tree::resolve`]; with `create` (open with O_CREAT), a last name
    /// followed by a slash — in the path or in the target of a final
    /// symlink — is `isdir` before it is looked up, as open(2) answers.
    fn resolve_with(
        &self,
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
    fn resolve_parent(&self, root: Ino, path: &str, follow_last: bool) -> Result<Resolved> {
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
        };
        let root = tree.alloc(Content::Dir {
            entries: BTreeMap::new(),
            parent: 1,
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
            Content::File(data) => {
                if opts.directory {
                    return Err(Errno::Notdir);
                }
                if opts.truncate && !data.is_empty() {
                    let old = data.len() as u64;
                    data.clear();
                    tree.used -= old;
                    let now = realtime_ns();
                    let n = tree.node_mut(ino);
                    n.mtim = now;
                    n.ctim = now;
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
        let tree = self.fs.lock();
        let r = tree.resolve(self.ino, path, false)?;
        match &tree.node(r.target.ok_or(Errno::Noent)?).content {
            Content::Symlink(t) => Ok(t.as_bytes().to_vec()),
            _ => Err(Errno::Inval),
        }
    }

    fn stat_at(&self, path: &str, follow: bool) -> Result<Filestat> {
        let tree = self.fs.lock();
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
        let tree = self.fs.lock();
        let Content::Dir { entries, parent } = &tree.node(self.ino).content else {
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
}

impl Drop for MemoryFile {
    fn drop(&mut self) {
        let mut tree = self.fs.lock();
        tree.node_mut(self.ino).handles -= 1;
        tree.maybe_free(self.ino);
    }
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
        let mut tree = self.fs.lock();
        let n = tree.node_mut(self.ino);
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
        let total: u64 = bufs.iter().map(|b| b.len() as u64).sum();
        if total == 0 {
            // Nothing written changes nothing: not the size (a zero-length
            // pwrite past the end once grew the file), not the position.
            return Ok((0, offset.unwrap_or(0)));
        }
        let mut tree = self.fs.lock();
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

    fn len(&self) -> u64 {
        match &self.fs.lock().node(self.ino).content {
            Content::File(d) => d.len() as u64,
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
}
