//! One policy: every grant and limit of a sandbox as data, read from a TOML
//! file (`warden run --policy FILE.toml`) or built in code, and applied
//! with [`SandboxBuilder::policy`](crate::SandboxBuilder::policy).
//!
//! Every command-line flag of `warden run` and `warden serve` that grants
//! or limits something is a shorthand for one entry here (the CLI turns
//! its flags into a `Policy` and [`Policy::add`]s it to the file's), so a
//! policy file and a command line say the same things the same way. What
//! a policy does not grant, the guest does not get: an empty policy is an
//! empty sandbox.
//!
//! ```toml
//! [[dir]]
//! host = "./src"
//! guest = "/src"
//! mode = "ro"          # rw (default) | ro | overlay | memory | memory-ro
//!
//! [env]
//! set = { RUST_LOG = "info" }
//! pass = ["HOME"]
//!
//! [network]
//! connect = ["10.0.0.0/8:443"]
//! lookup = true
//!
//! [limits]
//! memory = "256M"
//! timeout = "30s"
//! ```

use anyhow::{bail, Context as _};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::{Path, PathBuf};
use std::time::Duration;
use warden_kernel::net::{Direction, NetworkPolicy, Rule};

/// Every grant and limit of one sandbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Directories, in preopen order.
    #[serde(default, rename = "dir", skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<DirGrant>,
    #[serde(default)]
    pub env: EnvGrant,
    #[serde(default)]
    pub network: NetworkGrant,
    #[serde(default)]
    pub http: HttpGrant,
    #[serde(default)]
    pub limits: LimitSettings,
    #[serde(default)]
    pub determinism: Determinism,
}

/// Repeatable runs (`[determinism]`; `--deterministic[=SEED]`): virtual
/// clocks, random bytes from `seed`, directory listings in name order, and
/// no network (input from outside would make runs differ).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Determinism {
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// The random generator's seed.
    #[serde(default)]
    pub seed: u64,
}

/// One directory (`[[dir]]`; `--dir`, `--mem-dir`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirGrant {
    /// The host directory: what the guest sees (`rw`, `ro`, and `overlay`,
    /// under an in-memory layer), or the starting contents of an in-memory
    /// one (`memory`, `memory-ro`; without it, it starts empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<PathBuf>,
    /// Where the guest sees it.
    pub guest: String,
    #[serde(default)]
    pub mode: DirMode,
    /// Most bytes of file data an in-memory directory, or an overlay's
    /// upper layer, holds (default 256M).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<ByteCount>,
    /// Most names an in-memory directory holds, or an overlay's upper
    /// layer adds (default 262144).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inodes: Option<u64>,
    /// After a run, write what the guest changed here (`--overlay-save
    /// GUEST=DIR`): of an overlay, its upper layer as an OCI layer spells
    /// one (changed and new entries, `.wh.NAME` for removed host names); of
    /// an in-memory directory, all of it. The directory must be empty or
    /// missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save: Option<PathBuf>,
}

/// How a directory is granted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirMode {
    /// The host directory, read and write (`--dir HOST::GUEST`).
    #[default]
    Rw,
    /// The host directory, every change refused (`--dir HOST::GUEST::ro`).
    Ro,
    /// An in-memory directory; writes never reach the host (`--mem-dir`).
    Memory,
    /// An in-memory directory, every change refused.
    MemoryRo,
    /// The host directory under an in-memory layer: the guest reads the
    /// host's files and may change anything, but changes stay in memory
    /// (`--dir HOST::GUEST::overlay`).
    Overlay,
}

impl DirMode {
    pub fn read_only(self) -> bool {
        matches!(self, DirMode::Ro | DirMode::MemoryRo)
    }
    /// Whether what the guest writes is held in memory (and `size` and
    /// `inodes` bound it).
    pub fn memory(self) -> bool {
        matches!(self, DirMode::Memory | DirMode::MemoryRo | DirMode::Overlay)
    }
    /// Whether the guest sees the host directory as it is while it runs
    /// (so it needs one, and what others write there shows).
    pub fn live_host(self) -> bool {
        matches!(self, DirMode::Rw | DirMode::Ro | DirMode::Overlay)
    }
}

