//! Shells around the broker core: they own the windows and carry out effects.
//!
//! [`Driver`] is shared by both shells: it feeds events to the core and
//! executes the effects that are not about windows (processes, sockets,
//! surfaces, authentication). Window effects go to a [`WindowBackend`]:
//! [`headless`] keeps surfaces in memory (tests, `--headless`), `desktop`
//! (winit + softbuffer) shows real windows.

pub mod clicks;
pub mod clipboard;
pub mod crash_page;
pub mod desktop;
pub mod headless;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use workshop_common::access::AccessTree;
use workshop_common::geometry::{Position, PxRect};
use workshop_common::input::CursorIcon;
use workshop_common::Role;

use crate::audit::Verdict;
use crate::auth::Authenticator;
use crate::core::{Broker, ClipboardText, Effect, Event, RendererEvent, Selection, WindowEvent};
use crate::host::{Delivery, Hosts};
use crate::queue::EventSender;
use crate::settings::{self, Display, Keeper, Placement};

/// Default top-left corner of each window, logical pixels (DESIGN). Both
/// shells place a window here when no saved position applies.
pub fn default_position(role: Role) -> (i32, i32) {
    match role {
        Role::Main => (200, 200),
        Role::Login => (650, 200),
    }
}

/// Where a `size` window wanted at `wanted` (outer top-left, physical
/// pixels) actually opens so that it can be seen: where it wanted if it
/// lies wholly on one of `displays` (any of them), otherwise moved the
/// least distance that puts it wholly on the display nearest to it (its
/// top-left corner on that display if it is larger than the display). With
/// no display known (Wayland does not say), `wanted` is used as is.
pub fn place(wanted: Position, size: (u32, u32), displays: &[Display]) -> Position {
    let (w, h) = (i64::from(size.0), i64::from(size.1));
    let (x, y) = (i64::from(wanted.x), i64::from(wanted.y));
    let inside = |d: &Display| {
        let (dx, dy) = (i64::from(d.x), i64::from(d.y));
        x >= dx && y >= dy && x + w <= dx + i64::from(d.width) && y + h <= dy + i64::from(d.height)
    };
    if displays.is_empty() || displays.iter().any(inside) {
        return wanted;
    }
    // Distance from the window's centre to each display's rectangle.
    let (cx, cy) = (x + w / 2, y + h / 2);
    let distance = |d: &Display| {
        let (dx, dy) = (i64::from(d.x), i64::from(d.y));
        let gap = |c: i64, lo: i64, len: i64| (lo - c).max(c - (lo + len)).max(0);
        let (gx, gy) = (
            gap(cx, dx, i64::from(d.width)),
            gap(cy, dy, i64::from(d.height)),
        );
        gx * gx + gy * gy
    };
    let Some(d) = displays.iter().min_by_key(|d| distance(d)) else {
        return wanted;
    };
    let clamp = |v: i64, lo: i32, len: u32, extent: i64| {
        let lo = i64::from(lo);
        let hi = (lo + i64::from(len) - extent).max(lo);
        v.clamp(lo, hi)
    };
    let to_i32 = |v: i64| i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX });
    Position {
        x: to_i32(clamp(x, d.x, d.width, w)),
        y: to_i32(clamp(y, d.y, d.height, h)),
    }
}

/// How often the shell reads where each window is. Without a window
/// manager winit reports no `Moved` (X11 sends no synthetic
/// `ConfigureNotify`), so a move would only be seen as the window closes
/// and a broker killed or cut off from its display would lose it; reading
/// the positions this often bounds that loss to this plus the debounce.
pub const PLACEMENT_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// What a window system must offer the broker.
pub trait WindowBackend {
    /// Creates window `role` at `position` (outer top-left, physical
    /// pixels) or, if `None`, at its default place; returns its surface size
    /// in physical pixels and its scale factor.
    fn open(&mut self, role: Role, position: Option<Position>) -> Result<(u32, u32, f32), String>;
    /// The displays that exist now.
    fn displays(&self) -> Vec<Display>;
    /// The scale factor a new window will most likely get (to size it
    /// before it exists).
    fn scale_hint(&self) -> f32;
    /// Where window `role` is now, and on which display.
    fn placement(&self, role: Role) -> Option<Placement>;
    /// Destroys window `role`.
    fn close(&mut self, role: Role);
    /// Brings window `role` to the front.
    fn raise(&mut self, role: Role);
    /// Sets window `role`'s title.
    fn set_title(&mut self, role: Role, title: &str);
    /// Sets window `role`'s pointer shape.
    fn set_cursor(&mut self, role: Role, cursor: CursorIcon);
    /// Copies `damage` from `pixels` (a `width × height` 0RGB surface) into
    /// window `role` and presents it.
    fn present(&mut self, role: Role, pixels: &[u8], width: u32, height: u32, damage: PxRect);
    /// Draws the broker's own error page in window `role`.
    fn show_crashed(&mut self, role: Role);
    /// Turns window `role`'s input method on at `area`, or off.
    fn set_ime(&mut self, role: Role, area: Option<PxRect>);
    /// Reads `selection` for window `role`'s paste: at once, or (the
    /// desktop, whose clipboard I/O runs on its own thread) later, as a
    /// [`WindowEvent::ClipboardRead`] for `role`.
    fn read_clipboard(&mut self, role: Role, selection: Selection) -> ClipboardAnswer;
    /// Owns `selection` with `text`.
    fn write_clipboard(&mut self, selection: Selection, text: &str);
    /// Shows `tree` (validated, possibly empty) to assistive technology as
    /// window `role`'s content, under a window node of the broker's own.
    fn set_access_tree(&mut self, role: Role, tree: &AccessTree);
}

