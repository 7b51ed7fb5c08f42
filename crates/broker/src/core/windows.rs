//! Window lifecycle: opening (at most one of each), closing, quitting,
//! resizing, and what a finished sign-in does to the windows.

use std::time::Instant;

use workshop_common::protocol::RequestId;
use workshop_common::user::{LoginError, User};
use workshop_common::{BrokerToRenderer, Role};

use workshop_common::input::{InputEvent, Key, MAX_IME_BYTES, MAX_PASTE_BYTES};

use super::events::Selection;
use super::pacing::{Paced, Pushed};
use super::supervisor::{CrashHistory, GoneReason};
use super::{Broker, Effect, RendererState, Stage, WindowEvent, WindowState, WINDOW_LOGICAL_SIZE};

impl Broker {
    /// Opens window `role` and starts its renderer (or raises it).
    pub(super) fn open_window(&mut self, now: Instant, role: Role) {
        if let Some(w) = self.windows.get(&role) {
            if !w.closing {
                tracing::info!(role = role.as_str(), "Window already opened");
                self.effects.push(Effect::RaiseWindow { role });
                return;
            }
            // The old window is still shutting down: finish it now.
            let generation = w.renderer.generation;
            self.effects.push(Effect::Kill { role, generation });
            self.windows.remove(&role);
        }
        if role == Role::Login {
            tracing::info!("Opening login window");
        }
        let generation = self.take_generation();
        let (lw, lh) = WINDOW_LOGICAL_SIZE;
        self.windows.insert(
            role,
            WindowState {
                role,
                renderer: RendererState::new(generation, now, &self.config),
                size: (lw, lh, 1.0),
                surface_generation: 0,
                title: role.window_title().to_owned(),
                closing: false,
                crashes: CrashHistory::default(),
                crashed_out: false,
            },
        );
        self.effects.push(Effect::OpenWindow { role });
        self.effects.push(Effect::Spawn { role, generation });
    }

    pub(super) fn take_generation(&mut self) -> u32 {
        let g = self.next_generation;
        self.next_generation += 1;
        g
    }

    /// Starts a new renderer for an existing window.
    pub(super) fn respawn(&mut self, now: Instant, role: Role) {
        let generation = self.take_generation();
        let config = self.config.clone();
        if let Some(w) = self.windows.get_mut(&role) {
            w.renderer = RendererState::new(generation, now, &config);
            self.effects.push(Effect::Spawn { role, generation });
        }
        self.forget_access_tree(role);
    }

    /// Closes window `role`: tells its renderer to shut down, kills it after
    /// the grace period, destroys the window.
    pub(super) fn close_window(&mut self, now: Instant, role: Role) {
        let grace = self.config.shutdown_grace;
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.closing {
            return;
        }
        w.closing = true;
        let generation = w.renderer.generation;
        match w.renderer.stage {
            Stage::Ready => {
                w.renderer.stage = Stage::Dying(GoneReason::Closed);
                w.renderer.kill_at = Some(now + grace);
                self.effects.push(Effect::Send {
                    role,
                    generation,
                    msg: BrokerToRenderer::Shutdown,
                });
            }
            Stage::Dying(_) => {}
            _ => {
                w.renderer.stage = Stage::Dying(GoneReason::Closed);
                self.effects.push(Effect::Kill { role, generation });
            }
        }
        self.effects.push(Effect::CloseWindow { role });
        if w.crashed_out {
            // No renderer is running; nothing will be reaped.
            self.windows.remove(&role);
        }
    }

    /// "Close": close every window and quit.
    pub(super) fn quit(&mut self, now: Instant) {
        if self.quitting {
            return;
        }
        self.quitting = true;
        tracing::info!("Closing Application");
        let roles: Vec<Role> = self.windows.keys().copied().collect();
        for role in roles {
            self.close_window(now, role);
        }
        tracing::info!("All Windows Closed");
        self.effects.push(Effect::Quit);
    }

