//! The desktop shell: real windows with winit 0.30 and softbuffer 0.4.
//!
//! Shaped like winit's `ApplicationHandler` examples: windows live in a map
//! by `WindowId`, each window's softbuffer surface is dropped before its
//! window (field order), and other threads wake the loop through an
//! `EventLoopProxy` (the event queue's wake function). Everything the broker
//! decides happens in the [`Driver`]; this module only translates between
//! winit and the core, and copies presented pixels into softbuffer.
//!
//! Every window carries the desktop id ([`crate::cli::APP_ID`]) as its
//! Wayland `app_id` and its X11 `WM_CLASS` class, so a desktop matches it
//! to `dev.workshop.Workshop.desktop` (icon, name, `StartupWMClass`).
//! Which display server is used is decided first, in [`backend`].
//!
//! Each window is created invisible, gets its accessibility adapter
//! ([`access`]), and only then is shown, as `accesskit_winit` requires.

mod access;
mod backend;

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use thiserror::Error;
use winit::application::ApplicationHandler;
use winit::dpi::{LogicalPosition, LogicalSize, PhysicalPosition};
use winit::event::{ElementState, MouseButton, StartCause, WindowEvent as WinitWindowEvent};
use winit::event_loop::{
    ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy, OwnedDisplayHandle,
};
use winit::keyboard::{Key as WinitKey, ModifiersState, NamedKey};
use winit::window::{Window, WindowAttributes, WindowButtons, WindowId};
use workshop_common::geometry::{Position, PxRect};
use workshop_common::input::{CursorIcon, InputEvent, Key, Modifiers};
use workshop_common::Role;

use backend::Choice;
use winit::platform::x11::EventLoopBuilderExtX11;

use super::crash_page::CrashPage;
use super::{default_position, ClipboardAnswer, Driver, Flow, WindowBackend};
use crate::core::{ClipboardText, Event, Selection, WindowEvent, WINDOW_LOGICAL_SIZE};
use crate::queue::{EventReceiver, Wake};
use crate::settings::{Display, Placement};

/// Why the desktop shell could not run.
#[derive(Debug, Error)]
pub enum DesktopError {
    /// Neither `DISPLAY` nor `WAYLAND_DISPLAY` is set.
    #[error("no display: neither DISPLAY nor WAYLAND_DISPLAY is set. Run it inside a desktop session, under `xvfb-run workshop`, or use `workshop --headless`")]
    NoDisplayVariable,
    /// `WAYLAND_DISPLAY` names a display nobody answers on, and there is
    /// no `DISPLAY` to fall back to.
    #[error("cannot connect to Wayland display {display:?}: {reason}. Is the compositor running? Unset WAYLAND_DISPLAY and set DISPLAY to use X11, or use `workshop --headless`")]
    WaylandUnreachable {
        /// What WAYLAND_DISPLAY said.
        display: String,
        /// Why it did not answer.
        reason: String,
    },
    /// The X11 display named in the environment could not be opened.
    #[error("cannot open display {display:?}: {reason}. Is the X server running? Try `xvfb-run workshop` or `workshop --headless`")]
    DisplayUnreachable {
        /// What DISPLAY / WAYLAND_DISPLAY said.
        display: String,
        /// winit's error.
        reason: String,
    },
    /// The event loop failed.
    #[error("event loop: {0}")]
    EventLoop(String),
}

/// What other threads post to the loop.
#[derive(Debug)]
pub enum UserEvent {
    /// Events are waiting in the queue.
    Wake,
    /// The clipboard thread's answer to a read for window `role`
    /// ([`super::clipboard`]); `None` when the selection held no text.
    ClipboardRead {
        /// The window whose paste gesture asked.
        role: Role,
        /// The text (its `Debug` shows only its length).
        text: Option<ClipboardText>,
    },
    /// A window's accessibility adapter asked for something (an action
    /// from assistive technology, from the adapter's thread).
    Access(accesskit_winit::Event),
}

impl From<accesskit_winit::Event> for UserEvent {
    fn from(event: accesskit_winit::Event) -> UserEvent {
        UserEvent::Access(event)
    }
}

