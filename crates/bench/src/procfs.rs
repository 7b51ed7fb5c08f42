//! Memory of a process, and its descendants, from `/proc`.
//!
//! RSS counts every resident page a process maps, shared or not; PSS
//! divides each shared page by the number of processes mapping it, so the
//! PSS of all processes adds up to what they really cost together; USS
//! counts only the pages no other process maps (what exiting would free).
//! All come from `/proc/PID/smaps_rollup` (kernel ≥ 4.14), in KiB.

use std::collections::BTreeMap;

use crate::BenchError;

/// The fields of `smaps_rollup` the bench reports, KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Resident set.
    pub rss: u64,
    /// Proportional set.
    pub pss: u64,
    /// PSS of anonymous memory (heap, stacks).
    pub pss_anon: u64,
    /// PSS of file-backed memory (the executable, libraries).
    pub pss_file: u64,
    /// PSS of shared memory (surfaces).
    pub pss_shmem: u64,
    /// Private pages (USS): what exiting would free.
    pub uss: u64,
}

/// Reads `/proc/PID/smaps_rollup`.
pub fn memory(pid: u32) -> Result<Memory, BenchError> {
    let path = format!("/proc/{pid}/smaps_rollup");
    let text = std::fs::read_to_string(&path).map_err(|e| BenchError::io("smaps_rollup", e))?;
    let fields: BTreeMap<&str, u64> = text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let kb = v.split_whitespace().next()?.parse().ok()?;
            Some((k.trim(), kb))
        })
        .collect();
    let get = |k: &str| fields.get(k).copied().unwrap_or(0);
    if !fields.contains_key("Rss") {
        return Err(BenchError::Setup(format!("{path}: no Rss")));
    }
    Ok(Memory {
        rss: get("Rss"),
        pss: get("Pss"),
        pss_anon: get("Pss_Anon"),
        pss_file: get("Pss_File"),
        pss_shmem: get("Pss_Shmem"),
        uss: get("Private_Clean") + get("Private_Dirty"),
    })
}

/// A process and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    /// Its pid.
    pub pid: u32,
    /// Its command line, arguments joined by spaces.
    pub cmdline: String,
}

impl Proc {
    /// `main`/`login` for a renderer, else `None`.
    pub fn renderer_role(&self) -> Option<&str> {
        if !self.cmdline.contains("--type=renderer") {
            return None;
        }
        self.cmdline
            .split(' ')
            .find_map(|a| a.strip_prefix("--role="))
    }
}

/// The parent of `pid`, from `/proc/PID/stat`.
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...; comm may contain spaces and parentheses.
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Whether `pid` has exited and waits to be reaped (state `Z`).
pub fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1.to_owned();
            after.split_whitespace().next().map(|s| s == "Z")
        })
        .unwrap_or(false)
}

fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .split('\0')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Every live descendant of `root`, parents before children.
pub fn descendants(root: u32) -> Vec<Proc> {
    let mut parents: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = parent_of(pid) {
                parents.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for &child in parents.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
            out.push(Proc {
                pid: child,
                cmdline: cmdline(child),
            });
            todo.push(child);
        }
    }
    out
}

/// Context switches (voluntary + involuntary) of every live thread of
/// `pid` (`/proc/PID/task/*/status`).
pub fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// KiB as MiB with two decimals.
pub fn mib(kib: u64) -> String {
    format!("{:.2} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_memory() {
        let m = memory(std::process::id());
        let m = m.unwrap_or_default();
        assert!(m.rss > 0 && m.pss > 0 && m.pss <= m.rss);
    }

    #[test]
    fn renderer_roles() {
        let p = Proc {
            pid: 1,
            cmdline: "/x/workshop --type=renderer --role=login --ipc-fd=3".into(),
        };
        assert_eq!(p.renderer_role(), Some("login"));
        let q = Proc {
            pid: 2,
            cmdline: "/x/workshop --user-data-dir d".into(),
        };
        assert_eq!(q.renderer_role(), None);
    }
}