    pub(super) fn window_event(&mut self, now: Instant, role: Role, event: WindowEvent) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        match event {
            WindowEvent::Resized {
                width,
                height,
                scale,
            } => {
                if w.size == (width, height, scale) && w.surface_generation > 0 {
                    return;
                }
                w.size = (width, height, scale);
                self.surface_resized(now, role);
            }
            WindowEvent::Input(input) => {
                if w.renderer.stage == Stage::Ready && !w.closing {
                    match clipboard_gesture(&input) {
                        Some(Gesture::Paste) => {
                            // The gesture is the broker's: the renderer gets
                            // the text, not the key.
                            self.effects.push(Effect::ReadClipboard {
                                role,
                                selection: Selection::Clipboard,
                            });
                            return;
                        }
                        Some(Gesture::Copy) => {
                            let pending = &mut w.renderer.copy_gestures;
                            if pending.len() >= super::MAX_COPY_GESTURES {
                                pending.pop_front();
                            }
                            pending.push_back(now);
                        }
                        None => {}
                    }
                    if w.renderer.input.push(bounded_ime(input)) == Pushed::Dropped {
                        tracing::warn!(
                            role = role.as_str(),
                            dropped = w.renderer.input.dropped(),
                            "input queue full; event dropped"
                        );
                    }
                    self.forward_input(now, role);
                }
            }
            WindowEvent::PasteGesture(selection) => {
                if w.renderer.stage == Stage::Ready && !w.closing {
                    self.effects.push(Effect::ReadClipboard { role, selection });
                }
            }
            WindowEvent::ClipboardRead(text) => {
                let Some(text) = text.map(|t| paste_text(t.0)).filter(|t| !t.is_empty()) else {
                    return;
                };
                if w.renderer.stage == Stage::Ready && !w.closing {
                    if w.renderer.input.push(InputEvent::Paste(text)) == Pushed::Dropped {
                        tracing::warn!(role = role.as_str(), "input queue full; paste dropped");
                    }
                    self.forward_input(now, role);
                }
            }
            WindowEvent::Access(action) => {
                if w.renderer.stage != Stage::Ready || w.closing {
                    return;
                }
                // Only for a node of this window's own validated tree whose
                // role takes the action: never a value for the password.
                if !w.renderer.access.allows(&action) {
                    tracing::warn!(
                        role = role.as_str(),
                        action = ?action,
                        "assistive technology asked for an action the window's tree does not offer; ignored"
                    );
                    return;
                }
                if w.renderer.input.push_access(action) == Pushed::Dropped {
                    tracing::warn!(role = role.as_str(), "input queue full; action dropped");
                }
                self.forward_input(now, role);
            }
            WindowEvent::CloseRequested => match role {
                Role::Main => self.quit(now),
                Role::Login => self.close_window(now, role),
            },
            // Placements are the shell's to keep (settings.json); nothing
            // here depends on where a window is.
            WindowEvent::Moved(_) => {}
            WindowEvent::Retry => {
                if w.crashed_out {
                    tracing::info!(role = role.as_str(), "retrying a window that kept crashing");
                    w.crashed_out = false;
                    w.crashes = CrashHistory::default();
                    self.respawn(now, role);
                }
            }
        }
    }

    pub(super) fn auth_finished(
        &mut self,
        now: Instant,
        role: Role,
        generation: u32,
        id: RequestId,
        result: Result<User, LoginError>,
    ) {
        if !self.auth_pending.remove(&(role, generation, id)) {
            // Not a sign-in the broker started: nothing to apply.
            tracing::warn!(
                role = role.as_str(),
                generation,
                "sign-in result for no request; dropped"
            );
            return;
        }
        let Some(w) = self.windows.get_mut(&role) else {
            tracing::info!("sign-in finished after its window closed; result dropped");
            return;
        };
        let live = w.renderer.generation == generation
            && !w.closing
            && w.renderer.stage == Stage::Ready
            && w.renderer.proto.finish_invoke(id);
        if !live {
            // The renderer that asked died by itself while the broker was
            // signing the user in: the broker owns the user, so a sign-in
            // that succeeded is applied as on success (nobody is left to
            // reply to). One the broker killed, or a closed window, is not.
            let unreaped =
                w.renderer.generation == generation && w.renderer.stage == Stage::Disconnected;
            let orphaned = !w.closing
                && (unreaped
                    || (w.renderer.generation != generation
                        && self.gone.iter().any(|g| {
                            g.role == role
                                && g.generation == generation
                                && g.reason.died_on_its_own()
                        })));
            match result {
                Ok(user) if orphaned => {
                    tracing::info!("sign-in finished as the renderer that asked died; applying it");
                    self.signed_in(now, role, user);
                }
                Ok(_) | Err(_) => {
                    tracing::info!("sign-in finished for a renderer that is gone; result dropped");
                }
            }
            return;
        }
        let ok = result.as_ref().ok().cloned();
        self.effects.push(Effect::Send {
            role,
            generation,
            msg: BrokerToRenderer::Reply {
                id,
                reply: workshop_common::protocol::Reply::SubmitLogin(result),
            },
        });
        if let Some(user) = ok {
            self.signed_in(now, role, user);
        }
    }

    /// `user` signed in through window `role`: the broker keeps the user,
    /// closes that window and tells the Main Window.
    fn signed_in(&mut self, now: Instant, role: Role, user: User) {
        tracing::info!("user signed in");
        self.user = Some(user.clone());
        self.close_window(now, role);
        if let Some(main) = self.windows.get(&Role::Main) {
            if main.renderer.stage == Stage::Ready {
                let generation = main.renderer.generation;
                self.effects.push(Effect::Send {
                    role: Role::Main,
                    generation,
                    msg: BrokerToRenderer::Authenticated { user },
                });
            }
        }
    }

    /// Forwards the batch of held input that is due (see [`super::pacing`]).
    pub(super) fn forward_input(&mut self, now: Instant, role: Role) {
        let interval = self.config.input_interval;
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.renderer.stage != Stage::Ready || w.closing {
            return;
        }
        let generation = w.renderer.generation;
        for paced in w.renderer.input.take_due(now, interval) {
            let msg = match paced {
                Paced::Input(input) => BrokerToRenderer::Input(input),
                Paced::Access(action) => BrokerToRenderer::Access(action),
            };
            self.effects.push(Effect::Send {
                role,
                generation,
                msg,
            });
        }
    }

    /// Kills the current renderer of `role` for `reason`.
    pub(super) fn kill(&mut self, _now: Instant, role: Role, reason: GoneReason) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        // Already killed: nothing to add. A renderer still being shut down
        // gracefully (a kill deadline pending) is killed now, for `reason`.
        if matches!(w.renderer.stage, Stage::Dying(_)) && w.renderer.kill_at.is_none() {
            return;
        }
        let generation = w.renderer.generation;
        w.renderer.stage = Stage::Dying(reason);
        w.renderer.kill_at = None;
        self.effects.push(Effect::Kill { role, generation });
        self.forget_access_tree(role);
    }
}

