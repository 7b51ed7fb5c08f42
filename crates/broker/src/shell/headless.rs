//! The headless shell: the same broker, renderers and protocol, with window
//! surfaces kept in memory and input injected by the caller.
//!
//! Tests drive the whole app through [`HeadlessApp`] with real renderer
//! processes; `workshop --headless` runs it without a display. A window's
//! pixels can be written to a PNG.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use thiserror::Error;
use workshop_common::access::{AccessAction, AccessTree};
use workshop_common::geometry::{Position, PxRect};
use workshop_common::input::{CursorIcon, InputEvent, Key, Modifiers};
use workshop_common::Role;

use super::{ClipboardAnswer, Driver, Flow, WindowBackend};
use crate::core::{Event, Selection, WindowEvent, WINDOW_LOGICAL_SIZE};
use crate::queue::EventReceiver;
use crate::settings::{Display, Placement};

/// One in-memory window.
#[derive(Debug, Clone)]
pub struct HeadlessWindow {
    /// Title as set by the broker.
    pub title: String,
    /// Pointer shape as set by the broker.
    pub cursor: CursorIcon,
    /// Width, physical pixels.
    pub width: u32,
    /// Height, physical pixels.
    pub height: u32,
    /// 0RGB pixels as presented.
    pub pixels: Vec<u32>,
    /// How many frames were presented.
    pub frames: u64,
    /// How many times it was raised.
    pub raised: u32,
    /// Whether the broker's error page is shown.
    pub crashed: bool,
    /// Outer top-left corner, physical pixels.
    pub position: Position,
    /// The input method's area as the broker set it (`None`: off).
    pub ime_area: Option<PxRect>,
    /// The accessibility tree the broker last showed for it (what an
    /// adapter would expose under the window node named `title`).
    pub access: AccessTree,
    /// How many trees the broker showed for it.
    pub access_updates: u64,
}

/// Windows in memory.
#[derive(Debug)]
pub struct HeadlessBackend {
    scale: f32,
    windows: BTreeMap<Role, HeadlessWindow>,
    clipboard: BTreeMap<SelectionKey, String>,
}

/// [`Selection`] as a map key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SelectionKey {
    Clipboard,
    Primary,
}

impl From<Selection> for SelectionKey {
    fn from(s: Selection) -> SelectionKey {
        match s {
            Selection::Clipboard => SelectionKey::Clipboard,
            Selection::Primary => SelectionKey::Primary,
        }
    }
}

impl HeadlessBackend {
    /// Windows at `scale` physical pixels per logical pixel.
    pub fn new(scale: f32) -> HeadlessBackend {
        HeadlessBackend {
            scale,
            windows: BTreeMap::new(),
            clipboard: BTreeMap::new(),
        }
    }

    /// What the in-memory `selection` holds.
    pub fn clipboard(&self, selection: Selection) -> Option<&str> {
        self.clipboard.get(&selection.into()).map(String::as_str)
    }

    /// Puts `text` in the in-memory `selection`, as another application
    /// copying would.
    pub fn set_clipboard(&mut self, selection: Selection, text: &str) {
        self.clipboard.insert(selection.into(), text.to_owned());
    }

    /// Window `role`, if open.
    pub fn window(&self, role: Role) -> Option<&HeadlessWindow> {
        self.windows.get(&role)
    }
}

/// The one display the headless backend pretends to have.
pub fn headless_display() -> Display {
    Display {
        name: Some("headless".to_owned()),
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
    }
}

impl WindowBackend for HeadlessBackend {
    fn displays(&self) -> Vec<Display> {
        vec![headless_display()]
    }

    fn scale_hint(&self) -> f32 {
        self.scale
    }

    fn placement(&self, role: Role) -> Option<Placement> {
        self.windows.get(&role).map(|w| Placement {
            x: w.position.x,
            y: w.position.y,
            display: headless_display(),
        })
    }

