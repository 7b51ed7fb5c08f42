//! The capability drop: after its empty root, the renderer holds no
//! capability in any set and can never regain one.
//!
//! The renderer is uid 0 in its own user namespace ([`crate::spawn`]), so
//! it comes out of `exec` with every capability, over the namespaces that
//! user namespace owns (its mount, pid, net, ipc and uts namespaces; none
//! of the host's). It needs `CAP_SYS_ADMIN` there for exactly one thing,
//! [`crate::empty_root`]; straight after, this module takes everything
//! away, in an order where each step still has the capability it needs:
//!
//! 1. securebits ← [`LOCKED_SECUREBITS`] (needs `CAP_SETPCAP`): uid 0 gets
//!    no capabilities at `exec` (`SECBIT_NOROOT`), changing uids adjusts
//!    nothing (`SECBIT_NO_SETUID_FIXUP`), `PR_SET_KEEPCAPS` stays off, no
//!    ambient capability can be raised; each bit locked;
//! 2. the bounding set, one capability at a time (needs `CAP_SETPCAP`):
//!    nothing can ever enter the permitted set again;
//! 3. the ambient set cleared;
//! 4. `capset`: effective, permitted and inheritable all empty;
//! 5. check, with `capget` and `prctl` (there is no `/proc` any more):
//!    every set empty, the securebits as set.
//!
//! Capabilities are per thread: the caller must be the only thread
//! ([`crate::single_thread`]), so no other thread keeps any. The broker
//! checks the result from outside (`CapEff`, `CapPrm`, `CapBnd` in
//! `/proc/PID/status`, [`crate::inspect`]).

use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus};

/// The securebits the renderer ends with: every "root is special" rule off
/// and locked.
pub const LOCKED_SECUREBITS: libc::c_int = libc::SECBIT_NOROOT
    | libc::SECBIT_NOROOT_LOCKED
    | libc::SECBIT_NO_SETUID_FIXUP
    | libc::SECBIT_NO_SETUID_FIXUP_LOCKED
    | libc::SECBIT_KEEP_CAPS_LOCKED
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

