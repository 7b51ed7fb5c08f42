//! The broker: the trusted process that owns every window and every
//! renderer.
//!
//! Read in this order: [`core`] (the state machine: what the broker
//! decides), [`host`] (renderer processes: how it talks to them),
//! [`shell`] (windows: headless and desktop), [`cli`] (what the user runs).
//! Untrusted bytes are parsed in exactly one place, the receive thread in
//! [`host::reader`], through `workshop_common::codec`.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod core;
pub mod fonts;
pub mod host;
pub mod instance;
pub mod present;
pub mod private;
pub mod queue;
pub mod report;
pub mod run;
pub mod settings;
pub mod shell;
pub mod signals;
