//! The bench renderer: a renderer that measures its own side of the
//! protocol, attached to the renderer runtime through its hooks.
//!
//! `workshop-bench --type=renderer ...` runs [`main`]: it takes its own
//! options (`--bench=PLAN`, `--bench-cpu=N`) off the command line and hands
//! the rest to `workshop_renderer::main_with` with [`BenchHooks`]. The
//! product `workshop` contains none of this (its renderer refuses both
//! options, which `.ci/run` checks). Timed assertions have no place in
//! tests; figures come from running `workshop-bench` by hand
//! (docs/BENCHMARKS.md).
//!
//! What it adds:
//!
//! * **timeline marks**: `CLOCK_MONOTONIC` nanoseconds at process entry,
//!   content built, `Bootstrap` sent, surface adopted, `Hello` sent,
//!   `Welcome` received, first `FrameReady` sent and first `FrameAck`
//!   received. The clock is the broker's too (no time namespace), so the
//!   bench lines them up with the broker's own instants;
//! * `--bench-cpu=N`: pin this process to CPU `N` at entry (before lockdown,
//!   which would forbid `sched_setaffinity`);
//! * `--bench=PLAN`, run after the first `FrameAck` (the window is up):
//!   - `invoke:N:SIZE[:SIZE...]`: Login Window only. `N` back-to-back
//!     `SubmitLogin` invokes through the real `LoginWindowClient` with the
//!     malformed email `x` and a password padded so the encoded request is
//!     exactly `SIZE` bytes; the broker's router answers each with the typed
//!     `InvalidEmail` reply at once (no authenticator). Each sample is send
//!     to reply decoded and matched.
//!   - `flood:N`: `N` `SetCursor` messages back to back (blocking sends, so
//!     the broker's consumption sets the pace).
//!   - `frames:N`: for every surface, `N` full-surface frames: fill the
//!     whole shared buffer, `FrameReady` with full damage, wait for
//!     `FrameAck`, repeat. `repaint:N` also re-lays-out and repaints the
//!     whole widget tree each frame.
//!
//! Results go to stderr as `BENCH ...` log lines (the broker relays them;
//! the bench reads them from `HostConfig::stderr_sink`), samples in
//! nanoseconds, at most [`SAMPLES_PER_LINE`] per line so no line is cut by
//! the relay's line limit.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use workshop_common::codec::{self, MAX_MESSAGE_BYTES};
use workshop_common::geometry::PxRect;
use workshop_common::input::CursorIcon;
use workshop_common::protocol::{BrokerToRenderer, RendererToBroker, Request, RequestId};
use workshop_common::user::{LoginError, MAX_PASSWORD_BYTES};
use workshop_common::Secret;
use workshop_renderer::content::Content;
use workshop_renderer::runtime::{Runtime, RuntimeError};
use workshop_renderer::{Hooks, Milestone};
use workshop_transport::control::{ControlSocket, Received};

/// Samples per `BENCH` line (≤ 10 digits and a comma each: well under the
/// relay's 4 KiB line limit).
pub const SAMPLES_PER_LINE: usize = 300;

/// Invoke ids below this encode in one byte (bincode varint), from here to
/// 65 535 in three: the warm-up runs the ids up past it so every measured
/// request has the same size.
pub const THREE_BYTE_IDS_FROM: u64 = 251;
const LARGEST_THREE_BYTE_ID: u64 = 65_535;

/// A point of the renderer's start-up, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `main` entered.
    Entry = 0,
    /// Window content and text system built (fonts parsed).
    ContentBuilt = 1,
    /// `Bootstrap` sent.
    BootstrapSent = 2,
    /// The broker's surface channel accepted, first surface received.
    SurfaceAdopted = 3,
    /// `Hello` sent (after lockdown and probes).
    HelloSent = 4,
    /// `Welcome` received.
    Welcome = 5,
    /// First `FrameReady` sent.
    FirstFrameReady = 6,
    /// First `FrameAck` received.
    FirstFrameAck = 7,
}

const MARK_NAMES: [&str; 8] = [
    "entry",
    "content",
    "bootstrap",
    "adopted",
    "hello",
    "welcome",
    "frame_ready",
    "frame_ack",
];

