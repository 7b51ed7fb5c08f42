//! Watching an X server from outside the apps: windows mapped, pixels
//! shown, and clicks, all through one X connection of the bench's own.
//!
//! Why not a screenshot tool or `xdotool`: starting a process per look or
//! per click costs milliseconds, as much as some of what `peer` measures.
//! One connection, kept open for the whole run, costs a round trip per
//! look: the bench learns of a new top-level window from the `MapNotify`
//! the server sends it (`SubstructureNotify` on the root window; no window
//! manager runs, so the apps' windows are the root's children), reads a
//! narrow strip of that window's pixels with `GetImage` until a frame shows
//! ([`crate::pixels`]), and clicks with XTest's fake input, which the
//! server delivers like a real pointer's.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ChangeWindowAttributesAux, ConnectionExt as _, EventMask, ImageFormat, InputFocus, Window,
    BUTTON_PRESS_EVENT, BUTTON_RELEASE_EVENT, KEY_PRESS_EVENT, KEY_RELEASE_EVENT,
    MOTION_NOTIFY_EVENT,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use crate::pixels::Strip;
use crate::BenchError;

/// Top-level windows smaller than this (either side) are an app's helper
/// windows (Chromium maps a few), not the windows `peer` waits for.
const MIN_SIDE: u16 = 100;

/// Pixels per row of a strip: a few, so a single odd column cannot hide
/// an outline.
const STRIP_WIDTH: u16 = 4;

/// The primary pointer button.
const LEFT_BUTTON: u8 = 1;

fn x11(what: &'static str) -> impl Fn(String) -> BenchError {
    move |detail| BenchError::X11 { what, detail }
}

/// A window the bench saw mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    /// Its id.
    pub window: Window,
    /// When the bench read the `MapNotify`.
    pub at: Instant,
    /// Its size then.
    pub width: u16,
    /// Its size then.
    pub height: u16,
}

/// The bench's connection to the X server.
pub struct XWatch {
    conn: RustConnection,
    root: Window,
    screen_width: u16,
    screen_height: u16,
}