/// Runs the app on the desktop until it quits. `build` wires the driver
/// once the event loop exists (its wake function posts to the loop); the
/// caller ([`crate::app::run_desktop`]) knows how.
pub fn run(build: impl FnOnce(Wake) -> (Driver, EventReceiver)) -> Result<(), DesktopError> {
    let env = backend::Env::current();
    let mut builder = EventLoop::<UserEvent>::with_user_event();
    let choice = backend::choose(&env, cfg!(feature = "wayland"));
    match &choice {
        Choice::Nothing => return Err(DesktopError::NoDisplayVariable),
        Choice::WaylandUnreachable { wayland, reason } => {
            return Err(DesktopError::WaylandUnreachable {
                display: wayland.clone(),
                reason: reason.clone(),
            })
        }
        Choice::X11Fallback { wayland, reason } => {
            tracing::warn!(
                wayland_display = %wayland,
                %reason,
                "the Wayland display does not answer; using X11 (DISPLAY) instead"
            );
            builder.with_x11();
        }
        Choice::X11 => {
            builder.with_x11();
        }
        Choice::Wayland => {}
    }
    let event_loop = builder.build().map_err(|e| {
        let reason = without_source_location(&e.to_string());
        match (&choice, &env.wayland_display) {
            (Choice::Wayland, Some(wayland)) => DesktopError::WaylandUnreachable {
                display: wayland.clone(),
                reason,
            },
            _ => DesktopError::DisplayUnreachable {
                display: env.display.clone().unwrap_or_default(),
                reason,
            },
        }
    })?;
    let proxy = event_loop.create_proxy();
    let clipboard = match super::clipboard::ClipboardThread::start(proxy.clone()) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "no clipboard thread; copy and paste are off");
            None
        }
    };
    let access_proxy = proxy.clone();
    let wake = Arc::new(move || {
        // Fails only when the loop has exited, when nobody needs waking.
        let _ = proxy.send_event(UserEvent::Wake);
    });
    let x11 = winit::platform::x11::EventLoopExtX11::is_x11(&event_loop);
    if x11 {
        catch_display_loss();
    }
    let (mut driver, events) = build(wake);
    driver.stage_settings_for_rescue();
    let mut shell = DesktopShell {
        driver,
        events,
        context: None,
        windows: Windows {
            clipboard,
            ..Windows::default()
        },
        started: false,
        quit: false,
        proxy: access_proxy,
    };
    let ended = event_loop.run_app(&mut shell);
    if let Err(e) = &ended {
        if !x11 && !shell.quit {
            // winit's Wayland loop reports a dead compositor only this way:
            // a dispatch or flush error ends `run_app` with
            // `ExitFailure(errno or 1)` (after `exiting`), though the core
            // never asked to quit. X11 never gets here (see
            // `catch_display_loss`).
            display_lost(&format!(
                "the Wayland compositor closed the connection (winit: {})",
                without_source_location(&e.to_string())
            ));
        }
    }
    ended.map_err(|e| DesktopError::EventLoop(e.to_string()))
}

/// Exit status when the connection to the display is lost.
pub const EXIT_DISPLAY_LOST: i32 = 3;

/// Xlib's default I/O error handler prints "X connection to :N broken" and
/// calls `exit(1)` from inside whatever Xlib call noticed, and winit 0.30
/// installs none of its own (only `XSetErrorHandler`, for protocol errors).
/// This one runs first: it writes the pending settings save (staged by the
/// keeper on every move, since the driver is mid-call and out of reach),
/// says so in our own words and exits with [`EXIT_DISPLAY_LOST`].
/// Renderers die with the broker (parent-death signal).
fn catch_display_loss() {
    match x11_dl::xlib::Xlib::open() {
        // SAFETY: `x11_display_lost` has the signature Xlib expects and never
        // returns; libX11 stays loaded (winit holds it) after `xlib` drops.
        Ok(xlib) => unsafe {
            (xlib.XSetIOErrorHandler)(Some(x11_display_lost));
        },
        Err(e) => tracing::warn!(error = %e, "cannot catch the loss of the display"),
    }
}

/// The I/O error handler: see [`catch_display_loss`].
unsafe extern "C" fn x11_display_lost(_display: *mut x11_dl::xlib::Display) -> std::os::raw::c_int {
    display_lost("the X server closed the connection")
}

