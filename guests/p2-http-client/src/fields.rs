//! `fields` — every method of `wasi:http/types.fields` without any network:
//! syntax checks, forbidden names, case-insensitivity, insertion order,
//! clone, and the immutability of fields handed to a request or response
//! (docs/http.md, "Fields").

use crate::check::{check, eq, eqs};
use wasip2::http::types::{Fields, HeaderError, OutgoingRequest, OutgoingResponse};

#[path = "../../shared/http_fields_checks.rs"]
mod shared;
pub(crate) use shared::get;
use shared::*;

pub fn entries(f: &Fields) -> Vec<(String, String)> {
    f.entries()
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
    immutable();
}
/// Asserts every mutation of `f` fails with `immutable` and leaves it as
/// it was (and as `expect`, when given); then that its clone is mutable.
pub fn assert_immutable(what: &str, f: &Fields, expect: Option<&[(&str, &str)]>) {
    let im = Err(HeaderError::Immutable);
    let before = entries(f);
    if let Some(expect) = expect {
        eq(&format!("{what}: entries"), pairs(expect), before.clone());
    }
    eq(
        &format!("{what}: append"),
        im,
        err_of(f.append("x-new", b"v")),
    );
    eq(
        &format!("{what}: set"),
        im,
        err_of(f.set("x-new", &[b"v".to_vec()])),
    );
    if let Some((n, _)) = before.first() {
        eq(
            &format!("{what}: set existing"),
            im,
            err_of(f.set(n, &[b"v".to_vec()])),
        );
        eq(
            &format!("{what}: append existing"),
            im,
            err_of(f.append(n, b"v")),
        );
        eq(&format!("{what}: delete existing"), im, err_of(f.delete(n)));
    }
    eq(
        &format!("{what}: delete absent"),
        im,
        err_of(f.delete("x-absent")),
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

fn immutable() {
    let h = Fields::from_list(&list(&[("x-req", b"1")])).unwrap();
    let req = OutgoingRequest::new(h);
    {
        let h = req.headers();
        assert_immutable("outgoing-request headers", &h, Some(&[("x-req", "1")]));
    }
    {
        // A second `headers()` still sees the original, untouched.
        let h = req.headers();
        eqs(
            "outgoing-request headers again",
            vec!["1"],
            get(&h, "x-req"),
        );
        eq(
            "outgoing-request headers again: no x-new",
            false,
            h.has("x-new"),
        );
    }
    drop(req);

    let h = Fields::from_list(&list(&[("x-resp", b"2")])).unwrap();
    let resp = OutgoingResponse::new(h);
    {
        let h = resp.headers();
        assert_immutable("outgoing-response headers", &h, Some(&[("x-resp", "2")]));
    }
    drop(resp);
}
