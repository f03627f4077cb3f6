//! `print` for the WASI 0.3 guests (`p3-hello`, `p3-misuse`, `p3-bench`):
//! `text` through a new 0.3 stdout stream, all of it taken by the host.
//! Each guest includes this file as its module `p3_print`
//! (`#[path = "../../shared/p3_print.rs"]`).

use wasip3::cli::stdout;

pub async fn print(text: String) {
    let (mut tx, rx) = wasip3::wit_stream::new();
    let done = stdout::write_via_stream(rx);
    let rest = tx.write_all(text.into_bytes()).await;
    assert!(rest.is_empty(), "stdout took only part of the text");
    drop(tx);
    done.await.expect("stdout stream failed");
}
