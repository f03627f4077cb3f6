//! The names that mean something else to Windows than to a WASI guest.
//! Only the Windows host layer refuses them, but the rule is plain text
//! work, so it lives here, built and tested on every platform.

#![cfg_attr(not(windows), allow(dead_code))]

use crate::errno::{Errno, Result};

/// Refuses (`perm`, as an escape is) the spellings that mean something
/// else to Windows than to a WASI guest: `\` (a second separator), `:` (a
/// drive or an alternate data stream), a reserved device name in any
/// component (`CON`, `NUL`, `COM1.txt`…), a component ending in a dot or a
/// space (Windows drops them, so `a.` would be `a`), and the characters
/// Windows forbids in names. Run on every path before cap-std sees it.
pub fn check_path(path: &str) -> Result<()> {
    const DEVICES: &[&str] = &[
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$", "COM1", "COM2", "COM3", "COM4",
        "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT1", "LPT2", "LPT3",
        "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
    ];
    for name in path.split('/') {
        if name.is_empty() || name == "." || name == ".." {
            continue;
        }
        let forbidden =
            |c: char| matches!(c, '\\' | ':' | '<' | '>' | '"' | '|' | '?' | '*') || c < ' ';
        if name.chars().any(forbidden) || name.ends_with('.') || name.ends_with(' ') {
            return Err(Errno::Perm);
        }
        let stem = name.split('.').next().unwrap_or(name).trim_end();
        if DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem)) {
            return Err(Errno::Perm);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_spellings_are_refused() {
        for p in [
            r"..\outside",
            r"C:\Windows",
            "C:",
            "C:x",
            r"\\?\C:\",
            "a/CON",
            "nul",
            "NUL.txt",
            "com1.log",
            "LPT9",
            "CONIN$",
            "file:stream",
            "a.",
            "a ",
            "...",
            "x*",
            "x?",
            "x|",
            "x<",
            "x>",
            "x\"",
            "a/b\\c",
            "tab\there",
        ] {
            assert_eq!(check_path(p), Err(Errno::Perm), "{p:?}");
        }
    }

    #[test]
    fn ordinary_names_pass() {
        for p in [
            "a",
            "a/b/c.txt",
            ".",
            "..",
            "../x",
            "./a",
            "con_notes",
            "CONSOLE",
            "com10",
            "lpt",
            "a.b",
            ".hidden",
            "sub/",
            "a//b",
            "dir/./f",
        ] {
            assert_eq!(check_path(p), Ok(()), "{p:?}");
        }
    }
}
