//! Relays a renderer's stderr into the broker's log, in fixed memory and at
//! a bounded rate.
//!
//! Renderers log to a pipe, never to a file (their `RLIMIT_FSIZE` is 0 and
//! they may not open files). Everything on that pipe is untrusted, so:
//! - memory is fixed: one [`READ_CHUNK`] read buffer and one [`MAX_LINE`]
//!   line buffer, allocated once. A longer line is cut at [`MAX_LINE`] and
//!   the rest of it is read and discarded chunk by chunk;
//! - the rate is bounded ([`LIMITS`]: bytes and lines per second, token
//!   buckets). A renderer over either bound gets one warning line, is no
//!   longer relayed, and is reported to the core as [`Fault::LogFlood`]
//!   (killed and respawned like a bad message). The relay keeps reading
//!   and discarding until end of file, so a renderer can block only
//!   itself, never the broker;
//! - a relayed line is the `text` field of a line the broker writes
//!   (`workshop::renderer: stderr text="…"`), tagged with the renderer's
//!   role and generation, at the level the renderer claims; the log
//!   formatter escapes it (`workshop_logging::escape`), so it can neither
//!   start a line nor carry terminal controls;
//! - the one line the sandbox writes when its seccomp filter kills the
//!   renderer ([`workshop_sandbox::VIOLATION_MARKER`] then the syscall number) is reported to
//!   the core as [`RendererEvent::SandboxViolation`] instead of relayed.
//!
//! The thread ends at end of file (the renderer and anything it forked are
//! gone); [`Finished`] lets the receive thread wait for that (at most
//! [`DRAIN_GRACE`]) before it reports the exit, so the core sees a
//! violation line before `Exited`.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use workshop_common::Role;

use super::StderrSink;
use crate::core::{Event, Fault, Rate, RendererEvent};
use crate::queue::EventSender;

/// Longest relayed line; the rest of a longer line is discarded.
pub const MAX_LINE: usize = 4096;

/// Bytes read from the pipe at a time.
pub const READ_CHUNK: usize = 4096;

/// How fast a renderer may log before it is replaced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RelayLimits {
    /// Bytes written to stderr (every byte read counts, relayed or not).
    pub bytes: Rate,
    /// Lines written to stderr (a cut line counts once).
    pub lines: Rate,
}

/// The product's bounds. Measured: a real renderer at `RUST_LOG=debug` (and
/// at `trace`) through a whole session (start, 900 pointer moves, the Login
/// Window, a sign-in) writes one line of about 66 bytes; a panic is a few
/// lines (renderers start with an empty environment, so no backtrace). So
/// legitimate logging stays over 100 times below the sustained rates and
/// far inside the bursts, while a flood costs the broker at most the burst
/// plus 16 KiB and 100 lines per second until the renderer is replaced.
pub const LIMITS: RelayLimits = RelayLimits {
    bytes: Rate {
        per_second: 16.0 * 1024.0,
        burst: 128.0 * 1024.0,
    },
    lines: Rate {
        per_second: 100.0,
        burst: 1000.0,
    },
};

// Every read must fit the byte bucket, or any output would be a flood.
const _: () = assert!(LIMITS.bytes.burst >= READ_CHUNK as f64 && LIMITS.lines.burst >= 1.0);

/// How long the receive thread waits, after reaping, for the relay to reach
/// end of file. Immediate when the renderer was alone on the pipe (the
/// sandbox's pid namespace makes it so); bounded for anything it forked
/// without a sandbox that still holds the pipe open.
pub const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// The end of a relay thread, for the receive thread to wait on.
#[derive(Debug)]
pub struct Finished(mpsc::Receiver<()>);

impl Finished {
    /// Waits until the relay has read to end of file, at most `timeout`;
    /// returns whether it had.
    pub fn wait(&self, timeout: Duration) -> bool {
        matches!(
            self.0.recv_timeout(timeout),
            Err(mpsc::RecvTimeoutError::Disconnected) | Ok(())
        )
    }
}

/// Starts the relay thread.
pub fn start(
    role: Role,
    generation: u32,
    pipe: OwnedFd,
    sink: Option<StderrSink>,
    events: EventSender,
    limits: RelayLimits,
) -> std::io::Result<Finished> {
    let (done, finished) = mpsc::channel();
    // The relay logs into the subscriber of the thread that spawned it (the
    // process's global one in the product; a test's own in the harness).
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    std::thread::Builder::new()
        .name(format!("stderr-{}-{generation}", role.as_str()))
        .spawn(move || {
            let _subscriber = tracing::dispatcher::set_default(&dispatch);
            let mut relay = Relay {
                role,
                generation,
                sink,
                events,
                limits,
                bytes: Bucket::new(limits.bytes, Instant::now()),
                lines: Bucket::new(limits.lines, Instant::now()),
                flooded: false,
                violation_reported: false,
            };
            relay.run(std::fs::File::from(pipe));
            // Dropping `done` tells `Finished` the pipe is at end of file.
            drop(done);
        })?;
    Ok(Finished(finished))
}

