//! The checks of `wasi:http/types.fields` that WASI 0.2 and 0.3 share
//! (syntax, forbidden names, case-insensitivity, order, from-list, clone),
//! included by `guests/p2-http-client` and `guests/p3-http-client` as
//! their module `shared` (`#[path = "../../shared/http_fields_checks.rs"]`).
//! Each brings its version's `Fields`, `HeaderError` and an `entries`
//! function (0.2's `fields.entries`, 0.3's `fields.copy-all`).

use super::{entries, Fields, HeaderError};
use crate::check::{eq, eqs, fail};

/// The names docs/http.md lists as forbidden (Wasmtime's list, and `te`).
pub const FORBIDDEN: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

/// Names that are not RFC 9110 tokens.
pub(crate) const BAD_NAMES: [&str; 10] = [
    "",
    "bad name",
    "bad:name",
    "bad\nname",
    "bad\r\nname",
    "tab\tname",
    "nul\0name",
    "(paren)",
    "caf\u{e9}",
    "a/b",
];

/// Values that are not valid field values (CR, LF, NUL).
pub(crate) const BAD_VALUES: [&[u8]; 5] = [b"a\r\nb", b"a\nb", b"a\rb", b"a\0b", b"trailing\r\n"];

/// Values with whitespace at an end, or of whitespace only: valid, as in
/// Wasmtime and the official suite (wasi-testsuite http-fields); the
/// receiving peer trims them (RFC 9110 §5.5).
pub(crate) const WHITESPACE_VALUES: [&[u8]; 6] = [
    b" leading-space",
    b"trailing-space ",
    b"\tleading-tab",
    b"trailing-tab\t",
    b" ",
    b" \t \t",
];

pub(crate) type Entries = Vec<(String, Vec<u8>)>;

pub(crate) fn get(f: &Fields, name: &str) -> Vec<String> {
    f.get(name)
        .into_iter()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .collect()
}

pub(crate) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn list(l: &[(&str, &[u8])]) -> Entries {
    l.iter().map(|(n, v)| (n.to_string(), v.to_vec())).collect()
}

pub(crate) fn err_of<T>(r: Result<T, HeaderError>) -> Result<(), HeaderError> {
    r.map(|_| ())
}

pub(crate) fn basics() {
    let f = Fields::new();
    eq("new: entries", Vec::<(String, String)>::new(), entries(&f));
    eq("new: has", false, f.has("x-a"));
    eq("new: get", Vec::<String>::new(), get(&f, "x-a"));

    eq("append x-a 1", Ok(()), err_of(f.append("x-a", b"1")));
    eq("append x-a 2", Ok(()), err_of(f.append("x-a", b"2")));
    eqs("get after two appends", vec!["1", "2"], get(&f, "x-a"));
    eq("has after append", true, f.has("x-a"));

    eq(
        "set x-a [3]",
        Ok(()),
        err_of(f.set("x-a", &[b"3".to_vec()])),
    );
    eqs("get after set", vec!["3"], get(&f, "x-a"));
    eq("entries after set", pairs(&[("x-a", "3")]), entries(&f));

    eq(
        "set x-a [4, 5]",
        Ok(()),
        err_of(f.set("x-a", &[b"4".to_vec(), b"5".to_vec()])),
    );
    eqs("get after set of two", vec!["4", "5"], get(&f, "x-a"));

    eq(
        "set new name",
        Ok(()),
        err_of(f.set("x-b", &[b"b".to_vec()])),
    );
    eq(
        "entries: two names",
        pairs(&[("x-a", "4"), ("x-a", "5"), ("x-b", "b")]),
        entries(&f),
    );

    eq("delete x-a", Ok(()), err_of(f.delete("x-a")));
    eq("has after delete", false, f.has("x-a"));
    eq("get after delete", Vec::<String>::new(), get(&f, "x-a"));
    eq("entries after delete", pairs(&[("x-b", "b")]), entries(&f));
    eq("delete absent name", Ok(()), err_of(f.delete("x-absent")));

    // An empty value is a present name with one empty value.
    eq(
        "append empty value",
        Ok(()),
        err_of(f.append("x-empty", b"")),
    );
    eq("has empty-valued name", true, f.has("x-empty"));
    eqs("get empty-valued name", vec![""], get(&f, "x-empty"));

    // Inner whitespace and obs-text bytes are valid values.
    eq(
        "append inner space and tab",
        Ok(()),
        err_of(f.append("x-ws", b"a b\tc")),
    );
    eqs("get inner space and tab", vec!["a b\tc"], get(&f, "x-ws"));
    eq(
        "append obs-text value",
        Ok(()),
        err_of(f.append("x-utf8", "caf\u{e9}".as_bytes())),
    );
    eq(
        "get obs-text value",
        vec![b"caf\xc3\xa9".to_vec()],
        f.get("x-utf8"),
    );

    // Every token character is valid in a name.
    let token = "!#$%&'*+-.^_`|~09azAZ";
    eq(
        "append every token char",
        Ok(()),
        err_of(f.append(token, b"t")),
    );
    eqs("get every token char", vec!["t"], get(&f, token));
}