/// The environment (`[env]`; `--env`, `--inherit-env`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvGrant {
    /// Variables with these values (`--env NAME=VALUE`), in this order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub set: IndexMap<String, String>,
    /// Variables passed through from the host when it has them (`--env NAME`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pass: Vec<String>,
    /// The whole host environment (`--inherit-env`, `-S inherit-env`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub inherit: bool,
}

/// Sockets (`[network]`): what components may bind, connect and look up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkGrant {
    /// Everything, as Wasmtime's `-S inherit-network`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inherit: bool,
    /// `ADDR[/PREFIX][:PORT[-PORT]]` a socket may bind to (`--allow-bind`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bind: Vec<String>,
    /// ... and connect or send to (`--allow-connect`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connect: Vec<String>,
    /// Name lookup (`-S allow-ip-name-lookup`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub lookup: bool,
    /// TCP at all (`-S tcp=n` turns it off).
    #[serde(default = "yes")]
    pub tcp: bool,
    /// UDP at all (`-S udp=n`).
    #[serde(default = "yes")]
    pub udp: bool,
    /// Addresses listened on and handed to the guest as preopened sockets
    /// (`--tcplisten`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listen: Vec<String>,
}

impl Default for NetworkGrant {
    fn default() -> NetworkGrant {
        NetworkGrant {
            inherit: false,
            bind: Vec::new(),
            connect: Vec::new(),
            lookup: false,
            tcp: true,
            udp: true,
            listen: Vec::new(),
        }
    }
}

/// Outgoing wasi:http (`[http]`; `-S http`, `--allow-http`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpGrant {
    /// Link wasi:http even with nothing allowed (`-S http`); `allow` links it too.
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// `HOST`, `HOST:PORT`, `[IPV6]:PORT` or `*` requests may go to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// PEM files of extra trusted roots for https (`--http-ca-cert`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_certs: Vec<PathBuf>,
}

/// Limits (`[limits]`): absent means the default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitSettings {
    /// Most bytes one linear memory grows to (`-W max-memory-size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ByteCount>,
    /// Fuel the guest may burn (`--fuel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Wall time of a run, or of one request when serving (`-W timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Span>,
    /// Most handles and open files at once (`-S max-resources`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<usize>,
    /// Most random bytes one call may ask for (`-S max-random-size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_bytes: Option<ByteCount>,
    /// Most bytes of strings and lists one host call takes (`-S hostcall-fuel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostcall_bytes: Option<ByteCount>,
    /// Most bytes of one HTTP `fields` (`-S max-http-fields-size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_fields_size: Option<ByteCount>,
    /// Most bytes of all HTTP `fields` of an instance (`-S max-http-fields-total`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_fields_total: Option<ByteCount>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn yes() -> bool {
    true
}

/// A number of bytes: an integer, or a string with a K, M or G suffix
/// (powers of 1024): `65536`, `"64K"`, `"256M"`, `"1G"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteCount(pub u64);

impl std::str::FromStr for ByteCount {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<ByteCount> {
        let (num, mult) = match s.char_indices().last() {
            Some((i, 'k' | 'K')) => (&s[..i], 1u64 << 10),
            Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
            Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
            _ => (s, 1),
        };
        num.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .map(ByteCount)
            .with_context(|| format!("`{s}` is not a byte count (e.g. 65536, 64K, 64M, 1G)"))
    }
}

impl std::fmt::Display for ByteCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        for (unit, shift) in [("G", 30), ("M", 20), ("K", 10)] {
            if n != 0 && n.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", n >> shift);
            }
        }
        write!(f, "{n}")
    }
}

