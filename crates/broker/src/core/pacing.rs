//! Input pacing: what the broker forwards of a window's input, and when.
//!
//! The renderer paints once for the input it has been given (and once more
//! after the `FrameAck`, if more input arrived meanwhile), so without pacing
//! every input event can cost a frame, and a password manager typing 300
//! characters at full speed goes over the frame rate limit that exists to
//! catch a renderer painting on its own. A defence that fires on legitimate
//! use is a bug in the defence, so the broker paces what it forwards:
//!
//! * the first event after a quiet spell goes out at once (no added
//!   latency for ordinary typing);
//! * after that, input is held and goes out in one batch per
//!   [`CoreConfig::input_interval`] (8 ms, 125 batches a second), of at
//!   most [`MAX_BATCH`] events;
//! * while held, pointer motion is coalesced (a motion replaces a motion
//!   held just before it, so there is one pending motion per batch unless a
//!   press, key or text separates them) and consecutive text is merged up to
//!   [`MAX_TEXT_BYTES`]; keys, text, presses and focus changes are never
//!   dropped or reordered;
//! * the queue holds at most [`MAX_HELD`] events. Reaching it takes more
//!   than 16,000 distinct non-text events a second for longer than the
//!   queue lasts (text merges, motion coalesces); an event beyond it is
//!   dropped and logged, never forwarded unpaced.
//!
//! * an action from assistive technology ([`Paced::Access`]) is held in
//!   the same queue, in order with the input around it, and never merged:
//!   a screen reader's click is input like a mouse's.
//!
//! So legitimate input at any speed produces at most two frames per batch:
//! 250 frames a second against `frame_rate`'s 1,000, and at most a handful
//! of renderer messages per batch against `message_rate`'s 4,000.
//!
//! [`CoreConfig::input_interval`]: super::CoreConfig::input_interval

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use workshop_common::access::AccessAction;
use workshop_common::input::{InputEvent, MAX_TEXT_BYTES};

/// Most events held for one renderer.
pub const MAX_HELD: usize = 1024;

/// Most events forwarded in one batch (each is one datagram; a batch must
/// fit the renderer's socket queue and the host's backlog with room to
/// spare).
pub const MAX_BATCH: usize = 128;

/// One held event.
#[derive(Debug, Clone, PartialEq)]
pub enum Paced {
    /// Keyboard, pointer, focus, paste or input method.
    Input(InputEvent),
    /// An action from assistive technology, already checked against the
    /// window's tree.
    Access(AccessAction),
}

/// One renderer's held input.
#[derive(Debug, Default)]
pub struct InputPacer {
    held: VecDeque<Paced>,
    last_batch: Option<Instant>,
    dropped: u64,
}

/// What [`InputPacer::push`] did with an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Held (possibly merged into a held event).
    Held,
    /// The queue was full: dropped.
    Dropped,
}

impl InputPacer {
    /// Holds `event`, merging it into the last held event where that loses
    /// nothing.
    pub fn push(&mut self, event: InputEvent) -> Pushed {
        match (self.held.back_mut(), event) {
            (
                Some(Paced::Input(InputEvent::PointerMoved { x, y })),
                InputEvent::PointerMoved { x: nx, y: ny },
            ) => {
                *x = nx;
                *y = ny;
                Pushed::Held
            }
            (Some(Paced::Input(InputEvent::Text(held))), InputEvent::Text(text))
                if held.len() + text.len() <= MAX_TEXT_BYTES =>
            {
                held.push_str(&text);
                Pushed::Held
            }
            (_, event) => self.hold(Paced::Input(event)),
        }
    }

    /// Holds an action from assistive technology (never merged).
    pub fn push_access(&mut self, action: AccessAction) -> Pushed {
        self.hold(Paced::Access(action))
    }

    fn hold(&mut self, paced: Paced) -> Pushed {
        if self.held.len() >= MAX_HELD {
            self.dropped += 1;
            return Pushed::Dropped;
        }
        self.held.push_back(paced);
        Pushed::Held
    }

    /// How many events are held.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// How many events were dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// When the next batch may go out, if anything is held (events are
    /// only held after a batch went out: the first goes at once).
    pub fn deadline(&self, interval: Duration) -> Option<Instant> {
        self.last_batch
            .filter(|_| !self.held.is_empty())
            .map(|t| t + interval)
    }