pub(crate) fn case_insensitive() {
    let f = Fields::new();
    eq("append X-Mixed", Ok(()), err_of(f.append("X-Mixed", b"1")));
    eq("append x-MIXED", Ok(()), err_of(f.append("x-MIXED", b"2")));
    eqs("get lower", vec!["1", "2"], get(&f, "x-mixed"));
    eqs("get upper", vec!["1", "2"], get(&f, "X-MIXED"));
    eq("has upper", true, f.has("X-MIXED"));
    eq(
        "names stored lower-case",
        pairs(&[("x-mixed", "1"), ("x-mixed", "2")]),
        entries(&f),
    );
    eq(
        "set via other case",
        Ok(()),
        err_of(f.set("X-mIxEd", &[b"3".to_vec()])),
    );
    eqs(
        "get after set via other case",
        vec!["3"],
        get(&f, "x-mixed"),
    );
    eq("delete via other case", Ok(()), err_of(f.delete("X-MIXED")));
    eq("has after delete via other case", false, f.has("x-mixed"));
}

pub(crate) fn order() {
    let f = Fields::new();
    for (n, v) in [("x-a", "1"), ("x-b", "2"), ("x-a", "3"), ("x-c", "4")] {
        f.append(n, v.as_bytes()).ok();
    }
    eqs("get in insertion order", vec!["1", "3"], get(&f, "x-a"));
    eq(
        "entries in insertion order (interleaved names)",
        pairs(&[("x-a", "1"), ("x-b", "2"), ("x-a", "3"), ("x-c", "4")]),
        entries(&f),
    );
}

pub(crate) fn syntax() {
    let f = Fields::new();
    for name in BAD_NAMES {
        let n = format!("{name:?}");
        eq(
            &format!("append bad name {n}"),
            Err(HeaderError::InvalidSyntax),
            err_of(f.append(name, b"v")),
        );
        eq(
            &format!("set bad name {n}"),
            Err(HeaderError::InvalidSyntax),
            err_of(f.set(name, &[b"v".to_vec()])),
        );
        eq(
            &format!("delete bad name {n}"),
            Err(HeaderError::InvalidSyntax),
            err_of(f.delete(name)),
        );
        eq(
            &format!("from-list bad name {n}"),
            Err(HeaderError::InvalidSyntax),
            err_of(Fields::from_list(&list(&[(name, b"v")]))),
        );
        eq(&format!("has bad name {n}"), false, f.has(name));
        eq(
            &format!("get bad name {n}"),
            Vec::<String>::new(),
            get(&f, name),
        );
    }
    for value in BAD_VALUES {
        let v = format!("{:?}", String::from_utf8_lossy(value));
        eq(
            &format!("append bad value {v}"),
            Err(HeaderError::InvalidSyntax),
            err_of(f.append("x-v", value)),
        );
        eq(
            &format!("set bad value {v}"),
            Err(HeaderError::InvalidSyntax),
            err_of(f.set("x-v", &[value.to_vec()])),
        );
        eq(
            &format!("set good then bad value {v}"),
            Err(HeaderError::InvalidSyntax),
            err_of(f.set("x-v", &[b"ok".to_vec(), value.to_vec()])),
        );
        eq(
            &format!("from-list bad value {v}"),
            Err(HeaderError::InvalidSyntax),
            err_of(Fields::from_list(&list(&[("x-v", value)]))),
        );
    }
    eq(
        "nothing stored by failed calls",
        Vec::<(String, String)>::new(),
        entries(&f),
    );
    for value in WHITESPACE_VALUES {
        let v = format!("{:?}", String::from_utf8_lossy(value));
        let g = Fields::new();
        eq(
            &format!("append whitespace value {v}"),
            Ok(()),
            err_of(g.append("x-w", value)),
        );
        eq(
            &format!("from-list whitespace value {v}"),
            Ok(()),
            err_of(Fields::from_list(&list(&[("x-w", value)]))),
        );
        eq(
            &format!("whitespace value {v} kept as given"),
            vec![String::from_utf8_lossy(value).into_owned()],
            get(&g, "x-w"),
        );
    }
}

