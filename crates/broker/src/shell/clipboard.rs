//! The desktop clipboard, on its own thread.
//!
//! Reading a selection means asking its owner (another application) and
//! waiting for the answer; a slow or hung owner makes arboard wait up to
//! its timeout (4 s on X11). Done on the event loop, that froze every
//! window. So one thread owns the `arboard::Clipboard` and does all
//! clipboard I/O, in request order (a copy then a paste reads what was
//! copied); a read's answer comes back to the loop as
//! [`UserEvent::ClipboardRead`] through the `EventLoopProxy`, winit 0.30's
//! way for other threads to post to the loop. The core only ever asks for
//! a read on the user's paste gesture, so nothing here reads on its own.
//!
//! Requests queue in a bounded channel ([`MAX_PENDING`]); a request that
//! finds it full is dropped with a warning (a read answered as empty)
//! rather than blocking the loop. On shutdown the thread is joined so that
//! arboard can hand what the user copied to a clipboard manager.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use winit::event_loop::EventLoopProxy;
use workshop_common::Role;

use super::desktop::UserEvent;
use crate::core::{ClipboardText, Selection};

/// Requests that may wait for the thread: reads come from paste gestures
/// and writes from copies, both user-paced; 16 is far more than a user
/// makes while one slow read (4 s at most) is in flight.
pub const MAX_PENDING: usize = 16;

/// The thread's name in `ps -L` and panics.
const THREAD_NAME: &str = "clipboard";

/// One piece of clipboard I/O.
enum Request {
    /// Read `selection` and answer window `role`.
    Read { role: Role, selection: Selection },
    /// Own `selection` with `text`.
    Write {
        selection: Selection,
        text: ClipboardText,
    },
}

/// The clipboard thread's handle; dropping it ends and joins the thread.
pub struct ClipboardThread {
    requests: Option<SyncSender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ClipboardThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipboardThread").finish_non_exhaustive()
    }
}

impl ClipboardThread {
    /// Starts the thread; answers go to `proxy`.
    pub fn start(proxy: EventLoopProxy<UserEvent>) -> std::io::Result<ClipboardThread> {
        let (tx, rx) = mpsc::sync_channel(MAX_PENDING);
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || serve(&rx, &proxy))?;
        Ok(ClipboardThread {
            requests: Some(tx),
            thread: Some(thread),
        })
    }

    /// Asks for `selection`'s text for window `role`. `false`: the request
    /// could not be queued (the caller answers "nothing to paste").
    pub fn read(&self, role: Role, selection: Selection) -> bool {
        self.send(Request::Read { role, selection })
    }

    /// Owns `selection` with `text`.
    pub fn write(&self, selection: Selection, text: &str) {
        let _ = self.send(Request::Write {
            selection,
            text: ClipboardText(text.to_owned()),
        });
    }

    fn send(&self, request: Request) -> bool {
        let Some(tx) = &self.requests else {
            return false;
        };
        match tx.try_send(request) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                tracing::warn!(pending = MAX_PENDING, "clipboard busy; request dropped");
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }
}

impl Drop for ClipboardThread {
    fn drop(&mut self) {
        // Closing the channel ends `serve`; joining lets arboard's drop
        // hand the selection over before the process exits.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: one request at a time until the channel closes.
fn serve(requests: &Receiver<Request>, proxy: &EventLoopProxy<UserEvent>) {
    let mut clipboard: Option<arboard::Clipboard> = None;
    for request in requests {
        if clipboard.is_none() {
            match arboard::Clipboard::new() {
                Ok(c) => clipboard = Some(c),
                Err(e) => tracing::warn!(error = %e, "no clipboard"),
            }
        }
        match request {
            Request::Read { role, selection } => {
                let text = clipboard.as_mut().and_then(|c| read(c, selection));
                // Fails only once the loop has exited: nobody to answer.
                let _ = proxy.send_event(UserEvent::ClipboardRead { role, text });
            }
            Request::Write { selection, text } => {
                if let Some(c) = clipboard.as_mut() {
                    write(c, selection, text);
                }
            }
        }
    }
}

fn read(clipboard: &mut arboard::Clipboard, selection: Selection) -> Option<ClipboardText> {
    use arboard::GetExtLinux;
    match clipboard.get().clipboard(linux_kind(selection)).text() {
        Ok(text) => Some(ClipboardText(text)),
        Err(arboard::Error::ContentNotAvailable) => None,
        Err(e) => {
            tracing::warn!(error = %e, "clipboard read failed");
            None
        }
    }
}

fn write(clipboard: &mut arboard::Clipboard, selection: Selection, text: ClipboardText) {
    use arboard::SetExtLinux;
    if let Err(e) = clipboard
        .set()
        .clipboard(linux_kind(selection))
        .text(text.0)
    {
        tracing::warn!(error = %e, "clipboard write failed");
    }
}

fn linux_kind(selection: Selection) -> arboard::LinuxClipboardKind {
    match selection {
        Selection::Clipboard => arboard::LinuxClipboardKind::Clipboard,
        Selection::Primary => arboard::LinuxClipboardKind::Primary,
    }
}