static MARKS: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

/// `CLOCK_MONOTONIC` in nanoseconds (the clock `Instant` uses on Linux).
pub fn monotonic_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Records the first time `mark` happens.
pub fn mark(mark: Mark) {
    let _ = MARKS[mark as usize].compare_exchange(
        0,
        monotonic_ns(),
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
}

/// The bench renderer's entry point (`args` include the program name).
pub fn main(args: &[String]) -> std::process::ExitCode {
    mark(Mark::Entry);
    let mut plan = None;
    let mut cpu = None;
    let mut rest = Vec::with_capacity(args.len());
    for arg in args {
        if let Some(spec) = arg.strip_prefix("--bench=") {
            plan = Some(spec.to_owned());
        } else if let Some(n) = arg.strip_prefix("--bench-cpu=") {
            match n.parse() {
                Ok(n) => cpu = Some(n),
                Err(_) => {
                    eprintln!("workshop-bench renderer: invalid value for --bench-cpu");
                    return std::process::ExitCode::from(2);
                }
            }
        } else {
            rest.push(arg.clone());
        }
    }
    if let Some(cpu) = cpu {
        pin(cpu);
    }
    workshop_renderer::main_with(&rest, Box::new(BenchHooks::new(plan.as_deref())))
}

/// Pins this process to `cpu`. Runs before lockdown.
fn pin(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
        tracing::error!(cpu, error = %e, "BENCH kind=error what=pin");
    }
}

/// What the bench asked this renderer to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Only report the start-up timeline.
    Timeline,
    /// Back-to-back login invokes of each size.
    Invoke {
        /// Measured round trips per size.
        n: usize,
        /// Encoded request sizes.
        sizes: Vec<usize>,
    },
    /// One-way `SetCursor` flood.
    Flood {
        /// Messages.
        n: usize,
    },
    /// Full-surface frames per surface.
    Frames {
        /// Measured frames per surface.
        n: usize,
        /// Repaint the widget tree each frame too.
        repaint: bool,
    },
}

impl Plan {
    /// Parses `--bench=...`.
    pub fn parse(spec: &str) -> Option<Plan> {
        let mut parts = spec.split(':');
        let kind = parts.next()?;
        let mut numbers = parts.map(|p| p.parse::<usize>().ok());
        let n = numbers.next().flatten();
        match kind {
            "timeline" => Some(Plan::Timeline),
            "invoke" => {
                let sizes: Option<Vec<usize>> = numbers.collect();
                let sizes = sizes.filter(|s| !s.is_empty())?;
                Some(Plan::Invoke { n: n?, sizes })
            }
            "flood" => Some(Plan::Flood { n: n? }),
            "frames" => Some(Plan::Frames {
                n: n?,
                repaint: false,
            }),
            "repaint" => Some(Plan::Frames {
                n: n?,
                repaint: true,
            }),
            _ => None,
        }
    }
}

/// One surface's frame run.
#[derive(Debug, Default)]
struct FrameRun {
    generation: u32,
    sent: usize,
    frame_start: Option<Instant>,
    measured_from: Option<Instant>,
    samples: Vec<u64>,
    done: bool,
}

/// The bench renderer's hooks.
#[derive(Debug)]
pub struct BenchHooks {
    plan: Option<Plan>,
    timeline_reported: bool,
    started: bool,
    frames: FrameRun,
}

impl BenchHooks {
    /// The state for `--bench=spec` (inert without it).
    pub fn new(spec: Option<&str>) -> BenchHooks {
        let plan = spec.and_then(|spec| {
            let plan = Plan::parse(spec);
            if plan.is_none() {
                tracing::error!(spec, "BENCH kind=error what=plan");
            }
            plan
        });
        BenchHooks {
            plan,
            timeline_reported: false,
            started: false,
            frames: FrameRun::default(),
        }
    }
}

impl Hooks for BenchHooks {
    fn reached(&mut self, milestone: Milestone) {
        match milestone {
            Milestone::ContentBuilt => mark(Mark::ContentBuilt),
            Milestone::SurfaceAdopted => mark(Mark::SurfaceAdopted),
            Milestone::Welcome => mark(Mark::Welcome),
            Milestone::FrameAck => mark(Mark::FirstFrameAck),
        }
    }

