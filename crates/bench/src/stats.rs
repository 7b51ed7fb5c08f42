//! Medians and spread, and how figures are printed.
//!
//! Latencies are reported as min / p10 / p50 / p90 / max of every measured
//! sample (warm-up excluded); rates as the median and the min–max of
//! repeated runs. Percentiles are nearest-rank on the sorted samples: no
//! interpolation, so every printed value was actually measured.

use std::fmt;

/// Order statistics of a set of durations in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// How many samples.
    pub n: usize,
    /// Smallest.
    pub min: u64,
    /// 10th percentile.
    pub p10: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// Largest.
    pub max: u64,
}

impl Latency {
    /// Summarises `samples` (ns); `None` when empty.
    pub fn of(samples: &[u64]) -> Option<Latency> {
        if samples.is_empty() {
            return None;
        }
        let mut s = samples.to_vec();
        s.sort_unstable();
        let at = |q: f64| s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
        Some(Latency {
            n: s.len(),
            min: s[0],
            p10: at(0.10),
            p50: at(0.50),
            p90: at(0.90),
            max: s[s.len() - 1],
        })
    }

    /// `p50 / other.p50`.
    pub fn ratio(&self, other: &Latency) -> f64 {
        self.p50 as f64 / other.p50.max(1) as f64
    }
}

impl Latency {
    /// A markdown row: `| label | n | min / p10 / p50 / p90 / max |`.
    pub fn row(&self, label: &str) -> String {
        format!(
            "| {label} | {} | {} / {} / **{}** / {} / {} |",
            self.n,
            Ns(self.min),
            Ns(self.p10),
            Ns(self.p50),
            Ns(self.p90),
            Ns(self.max)
        )
    }
}

/// Median and range of repeated measurements of a rate or a size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// How many runs.
    pub n: usize,
    /// Smallest.
    pub min: f64,
    /// Median (lower median for an even count).
    pub median: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// Summarises `values`; `None` when empty or not all finite.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Spread {
            n: v.len(),
            min: v[0],
            median: v[(v.len() - 1) / 2],
            max: v[v.len() - 1],
        })
    }
}

/// A duration in nanoseconds, printed with a sensible unit.
#[derive(Debug, Clone, Copy)]
pub struct Ns(pub u64);

impl fmt::Display for Ns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0 as f64;
        if ns < 1_000.0 {
            write!(f, "{ns:.0} ns")
        } else if ns < 1_000_000.0 {
            write!(f, "{:.1} µs", ns / 1e3)
        } else if ns < 1_000_000_000.0 {
            write!(f, "{:.2} ms", ns / 1e6)
        } else {
            write!(f, "{:.2} s", ns / 1e9)
        }
    }
}

/// Nanoseconds between two instants, saturating at zero.
pub fn ns_between(from: std::time::Instant, to: std::time::Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s: Vec<u64> = (1..=10).collect();
        let l = Latency::of(&s).unwrap_or_else(|| panic!("empty"));
        assert_eq!((l.min, l.p10, l.p50, l.p90, l.max), (1, 1, 5, 9, 10));
        assert_eq!(Latency::of(&[]), None);
        let one = Latency::of(&[7]).unwrap_or_else(|| panic!("empty"));
        assert_eq!((one.p10, one.p50, one.p90), (7, 7, 7));
    }

    #[test]
    fn spread_takes_the_lower_median() {
        let s = Spread::of(&[4.0, 1.0, 3.0, 2.0]).unwrap_or_else(|| panic!("empty"));
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 4.0));
        assert_eq!(Spread::of(&[f64::NAN]), None);
    }

    #[test]
    fn units() {
        assert_eq!(Ns(950).to_string(), "950 ns");
        assert_eq!(Ns(3_450).to_string(), "3.5 µs");
        assert_eq!(Ns(12_340_000).to_string(), "12.34 ms");
    }
}
