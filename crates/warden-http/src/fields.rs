//! `wasi:http/types.fields`: headers and trailers.
//!
//! Names are stored lower-case (HTTP field names are case-insensitive, RFC
//! 9110 §5.1) in insertion order. Which names are forbidden and which
//! fields are immutable: docs/http.md.

use crate::bindings::wasi::http::types::{FieldName, FieldValue, HeaderError, HostFields};
use crate::HttpView;
use warden_kernel::held::{Held, HeldBytes, HeldError, DEFAULT_MAX_ONE, ENTRY_OVERHEAD};
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

/// Most entries one `fields` may hold. Its bytes are bounded by the
/// kernel's [`HeldBytes`] (`-S max-http-fields-size`, and with every other
/// `fields` of the instance, `-S max-http-fields-total`): a guest cannot
/// make the host hold unbounded headers.
pub const MAX_ENTRIES: usize = 1024;

/// A `fields` resource.
#[derive(Debug, Default)]
pub struct Fields {
    pub entries: Vec<(String, Vec<u8>)>,
    /// Fields owned by a request, response or future: every change fails
    /// with `immutable`.
    pub immutable: bool,
    /// The charge of fields a guest made (`new`, `from-list`, `clone`)
    /// against its instance's budget; host-made fields are bounded where
    /// they come from (the server's and client's header limits).
    held: Option<Held>,
}

/// A copy the host makes for itself is not charged to the guest.
impl Clone for Fields {
    fn clone(&self) -> Fields {
        Fields {
            entries: self.entries.clone(),
            immutable: self.immutable,
            held: None,
        }
    }
}

impl Fields {
    pub fn immutable(entries: Vec<(String, Vec<u8>)>) -> Fields {
        Fields {
            entries,
            immutable: true,
            held: None,
        }
    }

    /// Empty fields made by the guest, charged to `budget`.
    pub fn charged(budget: &HeldBytes) -> Fields {
        Fields {
            held: Some(budget.hold()),
            ..Fields::default()
        }
    }

