//! Stateless validation of every field a renderer controls.
//!
//! Runs after decoding and after the capability check, before the broker
//! acts on a message. A failure is a bad message. Checks that need broker
//! state (the surface size, the ids in flight, the bootstrap directory) are
//! made by the broker's router; everything that can be decided from the
//! message alone is decided here, so the fuzzer covers it.

use thiserror::Error;

use crate::access::{self, AccessInvalid};
use crate::protocol::{RendererToBroker, Request};
use crate::sandbox_report::{SandboxReport, MAX_REPORT_ENTRIES};
use crate::user::{MAX_EMAIL_BYTES, MAX_PASSWORD_BYTES};

/// Longest text a renderer may put on the clipboard, in bytes (the Email
/// field holds far less; a larger selection is the content's bug).
pub const MAX_CLIPBOARD_BYTES: usize = 16 * 1024;

/// Longest bootstrap server path: `sun_path` holds 108 bytes with the NUL.
pub const MAX_SERVER_PATH_BYTES: usize = 107;

/// Why a decoded message is refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Invalid {
    /// The bootstrap server path is empty, too long or contains NUL.
    #[error(
        "bootstrap server path is empty, longer than {MAX_SERVER_PATH_BYTES} bytes or contains NUL"
    )]
    ServerPath,
    /// The sandbox report lists too many entries or one twice.
    #[error("sandbox report has too many or duplicate entries")]
    SandboxReport,
    /// Request id 0 is never issued.
    #[error("request id 0")]
    ZeroRequestId,
    /// The email is longer than the protocol allows (the form caps it).
    #[error("email of {len} bytes exceeds {MAX_EMAIL_BYTES}")]
    EmailTooLong {
        /// Its length.
        len: usize,
    },
    /// Clipboard text longer than [`MAX_CLIPBOARD_BYTES`] or containing NUL.
    #[error("clipboard text of {len} bytes is over {MAX_CLIPBOARD_BYTES} or contains NUL")]
    ClipboardText {
        /// Its length.
        len: usize,
    },
    /// The password is longer than the protocol allows (the form caps it).
    #[error("password of {len} bytes exceeds {MAX_PASSWORD_BYTES}")]
    PasswordTooLong {
        /// Its length.
        len: usize,
    },
    /// An accessibility update fails its stateless checks.
    #[error("accessibility update: {0}")]
    Access(#[from] AccessInvalid),
}

/// Validates one decoded renderer message.
pub fn renderer_message(msg: &RendererToBroker) -> Result<(), Invalid> {
    match msg {
        RendererToBroker::Bootstrap { server } => {
            if server.is_empty() || server.len() > MAX_SERVER_PATH_BYTES || server.contains('\0') {
                return Err(Invalid::ServerPath);
            }
            Ok(())
        }
        RendererToBroker::Hello { sandbox, .. } => sandbox_report(sandbox),
        // Any rectangle is representable; the router clamps it to the surface.
        RendererToBroker::FrameReady { .. } => Ok(()),
        // A closed enum: decoding already validated it.
        RendererToBroker::SetCursor { .. } => Ok(()),
        // Matched against the outstanding ping by the router.
        RendererToBroker::Pong { .. } => Ok(()),
        // Any rectangle is representable; the router clamps it to the window.
        RendererToBroker::SetImeArea { .. } => Ok(()),
        RendererToBroker::ClipboardWrite { text } => {
            if text.len() > MAX_CLIPBOARD_BYTES || text.contains('\0') {
                return Err(Invalid::ClipboardText { len: text.len() });
            }
            Ok(())
        }
        // Sizes, ids, roles, no password value; the router checks the tree
        // it makes with the window's last one (`AccessTree::apply`).
        RendererToBroker::AccessUpdate(update) => Ok(access::check_update(update)?),
        RendererToBroker::OpenLoginWindow
        | RendererToBroker::Logout
        | RendererToBroker::CloseWindow => Ok(()),
        RendererToBroker::Invoke { id, request } => {
            if id.0 == 0 {
                return Err(Invalid::ZeroRequestId);
            }
            match request {
                Request::SubmitLogin { email, password } => {
                    // Lengths are protocol limits (the form never exceeds
                    // them); the shape of the email is the authenticator's
                    // concern and earns a typed error reply, not a kill.
                    if email.len() > MAX_EMAIL_BYTES {
                        return Err(Invalid::EmailTooLong { len: email.len() });
                    }
                    if password.len() > MAX_PASSWORD_BYTES {
                        return Err(Invalid::PasswordTooLong {
                            len: password.len(),
                        });
                    }
                    Ok(())
                }
            }
        }
    }
}

