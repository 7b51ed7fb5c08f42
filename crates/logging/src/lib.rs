//! Log output for both process kinds: `tracing` to stderr, `RUST_LOG` to
//! filter, every line tagged with its process and role.
//!
//! The broker tags its lines `[BROKER]`. A renderer writes plain
//! `LEVEL target: message` lines to its stderr pipe ([`init_renderer`]); the
//! broker's relay re-emits each one tagged with the renderer's role (`[MAIN]`,
//! `[LOGIN]`, the seed's tags) and generation, in the broker's format, with
//! the broker's timestamp. `--log-format json` prints one JSON object per
//! line with the same fields, for machines.
//!
//! Nothing written here can forge a line: every message and value goes
//! through [`escape`] (controls, Unicode format characters and line
//! separators become `\u{…}`, runs of spaces one space), string values are
//! quoted, and a relayed renderer line is always the quoted `text` field of
//! a line the broker starts (`LEVEL [MAIN #1] workshop::renderer: stderr
//! text="…"`), never the start of the line.

pub mod escape;

use escape::Context;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Text for people, JSON for machines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// `TIME LEVEL [TAG] target: message key=value`.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// Command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }

    /// Parses the command-line spelling.
    pub fn parse(s: &str) -> Option<LogFormat> {
        match s {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// The default filter when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info";

/// Installs the broker's subscriber: lines tagged `tag`, timestamped.
pub fn init(format: LogFormat, filter: &str, tag: &'static str) {
    install(
        filter,
        Tagged {
            tag: Some(tag),
            format,
            timestamps: true,
        },
    );
}

/// Installs a renderer's subscriber: `LEVEL target: message key=value`
/// lines without tag or time, for the broker's relay to parse.
pub fn init_renderer(filter: &str) {
    install(
        filter,
        Tagged {
            tag: None,
            format: LogFormat::Text,
            timestamps: false,
        },
    );
}

/// Splits a renderer line into its level and the rest.
pub fn parse_renderer_line(line: &str) -> (tracing::Level, &str) {
    let trimmed = line.trim_start();
    let (word, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    let level = match word {
        "ERROR" => tracing::Level::ERROR,
        "WARN" => tracing::Level::WARN,
        "INFO" => tracing::Level::INFO,
        "DEBUG" => tracing::Level::DEBUG,
        "TRACE" => tracing::Level::TRACE,
        _ => return (tracing::Level::INFO, line),
    };
    (level, rest)
}

fn install(filter: &str, formatter: Tagged) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // A second init (tests run several apps in one process) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(formatter)
        .try_init();
}

/// The filter in effect: `RUST_LOG` or the default.
pub fn filter_from_env() -> String {
    std::env::var("RUST_LOG").unwrap_or_else(|_| DEFAULT_FILTER.to_owned())
}

/// The broker's line format (the event formatter [`init`] installs), for
/// a subscriber built elsewhere: the test harness logs exactly what the
/// product would print.
pub fn broker_format(format: LogFormat, tag: &'static str) -> Tagged {
    Tagged {
        tag: Some(tag),
        format,
        timestamps: true,
    }
}

/// The event formatter behind every Workshop log line.
#[derive(Debug)]
pub struct Tagged {
    tag: Option<&'static str>,
    format: LogFormat,
    timestamps: bool,
}

/// A recorded field value, unescaped until it is written.
enum Value {
    /// Recorded as a string: quoted in the text format.
    Str(String),
    /// Recorded through `Debug` or `Display` (numbers, errors, `?x`).
    Other(String),
}

/// Collects an event's fields; `process` and `generation` fields of relayed
/// renderer lines become the tag.
#[derive(Default)]
struct Fields {
    message: String,
    process: Option<String>,
    generation: Option<String>,
    rest: Vec<(&'static str, Value)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        match field.name() {
            "message" => self.message = v,
            "process" => self.process = Some(v.trim_matches('"').to_owned()),
            "generation" if self.process.is_some() => self.generation = Some(v),
            name => self.rest.push((name, Value::Other(v))),
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "process" => self.process = Some(value.to_owned()),
            name => self.rest.push((name, Value::Str(value.to_owned()))),
        }
    }
}

impl<S, N> FormatEvent<S, N> for Tagged
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let tag = fields.process.as_deref().or(self.tag);
        match self.format {
            LogFormat::Text => {
                if self.timestamps {
                    SystemTime.format_time(&mut writer)?;
                    write!(writer, " ")?;
                }
                write!(writer, "{:>5} ", meta.level())?;
                if let Some(tag) = tag {
                    write!(writer, "[{}", escape::escape(tag, Context::Bare))?;
                    if let Some(g) = &fields.generation {
                        write!(writer, " #{}", escape::escape(g, Context::Bare))?;
                    }
                    write!(writer, "] ")?;
                }
                write!(
                    writer,
                    "{}: {}",
                    meta.target(),
                    escape::escape(&fields.message, Context::Bare)
                )?;
                for (k, v) in &fields.rest {
                    match v {
                        Value::Str(s) => {
                            write!(writer, " {k}=\"{}\"", escape::escape(s, Context::Quoted))?
                        }
                        Value::Other(s) => {
                            write!(writer, " {k}={}", escape::escape(s, Context::Bare))?
                        }
                    }
                }
                writeln!(writer)
            }
            LogFormat::Json => {
                let mut obj = serde_json::Map::new();
                if self.timestamps {
                    let mut ts = String::new();
                    SystemTime.format_time(&mut Writer::new(&mut ts))?;
                    obj.insert("timestamp".into(), ts.into());
                }
                obj.insert("level".into(), meta.level().as_str().into());
                if let Some(tag) = tag {
                    obj.insert("process".into(), escape::escape(tag, Context::Json).into());
                }
                if let Some(g) = &fields.generation {
                    obj.insert("generation".into(), json_value(g));
                }
                obj.insert("target".into(), meta.target().into());
                obj.insert(
                    "message".into(),
                    escape::escape(&fields.message, Context::Bare).into(),
                );
                for (k, v) in fields.rest {
                    let value = match v {
                        Value::Str(s) => escape::escape(&s, Context::Json).into(),
                        Value::Other(s) => json_value(&s),
                    };
                    obj.insert(k.into(), value);
                }
                writeln!(writer, "{}", serde_json::Value::Object(obj))
            }
        }
    }
}

