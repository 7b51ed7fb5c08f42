//! The `router` target: a hostile script driven into the broker core.
//!
//! [`run`] brings the Main and Login renderers to `Ready` (sandbox disabled,
//! no outside verification), then reads the rest of the input as a script of
//! operations: renderer messages (each a length-prefixed chunk decoded with
//! the product's codec), timer ticks at advancing synthetic times, window
//! events, renderer lifecycle events and authenticator results. After every
//! event [`Driver`] checks the invariants listed on [`Driver::step`].
//!
//! The checker (`Driver`, the invariants, the "broker bug" watch and the
//! helpers) is [`crate::router_model`], the same file the stable property
//! test `crates/broker/tests/router_proptest.rs` uses; this file is only the
//! script reader and [`run`].
//!
//! Script format, one operation after another (a missing byte reads as 0):
//!
//! | first byte `op` | operation |
//! | --- | --- |
//! | `op & 7 < 4` | message: length (1 byte, or 2 if the first has bit 7: `(b & 0x7f) << 8 \| next`), then that many bytes. Role: bit 3 (0 Main, 1 Login). Undecodable bytes are skipped, or fed as `Fault::Undecodable` when bit 4 is set. `op >> 5`: 6 = from a wrong pid, 7 = to the previous renderer generation, else the current renderer's pid. |
//! | `op & 7 == 4` | tick: next byte × 50 ms of synthetic time, then `Event::Tick` |
//! | `op & 7 == 5` | window event, see [`Script::window`] |
//! | `op & 7 == 6` | renderer lifecycle event, see [`Script::lifecycle`] |
//! | `op & 7 == 7` | authenticator result, see [`Script::auth`] |
//!
//! The first byte of the input picks the configuration: bit 0 set gives
//! tight rate limits (16-message burst, 4-frame burst) so the fuzzer can
//! reach them.

use std::path::PathBuf;
use std::time::Duration;

use workshop_broker::core::{Event, ExitKind, Fault, RendererEvent, WindowEvent};
use workshop_common::codec;
use workshop_common::geometry::Position;
use workshop_common::input::{InputEvent, Key, Modifiers};
use workshop_common::{RendererToBroker, Role};

use crate::router_model::{bootstrap_dir, config, pid, Driver};

/// Reads the script; a missing byte reads as 0.
struct Script<'a> {
    data: &'a [u8],
}

impl<'a> Script<'a> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn len(&mut self) -> usize {
        let b = self.u8();
        if b & 0x80 == 0 {
            usize::from(b)
        } else {
            (usize::from(b & 0x7f) << 8) | usize::from(self.u8())
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (chunk, rest) = self.data.split_at(n);
        self.data = rest;
        chunk
    }

    fn role(b: u8) -> Role {
        if b & 1 == 0 {
            Role::Main
        } else {
            Role::Login
        }
    }

    /// One renderer message (see the module docs).
    fn message(&mut self, d: &mut Driver, op: u8) {
        let role = Script::role(op >> 3);
        let len = self.len();
        let chunk = self.take(len);
        let current = d.generation(role);
        let (generation, pid) = match op >> 5 {
            6 => (current, pid(role, current) + 1),
            7 => {
                let old = current.saturating_sub(1);
                (old, pid(role, old))
            }
            _ => (current, pid(role, current)),
        };
        let event = match codec::decode::<RendererToBroker>(chunk) {
            Ok(msg) => RendererEvent::Message {
                msg,
                size: chunk.len(),
                pid,
            },
            Err(e) if op & 0x10 != 0 => RendererEvent::Fault {
                fault: Fault::Undecodable(e),
                size: chunk.len(),
                pid: Some(pid),
            },
            Err(_) => return,
        };
        d.step(Event::Renderer {
            role,
            generation,
            event,
        });
    }

    /// `b = next byte`: role = bit 0; `(b >> 1) % 8` picks Resized (width
    /// and height u16, 0xFFFF meaning u32::MAX, then a scale byte), Resized
    /// back to 400 × 400, pointer move, a key or text, CloseRequested,
    /// Moved, Retry, or `Event::SecondInstance`.
    fn window(&mut self, d: &mut Driver) {
        let b = self.u8();
        let role = Script::role(b);
        let dim = |v: u16| {
            if v == u16::MAX {
                u32::MAX
            } else {
                u32::from(v)
            }
        };
        let event = match (b >> 1) % 8 {
            0 => {
                let width = dim(self.u16());
                let height = dim(self.u16());
                let scale = [1.0, 2.0, 1.25, 0.5][usize::from(self.u8() % 4)];
                WindowEvent::Resized {
                    width,
                    height,
                    scale,
                }
            }
            1 => WindowEvent::Resized {
                width: 400,
                height: 400,
                scale: 1.0,
            },
            2 => WindowEvent::Input(InputEvent::PointerMoved {
                x: f32::from(self.u8()) * 2.0,
                y: f32::from(self.u8()) * 2.0,
            }),
            3 => WindowEvent::Input(match self.u8() % 6 {
                0 => InputEvent::PointerPressed,
                1 => InputEvent::Text("a".into()),
                2 => InputEvent::Key {
                    key: Key::Enter,
                    modifiers: Modifiers::default(),
                },
                3 => InputEvent::Focus(true),
                // The copy gesture that opens the window for one
                // `ClipboardWrite`, and the paste gesture the broker keeps.
                c => InputEvent::Key {
                    key: Key::Char(if c == 4 { 'c' } else { 'v' }),
                    modifiers: Modifiers {
                        ctrl: true,
                        shift: false,
                    },
                },
            }),
            4 => WindowEvent::CloseRequested,
            5 => WindowEvent::Moved(Position {
                x: i32::from(self.u16() as i16),
                y: i32::from(self.u16() as i16),
            }),
            6 => WindowEvent::Retry,
            _ => {
                d.step(Event::SecondInstance);
                return;
            }
        };
        d.step(Event::Window { role, event });
    }