/// Splits a byte stream into lines in a fixed buffer.
#[derive(Debug)]
struct LineSplitter {
    line: Box<[u8; MAX_LINE]>,
    len: usize,
    /// The current line was cut; its rest is being discarded.
    discarding: bool,
}

impl Default for LineSplitter {
    fn default() -> LineSplitter {
        LineSplitter {
            line: Box::new([0; MAX_LINE]),
            len: 0,
            discarding: false,
        }
    }
}

impl LineSplitter {
    /// Feeds `data`; calls `emit` with each complete line (without its
    /// newline), and once with the first [`MAX_LINE`] bytes of a longer one.
    /// Stops early, keeping nothing, when `emit` returns false.
    fn feed(&mut self, mut data: &[u8], emit: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        while !data.is_empty() {
            let (part, newline, rest) = match data.iter().position(|&b| b == b'\n') {
                Some(i) => (&data[..i], true, &data[i + 1..]),
                None => (data, false, &[][..]),
            };
            data = rest;
            if !self.discarding {
                let room = MAX_LINE - self.len;
                if part.len() > room {
                    self.line[self.len..].copy_from_slice(&part[..room]);
                    self.len = 0;
                    self.discarding = true;
                    if !emit(&self.line[..]) {
                        return false;
                    }
                } else {
                    self.line[self.len..self.len + part.len()].copy_from_slice(part);
                    self.len += part.len();
                }
            }
            if newline {
                let was_discarding = std::mem::replace(&mut self.discarding, false);
                let len = std::mem::replace(&mut self.len, 0);
                if !was_discarding && !emit(&self.line[..len]) {
                    return false;
                }
            }
        }
        true
    }

    /// The unterminated last line, if any (at end of file).
    fn finish(&mut self) -> Option<&[u8]> {
        let len = std::mem::replace(&mut self.len, 0);
        (len > 0 && !self.discarding).then(|| &self.line[..len])
    }
}

/// The syscall number of a sandbox-violation line, as the sandbox crate
/// defines it (its SIGSYS handler writes it; one parser for both sides).
pub fn parse_violation(line: &[u8]) -> Option<u32> {
    let line = std::str::from_utf8(line).ok()?;
    let syscall = workshop_sandbox::violation::parse_violation_line(line)?;
    u32::try_from(syscall).ok()
}

