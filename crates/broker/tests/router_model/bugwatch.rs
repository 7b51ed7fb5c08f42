//! Counts the broker core's own "broker bug" reports.
//!
//! `Broker::handle` drops any `Effect::Send` the push table forbids and logs
//! `broker bug: ...` at ERROR. The effects the harness sees are therefore
//! always allowed; this subscriber makes the *attempt* visible too, so the
//! router model (`Driver::step`, invariant 2) can assert that the core never
//! even tries to send a message a role may not receive.

use std::cell::Cell;
use std::fmt;
use std::sync::Once;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

thread_local! {
    static BUGS: Cell<u64> = const { Cell::new(0) };
}

/// How many "broker bug" events this thread has seen.
pub fn count() -> u64 {
    BUGS.with(Cell::get)
}

/// Installs the counting subscriber as the global default (once; a no-op if
/// another global subscriber was installed first).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Watch);
    });
}

struct Watch;

struct FindBug(bool);

impl Visit for FindBug {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" && format!("{value:?}").contains("broker bug") {
            self.0 = true;
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" && value.contains("broker bug") {
            self.0 = true;
        }
    }
}

impl Subscriber for Watch {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && *metadata.level() == Level::ERROR
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::ERROR)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut find = FindBug(false);
        event.record(&mut find);
        if find.0 {
            BUGS.with(|b| b.set(b.get() + 1));
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_broker_bug_errors_only() {
        install();
        let before = count();
        tracing::error!(
            kind = "x",
            "broker bug: message not allowed to this role; not sent"
        );
        tracing::error!("bad message from renderer; killing it");
        tracing::warn!("broker bug: but only a warning");
        assert_eq!(count(), before + 1);
    }
}