impl Serialize for ByteCount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ByteCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ByteCount, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(ByteCount(n)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// A length of time: a string `500ms`, `30s`, `5m`, `1h` (or `us`, `ns`),
/// or an integer number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span(pub Duration);

impl std::str::FromStr for Span {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Span> {
        let split = s
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: f64 = num
            .parse()
            .with_context(|| format!("`{s}` is not a duration"))?;
        let secs = match unit {
            "" | "s" => n,
            "ms" => n / 1e3,
            "us" => n / 1e6,
            "ns" => n / 1e9,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            _ => bail!("`{s}` is not a duration (use e.g. 500ms, 5s, 1m)"),
        };
        Duration::try_from_secs_f64(secs)
            .map(Span)
            .with_context(|| format!("`{s}` is not a duration"))
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        if d.subsec_nanos() == 0 {
            write!(f, "{}s", d.as_secs())
        } else if d.as_nanos().is_multiple_of(1_000_000) {
            write!(f, "{}ms", d.as_millis())
        } else {
            write!(f, "{}ns", d.as_nanos())
        }
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Seconds(n) => Ok(Span(Duration::from_secs(n))),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

impl Policy {
    /// Reads a policy from TOML text. An unknown key or a bad value is an
    /// error naming its line and column; the rules inside values
    /// (addresses, hosts, directories) are checked too.
    pub fn from_toml(text: &str) -> anyhow::Result<Policy> {
        let policy: Policy = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        policy.check()?;
        Ok(policy)
    }

    /// Reads the policy file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Policy> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the policy `{}`", path.display()))?;
        Policy::from_toml(&text).with_context(|| format!("in the policy `{}`", path.display()))
    }

    /// The policy as TOML, every entry spelled out.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a policy always serializes")
    }

    /// Adds `more` (the command line's flags) to this policy (a file's):
    /// directories, variables, rules and hosts are added, switches that
    /// grant are turned on, switches that take away (`tcp`, `udp`) turned
    /// off, and each limit `more` sets replaces this one's.
    pub fn add(&mut self, more: Policy) {
        self.dirs.extend(more.dirs);
        self.env.set.extend(more.env.set);
        self.env.pass.extend(more.env.pass);
        self.env.inherit |= more.env.inherit;
        let n = &mut self.network;
        n.inherit |= more.network.inherit;
        n.bind.extend(more.network.bind);
        n.connect.extend(more.network.connect);
        n.lookup |= more.network.lookup;
        n.tcp &= more.network.tcp;
        n.udp &= more.network.udp;
        n.listen.extend(more.network.listen);
        self.http.enabled |= more.http.enabled;
        self.http.allow.extend(more.http.allow);
        self.http.ca_certs.extend(more.http.ca_certs);
        let (l, m) = (&mut self.limits, more.limits);
        l.memory = m.memory.or(l.memory);
        l.fuel = m.fuel.or(l.fuel);
        l.timeout = m.timeout.or(l.timeout);
        l.resources = m.resources.or(l.resources);
        l.random_bytes = m.random_bytes.or(l.random_bytes);
        l.hostcall_bytes = m.hostcall_bytes.or(l.hostcall_bytes);
        l.http_fields_size = m.http_fields_size.or(l.http_fields_size);
        l.http_fields_total = m.http_fields_total.or(l.http_fields_total);
        if more.determinism.enabled {
            self.determinism = more.determinism;
        }
    }

    /// Checks what serde cannot: the shape of each rule and directory.
    pub fn check(&self) -> anyhow::Result<()> {
        for d in &self.dirs {
            let what = format!("[[dir]] guest = {:?}", d.guest);
            if d.guest.is_empty() {
                bail!("a [[dir]] has an empty `guest`");
            }
            if d.mode.live_host() && d.host.is_none() {
                bail!(
                    "{what}: mode `{}` needs a `host` directory",
                    mode_name(d.mode)
                );
            }
            if !d.mode.memory() && (d.size.is_some() || d.inodes.is_some()) {
                bail!("{what}: `size` and `inodes` apply to the memory and overlay modes");
            }
            if !d.mode.memory() && d.save.is_some() {
                bail!("{what}: `save` applies to the memory and overlay modes (a host directory holds its own changes)");
            }
        }
        self.network_policy()?;
        self.http_policy()?;
        for a in &self.network.listen {
            a.parse::<std::net::SocketAddr>()
                .with_context(|| format!("[network] listen: `{a}` is not an ADDR:PORT"))?;
        }
        if self.determinism.enabled {
            let n = &self.network;
            let networked = n.inherit
                || n.lookup
                || !n.bind.is_empty()
                || !n.connect.is_empty()
                || !n.listen.is_empty()
                || !self.http.allow.is_empty();
            if networked {
                bail!("[determinism] refuses network grants (sockets, name lookup, HTTP egress): what comes from outside would differ between runs");
            }
        }
        Ok(())
    }

    /// The socket rules.
    pub fn network_policy(&self) -> anyhow::Result<NetworkPolicy> {
        let n = &self.network;
        let mut rules = Vec::new();
        for (direction, specs) in [(Direction::Bind, &n.bind), (Direction::Connect, &n.connect)] {
            for spec in specs {
                rules.push(
                    Rule::parse(direction, spec).map_err(|e| anyhow::anyhow!("[network] {e}"))?,
                );
            }
        }
        Ok(NetworkPolicy {
            inherit: n.inherit,
            rules,
            ip_name_lookup: n.lookup,
            tcp_disabled: !n.tcp,
            udp_disabled: !n.udp,
        })
    }

    /// The wasi:http grants, when wasi:http is linked (`enabled`, or
    /// anything allowed). The whole network (`[network] inherit`) includes
    /// HTTP, as Wasmtime's `-S inherit-network` does.
    pub fn http_policy(&self) -> anyhow::Result<Option<warden_http::HttpPolicy>> {
        let h = &self.http;
        if !h.enabled && h.allow.is_empty() {
            return Ok(None);
        }
        let mut policy = warden_http::HttpPolicy {
            inherit: self.network.inherit,
            grants: Vec::new(),
        };
        for spec in &h.allow {
            let grant: warden_http::policy::Grant = spec
                .parse()
                .with_context(|| format!("[http] allow `{spec}`"))?;
            policy.inherit |= spec == "*";
            policy.grants.push(grant);
        }
        Ok(Some(policy))
    }

    /// The limits, as the sandbox takes them.
    pub fn limits(&self) -> crate::Limits {
        let l = &self.limits;
        let bytes = |b: Option<ByteCount>| b.map(|b| b.0);
        let size = |b: Option<ByteCount>| b.map(|b| usize::try_from(b.0).unwrap_or(usize::MAX));
        crate::Limits {
            max_memory_size: size(l.memory),
            fuel: l.fuel,
            timeout: l.timeout.map(|s| s.0),
            max_resources: l.resources,
            hostcall_fuel: size(l.hostcall_bytes),
            max_random_size: bytes(l.random_bytes),
            max_http_fields_size: size(l.http_fields_size),
            max_http_fields_total: size(l.http_fields_total),
        }
    }

    /// The guest's environment: the host's (when inherited), the names
    /// passed through, then the values set; a later one replaces an
    /// earlier one of the same name in its place.
    pub fn environment(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = Vec::new();
        let mut put = |name: String, value: String| match env.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => env.push((name, value)),
        };
        if self.env.inherit {
            for (n, v) in std::env::vars() {
                put(n, v);
            }
        }
        for name in &self.env.pass {
            if let Ok(v) = std::env::var(name) {
                put(name.clone(), v);
            }
        }
        for (n, v) in &self.env.set {
            put(n.clone(), v.clone());
        }
        env
    }
}

