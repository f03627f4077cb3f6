//! wasi:http@0.3 client and types, through the `wasip3` bindings, checked
//! against docs/http.md and wit/p3/deps/http.wit.
//!
//! `p3-http-client SCENARIO [URL]` — one scenario per run; the test
//! (crates/warden-cli/tests/http_client_p3.rs) starts the loopback server
//! the URL points at and picks warden's grants:
//!
//! - `fields`, `request`: the `fields`, `request`, `response` and
//!   `request-options` resources; no network.
//! - `get`, `hello`, `post`, `length`, `https`: requests that must succeed
//!   (or, for `length`, fail with an exact code); see client.rs.
//! - `denied`, `refused`, `connect-timeout`, `first-byte-timeout`,
//!   `between-bytes-timeout`, `cut`, `malformed`, `https-untrusted`:
//!   requests that must fail with an exact error code.
//!
//! Prints `scenario NAME` first; every wait is bounded by a monotonic-clock
//! deadline. A failing check prints `FAIL <name>: expected X got Y` to
//! stderr and the run goes on; at the end `ok <count> checks` goes to
//! stdout (exit 0), or `failed F of N checks` (exit 1).

mod check;
mod client;
mod fields;
mod net;
mod request;

use wasip3::cli::{environment, exit};

wasip3::cli::command::export!(HttpClient);

struct HttpClient;

impl wasip3::exports::cli::run::Guest for HttpClient {
    async fn run() -> Result<(), ()> {
        let argv = environment::get_arguments();
        let scenario = argv.get(1).cloned().unwrap_or_default();
        check::out(format!("scenario {scenario}"));
        check::flush().await;
        let target = || match argv.get(2) {
            Some(url) => Some(net::Target::parse(url)),
            None => {
                check::err(format!("scenario {scenario} needs a URL argument"));
                None
            }
        };
        let known = match scenario.as_str() {
            "fields" => {
                fields::run();
                true
            }
            "request" => {
                request::run().await;
                true
            }
            "get"
            | "hello"
            | "post"
            | "length"
            | "denied"
            | "refused"
            | "connect-timeout"
            | "first-byte-timeout"
            | "between-bytes-timeout"
            | "cut"
            | "malformed"
            | "https"
            | "https-untrusted" => {
                let Some(t) = target() else {
                    check::flush().await;
                    exit::exit_with_code(2);
                    return Err(());
                };
                match scenario.as_str() {
                    "get" => client::get_scenario(&t).await,
                    "hello" => client::hello_scenario(&t).await,
                    "post" => client::post_scenario(&t).await,
                    "length" => client::length_scenario(&t).await,
                    "denied" => client::denied_scenario(&t).await,
                    "refused" => client::refused_scenario(&t).await,
                    "connect-timeout" => client::connect_timeout_scenario(&t).await,
                    "first-byte-timeout" => client::first_byte_scenario(&t).await,
                    "between-bytes-timeout" => client::between_bytes_scenario(&t).await,
                    "cut" => client::cut_scenario(&t).await,
                    "malformed" => client::malformed_scenario(&t).await,
                    "https" => client::https_scenario(&t).await,
                    _ => client::https_untrusted_scenario(&t).await,
                }
                true
            }
            _ => false,
        };
        if !known {
            check::err(format!("p3-http-client: unknown scenario {scenario:?}"));
            check::flush().await;
            exit::exit_with_code(2);
            return Err(());
        }
        if check::finish().await {
            Ok(())
        } else {
            exit::exit_with_code(1);
            Err(())
        }
    }
}
