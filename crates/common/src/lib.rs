//! Everything the broker and the renderers must agree on, and nothing else.
//!
//! This crate is the protocol: the message enums for each direction
//! ([`protocol`]), the bounded accessibility tree renderers send
//! ([`access`]), the one codec every byte crosses ([`codec`]), the capability
//! table that says which role may send what ([`capability`]), the stateless
//! validation of every field a renderer controls ([`validate`]), and the
//! role-specific clients that are all window content code ever gets
//! ([`client`]). It performs no I/O, so it can be read, tested and fuzzed in
//! isolation.

pub mod access;
pub mod capability;
pub mod client;
pub mod codec;
pub mod fontpack;
pub mod geometry;
pub mod input;
pub mod protocol;
pub mod role;
pub mod sandbox_report;
pub mod secret;
pub mod user;
pub mod validate;

pub use protocol::{BrokerToRenderer, RendererToBroker, PROTOCOL_VERSION};
pub use role::Role;
pub use secret::Secret;