fn mode_name(mode: DirMode) -> &'static str {
    match mode {
        DirMode::Rw => "rw",
        DirMode::Ro => "ro",
        DirMode::Memory => "memory",
        DirMode::MemoryRo => "memory-ro",
        DirMode::Overlay => "overlay",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[dir]]
host = "./src"
guest = "/src"
mode = "ro"

[[dir]]
guest = "/tmp"
mode = "memory"
size = "64M"

[env]
set = { RUST_LOG = "info" }
pass = ["HOME"]

[network]
connect = ["10.0.0.0/8:443"]
lookup = true

[http]
allow = ["api.example.com:443"]

[limits]
memory = "256M"
timeout = "30s"
fuel = 1000000
"#;

    #[test]
    fn the_example_reads_as_it_says() {
        let p = Policy::from_toml(EXAMPLE).unwrap();
        assert_eq!(p.dirs.len(), 2);
        assert_eq!(p.dirs[0].mode, DirMode::Ro);
        assert_eq!(p.dirs[1].size, Some(ByteCount(64 << 20)));
        let l = p.limits();
        assert_eq!(l.max_memory_size, Some(256 << 20));
        assert_eq!(l.timeout, Some(Duration::from_secs(30)));
        assert_eq!(l.fuel, Some(1_000_000));
        let n = p.network_policy().unwrap();
        assert!(n.ip_name_lookup && !n.inherit && n.rules.len() == 1);
        let h = p.http_policy().unwrap().expect("http is linked");
        assert!(h.allows("api.example.com", 443) && !h.allows("example.com", 443));
        // What it prints reads back the same.
        assert_eq!(Policy::from_toml(&p.to_toml()).unwrap(), p);
    }

    #[test]
    fn an_empty_policy_grants_nothing() {
        let p = Policy::from_toml("").unwrap();
        assert!(p.dirs.is_empty() && p.environment().is_empty());
        let n = p.network_policy().unwrap();
        assert!(!n.inherit && n.rules.is_empty() && !n.ip_name_lookup);
        assert!(p.http_policy().unwrap().is_none());
        assert_eq!(p.limits().max_memory_size, None);
    }

    #[test]
    fn mistakes_name_their_line_and_column() {
        let err = Policy::from_toml("[limits]\nmemroy = \"1G\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2, column 1"), "{err}");
        assert!(err.contains("unknown field `memroy`"), "{err}");
        let err = Policy::from_toml("[limits]\nmemory = \"lots\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("not a byte count"),
            "{err}"
        );
        let err = Policy::from_toml("[[dir]]\nguest = \"/x\"\nmode = \"sideways\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("unknown variant"),
            "{err}"
        );
        let err = Policy::from_toml("[[dir]]\nguest = \"/x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a `host`"), "{err}");
        let err = Policy::from_toml("[network]\nconnect = [\"nowhere\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nowhere"), "{err}");
        let err = Policy::from_toml("[[dir]]\nhost = \"a\"\nguest = \"/a\"\nsize = 5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("memory and overlay modes"), "{err}");
    }

    #[test]
    fn flags_add_to_a_file() {
        let mut file = Policy::from_toml(EXAMPLE).unwrap();
        let flags = Policy::from_toml(
            "[[dir]]\nhost = \"out\"\nguest = \"/out\"\n[env]\nset = { RUST_LOG = \"debug\", X = \"1\" }\n\
             [network]\nudp = false\n[limits]\ntimeout = \"5s\"\n",
        )
        .unwrap();
        file.add(flags);
        assert_eq!(file.dirs.len(), 3);
        assert_eq!(file.env.set["RUST_LOG"], "debug");
        assert_eq!(file.env.set["X"], "1");
        assert!(file.network.tcp && !file.network.udp && file.network.lookup);
        let l = file.limits();
        assert_eq!(l.timeout, Some(Duration::from_secs(5)));
        assert_eq!(
            l.max_memory_size,
            Some(256 << 20),
            "a limit the flags leave stays"
        );
    }

    #[test]
    fn units() {
        assert_eq!("64K".parse::<ByteCount>().unwrap(), ByteCount(65536));
        assert!("12X".parse::<ByteCount>().is_err());
        assert!("99999999999G".parse::<ByteCount>().is_err());
        assert_eq!(ByteCount(3 << 30).to_string(), "3G");
        assert_eq!(ByteCount(1000).to_string(), "1000");
        assert_eq!(
            "250ms".parse::<Span>().unwrap(),
            Span(Duration::from_millis(250))
        );
        assert_eq!(Span(Duration::from_millis(1500)).to_string(), "1500ms");
        assert!("5x".parse::<Span>().is_err());
        assert!("1e400s".parse::<Span>().is_err());
    }

    #[test]
    fn environment_order_and_overrides() {
        let p = Policy::from_toml(
            "[env]\nset = { A = \"1\", B = \"2\" }\npass = [\"WARDEN_POLICY_TEST_UNSET\"]\n",
        )
        .unwrap();
        assert_eq!(
            p.environment(),
            vec![("A".into(), "1".into()), ("B".into(), "2".into())]
        );
    }
}
