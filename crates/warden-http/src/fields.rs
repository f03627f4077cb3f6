//! `wasi:http/types.fields`: headers and trailers.
//!
//! Names are stored lower-case (HTTP field names are case-insensitive, RFC
//! 9110 §5.1) in insertion order. Which names are forbidden and which
//! fields are immutable: docs/http.md.

use crate::bindings::wasi::http::types::{FieldName, FieldValue, HeaderError, HostFields};
use crate::HttpView;
use wasmtime::component::Resource;

/// Field names a guest may not set: hop-by-hop fields (RFC 9110 §7.6.1,
/// RFC 9113 §8.2.2) and `host`, which the request's authority owns.
pub const FORBIDDEN: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

/// Most entries one `fields` may hold, and most bytes of names and values
/// together: a guest cannot make the host hold unbounded headers.
pub const MAX_ENTRIES: usize = 1024;
pub const MAX_BYTES: usize = 1 << 20;

/// A `fields` resource.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub entries: Vec<(String, Vec<u8>)>,
    /// Fields owned by a request, response or future: every change fails
    /// with `immutable`.
    pub immutable: bool,
}

impl Fields {
    pub fn immutable(entries: Vec<(String, Vec<u8>)>) -> Fields {
        Fields {
            entries,
            immutable: true,
        }
    }

    fn bytes(&self) -> usize {
        self.entries.iter().map(|(n, v)| n.len() + v.len()).sum()
    }