/// What [`WindowBackend::read_clipboard`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipboardAnswer {
    /// The selection's text now (`None`: it holds none).
    Now(Option<String>),
    /// The read is under way; its answer will come as an event.
    Later,
}

fn renderer_event(role: Role, generation: u32, event: RendererEvent) -> Event {
    Event::Renderer {
        role,
        generation,
        event,
    }
}

/// What the shell itself keeps up to date after the core has seen an
/// event: the hosts it owns, the settings it owns.
enum Chore {
    /// Nothing.
    None,
    /// A renderer process was reaped: forget its host.
    Reaped { role: Role, generation: u32 },
    /// A window moved: remember where (settings.json).
    Moved { role: Role },
    /// Timers: the settings' debounced write.
    Tick,
}

impl Chore {
    fn of(event: &Event) -> Chore {
        match event {
            Event::Renderer {
                role,
                generation,
                event: RendererEvent::Exited(_),
            } => Chore::Reaped {
                role: *role,
                generation: *generation,
            },
            Event::Window {
                role,
                event: WindowEvent::Moved(_),
            } => Chore::Moved { role: *role },
            Event::Tick => Chore::Tick,
            Event::Start
            | Event::Renderer { .. }
            | Event::Window { .. }
            | Event::AuthFinished { .. }
            | Event::SecondInstance
            | Event::Shutdown(_) => Chore::None,
        }
    }
}

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep running.
    Continue,
    /// The app quit.
    Quit,
}

/// The core, the renderer hosts and the authenticator, wired together.
pub struct Driver {
    core: Broker,
    hosts: Hosts,
    auth: Arc<dyn Authenticator>,
    events: EventSender,
    settings: Keeper,
    /// When the windows' positions are next read ([`PLACEMENT_POLL`]).
    placement_poll: Instant,
    quit: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").field("core", &self.core).finish()
    }
}

impl Driver {
    /// Wires a driver.
    pub fn new(
        core: Broker,
        hosts: Hosts,
        auth: Arc<dyn Authenticator>,
        events: EventSender,
        settings: Keeper,
    ) -> Driver {
        Driver {
            core,
            hosts,
            auth,
            events,
            settings,
            placement_poll: Instant::now() + PLACEMENT_POLL,
            quit: false,
        }
    }

    /// Stages every pending settings save for
    /// [`settings::rescue`] (the desktop, whose display may vanish).
    pub fn stage_settings_for_rescue(&mut self) {
        self.settings.stage_for_rescue();
    }

    /// The settings as they stand.
    pub fn settings(&self) -> &settings::Settings {
        self.settings.settings()
    }

    /// The core (for inspection).
    pub fn core(&self) -> &Broker {
        &self.core
    }

    /// The hosts (for inspection).
    pub fn hosts(&self) -> &Hosts {
        &self.hosts
    }

    /// Feeds `event` and everything it causes synchronously.
    pub fn handle(&mut self, event: Event, backend: &mut dyn WindowBackend) -> Flow {
        let mut pending = VecDeque::from([event]);
        while let Some(event) = pending.pop_front() {
            let now = Instant::now();
            let chore = Chore::of(&event);
            // The core sees every event first; the shell's own bookkeeping
            // follows, before the effects run.
            let effects = self.core.handle(now, event);
            self.chore(now, chore, backend);
            self.execute(effects, backend, &mut pending);
        }
        if self.quit {
            Flow::Quit
        } else {
            Flow::Continue
        }
    }

    fn chore(&mut self, now: Instant, chore: Chore, backend: &dyn WindowBackend) {
        match chore {
            Chore::None => {}
            Chore::Reaped { role, generation } => self.hosts.reaped(role, generation),
            Chore::Moved { role } => self.remember_placement(now, role, backend),
            Chore::Tick => {
                if now >= self.placement_poll {
                    self.placement_poll = now + PLACEMENT_POLL;
                    let roles: Vec<Role> = self.core.windows().map(|w| w.role).collect();
                    for role in roles {
                        self.remember_placement(now, role, backend);
                    }
                }
                self.settings.tick(now);
            }
        }
    }

