//! Links the component with no WASI adapter: wasm-component-ld would
//! otherwise merge the imports with its built-in adapter's newer 0.2.x
//! interfaces, and the component would no longer import `@0.2.0`.
fn main() {
    println!("cargo:rustc-link-arg-cdylib=--wasi-adapter=none");
}
