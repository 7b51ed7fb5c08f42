//! The one queue every producer feeds the broker core through.
//!
//! Receive threads, reapers, the authenticator and the single-instance
//! listener never touch app state: they push an [`Event`] here and wake the
//! event loop. The queue is bounded, so a renderer that floods its socket
//! blocks its own receive thread (and so its own sends) instead of growing
//! the broker's memory; wake-ups are coalesced so the winit loop gets at
//! most one pending wake however many events arrive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use crate::core::Event;

/// How many events may wait for the core before producers block.
pub const QUEUE_CAPACITY: usize = 4096;

/// A function that wakes the event loop (winit's `EventLoopProxy`, or
/// nothing for the headless loop, which blocks on the queue itself).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// The producer side; cheap to clone, one per thread.
#[derive(Clone)]
pub struct EventSender {
    tx: SyncSender<Event>,
    pending: Arc<AtomicBool>,
    wake: Wake,
}

impl std::fmt::Debug for EventSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSender")
    }
}

/// The consumer side, owned by the event loop.
#[derive(Debug)]
pub struct EventReceiver {
    rx: Receiver<Event>,
    pending: Arc<AtomicBool>,
}

/// A new queue whose producers call `wake` when it becomes non-empty.
pub fn event_queue(wake: Wake) -> (EventSender, EventReceiver) {
    let (tx, rx) = sync_channel(QUEUE_CAPACITY);
    let pending = Arc::new(AtomicBool::new(false));
    (
        EventSender {
            tx,
            pending: pending.clone(),
            wake,
        },
        EventReceiver { rx, pending },
    )
}

impl EventSender {
    /// Queues `event` (blocking while the queue is full) and wakes the loop.
    /// Returns false when the loop has gone.
    pub fn send(&self, event: Event) -> bool {
        if self.tx.send(event).is_err() {
            return false;
        }
        if !self.pending.swap(true, Ordering::AcqRel) {
            (self.wake)();
        }
        true
    }
}

impl EventReceiver {
    /// Takes everything queued now. Clears the wake flag first so that an
    /// event queued during the drain wakes the loop again.
    pub fn drain(&self) -> Vec<Event> {
        self.pending.store(false, Ordering::Release);
        self.rx.try_iter().collect()
    }

    /// Blocks up to `timeout` for one event (the headless loop).
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Option<Event> {
        self.pending.store(false, Ordering::Release);
        self.rx.recv_timeout(timeout).ok()
    }
}