    fn remember_placement(&mut self, now: Instant, role: Role, backend: &dyn WindowBackend) {
        if let Some(p) = backend.placement(role) {
            self.settings.moved(now, role, p);
        }
    }

    /// When the loop must wake for timers even without events.
    pub fn next_deadline(&self) -> Option<Instant> {
        let core = [
            self.core.next_deadline(),
            self.settings.deadline(),
            Some(self.placement_poll),
        ]
        .into_iter()
        .flatten()
        .min();
        if self.hosts.has_backlog() {
            let soon = Instant::now() + std::time::Duration::from_millis(2);
            return Some(core.map_or(soon, |c| c.min(soon)));
        }
        core
    }

    /// Retries held messages (call on every loop iteration).
    pub fn flush(&mut self) {
        self.hosts.flush_backlogs();
    }

    fn execute(
        &mut self,
        effects: Vec<Effect>,
        backend: &mut dyn WindowBackend,
        pending: &mut VecDeque<Event>,
    ) {
        for effect in effects {
            match effect {
                Effect::OpenWindow { role } => self.open_window(role, backend, pending),
                Effect::CloseWindow { role } => {
                    // Without a window manager no `Moved` arrives: read the
                    // position before the window goes.
                    self.remember_placement(Instant::now(), role, backend);
                    backend.close(role);
                }
                Effect::RaiseWindow { role } => backend.raise(role),
                Effect::SetTitle { role, title } => backend.set_title(role, &title),
                Effect::SetCursor { role, cursor } => backend.set_cursor(role, cursor),
                Effect::ShowCrashed { role } => backend.show_crashed(role),
                Effect::Spawn { role, generation } => {
                    // Fed ahead of the queue: the renderer's first datagram
                    // may already be queued behind us.
                    let event = self.hosts.spawn(role, generation);
                    pending.push_front(renderer_event(role, generation, event));
                }
                Effect::SendSurface {
                    role,
                    generation,
                    spec,
                    connect,
                } => self.hosts.send_surface(role, generation, spec, connect),
                Effect::Send {
                    role,
                    generation,
                    msg,
                } => self.send(role, generation, &msg),
                Effect::Present {
                    role,
                    generation,
                    surface,
                    damage,
                } => self.present(role, generation, surface, damage, backend),
                Effect::Inspect {
                    role,
                    generation,
                    pid,
                } => {
                    let seen = RendererEvent::Inspected(self.hosts.inspect(pid));
                    pending.push_back(renderer_event(role, generation, seen));
                }
                Effect::Kill { role, generation } => self.hosts.kill(role, generation),
                Effect::Authenticate {
                    role,
                    generation,
                    id,
                    email,
                    password,
                } => self.authenticate(role, generation, id, email, password, pending),
                Effect::SetIme { role, area } => backend.set_ime(role, area),
                Effect::ReadClipboard { role, selection } => {
                    match backend.read_clipboard(role, selection) {
                        ClipboardAnswer::Now(text) => pending.push_back(Event::Window {
                            role,
                            event: WindowEvent::ClipboardRead(text.map(ClipboardText)),
                        }),
                        ClipboardAnswer::Later => {}
                    }
                }
                Effect::WriteClipboard { selection, text } => {
                    backend.write_clipboard(selection, &text.0)
                }
                Effect::AccessTree { role, tree } => backend.set_access_tree(role, &tree),
                Effect::Quit => {
                    self.settings.flush();
                    self.hosts.shutdown_all(self.core.config().shutdown_grace);
                    self.quit = true;
                }
            }
        }
    }

    /// Presents `damage` of surface `surface` if it is still the host's
    /// newest (a resize may have replaced it since the core decided).
    fn present(
        &mut self,
        role: Role,
        generation: u32,
        surface: u32,
        damage: PxRect,
        backend: &mut dyn WindowBackend,
    ) {
        if let Some((spec, pixels)) = self.hosts.surface(role, generation) {
            if spec.generation == surface {
                backend.present(role, pixels, spec.width, spec.height, damage);
            }
        }
    }

