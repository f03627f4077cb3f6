//! `fields` — every method of `wasi:http/types@0.3.2.fields` without any
//! network: syntax checks, forbidden names, case-insensitivity, insertion
//! order, get-and-delete, clone, `size-exceeded`, and the immutability of
//! fields obtained from a request or response (docs/http.md, "Fields" and
//! the wasi:http 0.3 section).

use crate::check::{check, eq, eqs, fail};
use wasip3::http::types::{Fields, HeaderError, Request, Response};

#[path = "../../shared/http_fields_checks.rs"]
mod shared;
pub(crate) use shared::get;
use shared::*;

pub fn entries(f: &Fields) -> Vec<(String, String)> {
    f.copy_all()
        .into_iter()
        .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

pub fn run() {
    basics();
    case_insensitive();
    order();
    syntax();
    forbidden();
    from_list();
    clone();
    get_and_delete();
    size_exceeded();
    immutable();
}
/// Asserts every mutation of `f` fails with `immutable` and leaves it as
/// it was (and as `expect`, when given); then that its clone is mutable.
pub fn assert_immutable(what: &str, f: &Fields, expect: Option<&[(&str, &str)]>) {
    let im = || Err(HeaderError::Immutable);
    let before = entries(f);
    if let Some(expect) = expect {
        eq(&format!("{what}: entries"), pairs(expect), before.clone());
    }
    eq(
        &format!("{what}: append"),
        im(),
        err_of(f.append("x-new", b"v")),
    );
    eq(
        &format!("{what}: set"),
        im(),
        err_of(f.set("x-new", &[b"v".to_vec()])),
    );
    if let Some((n, _)) = before.first() {
        eq(
            &format!("{what}: set existing"),
            im(),
            err_of(f.set(n, &[b"v".to_vec()])),
        );
        eq(
            &format!("{what}: append existing"),
            im(),
            err_of(f.append(n, b"v")),
        );
        eq(
            &format!("{what}: delete existing"),
            im(),
            err_of(f.delete(n)),
        );
        eq(
            &format!("{what}: get-and-delete existing"),
            im(),
            err_of(f.get_and_delete(n)),
        );
    }
    eq(
        &format!("{what}: delete absent"),
        im(),
        err_of(f.delete("x-absent")),
    );
    eq(
        &format!("{what}: get-and-delete absent"),
        im(),
        err_of(f.get_and_delete("x-absent")),
    );
    eq(&format!("{what}: unchanged"), before.clone(), entries(f));
    let c = f.clone();
    eq(&format!("{what}: clone entries"), before, entries(&c));
    eq(
        &format!("{what}: clone is mutable"),
        Ok(()),
        err_of(c.append("x-new", b"v")),
    );
    check(
        &format!("{what}: original unchanged by clone"),
        !f.has("x-new"),
        "no x-new",
        "x-new present",
    );
}

fn get_and_delete() {
    let f = Fields::from_list(&list(&[("x-a", b"1"), ("x-b", b"2"), ("X-A", b"3")])).unwrap();
    match f.get_and_delete("X-a") {
        Ok(v) => eq(
            "get-and-delete returns the values in order",
            vec![b"1".to_vec(), b"3".to_vec()],
            v,
        ),
        Err(e) => fail("get-and-delete", "ok", format!("{e:?}")),
    }
    eq("get-and-delete removed the name", false, f.has("x-a"));
    eq(
        "get-and-delete left the others",
        pairs(&[("x-b", "2")]),
        entries(&f),
    );
    eq(
        "get-and-delete absent",
        Ok(Vec::<Vec<u8>>::new()),
        f.get_and_delete("x-absent"),
    );
    eq(
        "get-and-delete bad name",
        Err(HeaderError::InvalidSyntax),
        err_of(f.get_and_delete("bad name")),
    );
    eq(
        "get-and-delete forbidden",
        Err(HeaderError::Forbidden),
        err_of(f.get_and_delete("Connection")),
    );
}

/// docs/http.md: Warden returns `size-exceeded` for an over-long field
/// section (the WIT: "an implementation-defined size limit"), and the
/// fields are left as they were.
fn size_exceeded() {
    let big = vec![b'x'; 2 << 20];
    let f = Fields::new();
    f.append("x-small", b"1").ok();
    eq(
        "append 2 MiB value",
        Err(HeaderError::SizeExceeded),
        err_of(f.append("x-big", &big)),
    );
    eq(
        "set 2 MiB value",
        Err(HeaderError::SizeExceeded),
        err_of(f.set("x-big", &[big.clone()])),
    );
    let many: Vec<Vec<u8>> = (0..4000).map(|i| i.to_string().into_bytes()).collect();
    eq(
        "set 4000 values",
        Err(HeaderError::SizeExceeded),
        err_of(f.set("x-many", &many)),
    );
    eq(
        "fields unchanged after size-exceeded",
        pairs(&[("x-small", "1")]),
        entries(&f),
    );
    let entries_list: Entries = (0..4000)
        .map(|i| (format!("x-n{i}"), b"v".to_vec()))
        .collect();
    eq(
        "from-list 4000 entries",
        Err(HeaderError::SizeExceeded),
        err_of(Fields::from_list(&entries_list)),
    );
    eq(
        "from-list 2 MiB value",
        Err(HeaderError::SizeExceeded),
        err_of(Fields::from_list(&[("x-big".to_string(), big)])),
    );
    // Appending one by one stops at the limit; what was added stays.
    let g = Fields::new();
    let mut added = 0u32;
    let mut last = Ok(());
    for i in 0..4000 {
        last = g.append("x-one", i.to_string().as_bytes());
        if last.is_err() {
            break;
        }
        added += 1;
    }
    eq(
        "append one by one ends in size-exceeded",
        Err(HeaderError::SizeExceeded),
        last,
    );
    eq(
        "entries kept after size-exceeded",
        added as usize,
        g.get("x-one").len(),
    );
}

/// The WIT: headers obtained from a request or response (`get-headers`)
/// are immutable; fields given to `request.new`/`response.new` are moved.
fn immutable() {
    let h = Fields::from_list(&list(&[("x-req", b"1")])).unwrap();
    let (req, _sent) = crate::net::new_request(h, None, None);
    {
        let h = req.get_headers();
        assert_immutable("request headers", &h, Some(&[("x-req", "1")]));
    }
    {
        // A second `get-headers` still sees the original, untouched.
        let h = req.get_headers();
        eqs("request headers again", vec!["1"], get(&h, "x-req"));
        eq("request headers again: no x-new", false, h.has("x-new"));
    }
    drop(req);

    let h = Fields::from_list(&list(&[("x-resp", b"2")])).unwrap();
    let (trailers_tx, trailers_rx) = wasip3::wit_future::new(|| Ok(None));
    drop(trailers_tx);
    let (resp, _sent) = Response::new(h, None, trailers_rx);
    {
        let h = resp.get_headers();
        assert_immutable("response headers", &h, Some(&[("x-resp", "2")]));
    }
    drop(resp);
    let _ = Request::get_headers;
}
