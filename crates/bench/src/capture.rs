//! Log set-up, and the broker's own timestamps.
//!
//! The broker says what happened when through `tracing`: one
//! `workshop::audit` event per message in either direction, a debug line
//! when a renderer process has been started, an info line when the Login
//! Window is opened. [`Capture`] is a `tracing` layer that stamps each of
//! those with `Instant::now()` as it is emitted, so a scenario can line up
//! the broker's side of a spawn with the renderer's own marks. It is
//! installed only by the scenarios that need it (`spawn`): turning the
//! audit events on costs a little on every message, and the other
//! scenarios measure the product's default (`info`, audit events off).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// One captured event.
#[derive(Debug, Clone)]
pub struct Captured {
    /// When it was emitted.
    pub at: Instant,
    /// Its target.
    pub target: String,
    /// Its message.
    pub message: String,
    /// Its other fields, `Debug`-printed (strings unquoted).
    pub fields: BTreeMap<String, String>,
}

impl Captured {
    /// Field `name`, if present.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The captured events, shared with the layer.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    events: Arc<Mutex<Vec<Captured>>>,
}

impl Capture {
    /// Everything captured so far.
    pub fn snapshot(&self) -> Vec<Captured> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Forgets everything captured so far.
    pub fn clear(&self) {
        if let Ok(mut e) = self.events.lock() {
            e.clear();
        }
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: BTreeMap<String, String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        if field.name() == "message" {
            self.message = v;
        } else {
            self.rest.insert(field.name().to_owned(), v);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.rest.insert(field.name().to_owned(), value.to_owned());
        }
    }
}

struct CaptureLayer(Capture);

impl<S: Subscriber> Layer<S> for CaptureLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let at = Instant::now();
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Ok(mut events) = self.0.events.lock() {
            events.push(Captured {
                at,
                target: event.metadata().target().to_owned(),
                message: fields.message,
                fields: fields.rest,
            });
        }
    }
}

/// Installs the bench's subscriber: warnings and errors to stderr; with
/// `capture`, also the broker's audit trail, spawn and window-opening
/// events into the returned [`Capture`].
pub fn init(capture: bool) -> Capture {
    let shared = Capture::default();
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_filter(LevelFilter::WARN);
    let result = if capture {
        let targets = Targets::new()
            .with_target("workshop::audit", Level::DEBUG)
            .with_target("workshop_broker::host::spawn", Level::DEBUG)
            .with_target("workshop_broker::core", Level::INFO);
        tracing_subscriber::registry()
            .with(stderr)
            .with(CaptureLayer(shared.clone()).with_filter(targets))
            .try_init()
    } else {
        tracing_subscriber::registry().with(stderr).try_init()
    };
    if let Err(e) = result {
        eprintln!("workshop-bench: logging not set up: {e}");
    }
    shared
}