pub(crate) fn forbidden() {
    let f = Fields::new();
    for name in FORBIDDEN {
        // Mixed case: forbidden-ness is case-insensitive too.
        let upper = name.to_ascii_uppercase();
        for n in [name, upper.as_str()] {
            eq(
                &format!("append forbidden {n}"),
                Err(HeaderError::Forbidden),
                err_of(f.append(n, b"v")),
            );
            eq(
                &format!("set forbidden {n}"),
                Err(HeaderError::Forbidden),
                err_of(f.set(n, &[b"v".to_vec()])),
            );
            eq(
                &format!("delete forbidden {n}"),
                Err(HeaderError::Forbidden),
                err_of(f.delete(n)),
            );
            eq(
                &format!("from-list forbidden {n}"),
                Err(HeaderError::Forbidden),
                err_of(Fields::from_list(&list(&[("x-ok", b"1"), (n, b"v")]))),
            );
            eq(&format!("has forbidden {n}"), false, f.has(n));
        }
    }
    eq(
        "nothing stored by forbidden calls",
        Vec::<(String, String)>::new(),
        entries(&f),
    );
}

pub(crate) fn from_list() {
    match Fields::from_list(&list(&[("A", b"1"), ("b", b"2"), ("a", b"3")])) {
        Ok(f) => {
            eqs("from-list get a", vec!["1", "3"], get(&f, "a"));
            eqs("from-list get B", vec!["2"], get(&f, "B"));
            eq(
                "from-list entries",
                pairs(&[("a", "1"), ("b", "2"), ("a", "3")]),
                entries(&f),
            );
            eq(
                "from-list result is mutable",
                Ok(()),
                err_of(f.append("c", b"4")),
            );
        }
        Err(e) => fail("from-list valid", "ok", format!("{e:?}")),
    }
    match Fields::from_list(&[]) {
        Ok(f) => eq(
            "from-list empty",
            Vec::<(String, String)>::new(),
            entries(&f),
        ),
        Err(e) => fail("from-list empty", "ok", format!("{e:?}")),
    }
}

pub(crate) fn clone() {
    let f = Fields::new();
    f.append("x-a", b"1").ok();
    let c = f.clone();
    eq("clone entries", pairs(&[("x-a", "1")]), entries(&c));
    eq("clone append", Ok(()), err_of(c.append("x-a", b"2")));
    eq("clone set", Ok(()), err_of(c.set("x-b", &[b"b".to_vec()])));
    eqs("original unchanged by clone", vec!["1"], get(&f, "x-a"));
    eq("original not given x-b", false, f.has("x-b"));
    eq("original still mutable", Ok(()), err_of(f.delete("x-a")));
    eqs(
        "clone unchanged by original",
        vec!["1", "2"],
        get(&c, "x-a"),
    );
}
