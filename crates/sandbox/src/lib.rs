//! Linux confinement for Workshop renderers, one module per layer.
//!
//! A renderer is a headless painter: after its bootstrap it only receives
//! messages and shared memory from the broker, paints, and sends small
//! datagrams back. It must never open a file, make a socket, connect anywhere,
//! start a process, run a program, debug or signal anyone but itself. This
//! crate makes the kernel hold it to that, in layers that each stand alone
//! and are each reported (common's [`workshop_common::sandbox_report`]):
//!
//! | when | module | layers |
//! | --- | --- | --- |
//! | broker, before spawn | [`spawn::SpawnConfinement::prepare`] | (formats the id maps, reads the broker's namespaces) |
//! | child, between fork and exec | [`spawn::SpawnConfinement::enter`] | parent-death signal; user, pid, net, ipc, uts, mount namespaces |
//! | renderer, bootstrap | [`namespaces::namespaces_status`] | verifies the six namespaces differ from the broker's |
//! | renderer, bootstrap, after the broker connected | [`lockdown::empty_root`], [`lockdown::drop_capabilities`] | [`empty_root`] (pivot into an empty tmpfs), [`capabilities`] (every set empty, securebits locked) |
//! | renderer, after the handshake | [`lockdown::lockdown`] | [`privileges`] (no_new_privs, not dumpable), [`landlock_layer`], [`rlimits`], [`thread_limit`], the [`violation`] handler, [`seccomp`] (last) |
//! | renderer, after lockdown | [`probes::run_probes`] | tries each forbidden thing and reports what the kernel said |
//! | broker, after the handshake | [`inspect::inspect`] | reads `/proc/PID` to check the renderer from outside |
//!
//! The policies are data with a reason on every entry:
//! [`seccomp_policy::RULES`], [`rlimits::LIMITS`], and the constants in
//! [`landlock_layer`], [`spawn`], [`empty_root`], [`capabilities`] and
//! [`thread_limit`].
//!
//! Modes ([`workshop_common::sandbox_report::SandboxMode`]): `Strict` makes
//! any layer the kernel cannot apply an error naming it; `Enforce` applies
//! what the kernel offers and reports the rest as `Unavailable`/`Partial`,
//! except seccomp ([`lockdown::REQUIRED_LAYERS`]), which is fatal when
//! missing or partial in every mode but `Disabled`; `Disabled` applies nothing and reports every layer `Disabled`.
//!
//! The renderer's side, after its handshake (single-threaded):
//!
//! ```no_run
//! use workshop_common::sandbox_report::{SandboxMode, SandboxReport};
//! use workshop_sandbox::{lockdown, namespaces_status, run_probes, ParentNamespaces, ProbeContext};
//!
//! # let (parent_ns_arg, broker_pid) = ("", 0u32);
//! let mode = SandboxMode::Strict;
//! let parent = ParentNamespaces::parse(parent_ns_arg)?; // from --parent-ns=
//! let mut layers = namespaces_status(&parent); // first: reads /proc
//! // ... the broker connects to the renderer's bootstrap server ...
//! layers.push(workshop_sandbox::empty_root(mode)?); // no /proc after this
//! layers.push(workshop_sandbox::drop_capabilities(mode)?);
//! layers.extend(lockdown(mode)?); // an error names the missing layer
//! let probes = run_probes(&ProbeContext::new(broker_pid));
//! let report = SandboxReport { mode, layers, probes }; // goes in the handshake
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Linux only: the crate compiles to nothing elsewhere.
#![cfg(target_os = "linux")]

pub mod capabilities;
pub mod empty_root;
pub mod inspect;
pub mod landlock_layer;
pub mod lockdown;
pub mod namespaces;
pub mod privileges;
pub mod probes;
pub mod rlimits;
pub mod seccomp;
pub mod seccomp_policy;
pub mod single_thread;
pub mod spawn;
pub mod thread_limit;
pub mod violation;

pub use inspect::{inspect, inspect_process, renderer_pid, InspectError, Inspection};
pub use lockdown::{
    drop_capabilities, empty_root, lockdown, LockdownError, BOOTSTRAP_LAYERS, LOCKDOWN_LAYERS,
};
#[cfg(feature = "test-knobs")]
pub use lockdown::{drop_capabilities_with, empty_root_with, lockdown_with, Knobs};
pub use namespaces::{namespaces_status, NamespaceError, ParentNamespaces};
pub use probes::{run_probes, ProbeContext};
pub use spawn::{SpawnConfinement, SpawnError};
pub use violation::{SANDBOX_VIOLATION_EXIT_CODE, VIOLATION_MARKER};
