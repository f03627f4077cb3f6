//! Imports wasi:http/types, so the component cannot link under a runtime
//! that does not provide it.
fn main() {
    let fields = wasip2::http::types::Fields::new();
    println!("{}", fields.entries().len());
}