/// A recorded non-string value as JSON: numbers and booleans as
/// themselves, everything else as an escaped string (without the quotes
/// `Debug` added).
fn json_value(v: &str) -> serde_json::Value {
    if let Ok(n) = v.parse::<i64>() {
        return n.into();
    }
    match v {
        "true" => true.into(),
        "false" => false.into(),
        _ => escape::escape(v.trim_matches('"'), Context::Bare).into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(format: LogFormat, tag: Option<&'static str>, f: impl FnOnce()) -> String {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .event_format(Tagged {
                tag,
                format,
                timestamps: false,
            })
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let out = buf.0.lock().unwrap().clone();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_lines_carry_the_process_tag() {
        let out = capture(LogFormat::Text, Some("BROKER"), || {
            tracing::info!(role = "main", "renderer ready")
        });
        assert!(out.contains("INFO [BROKER] "), "{out}");
        assert!(out.contains("renderer ready role=\"main\""), "{out}");
    }

    #[test]
    fn relayed_renderer_lines_take_the_renderers_tag() {
        let out = capture(
            LogFormat::Text,
            Some("BROKER"),
            || tracing::warn!(target: "workshop::renderer", process = "LOGIN", generation = 2, "x: y"),
        );
        assert!(
            out.contains("WARN [LOGIN #2] workshop::renderer: x: y"),
            "{out}"
        );
    }

    /// What a compromised renderer writes to forge a broker line: a fake
    /// `[BROKER]` prefix, padding to push it onto its own visual line, an
    /// escape sequence erasing the real line, a bidi override, a line
    /// separator.
    fn forgery() -> String {
        format!(
            "innocent{}\x1b[2K\r INFO [BROKER] workshop_broker: user signed in\u{202E}nimda\u{2028} INFO [BROKER] x\" ok=\"1",
            " ".repeat(500)
        )
    }

    #[test]
    fn a_relayed_line_cannot_forge_a_broker_line_in_text() {
        let text = forgery();
        let out = capture(
            LogFormat::Text,
            Some("BROKER"),
            || tracing::info!(target: "workshop::renderer", process = "MAIN", generation = 1, text = text.as_str(), "stderr"),
        );
        // One line, started by the broker, the renderer's text quoted after it.
        assert_eq!(out.matches('\n').count(), 1, "{out}");
        assert!(out.ends_with("\"\n"), "{out}");
        let line = out.trim_end_matches('\n');
        assert!(
            line.starts_with(" INFO [MAIN #1] workshop::renderer: stderr text=\"innocent \\u{1b}[2K\\u{d} INFO [BROKER]"),
            "{line}"
        );
        assert!(line.contains("\\u{202e}nimda\\u{2028} INFO"), "{line}");
        assert!(line.contains(r#"x\" ok=\"1""#), "{line}");
        assert!(!line.contains("  "), "padding survived: {line}");
        assert!(!line.chars().any(escape::must_escape), "{line:?}");
    }

    #[test]
    fn a_relayed_line_cannot_forge_a_broker_line_in_json() {
        let text = forgery();
        let out = capture(
            LogFormat::Json,
            Some("BROKER"),
            || tracing::warn!(target: "workshop::renderer", process = "LOGIN", generation = 3, text = text.as_str(), "stderr"),
        );
        assert_eq!(out.matches('\n').count(), 1, "{out}");
        assert!(
            !out.trim_end_matches('\n').chars().any(escape::must_escape),
            "{out:?}"
        );
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["process"], "LOGIN");
        assert_eq!(v["generation"], 3);
        assert_eq!(v["target"], "workshop::renderer");
        assert_eq!(v["message"], "stderr");
        let t = v["text"].as_str().unwrap();
        assert!(
            t.starts_with("innocent \\u{1b}[2K\\u{d} INFO [BROKER]"),
            "{t}"
        );
        assert!(t.contains("\\u{202e}nimda\\u{2028}"), "{t}");
        assert!(!t.chars().any(escape::must_escape), "{t:?}");
    }

    #[test]
    fn json_lines_parse_with_typed_fields() {
        let out = capture(LogFormat::Json, Some("BROKER"), || {
            tracing::info!(pid = 42, ok = true, role = "main", "hello")
        });
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["process"], "BROKER");
        assert_eq!(v["message"], "hello");
        assert_eq!(v["pid"], 42);
        assert_eq!(v["ok"], true);
        assert_eq!(v["role"], "main");
    }

    #[test]
    fn renderer_lines_are_split_at_their_level() {
        assert_eq!(
            parse_renderer_line(" WARN a: b"),
            (tracing::Level::WARN, "a: b")
        );
        assert_eq!(
            parse_renderer_line("garbage line"),
            (tracing::Level::INFO, "garbage line")
        );
    }
}
