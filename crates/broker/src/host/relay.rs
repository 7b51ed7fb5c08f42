//! Relays a renderer's stderr into the broker's log.
//!
//! Renderers log to a pipe, never to a file (their `RLIMIT_FSIZE` is 0 and
//! they may not open files). Each line is untrusted: it is cut at
//! [`MAX_LINE`] bytes, control characters are replaced so a renderer cannot
//! forge terminal escapes or extra log lines, and it is logged as a broker
//! event tagged with the renderer's role and generation, at the level the
//! renderer gave it.

use std::io::{BufRead, BufReader, Read};
use std::os::fd::OwnedFd;

use workshop_common::Role;

use super::StderrSink;

/// Longest relayed line; the rest of a longer line is dropped.
pub const MAX_LINE: usize = 4096;

/// Starts the relay thread.
pub fn start(
    role: Role,
    generation: u32,
    pipe: OwnedFd,
    sink: Option<StderrSink>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("stderr-{}", role.as_str()))
        .spawn(move || run(role, generation, pipe, sink))
        .map(|_| ())
}

fn run(role: Role, generation: u32, pipe: OwnedFd, sink: Option<StderrSink>) {
    let mut reader = BufReader::new(std::fs::File::from(pipe));
    let mut raw = Vec::with_capacity(256);
    loop {
        raw.clear();
        match (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut raw)
        {
            Ok(0) => return,
            Ok(_) => {}
            Err(_) => return,
        }
        if raw.last() != Some(&b'\n') && raw.len() >= MAX_LINE {
            // Skip the remainder of an over-long line.
            let mut rest = Vec::new();
            let _ = reader.read_until(b'\n', &mut rest);
        }
        let line = sanitize(&raw);
        if line.is_empty() {
            continue;
        }
        let (level, text) = workshop_logging::parse_renderer_line(&line);
        let tag = role.log_tag();
        match level {
            tracing::Level::ERROR => {
                tracing::error!(target: "workshop::renderer", process = tag, generation, "{text}")
            }
            tracing::Level::WARN => {
                tracing::warn!(target: "workshop::renderer", process = tag, generation, "{text}")
            }
            tracing::Level::INFO => {
                tracing::info!(target: "workshop::renderer", process = tag, generation, "{text}")
            }
            tracing::Level::DEBUG => {
                tracing::debug!(target: "workshop::renderer", process = tag, generation, "{text}")
            }
            tracing::Level::TRACE => {
                tracing::trace!(target: "workshop::renderer", process = tag, generation, "{text}")
            }
        }
        if let Some(sink) = &sink {
            sink(role, generation, &line);
        }
    }
}

/// Lossy UTF-8, trailing newline removed, control characters replaced.
pub fn sanitize(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim_end_matches(['\n', '\r'])
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_newlines_cannot_pass() {
        assert_eq!(sanitize(b"hello\n"), "hello");
        assert_eq!(sanitize(b"\x1b[31mred"), "\u{FFFD}[31mred");
        assert_eq!(sanitize(b"a\rb"), "a\u{FFFD}b");
        assert_eq!(sanitize(&[0xff, b'x']), "\u{FFFD}x");
    }
}