    /// Values of `name` (already lower-case), in insertion order.
    pub fn get<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// A `token` (RFC 9110 §5.6.2).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A `field-value` (RFC 9110 §5.5): visible characters, spaces and tabs
/// inside, none at either end; obs-text allowed; never CR, LF or NUL.
fn is_field_value(v: &[u8]) -> bool {
    let ok = |b: &u8| *b == b'\t' || *b == b' ' || (0x21..=0x7e).contains(b) || *b >= 0x80;
    let edge = |b: Option<&u8>| !matches!(b, Some(b' ') | Some(b'\t'));
    v.iter().all(ok) && edge(v.first()) && edge(v.last())
}

/// Checks a name for `set`/`append`/`delete`/`from-list` and returns it
/// lower-case.
pub fn check_name(name: &str) -> Result<String, HeaderError> {
    if !is_token(name) {
        return Err(HeaderError::InvalidSyntax);
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN.contains(&lower.as_str()) {
        return Err(HeaderError::Forbidden);
    }
    Ok(lower)
}

fn check_value(v: &[u8]) -> Result<(), HeaderError> {
    if is_field_value(v) {
        Ok(())
    } else {
        Err(HeaderError::InvalidSyntax)
    }
}

/// Fields from a host `HeaderMap` (a response or an incoming request),
/// without the forbidden ones.
pub fn from_header_map(map: &http::HeaderMap) -> Vec<(String, Vec<u8>)> {
    map.iter()
        .filter(|(n, _)| !FORBIDDEN.contains(&n.as_str()))
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

/// A host `HeaderMap` from fields already checked.
pub fn to_header_map(entries: &[(String, Vec<u8>)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::with_capacity(entries.len());
    for (n, v) in entries {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(n.as_bytes()),
            http::HeaderValue::from_bytes(v),
        ) {
            map.append(n, v);
        }
    }
    map
}

impl HttpView<'_> {
    fn fields(&mut self, f: &Resource<Fields>) -> wasmtime::Result<&mut Fields> {
        Ok(self.wasi.table.get_mut(f)?)
    }

    /// Takes the entries of an owned `fields` handle passed to a
    /// constructor.
    pub(crate) fn take_fields(
        &mut self,
        f: Resource<Fields>,
    ) -> wasmtime::Result<Vec<(String, Vec<u8>)>> {
        Ok(self.wasi.table.delete(f)?.entries)
    }

    /// Mutable fields and a checked, lower-cased name, or why not.
    fn mutable_named(
        &mut self,
        f: &Resource<Fields>,
        name: &str,
    ) -> wasmtime::Result<Result<(&mut Fields, String), HeaderError>> {
        let fields = self.fields(f)?;
        if fields.immutable {
            return Ok(Err(HeaderError::Immutable));
        }
        Ok(check_name(name).map(|n| (fields, n)))
    }

    pub(crate) fn push_fields(&mut self, f: Fields) -> wasmtime::Result<Resource<Fields>> {
        Ok(self.wasi.table.push(f)?)
    }
}

/// Applies a change to mutable fields within the size limits.
fn mutate(
    f: &mut Fields,
    change: impl FnOnce(&mut Vec<(String, Vec<u8>)>),
) -> Result<(), HeaderError> {
    if f.immutable {
        return Err(HeaderError::Immutable);
    }
    let mut entries = std::mem::take(&mut f.entries);
    let before = entries.clone();
    change(&mut entries);
    f.entries = entries;
    if f.entries.len() > MAX_ENTRIES || f.bytes() > MAX_BYTES {
        // Too big for the host to hold: refused like a bad field.
        f.entries = before;
        return Err(HeaderError::InvalidSyntax);
    }
    Ok(())
}

impl HostFields for HttpView<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<Fields>> {
        self.push_fields(Fields::default())
    }

    fn from_list(
        &mut self,
        list: Vec<(FieldName, FieldValue)>,
    ) -> wasmtime::Result<Result<Resource<Fields>, HeaderError>> {
        let mut f = Fields::default();
        for (name, value) in list {
            let name = match check_name(&name) {
                Ok(n) => n,
                Err(e) => return Ok(Err(e)),
            };
            if let Err(e) = check_value(&value) {
                return Ok(Err(e));
            }
            if let Err(e) = mutate(&mut f, |en| en.push((name, value))) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(self.push_fields(f)?))
    }

    fn get(&mut self, f: Resource<Fields>, name: FieldName) -> wasmtime::Result<Vec<FieldValue>> {
        let name = name.to_ascii_lowercase();
        Ok(self.fields(&f)?.get(&name).map(<[u8]>::to_vec).collect())
    }

    fn has(&mut self, f: Resource<Fields>, name: FieldName) -> wasmtime::Result<bool> {
        let name = name.to_ascii_lowercase();
        let found = self.fields(&f)?.get(&name).next().is_some();
        Ok(found)
    }

    fn set(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
        values: Vec<FieldValue>,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        let (fields, name) = match self.mutable_named(&f, &name)? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        if let Some(e) = values.iter().find_map(|v| check_value(v).err()) {
            return Ok(Err(e));
        }
        Ok(mutate(fields, |en| {
            en.retain(|(n, _)| *n != name);
            en.extend(values.into_iter().map(|v| (name.clone(), v)));
        }))
    }

    fn delete(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        let (fields, name) = match self.mutable_named(&f, &name)? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        Ok(mutate(fields, |en| en.retain(|(n, _)| *n != name)))
    }

    fn append(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
        value: FieldValue,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        let (fields, name) = match self.mutable_named(&f, &name)? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = check_value(&value) {
            return Ok(Err(e));
        }
        Ok(mutate(fields, |en| en.push((name, value))))
    }

    fn entries(&mut self, f: Resource<Fields>) -> wasmtime::Result<Vec<(FieldName, FieldValue)>> {
        Ok(self.fields(&f)?.entries.clone())
    }

    fn clone(&mut self, f: Resource<Fields>) -> wasmtime::Result<Resource<Fields>> {
        let entries = self.fields(&f)?.entries.clone();
        self.push_fields(Fields {
            entries,
            immutable: false,
        })
    }

    fn drop(&mut self, f: Resource<Fields>) -> wasmtime::Result<()> {
        self.wasi.table.delete(f)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert_eq!(check_name("Content-Type").unwrap(), "content-type");
        assert!(matches!(
            check_name("bad name"),
            Err(HeaderError::InvalidSyntax)
        ));
        assert!(matches!(check_name(""), Err(HeaderError::InvalidSyntax)));
        assert!(matches!(
            check_name("Connection"),
            Err(HeaderError::Forbidden)
        ));
        assert!(is_field_value(b"text/plain; charset=utf-8"));
        assert!(is_field_value(b""));
        assert!(!is_field_value(b"a\r\nb"));
        assert!(!is_field_value(b" lead"));
        assert!(!is_field_value(b"nul\0"));
    }
}
