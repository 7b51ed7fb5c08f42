//! The renderer's message loop and frame protocol.
//!
//! Single-threaded: wait on the control socket (with a timeout when an
//! invoke is pending), handle one broker message, send what the content
//! queued, paint if the surface is ours, repeat. The broker is trusted here
//! (it is the privileged side); its messages still go through the codec's
//! limit so a broker bug cannot make the renderer allocate without bound.

use std::collections::VecDeque;
use std::time::Instant;

use ipc_channel::ipc::IpcReceiver;
use thiserror::Error;
use workshop_common::access::{AccessAction, AccessTree};
use workshop_common::codec::{self, CodecError, MAX_MESSAGE_BYTES};
use workshop_common::geometry::PxRect;
use workshop_common::input::{CursorIcon, InputEvent, Key};
use workshop_common::protocol::{BrokerToRenderer, RendererToBroker};
use workshop_common::validate::MAX_CLIPBOARD_BYTES;
use workshop_common::Role;
use workshop_transport::control::{ControlSocket, Received, RecvError, SendError};
use workshop_transport::surface::SurfaceHandle;
use workshop_ui::{FallbackFace, TextSystem};

use crate::access;
use crate::args::RendererArgs;
use crate::content::Content;
use crate::hooks::{Hooks, Milestone, NoHooks};
use crate::surface::{Surface, SurfaceError};

/// Why the loop stopped with an error.
#[derive(Debug, Error)]
pub enum RuntimeError {
    /// Encoding our own message failed.
    #[error("encode: {0}")]
    Encode(CodecError),
    /// The broker's message did not decode.
    #[error("decode broker message: {0}")]
    Decode(CodecError),
    /// Sending failed.
    #[error("send: {0}")]
    Send(SendError),
    /// Receiving failed.
    #[error("receive: {0}")]
    Recv(RecvError),
    /// The surface channel failed.
    #[error("surface channel: {0}")]
    SurfaceChannel(String),
    /// A surface was unusable.
    #[error(transparent)]
    Surface(#[from] SurfaceError),
}

/// The renderer after bootstrap.
pub struct Runtime {
    role: Role,
    control: ControlSocket,
    surfaces: Option<IpcReceiver<SurfaceHandle>>,
    handles: VecDeque<SurfaceHandle>,
    content: Content,
    text: TextSystem,
    surface: Option<Surface>,
    frame_in_flight: bool,
    cursor: CursorIcon,
    pointer: (f32, f32),
    recv_buf: Vec<u8>,
    send_buf: Vec<u8>,
    hooks: Box<dyn Hooks>,
    /// What the user copied or cut, sent as `ClipboardWrite` with the next
    /// outgoing messages.
    copied: Option<String>,
    /// The input method area last sent (`SetImeArea`).
    ime_area: Option<PxRect>,
    /// The accessibility tree as the broker has it (what was sent).
    access: AccessTree,
}

/// What a hook that paints on its own needs of the runtime at once.
#[derive(Debug)]
pub struct Parts<'a> {
    /// The current surface, if any.
    pub surface: Option<&'a mut Surface>,
    /// The window content and its client.
    pub content: &'a mut Content,
    /// The text system.
    pub text: &'a mut TextSystem,
    /// Whether a frame awaits the broker's `FrameAck`.
    pub frame_in_flight: &'a mut bool,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("role", &self.role)
            .field("surface", &self.surface)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// The runtime for `args.role`, before the surface channel exists,
    /// drawing with Noto Sans and `fallbacks` (the broker's font pack).
    pub fn new(
        args: &RendererArgs,
        control: ControlSocket,
        fallbacks: Vec<FallbackFace>,
        hooks: Box<dyn Hooks>,
    ) -> Runtime {
        let mut runtime = Runtime {
            role: args.role,
            control,
            surfaces: None,
            handles: VecDeque::new(),
            content: Content::new(args.role, args.invoke_timeout),
            text: TextSystem::with_fallbacks(fallbacks),
            surface: None,
            frame_in_flight: false,
            cursor: CursorIcon::Default,
            pointer: (0.0, 0.0),
            recv_buf: vec![0; MAX_MESSAGE_BYTES],
            send_buf: Vec::with_capacity(256),
            hooks,
            copied: None,
            ime_area: None,
            access: AccessTree::default(),
        };
        runtime.hooks.reached(Milestone::ContentBuilt);
        runtime
    }