impl XWatch {
    /// Connects to `display` and asks for the root window's map events.
    pub fn connect(display: &str) -> Result<XWatch, BenchError> {
        let (conn, screen) =
            x11rb::connect(Some(display)).map_err(|e| x11("connect")(e.to_string()))?;
        let s = conn
            .setup()
            .roots
            .get(screen)
            .ok_or_else(|| x11("screen")(format!("no screen {screen}")))?;
        let (root, screen_width, screen_height) = (s.root, s.width_in_pixels, s.height_in_pixels);
        conn.change_window_attributes(
            root,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY),
        )
        .map_err(|e| x11("select root events")(e.to_string()))?
        .check()
        .map_err(|e| x11("select root events")(e.to_string()))?;
        Ok(XWatch {
            conn,
            root,
            screen_width,
            screen_height,
        })
    }

    /// Forgets every event received so far (a previous run's windows).
    pub fn drain(&self) -> Result<(), BenchError> {
        while self
            .conn
            .poll_for_event()
            .map_err(|e| x11("events")(e.to_string()))?
            .is_some()
        {}
        Ok(())
    }

    /// Waits until a top-level window other than `except` of at least
    /// [`MIN_SIDE`] pixels a side is mapped.
    pub fn wait_mapped(&self, except: &[Window], timeout: Duration) -> Result<Mapped, BenchError> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(event) = self
                .conn
                .poll_for_event()
                .map_err(|e| x11("events")(e.to_string()))?
            {
                let at = Instant::now();
                let Event::MapNotify(map) = event else {
                    continue;
                };
                if map.override_redirect || except.contains(&map.window) {
                    continue;
                }
                let Ok(cookie) = self.conn.get_geometry(map.window) else {
                    continue;
                };
                // The window may be gone again already.
                let Ok(g) = cookie.reply() else { continue };
                if g.width >= MIN_SIDE && g.height >= MIN_SIDE {
                    return Ok(Mapped {
                        window: map.window,
                        at,
                        width: g.width,
                        height: g.height,
                    });
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(BenchError::Timeout("a window to be mapped".into()));
            }
            self.wait_readable(left)?;
        }
    }

    /// Blocks until the connection has something to read or `timeout`.
    fn wait_readable(&self, timeout: Duration) -> Result<(), BenchError> {
        let mut fd = libc::pollfd {
            fd: self.conn.stream().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(timeout.as_millis().max(1)).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd on the stack for the duration of the
        // call; the fd is the connection's open socket.
        let r = unsafe { libc::poll(&mut fd, 1, ms) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(BenchError::io("poll the X connection", e));
            }
        }
        Ok(())
    }

    /// The vertical strip through the middle of `window` (its full height
    /// of `height` rows), as `0x00RRGGBB`.
    pub fn strip(&self, window: Window, width: u16, height: u16) -> Result<Strip, BenchError> {
        let x = (width / 2).saturating_sub(STRIP_WIDTH / 2);
        let reply = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                window,
                x as i16,
                0,
                STRIP_WIDTH,
                height,
                !0,
            )
            .map_err(|e| x11("GetImage")(e.to_string()))?
            .reply()
            .map_err(|e| x11("GetImage")(e.to_string()))?;
        if reply.depth != 24 && reply.depth != 32 {
            return Err(x11("GetImage")(format!(
                "depth {} unsupported",
                reply.depth
            )));
        }
        // TrueColor, 32 bits per pixel, little-endian B G R X (Xvfb's
        // only format at depths 24 and 32).
        let pixels = reply
            .data
            .chunks_exact(4)
            .map(|p| u32::from(p[2]) << 16 | u32::from(p[1]) << 8 | u32::from(p[0]))
            .collect();
        Ok(Strip {
            width: usize::from(STRIP_WIDTH),
            pixels,
        })
    }

    /// The x of the strip's middle in `window`'s coordinates.
    pub fn strip_x(width: u16) -> i16 {
        (width / 2) as i16
    }

    /// Polls `window`'s strip every `interval` until `done` says yes;
    /// returns when the matching strip was read (its reply received).
    pub fn poll_until(
        &self,
        m: &Mapped,
        interval: Duration,
        timeout: Duration,
        done: impl Fn(&Strip) -> bool,
    ) -> Result<(Instant, Strip), BenchError> {
        let deadline = Instant::now() + timeout;
        loop {
            // A window can be unmapped or not yet viewable: BadMatch.
            if let Ok(s) = self.strip(m.window, m.width, m.height) {
                if done(&s) {
                    return Ok((Instant::now(), s));
                }
            }
            if Instant::now() >= deadline {
                return Err(BenchError::Timeout(format!(
                    "window 0x{:x} to show its frame",
                    m.window
                )));
            }
            std::thread::sleep(interval);
        }
    }

    /// Moves the pointer to (`x`, `y`) of `window` and waits until the
    /// server has done it.
    pub fn pointer_to(&self, window: Window, x: i16, y: i16) -> Result<(), BenchError> {
        let t = self
            .conn
            .translate_coordinates(window, self.root, x, y)
            .map_err(|e| x11("translate")(e.to_string()))?
            .reply()
            .map_err(|e| x11("translate")(e.to_string()))?;
        self.fake(MOTION_NOTIFY_EVENT, 0, t.dst_x, t.dst_y)?;
        self.sync()
    }

    /// Moves the pointer to the screen's bottom-right corner, away from
    /// every window.
    pub fn park_pointer(&self) -> Result<(), BenchError> {
        let (x, y) = (
            self.screen_width.saturating_sub(1) as i16,
            self.screen_height.saturating_sub(1) as i16,
        );
        self.fake(MOTION_NOTIFY_EVENT, 0, x, y)?;
        self.sync()
    }

    /// Presses and releases the left button where the pointer is; returns
    /// when both fake events were written to the server.
    pub fn click(&self) -> Result<(), BenchError> {
        self.fake(BUTTON_PRESS_EVENT, LEFT_BUTTON, 0, 0)?;
        self.fake(BUTTON_RELEASE_EVENT, LEFT_BUTTON, 0, 0)?;
        self.conn.flush().map_err(|e| x11("flush")(e.to_string()))
    }

    /// The keycode the server's keyboard map gives `keysym` (unshifted).
    pub fn keycode(&self, keysym: u32) -> Result<u8, BenchError> {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)
            .map_err(|e| x11("keyboard map")(e.to_string()))?
            .reply()
            .map_err(|e| x11("keyboard map")(e.to_string()))?;
        let per = usize::from(map.keysyms_per_keycode.max(1));
        map.keysyms
            .chunks(per)
            .position(|syms| syms.first() == Some(&keysym))
            .and_then(|i| u8::try_from(usize::from(min) + i).ok())
            .ok_or_else(|| x11("keyboard map")(format!("no key for keysym {keysym:#x}")))
    }

    /// Presses and releases key `keycode`; returns when both fake events
    /// were written to the server.
    pub fn key(&self, keycode: u8) -> Result<(), BenchError> {
        self.fake(KEY_PRESS_EVENT, keycode, 0, 0)?;
        self.fake(KEY_RELEASE_EVENT, keycode, 0, 0)?;
        self.conn.flush().map_err(|e| x11("flush")(e.to_string()))
    }

    /// Gives `window` the keyboard (no window manager does it) and waits
    /// until the server has.
    pub fn focus(&self, window: Window) -> Result<(), BenchError> {
        self.conn
            .set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME)
            .map_err(|e| x11("focus")(e.to_string()))?;
        self.sync()
    }

    /// The raw pixels of rows `rows` of `window` (full width `width`).
    pub fn rows(
        &self,
        window: Window,
        width: u16,
        rows: std::ops::Range<u16>,
    ) -> Result<Vec<u8>, BenchError> {
        let reply = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                window,
                0,
                rows.start as i16,
                width,
                rows.end.saturating_sub(rows.start),
                !0,
            )
            .map_err(|e| x11("GetImage")(e.to_string()))?
            .reply()
            .map_err(|e| x11("GetImage")(e.to_string()))?;
        Ok(reply.data)
    }

    fn fake(&self, kind: u8, detail: u8, x: i16, y: i16) -> Result<(), BenchError> {
        self.conn
            .xtest_fake_input(kind, detail, 0, self.root, x, y, 0)
            .map_err(|e| x11("XTest")(e.to_string()))?;
        Ok(())
    }

    fn sync(&self) -> Result<(), BenchError> {
        self.conn
            .get_input_focus()
            .map_err(|e| x11("sync")(e.to_string()))?
            .reply()
            .map_err(|e| x11("sync")(e.to_string()))?;
        Ok(())
    }
}
