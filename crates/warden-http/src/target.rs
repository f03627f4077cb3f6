//! The rules for what a guest may set on a request or response — scheme,
//! authority, path and query, status code — shared by wasi:http 0.2 and 0.3
//! so that both answer alike. Each layer only converts its WIT types.

/// What a scheme names once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemeKind {
    Http,
    Https,
    /// Another syntactically valid scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
    Other,
}

/// Classifies `other(s)`: `http` and `https`, in any case, are the known
/// schemes (wasi-http#194: `other("https")` reads back as `https`); `None`
/// when `s` is not a scheme at all.
pub fn classify_scheme(s: &str) -> Option<SchemeKind> {
    let mut b = s.bytes();
    let valid = b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c));
    if !valid {
        return None;
    }
    Some(if s.eq_ignore_ascii_case("http") {
        SchemeKind::Http
    } else if s.eq_ignore_ascii_case("https") {
        SchemeKind::Https
    } else {
        SchemeKind::Other
    })
}

/// `[userinfo@]host[:port]` (RFC 3986 §3.2; the suite's http-request sets
/// `user:pass@localhost:80`). Only host and port decide where a request
/// goes.
pub fn valid_authority(a: &str) -> bool {
    a.parse::<http::uri::Authority>().is_ok()
        && crate::policy::split_authority(a).is_some_and(|(host, _)| !host.is_empty())
}

/// A path and query the guest may set: RFC 3986 path and query characters
/// (`pchar`, `/`, `?`, and raw UTF-8, which happens), absolute or relative
/// (wasi-http#178: `a/b/c` and `?foo` are kept as given and sent below
/// `/`). Spaces, controls, `#` and the other delimiters are refused.
pub fn valid_path_with_query(p: &str) -> bool {
    p.chars().all(|c| {
        c.is_ascii_alphanumeric() || "-._~%!$&'()*+,;=:@/?".contains(c) || c as u32 >= 0x80
    })
}

/// The path and query as stored: the empty one is `/` (WASI#780,
/// wasi-testsuite http-request).
pub fn stored_path_with_query(p: String) -> String {
    if p.is_empty() {
        "/".to_owned()
    } else {
        p
    }
}

/// A status code a response may have: 100 to 599 (RFC 9110 §15 defines
/// only those classes; Wasmtime refuses the rest, and so does the suite).
pub fn valid_status(status: u16) -> bool {
    (100..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(classify_scheme("https"), Some(SchemeKind::Https));
        assert_eq!(classify_scheme("HTTP"), Some(SchemeKind::Http));
        assert_eq!(classify_scheme("ftp+x"), Some(SchemeKind::Other));
        assert_eq!(classify_scheme("1ftp"), None);
        assert_eq!(classify_scheme(""), None);
    }

    #[test]
    fn status_codes() {
        for ok in [100, 200, 404, 599] {
            assert!(valid_status(ok));
        }
        for bad in [0, 42, 69, 99, 600, 1000, 65535] {
            assert!(!valid_status(bad));
        }
    }

    #[test]
    fn paths_and_authorities() {
        assert!(valid_path_with_query(""));
        assert!(valid_path_with_query("/pct%2Fsegment?q=a%20b"));
        assert!(valid_path_with_query("a/b/c"));
        assert!(valid_path_with_query("?foo"));
        assert!(!valid_path_with_query("/a b"));
        assert!(!valid_path_with_query("/a\x01"));
        assert!(!valid_path_with_query("/a#frag"));
        assert_eq!(stored_path_with_query(String::new()), "/");
        assert!(valid_authority("example.com:80"));
        assert!(valid_authority("[::1]:8080"));
        assert!(valid_authority("user:pass@example.com:80"));
        for bad in ["::", ":@", "@@", "@:", " ", "", "#", "localhost:what"] {
            assert!(!valid_authority(bad), "{bad:?}");
        }
    }
}