/// Capability numbers tried: `PR_CAPBSET_READ` answers `EINVAL` past the
/// kernel's last one (40 on 6.x), so this only needs to be large enough.
pub const MAX_CAPABILITY_NUMBER: libc::c_ulong = 63;

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets as two 32-bit words.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// A zero for variadic `prctl` arguments.
const ZERO: libc::c_ulong = 0;

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Why the capabilities could not all be dropped. One variant per step.
#[derive(Debug, thiserror::Error)]
pub enum CapabilityError {
    /// Step 1.
    #[error("locking the securebits: {0}")]
    LockSecurebits(#[source] std::io::Error),
    /// Step 2: reading the bounding set.
    #[error("reading capability {cap} of the bounding set: {source}")]
    ReadBounding {
        /// The capability number.
        cap: libc::c_ulong,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// Step 2: dropping from the bounding set.
    #[error("dropping capability {cap} from the bounding set: {source}")]
    DropBounding {
        /// The capability number.
        cap: libc::c_ulong,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// Step 3.
    #[error("clearing the ambient set: {0}")]
    ClearAmbient(#[source] std::io::Error),
    /// Step 4.
    #[error("clearing the effective, permitted and inheritable sets: {0}")]
    ClearSets(#[source] std::io::Error),
    /// Step 5: `capget` failed.
    #[error("reading the capability sets back: {0}")]
    ReadBack(#[source] std::io::Error),
    /// Step 5: something is left.
    #[error("capabilities remain: effective {effective:#x}, permitted {permitted:#x}, inheritable {inheritable:#x}, bounding {bounding:#x}, securebits {securebits:#x}")]
    Remaining {
        /// Effective set.
        effective: u64,
        /// Permitted set.
        permitted: u64,
        /// Inheritable set.
        inheritable: u64,
        /// Bounding set.
        bounding: u64,
        /// Securebits.
        securebits: libc::c_int,
    },
}

impl CapabilityError {
    /// The errno the kernel returned (`EPERM` when something remains).
    pub fn errno(&self) -> i32 {
        match self {
            CapabilityError::LockSecurebits(e)
            | CapabilityError::ReadBounding { source: e, .. }
            | CapabilityError::DropBounding { source: e, .. }
            | CapabilityError::ClearAmbient(e)
            | CapabilityError::ClearSets(e)
            | CapabilityError::ReadBack(e) => e.raw_os_error().unwrap_or(libc::EINVAL),
            CapabilityError::Remaining { .. } => libc::EPERM,
        }
    }
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Drops every capability (the steps in the module docs). The caller must
/// be single-threaded. The status's detail is the number of capabilities
/// this kernel knows.
pub fn drop_all() -> Result<LayerStatus, CapabilityError> {
    // Step 1.
    let bits = libc::c_ulong::from(LOCKED_SECUREBITS.unsigned_abs());
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_SECUREBITS, bits, ZERO, ZERO, ZERO) } != 0 {
        return Err(CapabilityError::LockSecurebits(last_error()));
    }
    // Step 2.
    let mut known: u32 = 0;
    for cap in 0..=MAX_CAPABILITY_NUMBER {
        // SAFETY: prctl with integer arguments.
        let held = unsafe { libc::prctl(libc::PR_CAPBSET_READ, cap, ZERO, ZERO, ZERO) };
        if held < 0 {
            let source = last_error();
            if source.raw_os_error() == Some(libc::EINVAL) {
                break; // past the kernel's last capability
            }
            return Err(CapabilityError::ReadBounding { cap, source });
        }
        known += 1;
        if held == 1 {
            // SAFETY: prctl with integer arguments.
            if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, ZERO, ZERO, ZERO) } != 0 {
                return Err(CapabilityError::DropBounding {
                    cap,
                    source: last_error(),
                });
            }
        }
    }
    // Step 3.
    let clear_all = libc::c_ulong::from(libc::PR_CAP_AMBIENT_CLEAR_ALL.unsigned_abs());
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_CAP_AMBIENT, clear_all, ZERO, ZERO, ZERO) } != 0 {
        return Err(CapabilityError::ClearAmbient(last_error()));
    }
    // Step 4.
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let empty = [CapData::default(); 2];
    // SAFETY: a v3 header and two data words, as the v3 ABI expects.
    if unsafe { libc::syscall(libc::SYS_capset, &raw mut header, empty.as_ptr()) } != 0 {
        return Err(CapabilityError::ClearSets(last_error()));
    }
    // Step 5.
    let left = remaining(known)?;
    if left.any() {
        return Err(CapabilityError::Remaining {
            effective: left.effective,
            permitted: left.permitted,
            inheritable: left.inheritable,
            bounding: left.bounding,
            securebits: left.securebits,
        });
    }
    Ok(LayerStatus {
        layer: Layer::NoCapabilities,
        state: LayerState::Active,
        detail: known,
    })
}

/// The calling thread's capability sets as masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapabilitySets {
    /// Effective.
    pub effective: u64,
    /// Permitted.
    pub permitted: u64,
    /// Inheritable.
    pub inheritable: u64,
    /// Bounding (capabilities 0..`known`).
    pub bounding: u64,
    /// Securebits.
    pub securebits: libc::c_int,
}

impl CapabilitySets {
    /// Whether any capability is held or could be regained.
    pub fn any(&self) -> bool {
        self.effective != 0
            || self.permitted != 0
            || self.inheritable != 0
            || self.bounding != 0
            || self.securebits != LOCKED_SECUREBITS
    }
}

/// Reads the calling thread's sets with `capget` and `prctl`.
fn remaining(known: u32) -> Result<CapabilitySets, CapabilityError> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: a v3 header and room for two data words.
    if unsafe { libc::syscall(libc::SYS_capget, &raw mut header, data.as_mut_ptr()) } != 0 {
        return Err(CapabilityError::ReadBack(last_error()));
    }
    let join = |low: u32, high: u32| u64::from(high) << 32 | u64::from(low);
    let mut bounding = 0u64;
    for cap in 0..libc::c_ulong::from(known) {
        // SAFETY: prctl with integer arguments.
        let held = unsafe { libc::prctl(libc::PR_CAPBSET_READ, cap, ZERO, ZERO, ZERO) };
        if held != 0 {
            bounding |= 1 << cap;
        }
    }
    // SAFETY: prctl with integer arguments.
    let securebits = unsafe { libc::prctl(libc::PR_GET_SECUREBITS, ZERO, ZERO, ZERO, ZERO) };
    Ok(CapabilitySets {
        effective: join(data[0].effective, data[1].effective),
        permitted: join(data[0].permitted, data[1].permitted),
        inheritable: join(data[0].inheritable, data[1].inheritable),
        bounding,
        securebits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_bits_keep_root_unprivileged() {
        for bit in [
            libc::SECBIT_NOROOT,
            libc::SECBIT_NOROOT_LOCKED,
            libc::SECBIT_NO_SETUID_FIXUP_LOCKED,
            libc::SECBIT_KEEP_CAPS_LOCKED,
            libc::SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
        ] {
            assert_eq!(LOCKED_SECUREBITS & bit, bit);
        }
        assert_eq!(LOCKED_SECUREBITS & libc::SECBIT_KEEP_CAPS, 0);
    }
}