    /// Runs `f` with the hooks and the runtime both borrowed (the hooks are
    /// lent out for the call; a nested call sees [`NoHooks`]).
    pub(crate) fn with_hooks<R>(&mut self, f: impl FnOnce(&mut dyn Hooks, &mut Runtime) -> R) -> R {
        let mut hooks: Box<dyn Hooks> = std::mem::replace(&mut self.hooks, Box::new(NoHooks));
        let result = f(hooks.as_mut(), self);
        self.hooks = hooks;
        result
    }

    /// Takes the surface channel the broker connected, with its first handle.
    pub fn adopt_surface_channel(&mut self, rx: IpcReceiver<SurfaceHandle>, first: SurfaceHandle) {
        self.surfaces = Some(rx);
        self.handles.push_back(first);
        self.hooks.reached(Milestone::SurfaceAdopted);
    }

    /// The control socket (hooks write raw datagrams or receive on it).
    pub fn control(&self) -> &ControlSocket {
        &self.control
    }

    /// The window role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current surface generation, if any.
    pub fn surface_generation(&self) -> Option<u32> {
        self.surface.as_ref().map(|s| s.generation)
    }

    /// The parts a painting hook needs at once.
    pub fn parts(&mut self) -> Parts<'_> {
        Parts {
            surface: self.surface.as_mut(),
            content: &mut self.content,
            text: &mut self.text,
            frame_in_flight: &mut self.frame_in_flight,
        }
    }

    /// Handles one broker message as the loop would; false means exit.
    pub fn handle_message(&mut self, msg: BrokerToRenderer) -> Result<bool, RuntimeError> {
        self.handle(msg)
    }

    /// Encodes and sends one message.
    pub fn send(&mut self, msg: &RendererToBroker) -> Result<(), RuntimeError> {
        self.hooks.on_send(msg);
        codec::encode_into(msg, &mut self.send_buf).map_err(RuntimeError::Encode)?;
        let result = self.control.send(&self.send_buf);
        // Login requests carry the password: do not leave it in the buffer.
        self.send_buf.fill(0);
        result.map_err(RuntimeError::Send)
    }

    /// Runs until the broker says `Shutdown` or goes away.
    pub fn run(&mut self) -> Result<(), RuntimeError> {
        loop {
            self.flush_outgoing()?;
            self.paint()?;
            self.update_cursor()?;
            self.update_ime_area()?;
            let timeout = self
                .content
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()));
            let received = self
                .control
                .recv_timeout(&mut self.recv_buf, timeout)
                .map_err(RuntimeError::Recv)?;
            match received {
                Received::Closed => {
                    tracing::info!("broker closed the connection; exiting");
                    return Ok(());
                }
                Received::Timeout => self.content.expire(Instant::now()),
                Received::Message(len) => {
                    let msg: BrokerToRenderer =
                        codec::decode(&self.recv_buf[..len]).map_err(RuntimeError::Decode)?;
                    if !self.handle(msg)? {
                        tracing::info!("shutting down");
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Handles one broker message; false means exit.
    fn handle(&mut self, msg: BrokerToRenderer) -> Result<bool, RuntimeError> {
        match msg {
            BrokerToRenderer::Welcome => {
                tracing::debug!(role = self.role.as_str(), "handshake accepted");
                self.hooks.reached(Milestone::Welcome);
                self.with_hooks(|hooks, rt| hooks.after_welcome(rt))?;
            }
            BrokerToRenderer::Surface {
                generation,
                width,
                height,
                scale,
            } => self.new_surface(generation, width, height, scale)?,
            BrokerToRenderer::FrameAck => {
                self.frame_in_flight = false;
                self.hooks.reached(Milestone::FrameAck);
                self.with_hooks(|hooks, rt| hooks.after_frame_ack(rt))?;
            }
            BrokerToRenderer::Input(event) => {
                self.with_hooks(|hooks, rt| hooks.on_input(rt, &event))?;
                self.input(event)
            }
            BrokerToRenderer::Access(action) => self.access_action(&action),
            BrokerToRenderer::Ping { nonce } => {
                if self.hooks.answer_ping() {
                    self.send(&RendererToBroker::Pong { nonce })?;
                }
            }
            BrokerToRenderer::Shutdown => return Ok(false),
            push @ (BrokerToRenderer::InitialState { .. }
            | BrokerToRenderer::Authenticated { .. }
            | BrokerToRenderer::LoggedOut
            | BrokerToRenderer::Reply { .. }) => self.content.push(push),
        }
        Ok(true)
    }

    fn new_surface(
        &mut self,
        generation: u32,
        width: u32,
        height: u32,
        scale: f32,
    ) -> Result<(), RuntimeError> {
        // The handle was sent before this message; older ones are dropped.
        let handle = loop {
            let handle = match self.handles.pop_front() {
                Some(h) => h,
                None => self
                    .surfaces
                    .as_ref()
                    .ok_or_else(|| RuntimeError::SurfaceChannel("not connected".to_owned()))?
                    .recv()
                    .map_err(|e| RuntimeError::SurfaceChannel(e.to_string()))?,
            };
            if handle.generation == generation {
                break handle;
            }
            if handle.generation > generation {
                return Err(SurfaceError::Mismatch {
                    expected: generation,
                    got: handle.generation,
                }
                .into());
            }
        };
        let surface = Surface::new(handle, width, height, scale)?;
        let ui = self.content.ui_mut();
        ui.resize(width as f32 / scale, height as f32 / scale);
        ui.invalidate();
        self.surface = Some(surface);
        self.frame_in_flight = false;
        Ok(())
    }

    fn input(&mut self, event: InputEvent) {
        let scale = self.surface.as_ref().map_or(1.0, |s| s.scale);
        let (px, py) = self.pointer;
        let event = match event {
            InputEvent::PointerMoved { x, y } => {
                self.pointer = (x / scale, y / scale);
                workshop_ui::Event::PointerMoved {
                    x: x / scale,
                    y: y / scale,
                }
            }
            InputEvent::PointerPressed => workshop_ui::Event::PointerPressed { x: px, y: py },
            InputEvent::PointerReleased => workshop_ui::Event::PointerReleased { x: px, y: py },
            InputEvent::PointerLeft => workshop_ui::Event::PointerLeft,
            InputEvent::Key { key, modifiers } => workshop_ui::Event::Key {
                key: ui_key(key),
                modifiers: workshop_ui::Modifiers {
                    shift: modifiers.shift,
                    ctrl: modifiers.ctrl,
                },
            },
            InputEvent::Text(text) => workshop_ui::Event::Text(text),
            InputEvent::Focus(true) => workshop_ui::Event::FocusGained,
            InputEvent::Focus(false) => workshop_ui::Event::FocusLost,
            InputEvent::Paste(text) => workshop_ui::Event::Paste(text),
            InputEvent::ImePreedit(text) => workshop_ui::Event::ImePreedit(text),
            InputEvent::ImeCommit(text) => workshop_ui::Event::ImeCommit(text),
            InputEvent::DoubleClicked => workshop_ui::Event::DoubleClick { x: px, y: py },
        };
        self.content.input(&event);
        if let Some(text) = self.content.ui_mut().take_copy() {
            // The broker would refuse more (a bad message); the form's
            // inputs hold far less.
            if text.len() <= MAX_CLIPBOARD_BYTES && !text.contains('\0') {
                self.copied = Some(text);
            } else {
                tracing::warn!(bytes = text.len(), "selection too large to copy");
            }
        }
    }

    fn flush_outgoing(&mut self) -> Result<(), RuntimeError> {
        if let Some(text) = self.copied.take() {
            self.send(&RendererToBroker::ClipboardWrite { text })?;
        }
        for msg in self.content.take_outgoing(Instant::now()) {
            self.send(&msg)?;
        }
        Ok(())
    }

    fn paint(&mut self) -> Result<(), RuntimeError> {
        if self.with_hooks(|hooks, rt| hooks.paint(rt))? {
            return Ok(());
        }
        if self.frame_in_flight {
            return Ok(());
        }
        let Some(surface) = self.surface.as_mut() else {
            return Ok(());
        };
        let Some(damage) = self
            .content
            .ui_mut()
            .paint(&mut surface.canvas, &mut self.text)
        else {
            return Ok(());
        };
        let (generation, scale) = (surface.generation, surface.scale);
        // The tree changes this paint made go first: one update per frame.
        self.send_access_update(scale)?;
        let msg = RendererToBroker::FrameReady {
            surface: generation,
            damage: PxRect {
                x: damage.x,
                y: damage.y,
                width: damage.width,
                height: damage.height,
            },
        };
        self.frame_in_flight = true;
        self.send(&msg)
    }

    /// Sends what changed in the window's accessibility tree since the last
    /// update, if anything did.
    fn send_access_update(&mut self, scale: f32) -> Result<(), RuntimeError> {
        let status = self.content.status_ids();
        let ui = self.content.ui_mut();
        let full = access::tree(&ui.accessibility(), &status, ui.size(), scale);
        let Some(update) = self.access.diff(&full) else {
            return Ok(());
        };
        match self.access.apply(&update) {
            Ok(tree) => self.access = tree,
            Err(e) => {
                // The broker would refuse it: the window's tree is our bug.
                tracing::error!(error = %e, "accessibility tree invalid; not sent");
                return Ok(());
            }
        }
        self.send(&RendererToBroker::AccessUpdate(update))
    }

    /// An action from assistive technology: input for the content.
    fn access_action(&mut self, action: &AccessAction) {
        match access::request(self.content.ui_mut(), action) {
            Some(request) => self.content.input(&workshop_ui::Event::Access(request)),
            None => {
                tracing::debug!(action = ?action, "accessibility action for no widget; ignored")
            }
        }
    }

    /// Tells the broker where the focused input is, when that changed (only
    /// the Login Window has text inputs).
    fn update_ime_area(&mut self) -> Result<(), RuntimeError> {
        if self.role != Role::Login {
            return Ok(());
        }
        let Some(scale) = self.surface.as_ref().map(|s| s.scale) else {
            return Ok(());
        };
        let area = self.content.ui_mut().ime_area().map(|r| PxRect {
            x: (r.x * scale).max(0.0) as u32,
            y: (r.y * scale).max(0.0) as u32,
            width: (r.w * scale).max(0.0) as u32,
            height: (r.h * scale).max(0.0) as u32,
        });
        if area != self.ime_area {
            self.ime_area = area;
            self.send(&RendererToBroker::SetImeArea { area })?;
        }
        Ok(())
    }

    fn update_cursor(&mut self) -> Result<(), RuntimeError> {
        let cursor = match self.content.ui_mut().cursor() {
            workshop_ui::CursorIcon::Default => CursorIcon::Default,
            workshop_ui::CursorIcon::Pointer => CursorIcon::Pointer,
            workshop_ui::CursorIcon::Text => CursorIcon::Text,
        };
        if cursor != self.cursor {
            self.cursor = cursor;
            self.send(&RendererToBroker::SetCursor { cursor })?;
        }
        Ok(())
    }
}

fn ui_key(key: Key) -> workshop_ui::Key {
    match key {
        Key::Tab => workshop_ui::Key::Tab,
        Key::Enter => workshop_ui::Key::Enter,
        Key::Backspace => workshop_ui::Key::Backspace,
        Key::Delete => workshop_ui::Key::Delete,
        Key::Left => workshop_ui::Key::Left,
        Key::Right => workshop_ui::Key::Right,
        Key::Home => workshop_ui::Key::Home,
        Key::End => workshop_ui::Key::End,
        Key::Escape => workshop_ui::Key::Escape,
        Key::Char(c) => workshop_ui::Key::Char(c),
    }
}
