//! The app messages: what the user asked a renderer's window to do.
//!
//! They reach this module only after the gate has found them in the
//! capability table for the sending role, so each function here is the
//! action itself: a cursor, opening the Login Window, logging out, closing
//! everything, and the one invoke (signing in).

use std::time::Instant;

use workshop_common::capability::{Capability, Pattern, CLIPBOARD_GESTURE_MS};
use workshop_common::geometry::PxRect;
use workshop_common::input::CursorIcon;
use workshop_common::protocol::{Reply, Request, RequestId};
use workshop_common::user::{check_email, check_password};
use workshop_common::{BrokerToRenderer, Role};

use super::BadMessage;
use crate::audit::Verdict;
use crate::core::{Broker, ClipboardText, Effect, Selection};

impl Broker {
    /// `SetCursor`: the window's pointer shape.
    pub(super) fn set_cursor(&mut self, role: Role, cursor: CursorIcon) -> Verdict {
        self.effects.push(Effect::SetCursor { role, cursor });
        Verdict::Accepted
    }

    /// `OpenLoginWindow`: open it, or raise it if it is open.
    pub(super) fn open_login_window(&mut self, now: Instant) -> Verdict {
        self.open_window(now, Role::Login);
        Verdict::Accepted
    }

    /// `Logout`: forget the signed-in user.
    pub(super) fn logout(&mut self, role: Role) -> Verdict {
        tracing::info!("Logging out");
        self.user = None;
        if let Some(w) = self.windows.get(&role) {
            self.effects.push(Effect::Send {
                role,
                generation: w.renderer.generation,
                msg: BrokerToRenderer::LoggedOut,
            });
        }
        Verdict::Accepted
    }

    /// `CloseWindow`: from the Main Window, close every window and quit;
    /// from the Login Window (Escape), close that window only.
    pub(super) fn close_requested(&mut self, now: Instant, role: Role) -> Verdict {
        match role {
            Role::Main => self.quit(now),
            Role::Login => self.close_window(now, Role::Login),
        }
        Verdict::Accepted
    }

    /// `SetImeArea`: the input method on at the caret (clamped to the
    /// window), or off.
    pub(super) fn set_ime_area(&mut self, role: Role, area: Option<PxRect>) -> Verdict {
        let Some(w) = self.windows.get(&role) else {
            return Verdict::Stale;
        };
        let (width, height, _) = w.size;
        let clamped = area.map(|a| a.clamp_to(width, height));
        self.effects.push(Effect::SetIme {
            role,
            area: clamped,
        });
        if clamped == area {
            Verdict::Accepted
        } else {
            Verdict::Clamped
        }
    }

    /// `ClipboardWrite`: accepted once per copy/cut gesture the broker saw
    /// in this window, within `CLIPBOARD_GESTURE_MS`; the broker then owns
    /// the clipboard (and, where the platform has it, PRIMARY) with the
    /// text.
    pub(super) fn clipboard_write(
        &mut self,
        now: Instant,
        role: Role,
        text: String,
    ) -> Result<Verdict, BadMessage> {
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        let within = std::time::Duration::from_millis(CLIPBOARD_GESTURE_MS);
        let pending = &mut w.renderer.copy_gestures;
        while pending.front().is_some_and(|&at| now >= at + within) {
            pending.pop_front();
        }
        match pending.pop_front() {
            Some(at) if now < at + within => {
                for selection in [Selection::Clipboard, Selection::Primary] {
                    self.effects.push(Effect::WriteClipboard {
                        selection,
                        text: ClipboardText(text.clone()),
                    });
                }
                Ok(Verdict::Accepted)
            }
            Some(_) | None => Err(BadMessage::UnsolicitedClipboardWrite),
        }
    }

    /// `Invoke`: counted against the in-flight limit of the capability the
    /// gate found, then handed to its request.
    pub(super) fn invoke(
        &mut self,
        role: Role,
        id: RequestId,
        request: Request,
        capability: &Capability,
    ) -> Result<Verdict, BadMessage> {
        let max_in_flight = match capability.pattern {
            Pattern::Invoke { max_in_flight } => max_in_flight,
            // The table pairs every request kind with `Invoke`; anything else
            // allows none in flight, which refuses it.
            Pattern::Handshake
            | Pattern::Send
            | Pattern::Reply
            | Pattern::AfterGesture
            | Pattern::PerFrame => 0,
        };
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        w.renderer.proto.start_invoke(id, max_in_flight)?;
        match request {
            Request::SubmitLogin { email, password } => {
                self.submit_login(role, id, email, password);
            }
        }
        Ok(Verdict::Accepted)
    }

    /// A sign-in: the broker's own shape check (the form's is a
    /// convenience), then the authenticator, or a typed error at once.
    fn submit_login(
        &mut self,
        role: Role,
        id: RequestId,
        email: String,
        password: workshop_common::Secret,
    ) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        let generation = w.renderer.generation;
        match check_email(&email).and_then(|()| check_password(password.expose())) {
            Ok(()) => {
                self.auth_pending.insert((role, generation, id));
                self.effects.push(Effect::Authenticate {
                    role,
                    generation,
                    id,
                    email,
                    password,
                })
            }
            Err(error) => {
                w.renderer.proto.finish_invoke(id);
                self.effects.push(Effect::Send {
                    role,
                    generation,
                    msg: BrokerToRenderer::Reply {
                        id,
                        reply: Reply::SubmitLogin(Err(error)),
                    },
                });
            }
        }
    }
}
