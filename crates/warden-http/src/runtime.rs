//! The tokio runtime every HTTP task runs on (the client's connections,
//! the bodies' pumps, `warden serve`'s server): one per process.

use std::sync::OnceLock;

/// The runtime every HTTP task of this process runs on: connections,
/// body pumps, and `warden serve`'s listener.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("warden-http")
            .enable_all()
            .build()
            .expect("cannot start the HTTP runtime")
    })
}