/// A token bucket that can take several tokens at once.
#[derive(Debug)]
struct Bucket {
    rate: Rate,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            rate,
            tokens: rate.burst,
            last: now,
        }
    }

    fn take(&mut self, n: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

struct Relay {
    role: Role,
    generation: u32,
    sink: Option<StderrSink>,
    events: EventSender,
    limits: RelayLimits,
    bytes: Bucket,
    lines: Bucket,
    flooded: bool,
    violation_reported: bool,
}

impl Relay {
    fn run(&mut self, mut pipe: std::fs::File) {
        let mut chunk = [0u8; READ_CHUNK];
        let mut splitter = LineSplitter::default();
        loop {
            let n = match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::debug!(role = self.role.as_str(), generation = self.generation, error = %e, "stderr pipe read failed");
                    return;
                }
            };
            if self.flooded {
                // Drain without looking, so the renderer blocks only itself.
                continue;
            }
            if !self.bytes.take(n as f64, Instant::now()) {
                self.flood("bytes", self.limits.bytes);
                continue;
            }
            splitter.feed(&chunk[..n], &mut |line| self.line(line));
        }
        if let Some(last) = splitter.finish() {
            if !self.flooded {
                self.line(last);
            }
        }
    }

    /// Handles one line; returns false once the renderer is over its rate.
    fn line(&mut self, raw: &[u8]) -> bool {
        if self.flooded {
            return false;
        }
        if !self.lines.take(1.0, Instant::now()) {
            self.flood("lines", self.limits.lines);
            return false;
        }
        if !self.violation_reported {
            if let Some(syscall) = parse_violation(raw) {
                self.violation_reported = true;
                self.report(RendererEvent::SandboxViolation { syscall });
                return true;
            }
        }
        let lossy = String::from_utf8_lossy(raw);
        let line = lossy.strip_suffix('\r').unwrap_or(&lossy);
        if line.trim().is_empty() {
            return true;
        }
        let (level, text) = workshop_logging::parse_renderer_line(line);
        let process = self.role.log_tag();
        let generation = self.generation;
        // `text` is a field, never the message: the formatter quotes and
        // escapes it after a start of line the broker wrote.
        match level {
            tracing::Level::ERROR => {
                tracing::error!(target: "workshop::renderer", process, generation, text, "stderr")
            }
            tracing::Level::WARN => {
                tracing::warn!(target: "workshop::renderer", process, generation, text, "stderr")
            }
            tracing::Level::INFO => {
                tracing::info!(target: "workshop::renderer", process, generation, text, "stderr")
            }
            tracing::Level::DEBUG => {
                tracing::debug!(target: "workshop::renderer", process, generation, text, "stderr")
            }
            tracing::Level::TRACE => {
                tracing::trace!(target: "workshop::renderer", process, generation, text, "stderr")
            }
        }
        if let Some(sink) = &self.sink {
            let escaped =
                workshop_logging::escape::escape(line, workshop_logging::escape::Context::Bare);
            sink(self.role, self.generation, &escaped);
        }
        true
    }

    fn flood(&mut self, what: &'static str, rate: Rate) {
        self.flooded = true;
        let limit = format!(
            "more than {} {what} per second (burst {})",
            rate.per_second, rate.burst
        );
        tracing::warn!(
            target: "workshop::audit",
            role = self.role.as_str(),
            generation = self.generation,
            limit = limit.as_str(),
            "renderer floods its stderr; no longer relayed, replacing it"
        );
        self.report(RendererEvent::Fault {
            fault: Fault::LogFlood(limit),
            size: 0,
            pid: None,
        });
    }

    fn report(&self, event: RendererEvent) {
        // False only when the event loop is gone; keep draining regardless.
        let _ = self.events.send(Event::Renderer {
            role: self.role,
            generation: self.generation,
            event,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, &mut |l| {
                out.push(l.to_vec());
                true
            });
        }
        let last = s.finish().map(<[u8]>::to_vec);
        (out, last)
    }

    #[test]
    fn lines_are_split_across_chunks() {
        let (lines, last) = split(&[b"ab", b"c\nde\n\nf"]);
        assert_eq!(lines, vec![b"abc".to_vec(), b"de".to_vec(), Vec::new()]);
        assert_eq!(last, Some(b"f".to_vec()));
    }

    #[test]
    fn an_over_long_line_is_cut_once_and_its_rest_discarded() {
        let long = vec![b'x'; MAX_LINE * 3 + 7];
        let (lines, last) = split(&[&long[..5000], &long[5000..], b"\nnext\n"]);
        assert_eq!(
            lines.len(),
            2,
            "{:?}",
            lines.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(lines[1], b"next");
        assert_eq!(last, None);
        // Exactly MAX_LINE bytes then a newline is not cut.
        let exact = [vec![b'y'; MAX_LINE], b"\n".to_vec()].concat();
        let (lines, _) = split(&[&exact]);
        assert_eq!(lines, vec![vec![b'y'; MAX_LINE]]);
        // An over-long unterminated line at end of file is not emitted twice.
        let (lines, last) = split(&[&long]);
        assert_eq!((lines.len(), last), (1, None));
    }

    #[test]
    fn the_violation_marker_is_recognised_exactly() {
        assert_eq!(
            parse_violation(b"workshop-sandbox-violation syscall=59"),
            Some(59)
        );
        assert_eq!(
            parse_violation(b"workshop-sandbox-violation syscall=0"),
            Some(0)
        );
        assert_eq!(
            parse_violation(b"workshop-sandbox-violation syscall=4294967295"),
            Some(u32::MAX)
        );
        for bad in [
            &b"workshop-sandbox-violation syscall="[..],
            b"workshop-sandbox-violation syscall=+59",
            b"workshop-sandbox-violation syscall=-1",
            b"workshop-sandbox-violation syscall=59 ",
            b"workshop-sandbox-violation syscall=59\r",
            b" workshop-sandbox-violation syscall=59",
            b"workshop-sandbox-violation syscall=4294967296",
            b"workshop-sandbox-violation syscall=00000000001",
            b"workshop-sandbox-violation syscall=0x3b",
            b"INFO workshop-sandbox-violation syscall=59",
        ] {
            assert_eq!(
                parse_violation(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn buckets_allow_the_burst_then_the_rate() {
        let t = Instant::now();
        let mut b = Bucket::new(
            Rate {
                per_second: 100.0,
                burst: 1000.0,
            },
            t,
        );
        assert!(b.take(1000.0, t));
        assert!(!b.take(1.0, t));
        assert!(b.take(100.0, t + Duration::from_secs(1)));
        assert!(!b.take(1.0, t + Duration::from_secs(1)));
    }
}
