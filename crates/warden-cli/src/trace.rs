//! The call trace: one record per WASI call, of every version.
//!
//! WASI 0.1 calls are events of target `wasi` with the fields `interface`,
//! `function`, `args`, `result` and `duration_ns` (`warden-p1`'s
//! `wasi_functions!`). WASI 0.2, 0.3 and wasi:http calls are the spans
//! `wit-bindgen import` that wasmtime's `bindgen!` wraps around each host
//! function (`imports: { default: … | tracing }`), with a `call` event
//! holding the arguments and a `return` event holding the result. This
//! layer turns both into the same record, printed as a line on stderr
//! (`WARDEN_LOG=wasi=trace`) or written as one JSON object per line
//! (`--trace FILE`). Lists and buffers are summarised (`"..."`); guest
//! strings are escaped, by `Debug` and by JSON.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The name wasmtime's bindgen gives the span around a host function.
const BINDGEN_SPAN: &str = "wit-bindgen import";

/// Where the records go.
pub struct CallTrace {
    /// Human lines on stderr.
    pub stderr: bool,
    /// JSON lines into this file.
    pub json: Option<Mutex<std::fs::File>>,
}

/// One call.
struct Call {
    version: &'static str,
    interface: String,
    function: String,
    args: String,
    result: String,
    duration_ns: u64,
}

/// What a span of bindgen's gathers until it closes.
struct Pending {
    started: Instant,
    version: &'static str,
    interface: String,
    function: String,
    args: String,
    result: String,
}

/// Whether `meta` can make a record: what the layer asks to see.
pub fn is_call(meta: &Metadata<'_>) -> bool {
    let t = meta.target();
    t == "wasi"
        || t.starts_with("warden_p2::")
        || t.starts_with("warden_p3::")
        || t.starts_with("warden_http::")
}

/// `warden_p2::bindings::wasi::filesystem::types` → ("0.2",
/// "wasi:filesystem/types").
fn interface_of(target: &str) -> (&'static str, String) {
    let version = if target.starts_with("warden_p3::") || target.contains("::p3::") {
        "0.3"
    } else {
        "0.2"
    };
    let path = target.split("::bindings::").nth(1).unwrap_or(target);
    // Rust modules are snake_case; WIT names are kebab-case.
    let parts: Vec<String> = path.split("::").map(|p| p.replace('_', "-")).collect();
    let interface = match parts.as_slice() {
        [ns, pkg, rest @ ..] if !rest.is_empty() => format!("{ns}:{pkg}/{}", rest.join("/")),
        _ => parts.join("/"),
    };
    (version, interface)
}

#[derive(Default)]
struct Fields {
    message: String,
    pairs: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.pairs
                .push((field.name().to_owned(), format!("{value:?}")));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.pairs.push((field.name().to_owned(), value.to_owned()));
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.pairs
            .push((field.name().to_owned(), value.to_string()));
    }
}

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl CallTrace {
    fn emit(&self, call: Call) {
        if self.stderr {
            let took = call.duration_ns as f64 / 1e3;
            eprintln!(
                "wasi {} {}::{}({}) -> {} ({took:.1}µs)",
                call.version, call.interface, call.function, call.args, call.result
            );
        }
        if let Some(file) = &self.json {
            let mut line = serde_json::json!({
                "version": call.version,
                "interface": call.interface,
                "function": call.function,
                "args": call.args,
                "result": call.result,
                "duration_ns": call.duration_ns,
            })
            .to_string();
            line.push('\n');
            if let Ok(mut f) = file.lock() {
                // One write per record, unbuffered: the process may end
                // with `exit` at any call.
                let _ = f.write_all(line.as_bytes());
            }
        }
    }
}

impl<S> Layer<S> for CallTrace
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        if meta.name() != BINDGEN_SPAN {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let (version, interface) = interface_of(meta.target());
        let pending = Pending {
            started: Instant::now(),
            version,
            interface,
            function: fields
                .get("function")
                .unwrap_or("?")
                .trim_matches('"')
                .to_owned(),
            args: String::new(),
            result: String::new(),
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(pending);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if event.metadata().target() == "wasi" {
            let get = |n: &str| fields.get(n).unwrap_or_default().to_owned();
            self.emit(Call {
                version: "0.1",
                interface: get("interface"),
                function: get("function"),
                args: get("args"),
                result: get("result"),
                duration_ns: get("duration_ns").parse().unwrap_or(0),
            });
            return;
        }
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let mut ext = span.extensions_mut();
        let Some(pending) = ext.get_mut::<Pending>() else {
            return;
        };
        match fields.message.as_str() {
            "call" => {
                let mut args = String::new();
                for (i, (name, value)) in fields.pairs.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    // `self` is a keyword in Rust, so bindgen says `self_`.
                    let name = if name == "self_" { "self" } else { name };
                    let _ = write!(args, "{sep}{name}={value}");
                }
                pending.args = args;
            }
            "return" => {
                // The host function's own `Result` (Ok unless it trapped)
                // says nothing the guest sees.
                let r = fields.get("result").unwrap_or_default();
                let r = r
                    .strip_prefix("Ok(")
                    .and_then(|r| r.strip_suffix(')'))
                    .unwrap_or(r);
                pending.result = r.to_owned();
            }
            _ => {}
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(p) = span.extensions_mut().remove::<Pending>() else {
            return;
        };
        self.emit(Call {
            version: p.version,
            interface: p.interface,
            function: p.function,
            args: p.args,
            result: p.result,
            duration_ns: p.started.elapsed().as_nanos() as u64,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_from_targets() {
        assert_eq!(
            interface_of("warden_p2::bindings::wasi::filesystem::types"),
            ("0.2", "wasi:filesystem/types".to_owned())
        );
        assert_eq!(
            interface_of("warden_p3::bindings::wasi::cli::environment"),
            ("0.3", "wasi:cli/environment".to_owned())
        );
        assert_eq!(
            interface_of("warden_http::p3::bindings::wasi::http::types"),
            ("0.3", "wasi:http/types".to_owned())
        );
        assert_eq!(
            interface_of("warden_http::bindings::wasi::http::outgoing_handler"),
            ("0.2", "wasi:http/outgoing-handler".to_owned())
        );
    }
}
