//! Which display server to use: Wayland when it answers, else X11.
//!
//! winit picks Wayland whenever `WAYLAND_DISPLAY` is set and then fails if
//! that display is gone (a stale variable left by an exited compositor, a
//! shell started over ssh from a Wayland session), and an event loop cannot
//! be built a second time in one process. So before building it, the
//! broker looks at the Wayland socket itself: if nobody listens there and
//! `DISPLAY` is set, it warns and forces X11; if nobody listens and there
//! is no `DISPLAY`, the error names the Wayland display, not X.
//!
//! The probe only connects to the socket and closes it (a compositor sees
//! a client come and go); the real connection is winit's.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// What the environment asks for, after the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Let winit connect to Wayland.
    Wayland,
    /// Force X11 (`DISPLAY`).
    X11,
    /// Force X11 because Wayland did not answer.
    X11Fallback {
        /// `WAYLAND_DISPLAY`.
        wayland: String,
        /// Why it did not answer.
        reason: String,
    },
    /// Neither display variable is set.
    Nothing,
    /// Wayland did not answer and there is no `DISPLAY`.
    WaylandUnreachable {
        /// `WAYLAND_DISPLAY`.
        wayland: String,
        /// Why it did not answer.
        reason: String,
    },
}

/// The environment the choice reads, so tests can pass their own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `WAYLAND_DISPLAY`, if set and not empty.
    pub wayland_display: Option<String>,
    /// `WAYLAND_SOCKET`, if set and not empty (an inherited, already
    /// connected fd: nothing to probe).
    pub wayland_socket: bool,
    /// `XDG_RUNTIME_DIR`, if set and not empty.
    pub runtime_dir: Option<PathBuf>,
    /// `DISPLAY`, if set and not empty.
    pub display: Option<String>,
}

impl Env {
    /// This process's environment.
    pub fn current() -> Env {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        Env {
            wayland_display: var("WAYLAND_DISPLAY"),
            wayland_socket: var("WAYLAND_SOCKET").is_some(),
            runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
            display: var("DISPLAY"),
        }
    }
}

/// Chooses, probing the Wayland socket when there is one to probe.
pub fn choose(env: &Env, wayland_built_in: bool) -> Choice {
    let wayland = match (&env.wayland_display, env.wayland_socket, wayland_built_in) {
        (_, _, false) | (None, false, _) => {
            return match env.display {
                Some(_) => Choice::X11,
                None => Choice::Nothing,
            }
        }
        (_, true, true) => return Choice::Wayland,
        (Some(name), false, true) => name.clone(),
    };
    let reason = match socket_path(&wayland, env.runtime_dir.as_deref()) {
        None => "XDG_RUNTIME_DIR is not set, so its socket cannot be found".to_owned(),
        Some(path) => match UnixStream::connect(&path) {
            Ok(_) => return Choice::Wayland,
            Err(e) => format!("{}: {e}", path.display()),
        },
    };
    match env.display {
        Some(_) => Choice::X11Fallback { wayland, reason },
        None => Choice::WaylandUnreachable { wayland, reason },
    }
}

/// Where libwayland looks: an absolute `WAYLAND_DISPLAY` as it is, else
/// under `XDG_RUNTIME_DIR`.
fn socket_path(name: &str, runtime_dir: Option<&std::path::Path>) -> Option<PathBuf> {
    let name = std::path::Path::new(name);
    if name.is_absolute() {
        return Some(name.to_path_buf());
    }
    runtime_dir.map(|dir| dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    fn env(wayland: Option<&str>, dir: &std::path::Path, display: Option<&str>) -> Env {
        Env {
            wayland_display: wayland.map(str::to_owned),
            wayland_socket: false,
            runtime_dir: Some(dir.to_path_buf()),
            display: display.map(str::to_owned),
        }
    }

    #[test]
    fn a_listening_wayland_socket_is_used() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let _listener =
            UnixListener::bind(dir.path().join("wayland-7")).unwrap_or_else(|e| panic!("{e}"));
        let e = env(Some("wayland-7"), dir.path(), Some(":0"));
        assert_eq!(choose(&e, true), Choice::Wayland);
        // Absolute names are used as they are.
        let abs = dir.path().join("wayland-7");
        let e = env(abs.to_str(), std::path::Path::new("/nonexistent"), None);
        assert_eq!(choose(&e, true), Choice::Wayland);
    }

    #[test]
    fn a_stale_wayland_display_falls_back_to_x11_or_is_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let e = env(Some("wayland-gone"), dir.path(), Some(":0"));
        assert!(matches!(
            choose(&e, true),
            Choice::X11Fallback { wayland, .. } if wayland == "wayland-gone"
        ));
        let e = env(Some("wayland-gone"), dir.path(), None);
        assert!(matches!(
            choose(&e, true),
            Choice::WaylandUnreachable { wayland, reason }
                if wayland == "wayland-gone" && reason.contains("wayland-gone")
        ));
    }

    #[test]
    fn without_wayland_it_is_x11_or_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            choose(&env(None, dir.path(), Some(":0")), true),
            Choice::X11
        );
        assert_eq!(choose(&env(None, dir.path(), None), true), Choice::Nothing);
        // An X11-only build ignores WAYLAND_DISPLAY, as winit does.
        assert_eq!(
            choose(&env(Some("wayland-0"), dir.path(), Some(":0")), false),
            Choice::X11
        );
    }
}
