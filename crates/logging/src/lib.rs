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
//!
//! **Quiet by default.** Without `RUST_LOG` the filter is
//! [`DEFAULT_FILTER`]: the app's own targets at `info` (so its few lines and
//! its warnings and errors), every library (winit, softbuffer, calloop,
//! smithay-client-toolkit, wayland, x11rb, ipc-channel, cosmic-text, …) at
//! `error` only. `RUST_LOG` replaces it, with `EnvFilter`'s syntax. A
//! directive in it that does not parse is dropped with one warning line
//! naming it, and the valid ones still apply (`EnvFilter::try_new` would
//! refuse the whole string; its `parse_lossy` would print an untagged line of
//! its own).

pub mod escape;

use escape::Context;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::Directive;
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

/// The default filter when `RUST_LOG` is unset: libraries at `error`, the
/// app at `info`. `EnvFilter` matches a directive's target as a *prefix* of
/// the event's target, so `workshop` covers every crate of the workspace
/// (`workshop_broker`, `workshop_renderer`, `workshop_sandbox`, …) and the
/// app's named targets (`workshop::audit`, `workshop::renderer` for relayed
/// renderer lines); see [`APP_TARGETS`].
pub const DEFAULT_FILTER: &str = "error,workshop=info";

/// The targets the app logs under (crate names and named targets), all
/// shown at `info` by [`DEFAULT_FILTER`]. Kept for the tests that pin it.
pub const APP_TARGETS: &[&str] = &[
    "workshop::audit",
    "workshop::renderer",
    "workshop_bench",
    "workshop_broker",
    "workshop_common",
    "workshop_compromised",
    "workshop_logging",
    "workshop_renderer",
    "workshop_renderer_login",
    "workshop_renderer_main",
    "workshop_sandbox",
    "workshop_testkit",
    "workshop_transport",
    "workshop_ui",
];

/// A directive of a filter string that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDirective {
    /// The directive as written.
    pub directive: String,
    /// Why `EnvFilter` refused it.
    pub reason: String,
}

/// Builds the filter for `spec` (`RUST_LOG` syntax) directive by
/// directive: those that parse apply exactly as `EnvFilter` would apply
/// them, those that do not are returned. A spec with no valid directive at
/// all (including an empty one) gives [`DEFAULT_FILTER`].
pub fn parse_filter(spec: &str) -> (EnvFilter, Vec<InvalidDirective>) {
    let mut valid: Vec<&str> = Vec::new();
    let mut invalid = Vec::new();
    // EnvFilter itself splits on every comma, so this is its grammar.
    for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        match directive.parse::<Directive>() {
            Ok(_) => valid.push(directive),
            Err(e) => invalid.push(InvalidDirective {
                directive: directive.to_owned(),
                reason: e.to_string(),
            }),
        }
    }
    let filter = if valid.is_empty() {
        default_filter()
    } else {
        EnvFilter::try_new(valid.join(",")).unwrap_or_else(|_| default_filter())
    };
    (filter, invalid)
}

fn default_filter() -> EnvFilter {
    // The constant parses (a test pins it); the fallback is never used.
    EnvFilter::try_new(DEFAULT_FILTER).unwrap_or_else(|_| EnvFilter::new("error"))
}

/// Installs the broker's subscriber: lines tagged `tag`, timestamped. Each
/// invalid directive in `filter` is reported in one warning line (shown
/// whatever the filter says: the user asked for logs and got fewer).
pub fn init(format: LogFormat, filter: &str, tag: &'static str) {
    let (filter, invalid) = parse_filter(filter);
    report_invalid(&invalid, broker_format(format, tag), std::io::stderr);
    install(filter, broker_format(format, tag));
}

/// Installs a renderer's subscriber: `LEVEL target: message key=value`
/// lines without tag or time, for the broker's relay to parse. Invalid
/// directives are dropped silently: the filter is the broker's, which has
/// already reported them once (every renderer repeating it would be noise).
pub fn init_renderer(filter: &str) {
    let (filter, _already_reported) = parse_filter(filter);
    install(
        filter,
        Tagged {
            tag: None,
            format: LogFormat::Text,
            timestamps: false,
        },
    );
}

/// Writes one warning line per invalid directive through `formatter`.
fn report_invalid<W>(invalid: &[InvalidDirective], formatter: Tagged, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    if invalid.is_empty() {
        return;
    }
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .event_format(formatter)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        for d in invalid {
            tracing::warn!(
                target: "workshop_logging",
                directive = d.directive.as_str(),
                reason = d.reason.as_str(),
                "RUST_LOG: ignoring a directive that does not parse"
            );
        }
    });
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

fn install(filter: EnvFilter, formatter: Tagged) {
    // A second init (tests run several apps in one process) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(formatter)
        .try_init();
}

