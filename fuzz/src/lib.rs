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
//!   every step.
//!
//! Both are plain functions so the stable test suite of this crate can replay
//! the seed corpus and every saved crash (`cargo test` in `fuzz/`).

pub mod bugwatch;
pub mod codec_check;
pub mod router;
pub mod samples;
