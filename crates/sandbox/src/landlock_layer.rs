//! Landlock: the renderer gives up the whole filesystem and TCP, and may not
//! reach abstract unix sockets or signal processes outside its domain.
//!
//! The ruleset handles every access right the Landlock crate knows
//! ([`HANDLED_ABI`]) and grants none: there are no rules at all, so every
//! handled action is denied everywhere. The crate's best-effort
//! compatibility trims the request to what the running kernel supports; the
//! layer reports the kernel's ABI in `LayerStatus::detail` and calls itself
//! `Active` only when that ABI has everything this policy relies on
//! ([`FULL_ABI`]), `Partial` below it, `Unavailable` without Landlock.
//!
//! What Landlock cannot do here, and what covers it:
//! * ABI <= 8 has no right for `connect` to a *path* unix socket (X11's
//!   `/tmp/.X11-unix/X0`); seccomp refuses `socket`/`connect` outright.
//! * It does not cover `stat` of a path; seccomp allows only the fd form.
//! * It applies to the calling thread and its future children only: the
//!   lockdown checks the renderer is single-threaded first.

use landlock::{
    Access, AccessFs, AccessNet, CompatLevel, Compatible, LandlockStatus, RestrictionStatus,
    Ruleset, RulesetAttr, RulesetError, RulesetStatus, Scope, ABI,
};
use workshop_common::sandbox_report::{Layer, LayerState, LayerStatus};

/// The ABI whose rights we ask for: the newest the `landlock` crate knows.
/// The renderer needs no filesystem or network access at all, so a right
/// from a newer ABI can only deny more, never break it; on an older kernel
/// the crate drops what the kernel lacks.
pub const HANDLED_ABI: ABI = ABI::V10;

/// The oldest ABI that enforces everything this policy relies on Landlock
/// for: all filesystem rights up to `IoctlDev` (V5), TCP bind/connect (V4),
/// and the abstract-unix-socket and signal scopes (V6). Below it the layer is
/// `Partial` (a `Strict` lockdown refuses to run).
pub const FULL_ABI: ABI = ABI::V6;

/// Why Landlock could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum LandlockError {
    /// Adding the filesystem rights to the ruleset failed.
    #[error("handling filesystem rights: {0}")]
    HandleFs(#[source] RulesetError),
    /// Adding the network rights to the ruleset failed.
    #[error("handling network rights: {0}")]
    HandleNet(#[source] RulesetError),
    /// Adding the scopes to the ruleset failed.
    #[error("adding scopes: {0}")]
    Scope(#[source] RulesetError),
    /// `landlock_create_ruleset` failed.
    #[error("creating the ruleset: {0}")]
    Create(#[source] RulesetError),
    /// `landlock_restrict_self` failed.
    #[error("restricting the renderer: {0}")]
    RestrictSelf(#[source] RulesetError),
}

impl LandlockError {
    /// The errno behind the failure (`EINVAL` when the crate gives none).
    pub fn errno(&self) -> i32 {
        let (LandlockError::HandleFs(e)
        | LandlockError::HandleNet(e)
        | LandlockError::Scope(e)
        | LandlockError::Create(e)
        | LandlockError::RestrictSelf(e)) = self;
        errno_of(e)
    }
}

fn errno_of(error: &RulesetError) -> i32 {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(code) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error)
        {
            return code;
        }
        source = e.source();
    }
    libc::EINVAL
}

/// Builds the no-rules ruleset and restricts the calling thread with it.
pub fn restrict() -> Result<LayerStatus, LandlockError> {
    let status = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(HANDLED_ABI))
        .map_err(LandlockError::HandleFs)?
        .handle_access(AccessNet::from_all(HANDLED_ABI))
        .map_err(LandlockError::HandleNet)?
        .scope(Scope::from_all(HANDLED_ABI))
        .map_err(LandlockError::Scope)?
        .create()
        .map_err(LandlockError::Create)?
        .restrict_self()
        .map_err(LandlockError::RestrictSelf)?;
    Ok(layer_status(&status))
}

/// Maps what the crate reports to the layer's line in the report.
fn layer_status(status: &RestrictionStatus) -> LayerStatus {
    let (state, detail) = match status.landlock {
        LandlockStatus::NotImplemented => (
            LayerState::Unavailable {
                errno: libc::ENOSYS,
            },
            0,
        ),
        LandlockStatus::NotEnabled => (
            LayerState::Unavailable {
                errno: libc::EOPNOTSUPP,
            },
            0,
        ),
        LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } => {
            let abi = kernel_abi
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(abi_number(effective_abi));
            let state = match status.ruleset {
                RulesetStatus::NotEnforced => LayerState::Unavailable {
                    errno: libc::EOPNOTSUPP,
                },
                _ if effective_abi >= FULL_ABI => LayerState::Active,
                _ => LayerState::Partial,
            };
            (state, abi)
        }
    };
    LayerStatus {
        layer: Layer::Landlock,
        state,
        detail,
    }
}

/// The ABI's version number (its `Display` form), 0 for `Unsupported`.
fn abi_number(abi: ABI) -> u32 {
    abi.to_string().parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn abi_numbers_read_back() {
        assert_eq!(abi_number(ABI::V1), 1);
        assert_eq!(abi_number(ABI::V7), 7);
        assert_eq!(abi_number(ABI::Unsupported), 0);
    }

    #[test]
    fn the_full_abi_has_every_right_the_policy_relies_on() {
        assert!(AccessFs::from_all(FULL_ABI).contains(AccessFs::IoctlDev));
        assert!(AccessNet::from_all(FULL_ABI).contains(AccessNet::ConnectTcp));
        assert!(Scope::from_all(FULL_ABI).contains(Scope::AbstractUnixSocket | Scope::Signal));
        assert!(FULL_ABI <= HANDLED_ABI);
    }
}