/// The filter asked for: `RUST_LOG`, or the default when it is unset or
/// empty (as `EnvFilter` treats an empty one).
pub fn filter_from_env() -> String {
    std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_FILTER.to_owned())
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

    /// Lines printed under filter `spec`, trimmed.
    fn filtered(spec: &str, f: impl FnOnce()) -> Vec<String> {
        filtered_with(parse_filter(spec).0, f)
    }

    fn filtered_with(filter: EnvFilter, f: impl FnOnce()) -> Vec<String> {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_env_filter(filter)
            .event_format(Tagged {
                tag: None,
                format: LogFormat::Text,
                timestamps: false,
            })
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        out.lines().map(|l| l.trim().to_owned()).collect()
    }

    /// What a healthy session logs, from the app and from its libraries.
    fn session() {
        tracing::info!(target: "workshop_broker::run", "app line");
        tracing::warn!(target: "workshop_renderer::runtime", "app warning");
        tracing::info!(target: "workshop::audit", "audit line");
        tracing::debug!(target: "workshop::audit", "accepted message");
        tracing::debug!(target: "workshop_broker::core", "app debug");
        tracing::info!(target: "winit::platform_impl::x11", "winit info");
        tracing::warn!(target: "winit::platform_impl::x11", "winit warning");
        tracing::warn!(target: "calloop::loop_logic", "calloop warning");
        tracing::warn!(target: "sctk_adwaita", "sctk warning");
        tracing::warn!(target: "cosmic_text::font", "font warning");
        tracing::error!(target: "softbuffer", "softbuffer error");
    }

    #[test]
    fn by_default_only_the_app_speaks_and_libraries_only_of_errors() {
        let lines = filtered(DEFAULT_FILTER, session);
        assert_eq!(
            lines,
            [
                "INFO workshop_broker::run: app line",
                "WARN workshop_renderer::runtime: app warning",
                "INFO workshop::audit: audit line",
                "ERROR softbuffer: softbuffer error",
            ],
            "{lines:#?}"
        );
    }

    /// Whether an event of `target` at `level` passes the filter `spec`.
    fn enabled(spec: &str, target: &str, level: tracing::Level) -> bool {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(parse_filter(spec).0)
            .with_writer(std::io::sink)
            .finish();
        let meta = meta(target, level);
        tracing::subscriber::with_default(subscriber, || {
            tracing::dispatcher::get_default(|d| d.enabled(&meta))
        })
    }

    #[test]
    fn every_app_target_is_shown_at_info_and_libraries_at_error() {
        use tracing::Level;
        for target in APP_TARGETS {
            assert!(enabled(DEFAULT_FILTER, target, Level::INFO), "{target}");
            assert!(!enabled(DEFAULT_FILTER, target, Level::DEBUG), "{target}");
        }
        for library in [
            "winit",
            "softbuffer",
            "calloop",
            "smithay_client_toolkit",
            "sctk_adwaita",
            "wayland_client",
            "x11rb",
            "ipc_channel",
            "cosmic_text",
            "fontdb",
        ] {
            assert!(enabled(DEFAULT_FILTER, library, Level::ERROR), "{library}");
            assert!(!enabled(DEFAULT_FILTER, library, Level::WARN), "{library}");
        }
    }

    /// Static metadata for an arbitrary target (the `tracing` macros take
    /// only literal targets).
    fn meta(target: &str, level: tracing::Level) -> tracing::Metadata<'static> {
        struct Cs;
        impl tracing::callsite::Callsite for Cs {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                unreachable!("never registered")
            }
        }
        static CS: Cs = Cs;
        let target: &'static str = Box::leak(target.to_owned().into_boxed_str());
        tracing::Metadata::new(
            "probe",
            target,
            level,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CS)),
            tracing::metadata::Kind::EVENT,
        )
    }

    #[test]
    fn an_invalid_directive_is_named_once_and_the_rest_still_applies() {
        let spec = "winit=warn,workshop_broker=debug,foo=loud,bar[=info";
        let (_, invalid) = parse_filter(spec);
        let names: Vec<&str> = invalid.iter().map(|d| d.directive.as_str()).collect();
        assert_eq!(names, ["foo=loud", "bar[=info"], "{invalid:?}");
        let lines = filtered(spec, session);
        assert_eq!(
            lines,
            [
                "INFO workshop_broker::run: app line",
                "DEBUG workshop_broker::core: app debug",
                "WARN winit::platform_impl::x11: winit warning",
            ],
            "the valid directives, exactly as EnvFilter applies them"
        );

        // The report: one line per invalid directive, naming it.
        let buf = Buf::default();
        let writer = buf.clone();
        report_invalid(
            &invalid,
            Tagged {
                tag: Some("BROKER"),
                format: LogFormat::Text,
                timestamps: false,
            },
            move || writer.clone(),
        );
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let report: Vec<&str> = out.lines().collect();
        assert_eq!(report.len(), 2, "{out}");
        assert!(
            report[0].contains("WARN [BROKER] workshop_logging: RUST_LOG: ignoring"),
            "{out}"
        );
        assert!(report[0].contains("directive=\"foo=loud\""), "{out}");
        assert!(report[1].contains("directive=\"bar[=info\""), "{out}");
    }

    #[test]
    fn nothing_valid_means_the_default_and_valid_means_no_report() {
        let (f, invalid) = parse_filter("%%%");
        assert_eq!(invalid.len(), 1);
        assert_eq!(filtered_with(f, session), filtered(DEFAULT_FILTER, session));
        let (f, invalid) = parse_filter("");
        assert!(invalid.is_empty());
        assert_eq!(filtered_with(f, session), filtered(DEFAULT_FILTER, session));
        let (f, invalid) = parse_filter("debug");
        assert!(invalid.is_empty());
        assert_eq!(filtered_with(f, session).len(), 11, "everything");
        assert!(EnvFilter::try_new(DEFAULT_FILTER).is_ok());
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
