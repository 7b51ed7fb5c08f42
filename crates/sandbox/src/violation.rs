//! What happens when a locked-down renderer makes a call the seccomp policy
//! does not allow: the kernel's `SECCOMP_RET_TRAP` raises `SIGSYS`, and this
//! module's handler writes one line naming the system call to stderr and
//! ends the process with [`SANDBOX_VIOLATION_EXIT_CODE`].
//!
//! Why a handler rather than `SECCOMP_RET_KILL_PROCESS`: a kill is only a
//! `SIGSYS` death, which the broker cannot tell from any other crash and
//! which says nothing about the call. Chromium traps for the same reason.
//! The line goes through the renderer's stderr pipe, so the broker's relay
//! can pick it out ([`parse_violation_line`]) and report `sandbox-violation`
//! with the syscall number.
//!
//! The handler cannot be got rid of after the lockdown: the filter refuses
//! `rt_sigaction(SIGSYS, ...)` and a self-sent `SIGSYS`; a renderer that
//! blocks `SIGSYS` is killed by the kernel on its next violation (a forced
//! signal that is blocked falls back to the default action), without the
//! line: the broker reports a death by `SIGSYS` as a sandbox violation with
//! the syscall unknown (`GoneReason::SandboxViolation { syscall: None }`),
//! never as a crash. Either way the forbidden call is never made.
//!
//! The handler is async-signal-safe: it formats into a stack buffer and
//! makes two raw system calls (`write` to fd 2, `exit_group`), both allowed
//! by the policy.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// The first word of the line the handler writes:
/// `workshop-sandbox-violation syscall=<decimal>\n`.
pub const VIOLATION_MARKER: &str = "workshop-sandbox-violation";

/// The exit code of a renderer stopped by its seccomp filter: 128 + SIGSYS,
/// what a shell shows for a death by `SIGSYS`.
pub const SANDBOX_VIOLATION_EXIT_CODE: i32 = 128 + libc::SIGSYS;

/// The syscall number reported when a `SIGSYS` did not come from seccomp
/// (it cannot, the filter forbids raising it, but the handler does not
/// trust that).
pub const UNKNOWN_SYSCALL: i32 = -1;

/// `si_code` of a `SIGSYS` raised by `SECCOMP_RET_TRAP` (`SYS_SECCOMP` in
/// `<asm-generic/siginfo.h>`).
const SYS_SECCOMP: libc::c_int = 1;

/// Set by the first thread whose violation the handler reports: a second
/// thread trapping at the same moment exits without a second line.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// The line prefix, `"<marker> syscall="`.
const PREFIX: &[u8] = b"workshop-sandbox-violation syscall=";

/// Room for the prefix, a sign, ten digits and the newline.
const LINE_CAPACITY: usize = PREFIX.len() + 12;

/// The head of `siginfo_t` as the kernel fills it for `SIGSYS`
/// (`_sigsys` in `<asm-generic/siginfo.h>`): three ints, then (pointer
/// aligned) the faulting address, the syscall number and the audit arch.
#[repr(C)]
#[allow(dead_code)] // Only `code` and `syscall` are read; the rest place them.
struct SigsysInfo {
    signo: libc::c_int,
    errno: libc::c_int,
    code: libc::c_int,
    call_addr: *mut libc::c_void,
    syscall: libc::c_int,
    arch: libc::c_uint,
}

/// Why the handler could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum ViolationError {
    /// `sigaction(SIGSYS)` failed.
    #[error("installing the SIGSYS handler: {0}")]
    Install(#[source] io::Error),
}

impl ViolationError {
    /// The errno behind the failure.
    pub fn errno(&self) -> i32 {
        match self {
            ViolationError::Install(e) => e.raw_os_error().unwrap_or(libc::EINVAL),
        }
    }
}