    /// Opens a window where settings say (if that display still exists);
    /// its size goes to the core as the first `Resized`.
    fn open_window(
        &mut self,
        role: Role,
        backend: &mut dyn WindowBackend,
        pending: &mut VecDeque<Event>,
    ) {
        let displays = backend.displays();
        let scale = backend.scale_hint();
        let wanted =
            settings::restore(self.settings.settings(), role, &displays).unwrap_or_else(|| {
                let (x, y) = default_position(role);
                Position {
                    x: (x as f32 * scale).round() as i32,
                    y: (y as f32 * scale).round() as i32,
                }
            });
        let size = (
            (crate::core::WINDOW_LOGICAL_SIZE.0 as f32 * scale).round() as u32,
            (crate::core::WINDOW_LOGICAL_SIZE.1 as f32 * scale).round() as u32,
        );
        let position = place(wanted, size, &displays);
        if position != wanted {
            tracing::info!(
                role = role.as_str(),
                wanted_x = wanted.x,
                wanted_y = wanted.y,
                x = position.x,
                y = position.y,
                "window would be off-screen; moved onto the nearest display"
            );
        }
        match backend.open(role, Some(position)) {
            Ok((width, height, scale)) => pending.push_back(Event::Window {
                role,
                event: WindowEvent::Resized {
                    width,
                    height,
                    scale,
                },
            }),
            Err(e) => {
                tracing::error!(
                    role = role.as_str(),
                    error = e.as_str(),
                    "could not open window"
                );
            }
        }
    }

    /// Sends without blocking and audits what happened.
    fn send(&mut self, role: Role, generation: u32, msg: &workshop_common::BrokerToRenderer) {
        let kind = msg.kind().name();
        let (size, verdict) = match self.hosts.send(role, generation, msg) {
            Delivery::Sent(n) | Delivery::Backlogged(n) => (n, Verdict::Accepted),
            Delivery::Dropped(n) => (n, Verdict::Undelivered("renderer not reading or gone")),
        };
        self.core
            .audit_outgoing(role, generation, kind, size, verdict);
    }

    /// Runs the authenticator on its own thread; its result comes back as
    /// an event.
    fn authenticate(
        &mut self,
        role: Role,
        generation: u32,
        id: workshop_common::protocol::RequestId,
        email: String,
        password: workshop_common::Secret,
        pending: &mut VecDeque<Event>,
    ) {
        let auth = self.auth.clone();
        let events = self.events.clone();
        let spawned = std::thread::Builder::new()
            .name("auth".to_owned())
            .spawn(move || {
                let result = auth.authenticate(&email, &password);
                drop(password);
                events.send(Event::AuthFinished {
                    role,
                    generation,
                    id,
                    result,
                });
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the authenticator thread");
            pending.push_back(Event::AuthFinished {
                role,
                generation,
                id,
                result: Err(workshop_common::user::LoginError::Unavailable),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{place, Display, Position};

    fn display(x: i32, y: i32, width: u32, height: u32) -> Display {
        Display {
            name: None,
            x,
            y,
            width,
            height,
        }
    }

    fn at(x: i32, y: i32) -> Position {
        Position { x, y }
    }

    #[test]
    fn a_window_on_a_display_stays_where_it_is() {
        let d = [display(0, 0, 1280, 800)];
        assert_eq!(place(at(200, 200), (400, 400), &d), at(200, 200));
        assert_eq!(place(at(880, 400), (400, 400), &d), at(880, 400));
    }

    #[test]
    fn far_off_screen_comes_back_to_the_nearest_edge() {
        let d = [display(0, 0, 1280, 800)];
        assert_eq!(place(at(-100_000, 200), (400, 400), &d), at(0, 200));
        assert_eq!(place(at(2000, 1500), (400, 400), &d), at(880, 400));
        assert_eq!(place(at(i32::MIN, i32::MAX), (400, 400), &d), at(0, 400));
    }

    #[test]
    fn the_login_default_at_scale_2_on_a_small_display_is_pulled_in() {
        // 650,200 logical at scale 2, an 800 × 800 physical window.
        let d = [display(0, 0, 1280, 800)];
        assert_eq!(place(at(1300, 400), (800, 800), &d), at(480, 0));
    }

    #[test]
    fn any_display_will_do_and_the_nearest_is_chosen() {
        let d = [display(0, 0, 1920, 1080), display(1920, 0, 1280, 1024)];
        assert_eq!(place(at(2000, 100), (400, 400), &d), at(2000, 100));
        // Below the second display: onto it, not the first.
        assert_eq!(place(at(2500, 3000), (400, 400), &d), at(2500, 624));
        // Straddling the two: moved wholly onto the one nearer its centre.
        assert_eq!(place(at(1800, 100), (400, 400), &d), at(1920, 100));
    }

    #[test]
    fn larger_than_the_display_opens_at_its_corner() {
        let d = [display(100, 50, 300, 300)];
        assert_eq!(place(at(900, 900), (400, 400), &d), at(100, 50));
    }

    #[test]
    fn without_displays_the_position_is_used_as_is() {
        assert_eq!(place(at(-5, 7), (400, 400), &[]), at(-5, 7));
    }
}
