//! Fuzzing the renderer → broker boundary.
//!
//! Every byte a renderer sends is hostile. In the product those bytes go
//! through `workshop_common::codec::decode` on a receive thread, then through
//! the broker core's router (capability table, validation, sender pid,
//! protocol state). The two cargo-fuzz targets cover those two halves:
//!
//! - [`codec_check::check`] (target `decode_validate`): bytes → decode →
//!   validate, capability look-up, re-encode round trip;
//! - [`router::run`] (target `router`): bytes → a script of renderer
//!   messages, timer ticks, window and lifecycle events driven into a real
//!   [`workshop_broker::core::Broker`], with the invariants checked after
//!   every step by [`router_model::Driver`].
//!
//! [`router_model`] (the `Driver`, every invariant, the "broker bug" watch)
//! is not in this directory: it is `crates/broker/tests/router_model/`,
//! included here by `#[path]`, and the stable property test
//! `crates/broker/tests/router_proptest.rs` uses the same file. One copy of
//! the checker, two ways of feeding it.
//!
//! Both are plain functions so the stable test suite of this crate can replay
//! the seed corpus and every saved crash (`cargo test` in `fuzz/`).

pub mod codec_check;
pub mod router;
#[path = "../../crates/broker/tests/router_model/mod.rs"]
pub mod router_model;
pub mod samples;
pub mod seeds;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::Path;

    fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut out: Vec<_> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
            .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn generated_seeds_pass_both_targets() {
        for (_, data) in crate::seeds::decode_validate() {
            crate::codec_check::check(&data);
        }
        for (name, data) in crate::seeds::router() {
            let _ = name;
            crate::router::run(&data);
        }
    }

    #[test]
    fn committed_corpora_and_saved_findings_replay() {
        let decode = files("corpus/decode_validate");
        let router = files("corpus/router");
        assert!(
            decode.len() >= 40 && router.len() >= 20,
            "seed corpora missing"
        );
        for (_, data) in decode {
            crate::codec_check::check(&data);
        }
        for (_, data) in router {
            crate::router::run(&data);
        }
        for (name, data) in files("artifacts-found/decode_validate") {
            eprintln!("replaying {name}");
            crate::codec_check::check(&data);
        }
        for (name, data) in files("artifacts-found/router") {
            eprintln!("replaying {name}");
            crate::router::run(&data);
        }
    }
}