/// Formats the violation line for `syscall` into `buf`; returns its length.
/// No allocation: the handler calls it.
pub fn format_violation_line(buf: &mut [u8; LINE_CAPACITY], syscall: i32) -> usize {
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut len = PREFIX.len();
    if syscall < 0 {
        buf[len] = b'-';
        len += 1;
    }
    let mut value = syscall.unsigned_abs();
    let mut digits = [0u8; 10];
    let mut n = 0;
    loop {
        // `value % 10` is below 10, so the cast cannot truncate.
        digits[n] = b'0' + (value % 10) as u8;
        n += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for d in digits[..n].iter().rev() {
        buf[len] = *d;
        len += 1;
    }
    buf[len] = b'\n';
    len + 1
}

/// The syscall number in a violation line (with or without its newline),
/// or `None` if `line` is not one. For the broker's stderr relay.
pub fn parse_violation_line(line: &str) -> Option<i64> {
    // Exactly what the handler writes: the marker, ` syscall=`, an optional
    // `-` (the handler's "unknown" is -1) and 1 to 10 decimal digits (no
    // `+`, no spaces), at most the one newline.
    let rest = line.strip_suffix('\n').unwrap_or(line);
    let number = rest
        .strip_prefix(VIOLATION_MARKER)?
        .strip_prefix(" syscall=")?;
    let digits = number.strip_prefix('-').unwrap_or(number);
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

extern "C" fn on_sigsys(_signal: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let syscall = if info.is_null() {
        UNKNOWN_SYSCALL
    } else {
        // SAFETY: the kernel passes a valid siginfo_t (SA_SIGINFO); for
        // SIGSYS its layout starts with `SigsysInfo`, which is no larger.
        let sigsys = unsafe { &*info.cast::<SigsysInfo>() };
        if sigsys.code == SYS_SECCOMP {
            sigsys.syscall
        } else {
            UNKNOWN_SYSCALL
        }
    };
    // An atomic swap is async-signal-safe.
    if !REPORTED.swap(true, Ordering::SeqCst) {
        let mut line = [0u8; LINE_CAPACITY];
        let len = format_violation_line(&mut line, syscall);
        // SAFETY: raw write of a valid stack buffer to fd 2 (one write, so
        // the line is never interleaved with another thread's log line);
        // async-signal-safe and allowed by the policy.
        unsafe { libc::syscall(libc::SYS_write, libc::STDERR_FILENO, line.as_ptr(), len) };
    }
    // SAFETY: exit_group is async-signal-safe, allowed by the policy, and
    // does not return.
    unsafe { libc::syscall(libc::SYS_exit_group, SANDBOX_VIOLATION_EXIT_CODE) };
    // exit_group never returns; if it somehow did, do not return into the
    // trapped call.
    loop {
        std::hint::spin_loop();
    }
}

/// Installs the `SIGSYS` handler for the whole process. Call before the
/// seccomp filter, which then forbids replacing it.
pub fn install_handler() -> Result<(), ViolationError> {
    // SAFETY: a zeroed sigaction is valid; we fill the handler, a full mask
    // (nothing interrupts the handler) and the flags, then install it.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigsys
            as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
            as libc::sighandler_t;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigfillset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut()) != 0 {
            return Err(ViolationError::Install(io::Error::last_os_error()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn line(syscall: i32) -> String {
        let mut buf = [0u8; LINE_CAPACITY];
        let len = format_violation_line(&mut buf, syscall);
        String::from_utf8(buf[..len].to_vec()).unwrap()
    }

    #[test]
    fn the_line_is_the_marker_and_a_decimal() {
        assert_eq!(line(63), "workshop-sandbox-violation syscall=63\n");
        assert_eq!(line(0), "workshop-sandbox-violation syscall=0\n");
        assert_eq!(line(-1), "workshop-sandbox-violation syscall=-1\n");
        assert_eq!(
            line(i32::MAX),
            format!("workshop-sandbox-violation syscall={}\n", i32::MAX)
        );
        assert_eq!(
            line(i32::MIN),
            format!("workshop-sandbox-violation syscall={}\n", i32::MIN)
        );
        assert!(line(1).starts_with(VIOLATION_MARKER));
    }

    #[test]
    fn lines_parse_back() {
        for nr in [0, 1, 63, 435, -1, i32::MAX, i32::MIN] {
            assert_eq!(parse_violation_line(&line(nr)), Some(i64::from(nr)));
        }
        for bad in [
            "",
            "workshop-sandbox-violation",
            "workshop-sandbox-violation syscall=",
            "workshop-sandbox-violation syscall=x",
            "workshop-sandbox-violation syscall=1 extra",
            " workshop-sandbox-violation syscall=1",
            "workshop-sandbox-violation syscall=123456789012",
        ] {
            assert_eq!(parse_violation_line(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_exit_code_is_128_plus_sigsys() {
        assert_eq!(SANDBOX_VIOLATION_EXIT_CODE, 159);
    }

    #[test]
    fn the_siginfo_layout_matches_the_kernel() {
        assert_eq!(std::mem::offset_of!(SigsysInfo, code), 8);
        #[cfg(target_pointer_width = "64")]
        {
            assert_eq!(std::mem::offset_of!(SigsysInfo, call_addr), 16);
            assert_eq!(std::mem::offset_of!(SigsysInfo, syscall), 24);
            assert_eq!(std::mem::offset_of!(SigsysInfo, arch), 28);
        }
        assert!(std::mem::size_of::<SigsysInfo>() <= std::mem::size_of::<libc::siginfo_t>());
    }
}
