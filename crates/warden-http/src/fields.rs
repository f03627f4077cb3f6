//! `wasi:http/types.fields`: headers and trailers.
//!
//! Names are stored lower-case (HTTP field names are case-insensitive, RFC
//! 9110 §5.1) in insertion order. Which names are forbidden and which
//! fields are immutable: docs/http.md.

use crate::bindings::wasi::http::types::{FieldName, FieldValue, HeaderError, HostFields};
use crate::HttpView;
use wasmtime::component::Resource;

/// Field names a guest may not set: hop-by-hop fields (RFC 9110 §7.6.1,
/// RFC 9113 §8.2.2) and `host`, which the request's authority owns. The
/// same list as Wasmtime's, and `te` beside it (docs/compat.md).
pub const FORBIDDEN: &[&str] = &[
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

/// A `field-value` (RFC 9110 §5.5) as a guest may give it.
fn is_field_value(v: &[u8]) -> bool {
    // Any visible byte, obs-text, space and tab; no CR, LF or NUL. Leading
    // and trailing whitespace is accepted, as Wasmtime (http's HeaderValue)
    // and the official suite do: a value of one space, or of tabs only, is
    // valid, and the peer trims it (RFC 9110 §5.5).
    v.iter()
        .all(|b| *b == b'\t' || *b == b' ' || (0x21..=0x7e).contains(b) || *b >= 0x80)
}

/// Checks a name for `set`/`append`/`delete`/`from-list` and returns it
/// lower-case.
/// Why a change to fields was refused: WIT-neutral, so the 0.2 and 0.3
/// `header-error`s are both made from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldError {
    InvalidSyntax,
    Forbidden,
    Immutable,
    SizeExceeded,
}

impl From<FieldError> for HeaderError {
    fn from(e: FieldError) -> HeaderError {
        match e {
            FieldError::InvalidSyntax | FieldError::SizeExceeded => HeaderError::InvalidSyntax,
            FieldError::Forbidden => HeaderError::Forbidden,
            FieldError::Immutable => HeaderError::Immutable,
        }
    }
}