/// Losing the display, X11 or Wayland: writes the pending settings save
/// (staged on every move, see [`crate::settings::rescue`]), says so in one
/// line of our own and exits with [`EXIT_DISPLAY_LOST`]. Renderers die
/// with the broker (parent-death signal).
fn display_lost(why: &str) -> ! {
    let saved = crate::settings::rescue();
    tracing::error!(
        reason = why,
        pending_settings_saved = saved,
        exit_status = EXIT_DISPLAY_LOST,
        "lost the connection to the display; shutting down"
    );
    std::process::exit(EXIT_DISPLAY_LOST)
}

/// winit's OS errors start with the source location that raised them
/// ("os error at .../mod.rs:788: ..."); a user needs only the message.
fn without_source_location(message: &str) -> String {
    match message.find(".rs:") {
        Some(i) => message[i..]
            .split_once(": ")
            .map_or(message, |(_, rest)| rest)
            .to_owned(),
        None => message.to_owned(),
    }
}

/// One real window. Field order matters: the surface is dropped before the
/// window it draws into.
struct DesktopWindow {
    surface: softbuffer::Surface<OwnedDisplayHandle, Rc<Window>>,
    /// The window's AT-SPI side (dropped before the window).
    access: access::WindowAccess,
    window: Rc<Window>,
    role: Role,
    /// What the window shows, 0RGB, `width × height`.
    backing: Vec<u32>,
    width: u32,
    height: u32,
    scale: f32,
    pointer: (f32, f32),
    /// Presses of the primary button, for double clicks.
    clicks: super::clicks::ClickCounter,
    crash_page: Option<CrashPage>,
}

#[derive(Default)]
struct Windows {
    by_id: BTreeMap<WindowId, DesktopWindow>,
    modifiers: ModifiersState,
    /// The clipboard thread, which owns the broker's clipboard connection
    /// (on X11 it owns the selections the user copied into).
    clipboard: Option<super::clipboard::ClipboardThread>,
}

impl Windows {
    fn by_role(&mut self, role: Role) -> Option<&mut DesktopWindow> {
        self.by_id.values_mut().find(|w| w.role == role)
    }
}

struct DesktopShell {
    driver: Driver,
    events: EventReceiver,
    context: Option<softbuffer::Context<OwnedDisplayHandle>>,
    windows: Windows,
    started: bool,
    quit: bool,
    /// For each window's accessibility adapter.
    proxy: EventLoopProxy<UserEvent>,
}

/// The window backend for one call into the driver: borrows the event loop
/// (needed to create windows) and the window map.
struct Backend<'a> {
    event_loop: &'a ActiveEventLoop,
    context: &'a softbuffer::Context<OwnedDisplayHandle>,
    windows: &'a mut Windows,
    proxy: &'a EventLoopProxy<UserEvent>,
}

impl DesktopShell {
    fn feed(&mut self, event_loop: &ActiveEventLoop, event: Event) {
        if self.quit {
            return;
        }
        let Some(context) = self.context.as_ref() else {
            return;
        };
        let mut backend = Backend {
            event_loop,
            context,
            windows: &mut self.windows,
            proxy: &self.proxy,
        };
        if self.driver.handle(event, &mut backend) == Flow::Quit {
            self.quit = true;
            // Windows go before the loop ends: surfaces first (field order).
            self.windows.by_id.clear();
            event_loop.exit();
        }
    }

    /// What a window's adapter asked for: an action becomes input for the
    /// core (which checks it against the window's tree); the tree itself is
    /// answered on the adapter's thread (`access::Latest`).
    fn access_event(&mut self, event_loop: &ActiveEventLoop, event: accesskit_winit::Event) {
        let Some(w) = self.windows.by_id.get(&event.window_id) else {
            return;
        };
        let role = w.access.role();
        match event.window_event {
            accesskit_winit::WindowEvent::ActionRequested(request) => {
                match access::action(&request) {
                    Some(action) => self.feed(
                        event_loop,
                        Event::Window {
                            role,
                            event: WindowEvent::Access(action),
                        },
                    ),
                    None => tracing::debug!(
                        role = role.as_str(),
                        action = ?request.action,
                        "accessibility action the protocol does not carry; ignored"
                    ),
                }
            }
            accesskit_winit::WindowEvent::InitialTreeRequested
            | accesskit_winit::WindowEvent::AccessibilityDeactivated => {}
        }
    }

