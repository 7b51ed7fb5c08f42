//! The sandbox layers of a process, as `/proc` shows them from outside.
//!
//! What `peer` reports for each app's renderer, read by the bench (root)
//! rather than asked of the app: the seccomp mode, `no_new_privs` and the
//! effective capabilities from `/proc/PID/status`, and which namespaces
//! the process does not share with the bench (`/proc/PID/ns/*` links that
//! differ from the bench's own). Landlock leaves no trace in `/proc`, so
//! it is not in this table (docs/SECURITY.md lists Workshop's).

/// The namespaces compared, in the order printed.
pub const NAMESPACES: [&str; 8] = ["user", "pid", "net", "mnt", "ipc", "uts", "cgroup", "time"];

/// The layers of one process.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layers {
    /// `Seccomp:` 0 none, 1 strict, 2 filter.
    pub seccomp: Option<u8>,
    /// `Seccomp_filters:` how many filters are stacked.
    pub seccomp_filters: Option<u32>,
    /// `NoNewPrivs:`.
    pub no_new_privs: Option<bool>,
    /// `CapEff:` as hex.
    pub cap_eff: Option<u64>,
    /// Namespaces not shared with the bench.
    pub own_namespaces: Vec<&'static str>,
}

/// Parses the fields of `/proc/PID/status` that [`Layers`] has.
pub fn parse_status(text: &str) -> Layers {
    let mut l = Layers::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Seccomp" => l.seccomp = value.parse().ok(),
            "Seccomp_filters" => l.seccomp_filters = value.parse().ok(),
            "NoNewPrivs" => l.no_new_privs = value.parse::<u8>().ok().map(|v| v == 1),
            "CapEff" => l.cap_eff = u64::from_str_radix(value, 16).ok(),
            _ => {}
        }
    }
    l
}

/// Reads `pid`'s layers; `None` when it is gone.
pub fn of(pid: u32) -> Option<Layers> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut l = parse_status(&status);
    for ns in NAMESPACES {
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).ok();
        let ours = std::fs::read_link(format!("/proc/self/ns/{ns}")).ok();
        if theirs.is_some() && theirs != ours {
            l.own_namespaces.push(ns);
        }
    }
    Some(l)
}

impl Layers {
    /// `| seccomp | no_new_privs | CapEff | own namespaces |` cells.
    pub fn cells(&self) -> String {
        let seccomp = match (self.seccomp, self.seccomp_filters) {
            (Some(2), Some(n)) => format!("filter ({n} stacked)"),
            (Some(2), None) => "filter".to_owned(),
            (Some(1), _) => "strict".to_owned(),
            (Some(0), _) => "**none**".to_owned(),
            (Some(m), _) => format!("mode {m}"),
            (None, _) => "?".to_owned(),
        };
        let nnp = match self.no_new_privs {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "?",
        };
        let caps = match self.cap_eff {
            Some(0) => "0 (none)".to_owned(),
            Some(c) => format!("**{c:016x}**"),
            None => "?".to_owned(),
        };
        let ns = if self.own_namespaces.is_empty() {
            "**none**".to_owned()
        } else {
            self.own_namespaces.join(", ")
        };
        format!("{seccomp} | {nnp} | {caps} | {ns}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_that_matter() {
        let status = "Name:\tchromium\nUmask:\t0077\nCapEff:\t0000000000000000\n\
                      NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\n";
        let l = parse_status(status);
        assert_eq!(l.seccomp, Some(2));
        assert_eq!(l.seccomp_filters, Some(3));
        assert_eq!(l.no_new_privs, Some(true));
        assert_eq!(l.cap_eff, Some(0));
        assert_eq!(l.cells(), "filter (3 stacked) | yes | 0 (none) | **none**");
    }

    #[test]
    fn an_unconfined_process_says_so() {
        let l = parse_status("CapEff:\t000001ffffffffff\nNoNewPrivs:\t0\nSeccomp:\t0\n");
        assert_eq!(l.cap_eff, Some(0x1ff_ffff_ffff));
        assert_eq!(
            l.cells(),
            "**none** | **no** | **000001ffffffffff** | **none**"
        );
        assert_eq!(parse_status(""), Layers::default());
    }

    #[test]
    fn the_bench_shares_its_own_namespaces() {
        let me = of(std::process::id()).unwrap_or_default();
        assert!(me.own_namespaces.is_empty(), "{:?}", me.own_namespaces);
    }
}
