//! A wasi:http@0.3 service for `warden serve` tests
//! (crates/warden-cli/tests/http_serve_p3.rs). Routes:
//!
//! - `/hello`: 200, `hello from warden p3\n`, `content-type: text/plain`.
//! - `/echo`: 200, streams the request body back with the request's
//!   trailers (and its `trailer` header, so HTTP/1.1 may send them).
//! - `/headers`: 200, the request's method, path, authority and headers,
//!   one per line (`name: value`).
//! - `/status/N`: status N, empty body.
//! - `/trap`: panics (a trap).
//! - `/sleep`: waits for ever on a future nobody completes.
//! - `/fetch`: sends a GET to the URL in the `x-fetch-url` header
//!   (`http://AUTHORITY/PATH`) with wasi:http/client@0.3 and answers with
//!   the response it got (status, headers, body streamed through); an
//!   error from `send` is returned as the handler's error.

use wasip3::http::types::{ErrorCode, Fields, Request, Response, Scheme};
use wasip3::{wit_bindgen, wit_future, wit_stream};

wasip3::http::service::export!(Proxy);

struct Proxy;

fn respond(status: u16, headers: &[(&str, &[u8])], body: Vec<u8>) -> Result<Response, ErrorCode> {
    let list: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    let fields = Fields::from_list(&list).expect("valid headers");
    let (mut tx, rx) = wit_stream::new();
    let (trailers_tx, trailers_rx) = wit_future::new(|| Ok(None));
    drop(trailers_tx);
    let (response, _done) = Response::new(fields, Some(rx), trailers_rx);
    response.set_status_code(status).expect("valid status");
    wit_bindgen::spawn_local(async move {
        let left = tx.write_all(body).await;
        assert!(left.is_empty());
    });
    Ok(response)
}

impl wasip3::exports::http::handler::Guest for Proxy {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        let path = request.get_path_with_query().unwrap_or_default();
        match path.as_str() {
            "/hello" => respond(
                200,
                &[("content-type", b"text/plain")],
                b"hello from warden p3\n".to_vec(),
            ),
            "/echo" => {
                let headers = request.get_headers();
                let mut out = vec![];
                for name in ["content-type", "trailer"] {
                    for v in headers.get(name) {
                        out.push((name.to_string(), v));
                    }
                }
                let (_res_tx, res_rx) = wit_future::new(|| Ok(()));
                let (body, trailers) = Request::consume_body(request, res_rx);
                let fields = Fields::from_list(&out).expect("valid headers");
                let (response, _done) = Response::new(fields, Some(body), trailers);
                Ok(response)
            }
            "/headers" => {
                let mut text = format!(
                    "method: {:?}\npath: {}\nauthority: {}\n",
                    request.get_method(),
                    path,
                    request.get_authority().unwrap_or_default()
                );
                for (n, v) in request.get_headers().copy_all() {
                    text.push_str(&format!("{n}: {}\n", String::from_utf8_lossy(&v)));
                }
                respond(200, &[], text.into_bytes())
            }
            "/trap" => panic!("p3-http-proxy: /trap requested"),
            "/sleep" => {
                let (_tx, rx) = wit_future::new::<Result<(), ErrorCode>>(|| Ok(()));
                // `_tx` lives as long as this wait: it never completes.
                let _ = rx.await;
                respond(200, &[], b"woke up\n".to_vec())
            }
            "/fetch" => {
                let url = request
                    .get_headers()
                    .get("x-fetch-url")
                    .into_iter()
                    .next()
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_default();
                let rest = url.strip_prefix("http://").unwrap_or(&url);
                let (authority, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => (rest, "/"),
                };
                let (trailers_tx, trailers_rx) = wit_future::new(|| Ok(None));
                drop(trailers_tx);
                let (out, _sent) = Request::new(Fields::new(), None, trailers_rx, None);
                out.set_scheme(Some(&Scheme::Http)).expect("scheme");
                out.set_authority(Some(authority))
                    .map_err(|()| ErrorCode::HttpRequestUriInvalid)?;
                out.set_path_with_query(Some(path))
                    .map_err(|()| ErrorCode::HttpRequestUriInvalid)?;
                wasip3::http::client::send(out).await
            }
            p if p.starts_with("/status/") => {
                let status = p["/status/".len()..].parse::<u16>().unwrap_or(500);
                respond(status, &[], Vec::new())
            }
            _ => respond(404, &[], b"no such route\n".to_vec()),
        }
    }
}