    fn drain(&mut self, event_loop: &ActiveEventLoop) {
        for event in self.events.drain() {
            self.feed(event_loop, event);
        }
    }
}

impl ApplicationHandler<UserEvent> for DesktopShell {
    fn new_events(&mut self, event_loop: &ActiveEventLoop, cause: StartCause) {
        if let StartCause::ResumeTimeReached { .. } = cause {
            self.feed(event_loop, Event::Tick);
        }
    }

    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.started {
            return;
        }
        self.started = true;
        match softbuffer::Context::new(event_loop.owned_display_handle()) {
            Ok(c) => self.context = Some(c),
            Err(e) => {
                tracing::error!(error = %e, "cannot start softbuffer on this display");
                event_loop.exit();
                return;
            }
        }
        self.feed(event_loop, Event::Start);
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Wake => {}
            UserEvent::ClipboardRead { role, text } => self.feed(
                event_loop,
                Event::Window {
                    role,
                    event: WindowEvent::ClipboardRead(text),
                },
            ),
            UserEvent::Access(event) => self.access_event(event_loop, event),
        }
        self.drain(event_loop);
    }

    fn window_event(
        &mut self,
        event_loop: &ActiveEventLoop,
        id: WindowId,
        event: WinitWindowEvent,
    ) {
        let Some(w) = self.windows.by_id.get_mut(&id) else {
            return;
        };
        w.access.process_event(&w.window, &event);
        let role = w.role;
        let to_core = |event| Event::Window { role, event };
        let input = |e| to_core(WindowEvent::Input(e));
        let core_event = match event {
            WinitWindowEvent::CloseRequested => Some(to_core(WindowEvent::CloseRequested)),
            WinitWindowEvent::RedrawRequested => {
                w.present_all();
                None
            }
            WinitWindowEvent::Resized(size) => Some(to_core(w.resized(size.width, size.height))),
            WinitWindowEvent::ScaleFactorChanged { scale_factor, .. } => {
                w.scale = scale_factor as f32;
                let size = w.window.inner_size();
                Some(to_core(w.resized(size.width, size.height)))
            }
            WinitWindowEvent::Moved(p) => {
                Some(to_core(WindowEvent::Moved(Position { x: p.x, y: p.y })))
            }
            WinitWindowEvent::Focused(f) => Some(input(InputEvent::Focus(f))),
            WinitWindowEvent::CursorMoved { position, .. } => w
                .pointer_moved(position.x as f32, position.y as f32)
                .map(input),
            WinitWindowEvent::CursorLeft { .. } => Some(input(InputEvent::PointerLeft)),
            WinitWindowEvent::MouseInput {
                state,
                button: MouseButton::Left,
                ..
            } => {
                let double = w.crash_page.is_none()
                    && state == ElementState::Pressed
                    && w.clicks.press(w.pointer, Instant::now()) == 2;
                let press = w.left_button(state).map(to_core);
                if double {
                    if let Some(press) = press {
                        self.feed(event_loop, press);
                    }
                    Some(input(InputEvent::DoubleClicked))
                } else {
                    press
                }
            }
            // X11's middle-click paste of PRIMARY.
            WinitWindowEvent::MouseInput {
                state: ElementState::Pressed,
                button: MouseButton::Middle,
                ..
            } if w.crash_page.is_none() => {
                Some(to_core(WindowEvent::PasteGesture(Selection::Primary)))
            }
            WinitWindowEvent::Ime(winit::event::Ime::Preedit(text, _)) => {
                Some(input(InputEvent::ImePreedit(text)))
            }
            WinitWindowEvent::Ime(winit::event::Ime::Commit(text)) => {
                Some(input(InputEvent::ImeCommit(text)))
            }
            WinitWindowEvent::Ime(winit::event::Ime::Disabled) => {
                Some(input(InputEvent::ImePreedit(String::new())))
            }
            WinitWindowEvent::ModifiersChanged(m) => {
                self.windows.modifiers = m.state();
                None
            }
            WinitWindowEvent::KeyboardInput { event, .. }
                if event.state == ElementState::Pressed
                    && self.windows.modifiers.shift_key()
                    && event.logical_key == WinitKey::Named(NamedKey::Insert) =>
            {
                Some(to_core(WindowEvent::PasteGesture(Selection::Clipboard)))
            }
            WinitWindowEvent::KeyboardInput { event, .. }
                if event.state == ElementState::Pressed =>
            {
                let keys = key_input(self.windows.modifiers, &event);
                match w.crash_page_keys(&keys) {
                    Some(retry) => retry.then(|| to_core(WindowEvent::Retry)),
                    None => {
                        for e in keys {
                            self.feed(event_loop, input(e));
                        }
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some(e) = core_event {
            self.feed(event_loop, e);
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        self.drain(event_loop);
        self.driver.flush();
        if self.quit {
            return;
        }
        match self.driver.next_deadline() {
            Some(deadline) if deadline <= Instant::now() => {
                self.feed(event_loop, Event::Tick);
                event_loop.set_control_flow(ControlFlow::Poll);
            }
            Some(deadline) => event_loop.set_control_flow(ControlFlow::WaitUntil(deadline)),
            None => event_loop.set_control_flow(ControlFlow::Wait),
        }
    }
}

impl DesktopWindow {
    /// Follows a new inner size: the backing buffer is reset to the
    /// background until the renderer's frame for the new surface arrives.
    /// The window's new inner size, as the core is told it.
    fn resized(&mut self, width: u32, height: u32) -> WindowEvent {
        self.resize(width, height);
        self.access.set_size((self.width, self.height));
        WindowEvent::Resized {
            width: self.width,
            height: self.height,
            scale: self.scale,
        }
    }

    fn resize(&mut self, width: u32, height: u32) {
        let (width, height) = (width.max(1), height.max(1));
        if (width, height) == (self.width, self.height) {
            return;
        }
        self.width = width;
        self.height = height;
        self.backing =
            vec![workshop_ui::theme::BACKGROUND.to_0rgb(); width as usize * height as usize];
        self.present_all();
    }

    /// Copies `damage` of the backing buffer to the screen.
    fn present(&mut self, damage: PxRect) {
        let (Some(w), Some(h)) = (NonZeroU32::new(self.width), NonZeroU32::new(self.height)) else {
            return;
        };
        if let Err(e) = self.surface.resize(w, h) {
            tracing::warn!(error = %e, "softbuffer resize failed");
            return;
        }
        let mut buffer = match self.surface.buffer_mut() {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "softbuffer buffer unavailable");
                return;
            }
        };
        if buffer.len() != self.backing.len() {
            return;
        }
        // A buffer of unknown age must be filled whole. Otherwise `damage`
        // is what `copy_damage` copied into the backing buffer, which has
        // this window's size: it fits.
        let rect = if buffer.age() == 0 {
            PxRect::full(self.width, self.height)
        } else {
            damage
        };
        let width = self.width as usize;
        for row in rect.y as usize..(rect.y + rect.height) as usize {
            let a = row * width + rect.x as usize;
            let b = a + rect.width as usize;
            buffer[a..b].copy_from_slice(&self.backing[a..b]);
        }
        let sb_rect = softbuffer::Rect {
            x: rect.x,
            y: rect.y,
            width: NonZeroU32::new(rect.width).unwrap_or(NonZeroU32::MIN),
            height: NonZeroU32::new(rect.height).unwrap_or(NonZeroU32::MIN),
        };
        if let Err(e) = buffer.present_with_damage(&[sb_rect]) {
            tracing::warn!(error = %e, "present failed");
        }
    }

    /// The pointer moved to `(x, y)` physical pixels: the broker's own page
    /// takes it if it is shown, else it is input for the renderer.
    fn pointer_moved(&mut self, x: f32, y: f32) -> Option<InputEvent> {
        self.pointer = (x, y);
        let Some(page) = self.crash_page.as_mut() else {
            return Some(InputEvent::PointerMoved { x, y });
        };
        page.handle(&workshop_ui::Event::PointerMoved {
            x: x / self.scale,
            y: y / self.scale,
        });
        self.window
            .set_cursor(winit_cursor(ui_cursor(page.cursor())));
        self.repaint_crash_page();
        None
    }

    /// The left button: Retry on the broker's own page, else input.
    fn left_button(&mut self, state: ElementState) -> Option<WindowEvent> {
        let Some(page) = self.crash_page.as_mut() else {
            return Some(WindowEvent::Input(match state {
                ElementState::Pressed => InputEvent::PointerPressed,
                ElementState::Released => InputEvent::PointerReleased,
            }));
        };
        let (x, y) = (self.pointer.0 / self.scale, self.pointer.1 / self.scale);
        let ev = match state {
            ElementState::Pressed => workshop_ui::Event::PointerPressed { x, y },
            ElementState::Released => workshop_ui::Event::PointerReleased { x, y },
        };
        let retry = page.handle(&ev);
        self.repaint_crash_page();
        retry.then_some(WindowEvent::Retry)
    }

    /// Keys while the broker's own page is shown go to it (Tab to Retry,
    /// Space or Enter to press it): `Some(retry)`; `None` means the window
    /// shows its renderer and the keys are input for it.
    fn crash_page_keys(&mut self, keys: &[InputEvent]) -> Option<bool> {
        let page = self.crash_page.as_mut()?;
        let mut retry = false;
        for key in keys {
            retry |= page.key_input(key);
        }
        self.repaint_crash_page();
        Some(retry)
    }

    fn present_all(&mut self) {
        self.present(PxRect::full(self.width, self.height));
    }

    fn repaint_crash_page(&mut self) {
        if let Some(page) = self.crash_page.as_mut() {
            if page.paint(self.width, self.height, self.scale, &mut self.backing) {
                self.present_all();
            }
        }
    }
}

fn display_of(monitor: &winit::monitor::MonitorHandle) -> Display {
    let p = monitor.position();
    let s = monitor.size();
    Display {
        name: monitor.name(),
        x: p.x,
        y: p.y,
        width: s.width,
        height: s.height,
    }
}

impl WindowBackend for Backend<'_> {
    fn displays(&self) -> Vec<Display> {
        self.event_loop
            .available_monitors()
            .map(|m| display_of(&m))
            .collect()
    }

    fn scale_hint(&self) -> f32 {
        self.event_loop
            .primary_monitor()
            .or_else(|| self.event_loop.available_monitors().next())
            .map_or(1.0, |m| m.scale_factor() as f32)
    }

    fn placement(&self, role: Role) -> Option<Placement> {
        let w = self.windows.by_id.values().find(|w| w.role == role)?;
        let p = w.window.outer_position().ok()?;
        let display = w.window.current_monitor().map(|m| display_of(&m))?;
        Some(Placement {
            x: p.x,
            y: p.y,
            display,
        })
    }

    fn open(&mut self, role: Role, position: Option<Position>) -> Result<(u32, u32, f32), String> {
        let attrs = WindowAttributes::default()
            .with_title(role.window_title())
            .with_inner_size(LogicalSize::new(
                WINDOW_LOGICAL_SIZE.0,
                WINDOW_LOGICAL_SIZE.1,
            ));
        let attrs = match position {
            Some(p) => attrs.with_position(PhysicalPosition::new(p.x, p.y)),
            None => {
                let (x, y) = default_position(role);
                attrs.with_position(LogicalPosition::new(x, y))
            }
        };
        // Invisible until its accessibility adapter exists.
        let attrs = with_app_id(
            attrs
                .with_visible(false)
                .with_resizable(false)
                .with_enabled_buttons(WindowButtons::CLOSE | WindowButtons::MINIMIZE),
        );
        let window = Rc::new(
            self.event_loop
                .create_window(attrs)
                .map_err(|e| e.to_string())?,
        );
        let surface =
            softbuffer::Surface::new(self.context, window.clone()).map_err(|e| e.to_string())?;
        let size = window.inner_size();
        let scale = window.scale_factor() as f32;
        let (width, height) = (size.width.max(1), size.height.max(1));
        let id = window.id();
        let access = access::WindowAccess::new(
            self.event_loop,
            &window,
            self.proxy.clone(),
            role,
            (width, height),
        );
        window.set_visible(true);
        let mut w = DesktopWindow {
            access,
            surface,
            window,
            role,
            backing: vec![
                workshop_ui::theme::BACKGROUND.to_0rgb();
                width as usize * height as usize
            ],
            width,
            height,
            scale,
            pointer: (0.0, 0.0),
            clicks: super::clicks::ClickCounter::default(),
            crash_page: None,
        };
        w.present_all();
        self.windows.by_id.insert(id, w);
        Ok((width, height, scale))
    }

    fn close(&mut self, role: Role) {
        self.windows.by_id.retain(|_, w| w.role != role);
    }

    fn raise(&mut self, role: Role) {
        if let Some(w) = self.windows.by_role(role) {
            w.window.set_minimized(false);
            w.window.focus_window();
        }
    }

    fn set_title(&mut self, role: Role, title: &str) {
        if let Some(w) = self.windows.by_role(role) {
            w.window.set_title(title);
            w.access.set_title(title);
        }
    }

    fn set_access_tree(&mut self, role: Role, tree: &workshop_common::access::AccessTree) {
        if let Some(w) = self.windows.by_role(role) {
            w.access.set_tree(tree);
        }
    }

    fn set_cursor(&mut self, role: Role, cursor: CursorIcon) {
        if let Some(w) = self.windows.by_role(role) {
            w.window.set_cursor(winit_cursor(cursor));
        }
    }

    fn present(&mut self, role: Role, pixels: &[u8], width: u32, height: u32, damage: PxRect) {
        let Some(w) = self.windows.by_role(role) else {
            return;
        };
        w.crash_page = None;
        if w.width != width || w.height != height {
            // The surface follows the window size; a mismatch means a
            // resize is in flight and this frame is for the old size.
            return;
        }
        let copied = crate::present::copy_damage(pixels, &mut w.backing, width, height, damage);
        w.present(copied);
    }

    fn show_crashed(&mut self, role: Role) {
        if let Some(w) = self.windows.by_role(role) {
            let (lw, lh) = (w.width as f32 / w.scale, w.height as f32 / w.scale);
            w.crash_page = Some(CrashPage::new(lw, lh));
            w.repaint_crash_page();
        }
    }

    fn set_ime(&mut self, role: Role, area: Option<PxRect>) {
        let Some(w) = self.windows.by_role(role) else {
            return;
        };
        w.window.set_ime_allowed(area.is_some());
        if let Some(a) = area {
            w.window.set_ime_cursor_area(
                PhysicalPosition::new(a.x, a.y),
                winit::dpi::PhysicalSize::new(a.width, a.height),
            );
        }
    }

    fn read_clipboard(&mut self, role: Role, selection: Selection) -> ClipboardAnswer {
        // The answer comes back as `UserEvent::ClipboardRead`.
        match &self.windows.clipboard {
            Some(c) if c.read(role, selection) => ClipboardAnswer::Later,
            _ => ClipboardAnswer::Now(None),
        }
    }

    fn write_clipboard(&mut self, selection: Selection, text: &str) {
        if let Some(c) = &self.windows.clipboard {
            c.write(selection, text);
        }
    }
}

/// The desktop id as the window's X11 `WM_CLASS` (class
/// `dev.workshop.Workshop`, instance `workshop`) and, with Wayland built
/// in, its `app_id` (winit keeps one name for both; each backend reads it).
fn with_app_id(attrs: WindowAttributes) -> WindowAttributes {
    let attrs = winit::platform::x11::WindowAttributesExtX11::with_name(
        attrs,
        crate::cli::APP_ID,
        "workshop",
    );
    #[cfg(feature = "wayland")]
    let attrs = winit::platform::wayland::WindowAttributesExtWayland::with_name(
        attrs,
        crate::cli::APP_ID,
        "workshop",
    );
    attrs
}

/// A key press as the renderer's input: the key (if the kit knows it) and
/// the text it types (unless Ctrl is held or it is a control character).
fn key_input(mods: ModifiersState, event: &winit::event::KeyEvent) -> Vec<InputEvent> {
    key_input_parts(mods, &event.logical_key, event.text.as_deref())
}

/// [`key_input`] on its parts (testable: winit's `KeyEvent` cannot be built
/// outside winit).
///
/// A key pressed with Alt or Super (the logo key) held belongs to the
/// desktop (window manager shortcuts, menu mnemonics), never to the page:
/// nothing is forwarded, so Alt+F neither types "f" nor acts as Ctrl+F.
/// AltGr is not Alt here (X11 and xkb report it as level 3 shift), so
/// characters typed with it still arrive.
fn key_input_parts(
    mods: ModifiersState,
    logical: &WinitKey,
    text: Option<&str>,
) -> Vec<InputEvent> {
    if mods.alt_key() || mods.super_key() {
        return Vec::new();
    }
    let modifiers = Modifiers {
        shift: mods.shift_key(),
        ctrl: mods.control_key(),
    };
    let key = match logical {
        WinitKey::Named(NamedKey::Tab) => Some(Key::Tab),
        WinitKey::Named(NamedKey::Enter) => Some(Key::Enter),
        WinitKey::Named(NamedKey::Backspace) => Some(Key::Backspace),
        WinitKey::Named(NamedKey::Delete) => Some(Key::Delete),
        WinitKey::Named(NamedKey::ArrowLeft) => Some(Key::Left),
        WinitKey::Named(NamedKey::ArrowRight) => Some(Key::Right),
        WinitKey::Named(NamedKey::Home) => Some(Key::Home),
        WinitKey::Named(NamedKey::End) => Some(Key::End),
        WinitKey::Named(NamedKey::Escape) => Some(Key::Escape),
        WinitKey::Named(NamedKey::Space) if !modifiers.ctrl => None,
        WinitKey::Character(c) if modifiers.ctrl => c.chars().next().map(Key::Char),
        _ => None,
    };
    let mut out = Vec::new();
    if let Some(key) = key {
        out.push(InputEvent::Key { key, modifiers });
    }
    if !modifiers.ctrl {
        if let Some(text) = text.filter(|t| t.chars().all(|c| !c.is_control())) {
            out.push(InputEvent::Text(text.to_owned()));
        }
    }
    out
}

fn ui_cursor(c: workshop_ui::CursorIcon) -> CursorIcon {
    match c {
        workshop_ui::CursorIcon::Default => CursorIcon::Default,
        workshop_ui::CursorIcon::Pointer => CursorIcon::Pointer,
        workshop_ui::CursorIcon::Text => CursorIcon::Text,
    }
}

fn winit_cursor(c: CursorIcon) -> winit::window::CursorIcon {
    match c {
        CursorIcon::Default => winit::window::CursorIcon::Default,
        CursorIcon::Pointer => winit::window::CursorIcon::Pointer,
        CursorIcon::Text => winit::window::CursorIcon::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(c: &str) -> WinitKey {
        WinitKey::Character(c.into())
    }

    #[test]
    fn alt_and_super_keys_stay_with_the_desktop() {
        for mods in [
            ModifiersState::ALT,
            ModifiersState::SUPER,
            ModifiersState::ALT | ModifiersState::CONTROL,
            ModifiersState::ALT | ModifiersState::SHIFT,
        ] {
            assert_eq!(
                key_input_parts(mods, &ch("f"), Some("f")),
                vec![],
                "{mods:?}"
            );
            assert_eq!(
                key_input_parts(mods, &WinitKey::Named(NamedKey::ArrowLeft), None),
                vec![],
                "{mods:?}"
            );
        }
    }

    #[test]
    fn plain_shifted_and_ctrl_keys_reach_the_page() {
        let none = ModifiersState::empty();
        assert_eq!(
            key_input_parts(none, &ch("f"), Some("f")),
            vec![InputEvent::Text("f".into())]
        );
        assert_eq!(
            key_input_parts(ModifiersState::SHIFT, &ch("F"), Some("F")),
            vec![InputEvent::Text("F".into())]
        );
        // AltGr+q on a German layout: '@', no Alt in the state.
        assert_eq!(
            key_input_parts(none, &ch("@"), Some("@")),
            vec![InputEvent::Text("@".into())]
        );
        assert_eq!(
            key_input_parts(ModifiersState::CONTROL, &ch("a"), Some("a")),
            vec![InputEvent::Key {
                key: Key::Char('a'),
                modifiers: Modifiers {
                    shift: false,
                    ctrl: true
                }
            }]
        );
        // Space types " ", which a focused button takes as a click.
        assert_eq!(
            key_input_parts(none, &WinitKey::Named(NamedKey::Space), Some(" ")),
            vec![InputEvent::Text(" ".into())]
        );
    }
}