    fn on_send(&mut self, msg: &RendererToBroker) {
        match msg {
            RendererToBroker::Bootstrap { .. } => mark(Mark::BootstrapSent),
            RendererToBroker::Hello { .. } => mark(Mark::HelloSent),
            RendererToBroker::FrameReady { .. } => mark(Mark::FirstFrameReady),
            _ => {}
        }
    }

    fn paint(&mut self, rt: &mut Runtime) -> Result<bool, RuntimeError> {
        paint(self, rt)
    }

    fn after_frame_ack(&mut self, rt: &mut Runtime) -> Result<(), RuntimeError> {
        after_frame_ack(self, rt)
    }
}

/// In a frames plan, paints the bench's frame instead of the content's.
/// Returns whether it did (or a frame is in flight).
fn paint(bench: &mut BenchHooks, rt: &mut Runtime) -> Result<bool, RuntimeError> {
    let Some(Plan::Frames { n, repaint }) = bench.plan else {
        return Ok(false);
    };
    let parts = rt.parts();
    let Some(surface) = parts.surface else {
        return Ok(false);
    };
    let run = &mut bench.frames;
    if run.generation != surface.generation {
        *run = FrameRun {
            generation: surface.generation,
            samples: Vec::with_capacity(n),
            ..FrameRun::default()
        };
        // An opaque canvas: the conversion's fast path, as for real content.
        let bounds = surface.canvas.bounds();
        surface
            .canvas
            .fill_px_rect(bounds, workshop_ui::theme::BACKGROUND);
    }
    if run.done {
        return Ok(false);
    }
    if *parts.frame_in_flight {
        return Ok(true);
    }
    run.frame_start = Some(Instant::now());
    if repaint {
        let ui = parts.content.ui_mut();
        ui.invalidate();
        let _ = ui.paint(&mut surface.canvas, parts.text);
    }
    let (width, height) = (surface.width, surface.height);
    if !repaint {
        // One full write pass over the shared surface, like the bare
        // hand-off's write of its buffer.
        let bounds = surface.canvas.bounds();
        surface
            .canvas
            .fill_px_rect(bounds, workshop_ui::theme::BACKGROUND);
    }
    *parts.frame_in_flight = true;
    let generation = surface.generation;
    // The runtime lends its hooks out for this call, so `on_send` does not
    // see this message: mark it here.
    mark(Mark::FirstFrameReady);
    rt.send(&RendererToBroker::FrameReady {
        surface: generation,
        damage: PxRect::full(width, height),
    })?;
    Ok(true)
}

/// On every `FrameAck`: the timeline, frame samples, and the one-shot
/// plans (which start once the window is up).
fn after_frame_ack(bench: &mut BenchHooks, rt: &mut Runtime) -> Result<(), RuntimeError> {
    let now = Instant::now();
    if bench.plan.is_none() {
        return Ok(());
    }
    if !bench.timeline_reported {
        bench.timeline_reported = true;
        report_timeline();
    }
    match bench.plan.clone() {
        Some(Plan::Frames { n, repaint }) => {
            let run = &mut bench.frames;
            if let Some(start) = run.frame_start.take() {
                let warm = (n / 10).max(10);
                run.sent += 1;
                if run.sent > warm {
                    run.samples.push(duration_ns(now - start));
                }
                if run.sent == warm {
                    run.measured_from = Some(now);
                }
                if run.sent == warm + n && !run.done {
                    run.done = true;
                    let elapsed = run.measured_from.map_or(Duration::ZERO, |t| now - t);
                    let (width, height) =
                        rt.parts().surface.map_or((0, 0), |s| (s.width, s.height));
                    let kind = if repaint { "repaint" } else { "frames" };
                    let head = format!(
                        "kind={kind} width={width} height={height} n={n} elapsed_ns={}",
                        duration_ns(elapsed)
                    );
                    report_samples(&head, &run.samples);
                }
            }
        }
        Some(Plan::Invoke { n, sizes }) if !bench.started => {
            bench.started = true;
            run_invoke(rt, n, &sizes)?;
        }
        Some(Plan::Flood { n }) if !bench.started => {
            bench.started = true;
            run_flood(rt, n)?;
        }
        _ => {}
    }
    Ok(())
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn report_timeline() {
    let mut line = String::from("BENCH kind=timeline");
    for (name, value) in MARK_NAMES.iter().zip(MARKS.iter()) {
        let _ = write!(line, " {name}={}", value.load(Ordering::Relaxed));
    }
    tracing::info!("{line}");
}

/// Reports `samples` as `BENCH kind=samples` lines followed by one
/// `BENCH ... done` line carrying `head`.
fn report_samples(head: &str, samples: &[u64]) {
    for (seq, chunk) in samples.chunks(SAMPLES_PER_LINE).enumerate() {
        let mut line = format!("BENCH kind=samples seq={seq} values=");
        for (i, v) in chunk.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            let _ = write!(line, "{v}");
        }
        tracing::info!("{line}");
    }
    tracing::info!("BENCH {head} samples={} done", samples.len());
}