/// A valid, allowed field name, lower-cased.
pub fn check_name(name: &str) -> Result<String, FieldError> {
    if !is_token(name) {
        return Err(FieldError::InvalidSyntax);
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN.contains(&lower.as_str()) {
        return Err(FieldError::Forbidden);
    }
    Ok(lower)
}

fn check_value(v: &[u8]) -> Result<(), FieldError> {
    if is_field_value(v) {
        Ok(())
    } else {
        Err(FieldError::InvalidSyntax)
    }
}

pub fn from_header_map(map: &http::HeaderMap) -> Vec<(String, Vec<u8>)> {
    map.iter()
        .filter(|(n, _)| !FORBIDDEN.contains(&n.as_str()))
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

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

/// The rules of `fields`, shared by wasi:http 0.2 and 0.3.
impl Fields {
    /// Fields from a guest's list: every name and value checked.
    pub fn from_list(list: Vec<(String, Vec<u8>)>) -> Result<Fields, FieldError> {
        let mut f = Fields::default();
        for (name, value) in list {
            f.append(&name, value)?;
        }
        Ok(f)
    }

    /// Every value of `name` (any case).
    pub fn get_all(&self, name: &str) -> Vec<Vec<u8>> {
        let name = name.to_ascii_lowercase();
        self.get(&name).map(<[u8]>::to_vec).collect()
    }

    pub fn has(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let found = self.get(&name).next().is_some();
        found
    }

    /// A mutable copy (`clone`).
    pub fn clone_mutable(&self) -> Fields {
        Fields {
            entries: self.entries.clone(),
            immutable: false,
        }
    }

    fn mutable_named(&mut self, name: &str) -> Result<String, FieldError> {
        if self.immutable {
            return Err(FieldError::Immutable);
        }
        check_name(name)
    }

    /// Replaces the values of `name`.
    pub fn set(&mut self, name: &str, values: Vec<Vec<u8>>) -> Result<(), FieldError> {
        let name = self.mutable_named(name)?;
        if let Some(e) = values.iter().find_map(|v| check_value(v).err()) {
            return Err(e);
        }
        mutate(self, |en| {
            en.retain(|(n, _)| *n != name);
            en.extend(values.into_iter().map(|v| (name.clone(), v)));
        })
    }

    /// Removes `name`, returning its values.
    pub fn delete(&mut self, name: &str) -> Result<Vec<Vec<u8>>, FieldError> {
        let name = self.mutable_named(name)?;
        let values = self.get(&name).map(<[u8]>::to_vec).collect();
        mutate(self, |en| en.retain(|(n, _)| *n != name))?;
        Ok(values)
    }

    /// Adds one value of `name`.
    pub fn append(&mut self, name: &str, value: Vec<u8>) -> Result<(), FieldError> {
        let name = self.mutable_named(name)?;
        check_value(&value)?;
        mutate(self, |en| en.push((name, value)))
    }
}

impl HttpView<'_> {
    fn fields(&mut self, f: &Resource<Fields>) -> wasmtime::Result<&mut Fields> {
        Ok(self.wasi.table.get_mut(f)?)
    }

    pub(crate) fn take_fields(
        &mut self,
        f: Resource<Fields>,
    ) -> wasmtime::Result<Vec<(String, Vec<u8>)>> {
        Ok(self.wasi.table.delete(f)?.entries)
    }

    pub(crate) fn push_fields(&mut self, f: Fields) -> wasmtime::Result<Resource<Fields>> {
        Ok(self.wasi.table.push(f)?)
    }
}

fn mutate(
    f: &mut Fields,
    change: impl FnOnce(&mut Vec<(String, Vec<u8>)>),
) -> Result<(), FieldError> {
    if f.immutable {
        return Err(FieldError::Immutable);
    }
    let mut entries = std::mem::take(&mut f.entries);
    let before = entries.clone();
    change(&mut entries);
    f.entries = entries;
    if f.entries.len() > MAX_ENTRIES || f.bytes() > MAX_BYTES {
        f.entries = before;
        return Err(FieldError::SizeExceeded);
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
        match Fields::from_list(list) {
            Ok(f) => Ok(Ok(self.push_fields(f)?)),
            Err(e) => Ok(Err(e.into())),
        }
    }

    fn get(&mut self, f: Resource<Fields>, name: FieldName) -> wasmtime::Result<Vec<FieldValue>> {
        Ok(self.fields(&f)?.get_all(&name))
    }

    fn has(&mut self, f: Resource<Fields>, name: FieldName) -> wasmtime::Result<bool> {
        Ok(self.fields(&f)?.has(&name))
    }

    fn set(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
        values: Vec<FieldValue>,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        Ok(self.fields(&f)?.set(&name, values).map_err(Into::into))
    }

    fn delete(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        Ok(self.fields(&f)?.delete(&name).map(drop).map_err(Into::into))
    }

    fn append(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
        value: FieldValue,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        Ok(self.fields(&f)?.append(&name, value).map_err(Into::into))
    }

    fn entries(&mut self, f: Resource<Fields>) -> wasmtime::Result<Vec<(FieldName, FieldValue)>> {
        Ok(self.fields(&f)?.entries.clone())
    }

    fn clone(&mut self, f: Resource<Fields>) -> wasmtime::Result<Resource<Fields>> {
        let copy = self.fields(&f)?.clone_mutable();
        self.push_fields(copy)
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
            Err(FieldError::InvalidSyntax)
        ));
        assert!(matches!(check_name(""), Err(FieldError::InvalidSyntax)));
        assert!(matches!(
            check_name("Connection"),
            Err(FieldError::Forbidden)
        ));
        assert!(is_field_value(b"text/plain; charset=utf-8"));
        assert!(is_field_value(b""));
        assert!(!is_field_value(b"a\r\nb"));
        // Whitespace at the ends is valid, as in Wasmtime and the suite.
        assert!(is_field_value(b" lead"));
        assert!(is_field_value(b" \t"));
        assert!(!is_field_value(b"nul\0"));
    }
}