    fn open(&mut self, role: Role, position: Option<Position>) -> Result<(u32, u32, f32), String> {
        let position = position.unwrap_or_else(|| {
            let (x, y) = super::default_position(role);
            Position {
                x: (x as f32 * self.scale) as i32,
                y: (y as f32 * self.scale) as i32,
            }
        });
        let width = (WINDOW_LOGICAL_SIZE.0 as f32 * self.scale).round() as u32;
        let height = (WINDOW_LOGICAL_SIZE.1 as f32 * self.scale).round() as u32;
        self.windows.insert(
            role,
            HeadlessWindow {
                title: role.window_title().to_owned(),
                cursor: CursorIcon::Default,
                width,
                height,
                pixels: vec![0; width as usize * height as usize],
                frames: 0,
                raised: 0,
                crashed: false,
                position,
                ime_area: None,
                access: AccessTree::default(),
                access_updates: 0,
            },
        );
        Ok((width, height, self.scale))
    }

    fn close(&mut self, role: Role) {
        self.windows.remove(&role);
    }

    fn raise(&mut self, role: Role) {
        if let Some(w) = self.windows.get_mut(&role) {
            w.raised += 1;
        }
    }

    fn set_title(&mut self, role: Role, title: &str) {
        if let Some(w) = self.windows.get_mut(&role) {
            w.title = title.to_owned();
        }
    }

    fn set_cursor(&mut self, role: Role, cursor: CursorIcon) {
        if let Some(w) = self.windows.get_mut(&role) {
            w.cursor = cursor;
        }
    }

    fn present(&mut self, role: Role, pixels: &[u8], width: u32, height: u32, damage: PxRect) {
        let Some(w) = self.windows.get_mut(&role) else {
            return;
        };
        if w.width != width || w.height != height {
            w.width = width;
            w.height = height;
            w.pixels = vec![0; width as usize * height as usize];
        }
        crate::present::copy_damage(pixels, &mut w.pixels, width, height, damage);
        w.frames += 1;
        w.crashed = false;
    }

    fn show_crashed(&mut self, role: Role) {
        if let Some(w) = self.windows.get_mut(&role) {
            w.crashed = true;
        }
    }

    fn set_ime(&mut self, role: Role, area: Option<PxRect>) {
        if let Some(w) = self.windows.get_mut(&role) {
            w.ime_area = area;
        }
    }

    fn set_access_tree(&mut self, role: Role, tree: &AccessTree) {
        if let Some(w) = self.windows.get_mut(&role) {
            w.access = tree.clone();
            w.access_updates += 1;
        }
    }

    fn read_clipboard(&mut self, _role: Role, selection: Selection) -> ClipboardAnswer {
        ClipboardAnswer::Now(self.clipboard.get(&selection.into()).cloned())
    }

    fn write_clipboard(&mut self, selection: Selection, text: &str) {
        self.set_clipboard(selection, text);
    }
}

/// A condition was not met in time.
#[derive(Debug, Error)]
#[error("timed out after {0:?} waiting for {1}")]
pub struct TimedOut(pub Duration, pub String);

/// The headless app: driver, backend and event queue.
pub struct HeadlessApp {
    driver: Driver,
    backend: HeadlessBackend,
    events: EventReceiver,
    pointer: BTreeMap<Role, (f32, f32)>,
    quit: bool,
}

impl std::fmt::Debug for HeadlessApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadlessApp").finish_non_exhaustive()
    }
}

impl HeadlessApp {
    /// Wires the app and sends `Start` (the Main Window opens).
    pub fn start(driver: Driver, backend: HeadlessBackend, events: EventReceiver) -> HeadlessApp {
        let mut app = HeadlessApp {
            driver,
            backend,
            events,
            pointer: BTreeMap::new(),
            quit: false,
        };
        app.feed(Event::Start);
        app
    }

    /// The driver (core state, hosts).
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// The in-memory windows.
    pub fn backend(&self) -> &HeadlessBackend {
        &self.backend
    }

    /// The in-memory windows, to change what another application put on
    /// the clipboard.
    pub fn backend_mut(&mut self) -> &mut HeadlessBackend {
        &mut self.backend
    }

    /// A paste gesture the shell recognises itself (Shift+Insert, middle
    /// click).
    pub fn paste_gesture(&mut self, role: Role, selection: Selection) {
        self.feed(Event::Window {
            role,
            event: WindowEvent::PasteGesture(selection),
        });
    }