fn sandbox_report(report: &SandboxReport) -> Result<(), Invalid> {
    if report.layers.len() > MAX_REPORT_ENTRIES || report.probes.len() > MAX_REPORT_ENTRIES {
        return Err(Invalid::SandboxReport);
    }
    for (i, a) in report.layers.iter().enumerate() {
        if report.layers[i + 1..].iter().any(|b| b.layer == a.layer) {
            return Err(Invalid::SandboxReport);
        }
    }
    for (i, a) in report.probes.iter().enumerate() {
        if report.probes[i + 1..].iter().any(|b| b.probe == a.probe) {
            return Err(Invalid::SandboxReport);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RequestId;
    use crate::sandbox_report::SandboxReport;
    use crate::{Role, Secret, PROTOCOL_VERSION};

    fn login(email: &str, pw: &str, id: u64) -> RendererToBroker {
        RendererToBroker::Invoke {
            id: RequestId(id),
            request: Request::SubmitLogin {
                email: email.into(),
                password: Secret::new(pw.into()),
            },
        }
    }

    #[test]
    fn login_lengths_are_bounded() {
        assert_eq!(renderer_message(&login("a@b", "p", 1)), Ok(()));
        // Shape is not validation's business: a typo is not an attack.
        assert_eq!(renderer_message(&login("not an email", "p", 1)), Ok(()));
        assert_eq!(
            renderer_message(&login(&"a".repeat(255), "p", 1)),
            Err(Invalid::EmailTooLong { len: 255 })
        );
        assert_eq!(
            renderer_message(&login("a@b", &"p".repeat(1025), 1)),
            Err(Invalid::PasswordTooLong { len: 1025 })
        );
        assert_eq!(
            renderer_message(&login("a@b", "p", 0)),
            Err(Invalid::ZeroRequestId)
        );
    }

    #[test]
    fn bootstrap_path_is_bounded() {
        let ok = RendererToBroker::Bootstrap {
            server: "/tmp/x/socket".into(),
        };
        assert_eq!(renderer_message(&ok), Ok(()));
        for bad in [String::new(), "a".repeat(108), "/tmp/\0/socket".into()] {
            assert_eq!(
                renderer_message(&RendererToBroker::Bootstrap { server: bad }),
                Err(Invalid::ServerPath)
            );
        }
    }

    #[test]
    fn duplicate_report_entries_are_refused() {
        let mut report = SandboxReport::disabled();
        let hello = |sandbox| RendererToBroker::Hello {
            protocol_version: PROTOCOL_VERSION,
            role: Role::Main,
            sandbox,
        };
        assert_eq!(renderer_message(&hello(report.clone())), Ok(()));
        report.probes.push(report.probes[0]);
        assert_eq!(
            renderer_message(&hello(report.clone())),
            Err(Invalid::SandboxReport)
        );
        let mut report = SandboxReport::disabled();
        report.layers.push(report.layers[3]);
        assert_eq!(
            renderer_message(&hello(report)),
            Err(Invalid::SandboxReport)
        );
    }

    #[test]
    fn clipboard_text_is_bounded_and_has_no_nul() {
        let write = |text: String| RendererToBroker::ClipboardWrite { text };
        assert_eq!(
            renderer_message(&write("a".repeat(MAX_CLIPBOARD_BYTES))),
            Ok(())
        );
        assert_eq!(
            renderer_message(&write("a".repeat(MAX_CLIPBOARD_BYTES + 1))),
            Err(Invalid::ClipboardText {
                len: MAX_CLIPBOARD_BYTES + 1
            })
        );
        assert_eq!(
            renderer_message(&write("a\0b".into())),
            Err(Invalid::ClipboardText { len: 3 })
        );
    }
}