fn fail(what: &str) {
    tracing::error!("BENCH kind=error what={what}");
}

/// The password length that makes `Invoke { id, SubmitLogin { "x", pw } }`
/// encode to exactly `size` bytes with a three-byte id (the bench's own
/// transport-and-codec floor builds the same messages).
pub fn password_len_for(size: usize) -> Option<usize> {
    let encoded = |len: usize| {
        codec::encode(&RendererToBroker::Invoke {
            id: RequestId(THREE_BYTE_IDS_FROM),
            request: Request::SubmitLogin {
                email: "x".to_owned(),
                password: Secret::new("p".repeat(len)),
            },
        })
        .map(|b| b.len())
        .ok()
    };
    let base = encoded(1)?;
    let mut len = (size + 1).checked_sub(base)?.max(1);
    for _ in 0..4 {
        let got = encoded(len)?;
        if got == size {
            return Some(len);
        }
        len = (len + size).checked_sub(got)?.max(1);
    }
    None
}

fn run_invoke(rt: &mut Runtime, n: usize, sizes: &[usize]) -> Result<(), RuntimeError> {
    let mut buf = vec![0u8; MAX_MESSAGE_BYTES];
    for &size in sizes {
        let Some(password_len) = password_len_for(size).filter(|&l| l <= MAX_PASSWORD_BYTES) else {
            // Larger requests would break the protocol's password limit
            // (the broker would rightly kill us): the bench measures those
            // through the transport and codec alone.
            fail("invoke-size");
            return Ok(());
        };
        let password = "p".repeat(password_len);
        let mut samples = Vec::with_capacity(n);
        let mut reply_bytes = 0;
        let mut i = 0usize;
        while samples.len() < n {
            // Queue the invoke through the Login Window's own client.
            let queued = match rt.parts().content {
                Content::Login(_, client) => {
                    client.invoke_submit_login("x".to_owned(), Secret::new(password.clone()))
                }
                Content::Main(..) => {
                    fail("invoke-needs-login-window");
                    return Ok(());
                }
            };
            let Ok(id) = queued else {
                fail("invoke-refused-by-client");
                return Ok(());
            };
            if id.0 > LARGEST_THREE_BYTE_ID {
                fail("invoke-too-many");
                return Ok(());
            }
            let outgoing = rt.parts().content.take_outgoing(Instant::now());
            let start = Instant::now();
            for msg in &outgoing {
                rt.send(msg)?;
            }
            // Wait for the reply; answer pings meanwhile.
            loop {
                let len = match rt.control().recv_timeout(&mut buf, None) {
                    Ok(Received::Message(len)) => len,
                    Ok(Received::Closed | Received::Timeout) => return Ok(()),
                    Err(e) => return Err(RuntimeError::Recv(e)),
                };
                let msg: BrokerToRenderer =
                    codec::decode(&buf[..len]).map_err(RuntimeError::Decode)?;
                match msg {
                    BrokerToRenderer::Reply { id: got, reply } if got == id => {
                        reply_bytes = len;
                        let outcome = match rt.parts().content {
                            Content::Login(_, client) => client.complete(got, reply),
                            Content::Main(..) => None,
                        };
                        let expected = outcome.is_some_and(|o| {
                            o.result
                                == Err(workshop_common::client::InvokeError::Login(
                                    LoginError::InvalidEmail,
                                ))
                        });
                        if !expected {
                            fail("invoke-unexpected-reply");
                            return Ok(());
                        }
                        break;
                    }
                    BrokerToRenderer::Ping { nonce } => {
                        rt.send(&RendererToBroker::Pong { nonce })?;
                    }
                    other => {
                        if !rt.handle_message(other)? {
                            return Ok(());
                        }
                    }
                }
            }
            let elapsed = start.elapsed();
            if i >= warm_up(n) && id.0 >= THREE_BYTE_IDS_FROM {
                samples.push(duration_ns(elapsed));
            }
            i += 1;
        }
        let head = format!("kind=invoke size={size} reply_bytes={reply_bytes} n={n}");
        report_samples(&head, &samples);
    }
    Ok(())
}