    /// `b = next byte`: role = bit 0; `(b >> 1) % 10` picks Exited by
    /// SIGKILL, exit 0, SIGSEGV, Disconnected, Spawned, a whole handshake
    /// (Spawned, Bootstrap, Hello), Backlogged, SurfaceFailed, SpawnFailed,
    /// or Exited of the previous generation.
    fn lifecycle(&mut self, d: &mut Driver) {
        let b = self.u8();
        let role = Script::role(b);
        let generation = d.generation(role);
        let event = match (b >> 1) % 10 {
            0 => RendererEvent::Exited(ExitKind::Signal(9)),
            1 => RendererEvent::Exited(ExitKind::Code(0)),
            2 => RendererEvent::Exited(ExitKind::Signal(11)),
            3 => RendererEvent::Disconnected,
            4 => RendererEvent::Spawned {
                bootstrap_dir: PathBuf::from(bootstrap_dir(role)),
            },
            5 => {
                d.handshake(role);
                return;
            }
            6 => RendererEvent::Backlogged,
            7 => RendererEvent::SurfaceFailed {
                error: "fuzz".into(),
            },
            8 => RendererEvent::SpawnFailed {
                error: "fuzz".into(),
            },
            _ => {
                d.step(Event::Renderer {
                    role,
                    generation: generation.saturating_sub(1),
                    event: RendererEvent::Exited(ExitKind::Signal(9)),
                });
                return;
            }
        };
        d.step(Event::Renderer {
            role,
            generation,
            event,
        });
    }

    /// `b = next byte`: bit 0 = Ok (the harness's user) or Err(Rejected).
    /// Bit 1 clear answers the oldest pending `Authenticate`; set, it forges
    /// a result for role bit 2, the current generation, id = next byte.
    fn auth(&mut self, d: &mut Driver) {
        let b = self.u8();
        let ok = b & 1 == 1;
        if b & 2 == 0 {
            d.finish_auth(ok);
            return;
        }
        let role = Script::role(b >> 2);
        let id = u64::from(self.u8());
        d.forged_auth(role, id, ok);
    }
}

/// Maximum events per input, so a long input cannot stall the fuzzer.
pub const MAX_STEPS: usize = 4096;

/// Runs one fuzz input (see the module docs); panics on a violation.
pub fn run(data: &[u8]) {
    let mut script = Script { data };
    let mut d = Driver::new(config(script.u8() & 1 == 1));
    d.start_both();
    while !script.data.is_empty() && d.steps < MAX_STEPS {
        let op = script.u8();
        match op & 7 {
            0..=3 => script.message(&mut d, op),
            4 => {
                d.advance(Duration::from_millis(50) * u32::from(script.u8()));
                d.step(Event::Tick);
            }
            5 => script.window(&mut d),
            6 => script.lifecycle(&mut d),
            _ => script.auth(&mut d),
        }
    }
}

/// Builds router scripts (for the seed corpus and tests).
#[derive(Clone, Debug, Default)]
pub struct ScriptBuilder(Vec<u8>);

impl ScriptBuilder {
    /// A script whose first byte is `selector` (bit 0: `tight` in [`config`]).
    pub fn new(selector: u8) -> ScriptBuilder {
        ScriptBuilder(vec![selector])
    }

    /// A message from `role`'s current renderer.
    pub fn msg(self, role: Role, msg: &RendererToBroker) -> ScriptBuilder {
        let bytes = codec::encode(msg).unwrap_or_default();
        self.raw(role, 0, &bytes)
    }

    /// A raw chunk with `flags` in bits 4..8 of the op byte (bit 4: feed
    /// undecodable chunks as faults; `op >> 5` 6 wrong pid, 7 old generation).
    pub fn raw(mut self, role: Role, flags: u8, bytes: &[u8]) -> ScriptBuilder {
        self.0
            .push(u8::from(role == Role::Login) << 3 | (flags & 0xf0));
        let len = bytes.len().min(0x7fff);
        if len < 0x80 {
            self.0.push(len as u8);
        } else {
            self.0.push(0x80 | (len >> 8) as u8);
            self.0.push((len & 0xff) as u8);
        }
        self.0.extend_from_slice(&bytes[..len]);
        self
    }

    /// Advances time by `units` × 50 ms, then ticks.
    pub fn tick(mut self, units: u8) -> ScriptBuilder {
        self.0.extend([4, units]);
        self
    }

    /// A window event (see `Script::window`), with its extra bytes.
    pub fn window(mut self, role: Role, kind: u8, extra: &[u8]) -> ScriptBuilder {
        self.0
            .extend([5, kind << 1 | u8::from(role == Role::Login)]);
        self.0.extend_from_slice(extra);
        self
    }

    /// A lifecycle event (see `Script::lifecycle`).
    pub fn lifecycle(mut self, role: Role, kind: u8) -> ScriptBuilder {
        self.0
            .extend([6, kind << 1 | u8::from(role == Role::Login)]);
        self
    }

    /// Answers the oldest pending sign-in.
    pub fn auth(mut self, ok: bool) -> ScriptBuilder {
        self.0.extend([7, u8::from(ok)]);
        self
    }

    /// A forged authenticator result for `role`, request `id`.
    pub fn forged_auth(mut self, role: Role, id: u8, ok: bool) -> ScriptBuilder {
        self.0
            .extend([7, u8::from(ok) | 2 | u8::from(role == Role::Login) << 2, id]);
        self
    }

    /// The script's bytes.
    pub fn build(self) -> Vec<u8> {
        self.0
    }
}
