//! wasi:http 0.2 outgoing requests, through the raw `wasip2` bindings,
//! checked against docs/http.md and wit/p2/deps/http.wit.
//!
//! `p2-http-client SCENARIO [URL]` — one scenario per run; the test
//! (crates/warden-cli/tests/http_client.rs) starts the loopback server the
//! URL points at and picks warden's grants:
//!
//! - `fields`, `request`: the `fields`, `outgoing-request`,
//!   `outgoing-response` and `request-options` resources; no network.
//! - `get`, `hello`, `post`, `trailers-undeclared`, `trailers-repeated`,
//!   `length`, `large`,
//!   `https`: requests that must succeed (see client.rs for the routes).
//! - `denied`, `refused`, `connect-timeout`, `first-byte-timeout`,
//!   `between-bytes-timeout`, `cut`, `malformed`, `invalid`,
//!   `https-untrusted`: requests that must fail with an exact error code.
//!
//! Every wait is bounded by a monotonic-clock deadline. A failing check
//! prints `FAIL <name>: expected X got Y` to stderr and the run goes on; at
//! the end `ok <count> checks` goes to stdout (exit 0), or
//! `failed F of N checks` (exit 1).

mod check;
mod client;
mod fields;
mod net;
mod request;

fn main() {
    let argv = wasip2::cli::environment::get_arguments();
    let scenario = argv.get(1).map(String::as_str).unwrap_or("");
    println!("scenario {scenario}");
    let target = || match argv.get(2) {
        Some(url) => net::Target::parse(url),
        None => {
            eprintln!("scenario {scenario} needs a URL argument");
            std::process::exit(2);
        }
    };
    match scenario {
        "fields" => fields::run(),
        "request" => request::run(),
        "get" => client::get_scenario(&target()),
        "hello" => client::hello_scenario(&target()),
        "post" => client::post_scenario(&target()),
        "trailers-undeclared" => client::undeclared_scenario(&target()),
        "trailers-repeated" => client::repeated_scenario(&target()),
        "length" => client::length_scenario(&target()),
        "permit" => client::permit_scenario(),
        "large" => client::large_scenario(&target()),
        "denied" => client::denied_scenario(&target()),
        "refused" => client::refused_scenario(&target()),
        "connect-timeout" => client::connect_timeout_scenario(&target()),
        "first-byte-timeout" => client::first_byte_scenario(&target()),
        "between-bytes-timeout" => client::between_bytes_scenario(&target()),
        "cut" => client::cut_scenario(&target()),
        "malformed" => client::malformed_scenario(&target()),
        "invalid" => client::invalid_scenario(&target()),
        "https" => client::https_scenario(&target()),
        "https-untrusted" => client::https_untrusted_scenario(&target()),
        other => {
            eprintln!("p2-http-client: unknown scenario {other:?}");
            std::process::exit(2);
        }
    }
    check::finish();
}