    /// Whether the app has quit.
    pub fn has_quit(&self) -> bool {
        self.quit
    }

    /// Feeds one event now.
    pub fn feed(&mut self, event: Event) {
        if self.quit {
            return;
        }
        if self.driver.handle(event, &mut self.backend) == Flow::Quit {
            self.quit = true;
        }
    }

    /// Processes events and timers for up to `max`, returning early once
    /// nothing arrives for a whole turn of the loop.
    pub fn pump_once(&mut self, max: Duration) {
        self.driver.flush();
        let now = Instant::now();
        let wait = self
            .driver
            .next_deadline()
            .map(|d| d.saturating_duration_since(now))
            .unwrap_or(max)
            .min(max);
        if let Some(event) = self.events.recv_timeout(wait) {
            self.feed(event);
        }
        for event in self.events.drain() {
            self.feed(event);
        }
        self.feed(Event::Tick);
    }

    /// Runs the loop until `done` holds or `timeout` passes.
    pub fn run_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&HeadlessApp) -> bool,
    ) -> Result<(), TimedOut> {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self) {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(TimedOut(timeout, what.to_owned()));
            }
            self.pump_once((deadline - now).min(Duration::from_millis(50)));
        }
    }

    /// Runs until the app quits (the `--headless` binary).
    pub fn run(&mut self) {
        while !self.quit {
            self.pump_once(Duration::from_secs(1));
        }
    }

    /// Sends an input event to window `role`.
    pub fn input(&mut self, role: Role, event: InputEvent) {
        if let InputEvent::PointerMoved { x, y } = event {
            self.pointer.insert(role, (x, y));
        }
        self.feed(Event::Window {
            role,
            event: WindowEvent::Input(event),
        });
    }

    /// What assistive technology would ask of window `role` (the desktop
    /// shell's adapter produces the same event).
    pub fn access_action(&mut self, role: Role, action: AccessAction) {
        self.feed(Event::Window {
            role,
            event: WindowEvent::Access(action),
        });
    }

    /// Moves the pointer to (x, y) logical pixels and clicks.
    pub fn click(&mut self, role: Role, x: f32, y: f32) {
        let scale = self.scale();
        self.input(
            role,
            InputEvent::PointerMoved {
                x: x * scale,
                y: y * scale,
            },
        );
        self.input(role, InputEvent::PointerPressed);
        self.input(role, InputEvent::PointerReleased);
    }

    /// Moves the pointer to (x, y) logical pixels.
    pub fn hover(&mut self, role: Role, x: f32, y: f32) {
        let scale = self.scale();
        self.input(
            role,
            InputEvent::PointerMoved {
                x: x * scale,
                y: y * scale,
            },
        );
    }

    /// Types `text` into window `role`.
    pub fn type_text(&mut self, role: Role, text: &str) {
        self.input(role, InputEvent::Text(text.to_owned()));
    }

    /// Presses `key` in window `role`.
    pub fn key(&mut self, role: Role, key: Key, modifiers: Modifiers) {
        self.input(role, InputEvent::Key { key, modifiers });
    }

    /// Moves window `role` as a user dragging it would.
    pub fn move_window(&mut self, role: Role, x: i32, y: i32) {
        if let Some(w) = self.backend.windows.get_mut(&role) {
            w.position = Position { x, y };
        }
        self.feed(Event::Window {
            role,
            event: WindowEvent::Moved(Position { x, y }),
        });
    }

    /// Asks to close window `role` as the window manager would.
    pub fn close_requested(&mut self, role: Role) {
        self.feed(Event::Window {
            role,
            event: WindowEvent::CloseRequested,
        });
    }

    /// The scale windows are created at.
    pub fn scale(&self) -> f32 {
        self.backend.scale
    }

    /// Writes window `role`'s pixels to a PNG.
    pub fn write_png(&self, role: Role, path: &Path) -> Result<(), String> {
        let w = self
            .backend
            .window(role)
            .ok_or_else(|| format!("no {role} window"))?;
        crate::present::write_png(path, &w.pixels, w.width, w.height)
    }
}