    /// The batch due at `now`: empty if nothing is held or the last batch
    /// went out less than `interval` ago.
    pub fn take_due(&mut self, now: Instant, interval: Duration) -> Vec<Paced> {
        if self.held.is_empty() {
            return Vec::new();
        }
        if self.last_batch.is_some_and(|t| now < t + interval) {
            return Vec::new();
        }
        self.last_batch = Some(now);
        let n = self.held.len().min(MAX_BATCH);
        self.held.drain(..n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use workshop_common::input::{Key, Modifiers};

    const I: Duration = Duration::from_millis(8);

    fn input(events: Vec<InputEvent>) -> Vec<Paced> {
        events.into_iter().map(Paced::Input).collect()
    }

    #[test]
    fn access_actions_keep_their_place_and_are_paced() {
        use workshop_common::access::AccessId;
        let t = Instant::now();
        let mut p = InputPacer::default();
        p.push(key());
        assert_eq!(p.take_due(t, I).len(), 1, "the first goes at once");
        p.push(InputEvent::Text("a".into()));
        p.push_access(AccessAction::Click(AccessId(3)));
        p.push(InputEvent::Text("b".into()));
        assert!(p.take_due(t, I).is_empty(), "held until the interval");
        assert_eq!(
            p.take_due(t + I, I),
            vec![
                Paced::Input(InputEvent::Text("a".into())),
                Paced::Access(AccessAction::Click(AccessId(3))),
                Paced::Input(InputEvent::Text("b".into())),
            ]
        );
        for _ in 0..MAX_HELD {
            p.push_access(AccessAction::Focus(AccessId(1)));
        }
        assert_eq!(
            p.push_access(AccessAction::Focus(AccessId(1))),
            Pushed::Dropped
        );
    }

    fn key() -> InputEvent {
        InputEvent::Key {
            key: Key::Backspace,
            modifiers: Modifiers::default(),
        }
    }

    #[test]
    fn the_first_event_goes_at_once_then_one_batch_per_interval() {
        let t = Instant::now();
        let mut p = InputPacer::default();
        p.push(InputEvent::Text("a".into()));
        assert_eq!(p.take_due(t, I), input(vec![InputEvent::Text("a".into())]));
        p.push(InputEvent::Text("b".into()));
        assert!(p.take_due(t + Duration::from_millis(7), I).is_empty());
        assert_eq!(p.deadline(I), Some(t + I));
        assert_eq!(
            p.take_due(t + I, I),
            input(vec![InputEvent::Text("b".into())])
        );
        assert_eq!(p.deadline(I), None);
    }

    #[test]
    fn motion_coalesces_text_merges_keys_keep_their_place() {
        let t = Instant::now();
        let mut p = InputPacer::default();
        let _ = p.take_due(t, I);
        for i in 0..100 {
            p.push(InputEvent::PointerMoved {
                x: i as f32,
                y: 0.0,
            });
        }
        p.push(InputEvent::PointerPressed);
        for c in ["a", "b", "c"] {
            p.push(InputEvent::Text(c.into()));
        }
        p.push(key());
        p.push(InputEvent::Text("d".into()));
        assert_eq!(
            p.take_due(t + I, I),
            input(vec![
                InputEvent::PointerMoved { x: 99.0, y: 0.0 },
                InputEvent::PointerPressed,
                InputEvent::Text("abc".into()),
                key(),
                InputEvent::Text("d".into()),
            ])
        );
    }

    #[test]
    fn text_merges_up_to_the_limit_and_loses_nothing() {
        let mut p = InputPacer::default();
        for _ in 0..(MAX_TEXT_BYTES * 3 + 1) {
            p.push(InputEvent::Text("x".into()));
        }
        let batch = p.take_due(Instant::now(), I);
        let total: usize = batch
            .iter()
            .map(|e| match e {
                Paced::Input(InputEvent::Text(t)) => {
                    assert!(t.len() <= MAX_TEXT_BYTES);
                    t.len()
                }
                _ => panic!("only text"),
            })
            .sum();
        assert_eq!(total, MAX_TEXT_BYTES * 3 + 1);
        assert_eq!(batch.len(), 4);
    }

    #[test]
    fn the_queue_is_bounded_and_batches_are_too() {
        let t = Instant::now();
        let mut p = InputPacer::default();
        for _ in 0..MAX_HELD {
            assert_eq!(p.push(key()), Pushed::Held);
        }
        assert_eq!(p.push(key()), Pushed::Dropped);
        assert_eq!(p.dropped(), 1);
        assert_eq!(p.take_due(t, I).len(), MAX_BATCH);
        assert_eq!(p.held(), MAX_HELD - MAX_BATCH);
    }
}
