//! # warden
//!
//! Embed Warden: describe what a guest may touch with a [`SandboxBuilder`],
//! then run a WASI program in the [`Sandbox`].
//!
//! ```no_run
//! let outcome = warden::Sandbox::builder()
//!     .args(["app.wasm", "--verbose"])
//!     .env("LANG", "C")
//!     .preopen_dir("/srv/data", "/data")?
//!     .build()?
//!     .run_file("app.wasm".as_ref())?;
//! std::process::exit(outcome.exit_status());
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Nothing is granted by default: no directories, no environment, no
//! network. The standard streams are the host's.

pub mod cache;
mod heap;
mod invoke;
pub mod policy;
mod progress;
mod sandbox;
pub mod serve;
mod worker_pool;

pub use policy::Policy;
pub use sandbox::{Exit, Limits, Outcome, Sandbox, SandboxBuilder};
pub use serve::ServeOptions;
pub use warden_http as http;
pub use warden_kernel as kernel;
pub use warden_kernel::fs::memory::MemoryFs;
