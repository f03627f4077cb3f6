//! Which destinations a guest's outgoing HTTP requests may reach.
//!
//! Deny by default. A grant names an authority pattern: `HOST`, `HOST:PORT`,
//! `[IPV6]`, `[IPV6]:PORT` or `*`. Names are compared as names (never
//! resolved first), case-insensitively.

/// One `--allow-http` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Lower-case host without brackets; `None` for `*`.
    host: Option<String>,
    port: Option<u16>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid --allow-http pattern `{0}`: expected HOST, HOST:PORT, [IPV6], [IPV6]:PORT or *")]
pub struct BadGrant(String);

impl std::str::FromStr for Grant {
    type Err = BadGrant;
    fn from_str(s: &str) -> Result<Grant, BadGrant> {
        let bad = || BadGrant(s.to_owned());
        if s == "*" {
            return Ok(Grant {
                host: None,
                port: None,
            });
        }
        let (host, port) = split_authority(s).ok_or_else(bad)?;
        if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
            return Err(bad());
        }
        Ok(Grant {
            host: Some(host.to_ascii_lowercase()),
            port,
        })
    }
}

/// Splits `host[:port]` or `[v6][:port]`; `None` if the port is not a
/// number.
pub fn split_authority(s: &str) -> Option<(&str, Option<u16>)> {
    // User info (`user:pass@`) names no destination: only the host and port
    // after it are matched and connected to.
    let s = s.rsplit_once('@').map_or(s, |(_, host)| host);
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            p => Some((host, Some(p.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h, Some(p.parse().ok()?))),
        None => Some((s, None)),
    }
}

/// The egress grants of one sandbox.
#[derive(Clone, Debug, Default)]
pub struct HttpPolicy {
    /// Every destination (`-S inherit-network`, `--allow-http '*'`).
    pub inherit: bool,
    pub grants: Vec<Grant>,
}

impl HttpPolicy {
    /// May a request go to `host` (without brackets) on `port`?
    pub fn allows(&self, host: &str, port: u16) -> bool {
        if self.inherit {
            return true;
        }
        let host = host.to_ascii_lowercase();
        self.grants.iter().any(|g| {
            g.host.as_deref().is_none_or(|h| h == host) && g.port.is_none_or(|p| p == port)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = HttpPolicy {
            inherit: false,
            grants: vec![
                "Example.com".parse().unwrap(),
                "127.0.0.1:8080".parse().unwrap(),
                "[::1]:9000".parse().unwrap(),
            ],
        };
        assert!(p.allows("example.COM", 443));
        assert!(p.allows("127.0.0.1", 8080));
        assert!(!p.allows("127.0.0.1", 8081));
        assert!(p.allows("::1", 9000));
        assert!(!p.allows("other.example", 80));
        assert!(!HttpPolicy::default().allows("example.com", 80));
        let all = HttpPolicy {
            inherit: false,
            grants: vec!["*".parse().unwrap()],
        };
        assert!(all.allows("anything", 1));
        assert!("a b".parse::<Grant>().is_err());
        assert!("host:port".parse::<Grant>().is_err());
    }
}