    /// Values of `name` (already lower-case), in insertion order.
    pub fn get<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// What entries cost the host: their bytes and a little per entry.
fn cost(entries: &[(String, Vec<u8>)]) -> usize {
    entries
        .iter()
        .map(|(n, v)| n.len() + v.len() + ENTRY_OVERHEAD)
        .sum()
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
    /// The instance's `fields` together would pass this many bytes
    /// (`-S max-http-fields-total`): a trap, see [`answer`].
    HeldTotal(usize),
}

impl From<FieldError> for HeaderError {
    fn from(e: FieldError) -> HeaderError {
        match e {
            FieldError::InvalidSyntax | FieldError::SizeExceeded | FieldError::HeldTotal(_) => {
                HeaderError::InvalidSyntax
            }
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
    /// Fields from a guest's list, charged to `budget`: every name and
    /// value checked.
    pub fn from_list(
        list: Vec<(String, Vec<u8>)>,
        budget: &HeldBytes,
    ) -> Result<Fields, FieldError> {
        let mut f = Fields::charged(budget);
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

    /// A mutable copy (`clone`) for the guest, charged to `budget`.
    pub fn clone_mutable(&self, budget: &HeldBytes) -> Result<Fields, FieldError> {
        let mut copy = Fields::charged(budget);
        let entries = self.entries.clone();
        mutate(&mut copy, |en| *en = entries)?;
        Ok(copy)
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

    /// The entries of fields the guest hands over, with their charge: the
    /// request or response that keeps them keeps it too.
    pub(crate) fn take_fields(
        &mut self,
        f: Resource<Fields>,
    ) -> wasmtime::Result<(crate::body::FieldList, Option<Held>)> {
        let f = self.wasi.table.delete(f)?;
        Ok((f.entries, f.held))
    }

    pub(crate) fn push_fields(&mut self, f: Fields) -> wasmtime::Result<Resource<Fields>> {
        Ok(self.wasi.table.push(f)?)
    }
}

/// Applies `change` to a copy of the entries and keeps it only if it fits:
/// at most [`MAX_ENTRIES`], and its cost charged (a refused charge changes
/// nothing, so a refused change leaves fields and charge as they were).
fn mutate(
    f: &mut Fields,
    change: impl FnOnce(&mut Vec<(String, Vec<u8>)>),
) -> Result<(), FieldError> {
    if f.immutable {
        return Err(FieldError::Immutable);
    }
    let mut entries = f.entries.clone();
    change(&mut entries);
    if entries.len() > MAX_ENTRIES {
        return Err(FieldError::SizeExceeded);
    }
    let bytes = cost(&entries);
    match &mut f.held {
        Some(held) => held.resize(bytes).map_err(|e| match e {
            HeldError::One => FieldError::SizeExceeded,
            HeldError::Total(max) => FieldError::HeldTotal(max),
        })?,
        None if bytes > DEFAULT_MAX_ONE => return Err(FieldError::SizeExceeded),
        None => {}
    }
    f.entries = entries;
    Ok(())
}

/// A `fields` method's answer for the guest: its WASI error, or a trap
/// naming the limit when the instance's fields together would pass
/// `-S max-http-fields-total` (a guest that holds that much is not going
/// to recover), and, where the version has no error for it
/// (`size_is_trap`: 0.2's `header-error` has no `size-exceeded`), when one
/// `fields` would pass `-S max-http-fields-size` — as Wasmtime does.
pub(crate) fn answer<T, E: From<FieldError>>(
    r: Result<T, FieldError>,
    size_is_trap: bool,
) -> wasmtime::Result<Result<T, E>> {
    match r {
        Err(FieldError::HeldTotal(max)) => Err(wasmtime::format_err!(
            "the guest's HTTP fields would hold more than {max} bytes of host memory (-S max-http-fields-total)"
        )),
        Err(FieldError::SizeExceeded) if size_is_trap => Err(wasmtime::format_err!(
            "one HTTP fields would pass its limit of entries or bytes (-S max-http-fields-size)"
        )),
        r => Ok(r.map_err(E::from)),
    }
}

impl HostFields for HttpView<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<Fields>> {
        let f = Fields::charged(&self.wasi.kernel.held);
        self.push_fields(f)
    }

    fn from_list(
        &mut self,
        list: Vec<(FieldName, FieldValue)>,
    ) -> wasmtime::Result<Result<Resource<Fields>, HeaderError>> {
        match answer(Fields::from_list(list, &self.wasi.kernel.held), true)? {
            Ok(f) => Ok(Ok(self.push_fields(f)?)),
            Err(e) => Ok(Err(e)),
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
        answer(self.fields(&f)?.set(&name, values), true)
    }

    fn delete(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        answer(self.fields(&f)?.delete(&name).map(drop), true)
    }

    fn append(
        &mut self,
        f: Resource<Fields>,
        name: FieldName,
        value: FieldValue,
    ) -> wasmtime::Result<Result<(), HeaderError>> {
        answer(self.fields(&f)?.append(&name, value), true)
    }

    fn entries(&mut self, f: Resource<Fields>) -> wasmtime::Result<Vec<(FieldName, FieldValue)>> {
        Ok(self.fields(&f)?.entries.clone())
    }

    fn clone(&mut self, f: Resource<Fields>) -> wasmtime::Result<Resource<Fields>> {
        let copy = {
            let src: &Fields = self.wasi.table.get(&f)?;
            src.clone_mutable(&self.wasi.kernel.held)
        };
        match answer::<_, HeaderError>(copy, true)? {
            Ok(copy) => self.push_fields(copy),
            // `clone` has no error: a copy over one fields' bound (of
            // headers the host received, say) is a trap too.
            Err(e) => wasmtime::bail!("cannot copy the fields: {e:?}"),
        }
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

    /// Guest-made fields are charged as they grow and give their bytes
    /// back when dropped; a refused change leaves both fields and charge as
    /// they were.
    #[test]
    fn guest_fields_are_charged_to_the_instance() {
        let budget = HeldBytes::new(1000, 1500);
        let mut a = Fields::charged(&budget);
        a.append("x", vec![b'v'; 500]).unwrap();
        assert_eq!(budget.used(), 1 + 500 + ENTRY_OVERHEAD);
        assert_eq!(
            a.append("y", vec![b'v'; 500]),
            Err(FieldError::SizeExceeded)
        );
        assert_eq!((a.entries.len(), budget.used()), (1, 565));
        let b = Fields::from_list(vec![("z".into(), vec![b'v'; 800])], &budget).unwrap();
        let c = b.clone_mutable(&budget);
        assert_eq!(c.err(), Some(FieldError::HeldTotal(1500)));
        assert_eq!(budget.used(), 565 + 865);
        // A copy the host makes for itself is not charged.
        let host_copy = b.clone();
        drop((a, b));
        assert_eq!(budget.used(), 0);
        drop(host_copy);
        assert_eq!(budget.used(), 0);
    }
}
