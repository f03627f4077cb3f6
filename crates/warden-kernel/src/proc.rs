//! How a guest ends: by `proc_exit`/`wasi:cli/exit`, or by a signal it
//! raised on itself. Both stop the guest by unwinding out of the engine as an
//! error value, never by touching the host process.

/// The guest asked to exit with this status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("guest exited with status {0}")]
pub struct ProcExit(pub i32);

/// The guest raised a signal whose default action ends the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("guest terminated by signal {name} (raised by the guest itself)")]
pub struct Signalled {
    /// The WASI signal name, e.g. `term`.
    pub name: &'static str,
    /// The Linux number of the signal, for the exit status 128 + n.
    pub host_number: i32,
}

/// What raising a signal on the guest does.
pub enum SignalAction {
    /// The default action is to ignore it.
    Ignore,
    /// The default action stops the process (job control): not available.
    Stop,
    /// The default action ends the process.
    Terminate(Signalled),
}

/// The default action of WASI signal `sig` (witx `signal`), or `None` for a
/// number that is no signal.
pub fn signal_action(sig: u8) -> Option<SignalAction> {
    let (name, host_number) = match sig {
        0 => return Some(SignalAction::Ignore),
        1 => ("hup", 1),
        2 => ("int", 2),
        3 => ("quit", 3),
        4 => ("ill", 4),
        5 => ("trap", 5),
        6 => ("abrt", 6),
        7 => ("bus", 7),
        8 => ("fpe", 8),
        9 => ("kill", 9),
        10 => ("usr1", 10),
        11 => ("segv", 11),
        12 => ("usr2", 12),
        13 => ("pipe", 13),
        14 => ("alrm", 14),
        15 => ("term", 15),
        16 | 17 | 22 | 27 => return Some(SignalAction::Ignore), // chld, cont, urg, winch
        18..=21 => return Some(SignalAction::Stop),             // stop, tstp, ttin, ttou
        23 => ("xcpu", 24),
        24 => ("xfsz", 25),
        25 => ("vtalrm", 26),
        26 => ("prof", 27),
        28 => ("poll", 29),
        29 => ("pwr", 30),
        30 => ("sys", 31),
        _ => return None,
    };
    Some(SignalAction::Terminate(Signalled { name, host_number }))
}