/// Warm-up round trips per size (besides the ids below three bytes).
pub fn warm_up(n: usize) -> usize {
    (n / 10).clamp(100, 2000)
}

fn run_flood(rt: &mut Runtime, n: usize) -> Result<(), RuntimeError> {
    let mut buf = vec![0u8; MAX_MESSAGE_BYTES];
    let start = Instant::now();
    for i in 0..n {
        let cursor = if i % 2 == 0 {
            CursorIcon::Pointer
        } else {
            CursorIcon::Default
        };
        rt.send(&RendererToBroker::SetCursor { cursor })?;
        if i % 1024 == 1023 {
            answer_pings(rt, &mut buf)?;
        }
    }
    let elapsed = start.elapsed();
    tracing::info!(
        "BENCH kind=flood n={n} elapsed_ns={} samples=0 done",
        duration_ns(elapsed)
    );
    Ok(())
}

/// Handles whatever the broker sent meanwhile, without waiting.
fn answer_pings(rt: &mut Runtime, buf: &mut [u8]) -> Result<(), RuntimeError> {
    loop {
        let control: &ControlSocket = rt.control();
        match control.recv_timeout(buf, Some(Duration::ZERO)) {
            Ok(Received::Message(len)) => {
                let msg: BrokerToRenderer =
                    codec::decode(&buf[..len]).map_err(RuntimeError::Decode)?;
                match msg {
                    BrokerToRenderer::Ping { nonce } => {
                        rt.send(&RendererToBroker::Pong { nonce })?
                    }
                    other => {
                        rt.handle_message(other)?;
                    }
                }
            }
            Ok(_) => return Ok(()),
            Err(e) => return Err(RuntimeError::Recv(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse() {
        assert_eq!(Plan::parse("timeline"), Some(Plan::Timeline));
        assert_eq!(
            Plan::parse("invoke:100:16:1024"),
            Some(Plan::Invoke {
                n: 100,
                sizes: vec![16, 1024]
            })
        );
        assert_eq!(Plan::parse("invoke:100"), None);
        assert_eq!(Plan::parse("flood:5"), Some(Plan::Flood { n: 5 }));
        assert_eq!(
            Plan::parse("repaint:7"),
            Some(Plan::Frames {
                n: 7,
                repaint: true
            })
        );
        assert_eq!(Plan::parse("frames:x"), None);
        assert_eq!(Plan::parse("nope:1"), None);
    }

    #[test]
    fn invoke_requests_have_the_asked_size() {
        for size in [16, 64, 1024] {
            let len = password_len_for(size);
            let Some(len) = len else {
                panic!("no password length for {size}")
            };
            let bytes = codec::encode(&RendererToBroker::Invoke {
                id: RequestId(THREE_BYTE_IDS_FROM + 7),
                request: Request::SubmitLogin {
                    email: "x".to_owned(),
                    password: Secret::new("p".repeat(len)),
                },
            });
            assert_eq!(bytes.map(|b| b.len()).ok(), Some(size));
        }
        // Beyond the protocol's password limit it cannot be done this way.
        assert!(password_len_for(2048).is_some_and(|l| l > 1024));
    }
}