/// A clipboard gesture the broker acts on itself.
#[derive(Debug, PartialEq, Eq)]
enum Gesture {
    /// Ctrl+V: the broker reads the clipboard; the key is not forwarded.
    Paste,
    /// Ctrl+C / Ctrl+X: forwarded, and opens the window for one
    /// `ClipboardWrite`.
    Copy,
}

fn clipboard_gesture(input: &InputEvent) -> Option<Gesture> {
    match input {
        InputEvent::Key {
            key: Key::Char(c),
            modifiers,
        } if modifiers.ctrl => match c.to_ascii_lowercase() {
            'v' => Some(Gesture::Paste),
            'c' | 'x' => Some(Gesture::Copy),
            _ => None,
        },
        InputEvent::PointerMoved { .. }
        | InputEvent::PointerPressed
        | InputEvent::PointerReleased
        | InputEvent::PointerLeft
        | InputEvent::Key { .. }
        | InputEvent::Text(_)
        | InputEvent::Focus(_)
        | InputEvent::Paste(_)
        | InputEvent::ImePreedit(_)
        | InputEvent::ImeCommit(_)
        | InputEvent::DoubleClicked => None,
    }
}

/// Input method text cut to [`MAX_IME_BYTES`] at a char boundary.
fn bounded_ime(input: InputEvent) -> InputEvent {
    let cut = |mut t: String| {
        if t.len() > MAX_IME_BYTES {
            let mut end = MAX_IME_BYTES;
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t.truncate(end);
        }
        t
    };
    match input {
        InputEvent::ImePreedit(t) => InputEvent::ImePreedit(cut(t)),
        InputEvent::ImeCommit(t) => InputEvent::ImeCommit(cut(t)),
        other => other,
    }
}

/// The clipboard's text as a renderer may get it: without NUL, cut at a
/// char boundary to [`MAX_PASTE_BYTES`].
fn paste_text(mut text: String) -> String {
    text.retain(|c| c != '\0');
    if text.len() > MAX_PASTE_BYTES {
        let mut end = MAX_PASTE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}
