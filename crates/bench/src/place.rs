//! Where the processes run, and the clock they share.
//!
//! On these 2-vCPU VMs a cross-core wake-up costs tens of microseconds and a
//! same-core switch a few, so every latency is reported per placement:
//!
//! * `one-core`: the bench (the broker, all its threads) and every peer
//!   process on CPU 0, as `taskset -c 0` for the whole bench would;
//! * `two-cores`: the bench and all its threads on CPU 0, each peer process
//!   (floor helper or renderer) on CPU 1, pinned by the peer itself at
//!   entry (`--cpu=1`, `--bench-cpu=1`);
//! * `unpinned`: the bench does not touch affinity; the scheduler decides
//!   (what a user gets), within whatever mask the bench was started with.
//!
//! Affinity is per thread and inherited: the bench pins its main thread
//! before it starts any thread or process of a scenario.

use std::fmt;
use std::time::Instant;

/// A process placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Everything on CPU 0.
    OneCore,
    /// Bench on CPU 0, peers on CPU 1.
    TwoCores,
    /// No pinning.
    Unpinned,
}

impl Placement {
    /// Parses the command-line spelling.
    pub fn parse(s: &str) -> Option<Placement> {
        match s {
            "one-core" => Some(Placement::OneCore),
            "two-cores" => Some(Placement::TwoCores),
            "unpinned" => Some(Placement::Unpinned),
            _ => None,
        }
    }

    /// The command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::OneCore => "one-core",
            Placement::TwoCores => "two-cores",
            Placement::Unpinned => "unpinned",
        }
    }

    /// The CPU the bench itself runs on.
    pub fn own_cpu(self) -> Option<usize> {
        match self {
            Placement::OneCore | Placement::TwoCores => Some(0),
            Placement::Unpinned => None,
        }
    }

    /// The CPU a peer process runs on.
    pub fn peer_cpu(self) -> Option<usize> {
        match self {
            Placement::OneCore => Some(0),
            Placement::TwoCores => Some(1),
            Placement::Unpinned => None,
        }
    }

    /// Pins the calling thread for this placement. `unpinned` leaves the
    /// inherited mask alone, so `taskset -c 0 workshop-bench ...
    /// --placement=unpinned` keeps everything on CPU 0.
    pub fn apply(self) -> std::io::Result<()> {
        match self.own_cpu() {
            Some(cpu) => pin_current_thread(cpu),
            None => Ok(()),
        }
    }

    /// The renderer arguments that place a renderer as a peer.
    pub fn renderer_args(self) -> Vec<String> {
        self.peer_cpu()
            .map(|c| vec![format!("--bench-cpu={c}")])
            .unwrap_or_default()
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: usize) -> std::io::Result<()> {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).map_err(std::io::Error::from)
}

/// Puts the calling thread under `SCHED_BATCH` (`batch`) or back under
/// `SCHED_OTHER`. Threads and processes started from it inherit the
/// policy: set before a broker starts, its receive threads, loop thread
/// and renderers all run batch. Batch threads are never woken *into*
/// preempting the thread that woke them (the kernel only lets
/// `SCHED_OTHER` wakees preempt), which is what `rtt`'s prototype row
/// measures: whether the receive-thread hop's extra context switch on one
/// core is the wake-up preempting the reader before it blocks again.
pub fn set_batch(batch: bool) -> std::io::Result<()> {
    let policy = if batch {
        libc::SCHED_BATCH
    } else {
        libc::SCHED_OTHER
    };
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `param` lives across the call.
    if unsafe { libc::sched_setscheduler(0, policy, &param) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock renderers report their
/// marks in and `Instant` reads on Linux.
pub fn monotonic_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Converts `Instant`s into `CLOCK_MONOTONIC` nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    instant: Instant,
    mono: u64,
}

impl Clock {
    /// Pairs the two clocks now.
    pub fn new() -> Clock {
        let instant = Instant::now();
        let mono = monotonic_ns();
        Clock { instant, mono }
    }

    /// `t` in monotonic nanoseconds.
    pub fn mono(&self, t: Instant) -> u64 {
        if t >= self.instant {
            self.mono
                .saturating_add(u64::try_from((t - self.instant).as_nanos()).unwrap_or(u64::MAX))
        } else {
            self.mono
                .saturating_sub(u64::try_from((self.instant - t).as_nanos()).unwrap_or(u64::MAX))
        }
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}
