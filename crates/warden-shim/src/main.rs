//! `containerd-shim-warden-v1`: the binary containerd starts for a
//! container whose runtime is `io.containerd.warden.v1`.

#[cfg(target_os = "linux")]
fn main() {
    use containerd_shim_wasm::shim::Cli as _;
    // Before the shim forks anything: every container's runner inherits it.
    warden_shim::host_dirs::open_before_containers();
    warden_shim::operator::load_before_containers();
    warden_shim::WardenShim::run(None);
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("containerd-shim-warden-v1 runs on Linux nodes only");
    std::process::exit(1);
}
