//! Property tests of the codec and the stateless validation, over arbitrary
//! values of both wire enums.
//!
//! - every `RendererToBroker` and `BrokerToRenderer` value round-trips
//!   through `encode`/`decode`, within `MAX_MESSAGE_BYTES`;
//! - any mutation of a valid encoding decodes to some value (which then
//!   round-trips) or returns a `CodecError`, never panics;
//! - input longer than `MAX_MESSAGE_BYTES` is refused with `TooLarge`
//!   before parsing, and nothing encodes past the limit;
//! - strings and lists past the protocol limits always fail
//!   `validate::renderer_message`, and values within them pass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use proptest::test_runner::Config;

use workshop_common::codec::{decode, encode, CodecError, MAX_MESSAGE_BYTES};
use workshop_common::geometry::PxRect;
use workshop_common::input::{CursorIcon, InputEvent, Key, Modifiers};
use workshop_common::protocol::{Reply, Request, RequestId};
use workshop_common::sandbox_report::{
    Layer, LayerState, LayerStatus, Probe, ProbeOutcome, ProbeResult, SandboxMode, SandboxReport,
    MAX_REPORT_ENTRIES,
};
use workshop_common::user::{LoginError, User, MAX_EMAIL_BYTES, MAX_PASSWORD_BYTES};
use workshop_common::validate::{renderer_message, Invalid, MAX_SERVER_PATH_BYTES};
use workshop_common::{BrokerToRenderer, RendererToBroker, Role, Secret};

const CASES: u32 = 256;

// ---- strategies -----------------------------------------------------------

/// Any text of up to `max` chars (NUL, controls and 4-byte chars included).
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn rect() -> impl Strategy<Value = PxRect> {
    (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(x, y, width, height)| {
        PxRect {
            x,
            y,
            width,
            height,
        }
    })
}

fn cursor() -> impl Strategy<Value = CursorIcon> {
    prop_oneof![
        Just(CursorIcon::Default),
        Just(CursorIcon::Pointer),
        Just(CursorIcon::Text)
    ]
}

fn mode() -> impl Strategy<Value = SandboxMode> {
    prop_oneof![
        Just(SandboxMode::Strict),
        Just(SandboxMode::Enforce),
        Just(SandboxMode::Disabled)
    ]
}

fn layer_state() -> impl Strategy<Value = LayerState> {
    prop_oneof![
        Just(LayerState::Active),
        Just(LayerState::Partial),
        any::<i32>().prop_map(|errno| LayerState::Unavailable { errno }),
        Just(LayerState::Disabled),
    ]
}

fn probe_outcome() -> impl Strategy<Value = ProbeOutcome> {
    prop_oneof![
        any::<i32>().prop_map(|errno| ProbeOutcome::Denied { errno }),
        Just(ProbeOutcome::Allowed),
        Just(ProbeOutcome::NotRun),
    ]
}

/// Reports with arbitrary entries: duplicates and more than the limit
/// included.
fn report(max_entries: usize) -> impl Strategy<Value = SandboxReport> {
    let layer = (
        prop::sample::select(Layer::ALL.to_vec()),
        layer_state(),
        any::<u32>(),
    )
        .prop_map(|(layer, state, detail)| LayerStatus {
            layer,
            state,
            detail,
        });
    let probe = (prop::sample::select(Probe::ALL.to_vec()), probe_outcome())
        .prop_map(|(probe, outcome)| ProbeResult { probe, outcome });
    (
        mode(),
        prop::collection::vec(layer, 0..=max_entries),
        prop::collection::vec(probe, 0..=max_entries),
    )
        .prop_map(|(mode, layers, probes)| SandboxReport {
            mode,
            layers,
            probes,
        })
}

fn request() -> impl Strategy<Value = Request> {
    (text(300), text(1100)).prop_map(|(email, password)| Request::SubmitLogin {
        email,
        password: Secret::new(password),
    })
}

fn renderer_msg() -> impl Strategy<Value = RendererToBroker> {
    prop_oneof![
        text(150).prop_map(|server| RendererToBroker::Bootstrap { server }),
        (any::<u32>(), role(), report(40)).prop_map(|(protocol_version, role, sandbox)| {
            RendererToBroker::Hello {
                protocol_version,
                role,
                sandbox,
            }
        }),
        (any::<u32>(), rect())
            .prop_map(|(surface, damage)| RendererToBroker::FrameReady { surface, damage }),
        cursor().prop_map(|cursor| RendererToBroker::SetCursor { cursor }),
        any::<u64>().prop_map(|nonce| RendererToBroker::Pong { nonce }),
        Just(RendererToBroker::OpenLoginWindow),
        Just(RendererToBroker::Logout),
        Just(RendererToBroker::CloseWindow),
        ".{0,64}".prop_map(|text| RendererToBroker::ClipboardWrite { text }),
        prop::option::of(rect()).prop_map(|area| RendererToBroker::SetImeArea { area }),
        (any::<u64>(), request()).prop_map(|(id, request)| RendererToBroker::Invoke {
            id: RequestId(id),
            request
        }),
    ]
}

/// Floats that compare equal to themselves (the enums derive `PartialEq`).
fn float() -> impl Strategy<Value = f32> {
    any::<f32>().prop_filter("NaN never equals itself", |f| !f.is_nan())
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        prop::sample::select(vec![
            Key::Tab,
            Key::Enter,
            Key::Backspace,
            Key::Delete,
            Key::Left,
            Key::Right,
            Key::Home,
            Key::End,
            Key::Escape,
        ]),
        any::<char>().prop_map(Key::Char),
    ]
}

fn input() -> impl Strategy<Value = InputEvent> {
    prop_oneof![
        (float(), float()).prop_map(|(x, y)| InputEvent::PointerMoved { x, y }),
        Just(InputEvent::PointerPressed),
        Just(InputEvent::PointerReleased),
        Just(InputEvent::PointerLeft),
        (key(), any::<bool>(), any::<bool>()).prop_map(|(key, shift, ctrl)| InputEvent::Key {
            key,
            modifiers: Modifiers { shift, ctrl }
        }),
        text(300).prop_map(InputEvent::Text),
        any::<bool>().prop_map(InputEvent::Focus),
    ]
}

fn user() -> impl Strategy<Value = User> {
    (any::<u64>(), text(300), text(300)).prop_map(|(id, name, email)| User { id, name, email })
}

fn login_error() -> impl Strategy<Value = LoginError> {
    prop::sample::select(vec![
        LoginError::InvalidEmail,
        LoginError::InvalidPassword,
        LoginError::Rejected,
        LoginError::Unavailable,
        LoginError::AlreadyPending,
    ])
}

fn broker_msg() -> impl Strategy<Value = BrokerToRenderer> {
    prop_oneof![
        Just(BrokerToRenderer::Welcome),
        (any::<u32>(), any::<u32>(), any::<u32>(), float()).prop_map(
            |(generation, width, height, scale)| BrokerToRenderer::Surface {
                generation,
                width,
                height,
                scale
            }
        ),
        Just(BrokerToRenderer::FrameAck),
        input().prop_map(BrokerToRenderer::Input),
        any::<u64>().prop_map(|nonce| BrokerToRenderer::Ping { nonce }),
        Just(BrokerToRenderer::Shutdown),
        prop::option::of(user()).prop_map(|user| BrokerToRenderer::InitialState { user }),
        user().prop_map(|user| BrokerToRenderer::Authenticated { user }),
        Just(BrokerToRenderer::LoggedOut),
        (
            any::<u64>(),
            prop_oneof![user().prop_map(Ok), login_error().prop_map(Err)]
        )
            .prop_map(|(id, result)| BrokerToRenderer::Reply {
                id: RequestId(id),
                reply: Reply::SubmitLogin(result),
            }),
    ]
}

/// One edit of a byte string.
#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let one = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, 1 << bit)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ];
    prop::collection::vec(one, 1..6)
}

fn mutate(bytes: &mut Vec<u8>, edits: &[Mutation]) {
    for edit in edits {
        let n = bytes.len();
        match *edit {
            Mutation::Set(i, b) if n > 0 => bytes[i % n] = b,
            Mutation::Flip(i, mask) if n > 0 => bytes[i % n] ^= mask,
            Mutation::Insert(i, b) => bytes.insert(i % (n + 1), b),
            Mutation::Remove(i) if n > 0 => {
                bytes.remove(i % n);
            }
            Mutation::Truncate(i) => bytes.truncate(i % (n + 1)),
            _ => {}
        }
    }
}

/// Whatever `bytes` decode to must itself round-trip.
fn decodes_sanely<T>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match decode::<T>(bytes) {
        Ok(value) => {
            let again = encode(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(again.len() <= bytes.len());
            prop_assert_eq!(decode::<T>(&again).ok(), Some(value));
        }
        Err(CodecError::TooLarge { .. }) => prop_assert!(bytes.len() > MAX_MESSAGE_BYTES),
        Err(CodecError::Empty) => prop_assert!(bytes.is_empty()),
        Err(CodecError::Encode { .. }) => prop_assert!(false, "decode returned an encode error"),
        Err(_) => {}
    }
    Ok(())
}

/// `s` extended to more than `limit` bytes with `extra` more chars.
fn past(limit: usize, s: String, extra: String) -> String {
    let mut s = s;
    while s.len() <= limit {
        s.push('x');
    }
    s.push_str(&extra);
    s
}

// ---- properties -----------------------------------------------------------

proptest! {
    #![proptest_config(Config::with_cases(CASES))]

    #[test]
    fn renderer_messages_round_trip(msg in renderer_msg()) {
        let bytes = encode(&msg).unwrap();
        prop_assert!(bytes.len() <= MAX_MESSAGE_BYTES);
        let back = decode::<RendererToBroker>(&bytes).unwrap();
        prop_assert_eq!(back.kind(), msg.kind());
        prop_assert!(back == msg);
    }

    #[test]
    fn broker_messages_round_trip(msg in broker_msg()) {
        let bytes = encode(&msg).unwrap();
        prop_assert!(bytes.len() <= MAX_MESSAGE_BYTES);
        let back = decode::<BrokerToRenderer>(&bytes).unwrap();
        prop_assert_eq!(back.kind(), msg.kind());
        prop_assert!(back == msg);
    }

    #[test]
    fn mutated_renderer_encodings_decode_or_fail_cleanly(msg in renderer_msg(), edits in mutations()) {
        let mut bytes = encode(&msg).unwrap();
        mutate(&mut bytes, &edits);
        decodes_sanely::<RendererToBroker>(&bytes)?;
    }

    #[test]
    fn mutated_broker_encodings_decode_or_fail_cleanly(msg in broker_msg(), edits in mutations()) {
        let mut bytes = encode(&msg).unwrap();
        mutate(&mut bytes, &edits);
        decodes_sanely::<BrokerToRenderer>(&bytes)?;
    }

    #[test]
    fn oversized_input_is_refused_before_parsing(
        msg in renderer_msg(),
        extra in 1usize..4096,
        fill in any::<u8>(),
    ) {
        let mut bytes = encode(&msg).unwrap();
        let len = MAX_MESSAGE_BYTES + extra;
        bytes.resize(len, fill);
        prop_assert_eq!(decode::<RendererToBroker>(&bytes), Err(CodecError::TooLarge { len }));
        let refused = matches!(decode::<BrokerToRenderer>(&bytes), Err(CodecError::TooLarge { len: l }) if l == len);
        prop_assert!(refused, "a broker message of {} bytes was parsed", len);
        // At the limit it is parsed (and refused, if at all, for its content).
        bytes.truncate(MAX_MESSAGE_BYTES);
        let at_limit = decode::<RendererToBroker>(&bytes);
        let parsed = !matches!(at_limit, Err(CodecError::TooLarge { .. }));
        prop_assert!(parsed, "{} bytes refused as too large", MAX_MESSAGE_BYTES);
    }

    /// `encode` refuses output past the limit, and whatever it accepts
    /// decodes. (Regression: bincode's decode limit counts claims in
    /// in-memory sizes, so a 65,529-byte `Bootstrap` used to encode but be
    /// refused on decode; the decode claim budget is now twice the wire
    /// limit, `MAX_DECODE_CLAIM_BYTES`.)
    #[test]
    fn nothing_encodes_past_the_limit(len in (MAX_MESSAGE_BYTES - 64)..(MAX_MESSAGE_BYTES + 64), wide in any::<bool>()) {
        let server = if wide { "é".repeat(len / 2) } else { "x".repeat(len) };
        match encode(&RendererToBroker::Bootstrap { server }) {
            Ok(bytes) => {
                // Whatever encodes within the limit decodes back.
                prop_assert!(bytes.len() <= MAX_MESSAGE_BYTES);
                let back = decode::<RendererToBroker>(&bytes);
                prop_assert!(back.is_ok(), "{} bytes: {:?}", bytes.len(), back.err());
            }
            Err(e) => {
                let too_large = matches!(e, CodecError::TooLarge { len } if len > MAX_MESSAGE_BYTES);
                prop_assert!(too_large, "unexpected encode error {:?}", e);
            }
        }
    }

    /// Messages well under the limit always come back.
    #[test]
    fn large_messages_round_trip(len in (MAX_MESSAGE_BYTES / 2)..(MAX_MESSAGE_BYTES - 64)) {
        let m = RendererToBroker::Bootstrap { server: "x".repeat(len) };
        prop_assert!(decode::<RendererToBroker>(&encode(&m).unwrap()).unwrap() == m);
    }

    #[test]
    fn over_long_emails_are_invalid(s in text(64), extra in text(32), id in 1u64.., pw in text(64)) {
        let email = past(MAX_EMAIL_BYTES, s, extra);
        let len = email.len();
        let msg = RendererToBroker::Invoke {
            id: RequestId(id),
            request: Request::SubmitLogin { email, password: Secret::new(pw) },
        };
        prop_assert_eq!(renderer_message(&msg), Err(Invalid::EmailTooLong { len }));
    }

    #[test]
    fn over_long_passwords_are_invalid(s in text(64), extra in text(32), id in 1u64.., email in text(60)) {
        let password = past(MAX_PASSWORD_BYTES, s, extra);
        prop_assume!(email.len() <= MAX_EMAIL_BYTES);
        let len = password.len();
        let msg = RendererToBroker::Invoke {
            id: RequestId(id),
            request: Request::SubmitLogin { email, password: Secret::new(password) },
        };
        prop_assert_eq!(renderer_message(&msg), Err(Invalid::PasswordTooLong { len }));
    }

    #[test]
    fn over_long_server_paths_are_invalid(s in text(64), extra in text(32)) {
        let server = past(MAX_SERVER_PATH_BYTES, s, extra);
        prop_assert_eq!(
            renderer_message(&RendererToBroker::Bootstrap { server }),
            Err(Invalid::ServerPath)
        );
    }

    #[test]
    fn over_long_reports_are_invalid(r in report(8), layers in any::<bool>(), pad in (MAX_REPORT_ENTRIES + 1)..80) {
        let mut r = r;
        if layers {
            let entry = LayerStatus { layer: Layer::Seccomp, state: LayerState::Active, detail: 0 };
            r.layers.resize(pad, entry);
        } else {
            let entry = ProbeResult { probe: Probe::Exec, outcome: ProbeOutcome::Allowed };
            r.probes.resize(pad, entry);
        }
        let msg = RendererToBroker::Hello { protocol_version: 1, role: Role::Main, sandbox: r };
        prop_assert_eq!(renderer_message(&msg), Err(Invalid::SandboxReport));
    }

    #[test]
    fn values_within_the_limits_are_valid(
        id in 1u64..,
        email in text(60),
        password in text(250),
        server in text(25),
        report in report(11),
    ) {
        prop_assume!(email.len() <= MAX_EMAIL_BYTES && password.len() <= MAX_PASSWORD_BYTES);
        let msg = RendererToBroker::Invoke {
            id: RequestId(id),
            request: Request::SubmitLogin { email, password: Secret::new(password) },
        };
        prop_assert_eq!(renderer_message(&msg), Ok(()));
        let ok_path = !server.is_empty() && server.len() <= MAX_SERVER_PATH_BYTES && !server.contains('\0');
        prop_assert_eq!(
            renderer_message(&RendererToBroker::Bootstrap { server }).is_ok(),
            ok_path
        );
        let unique_layers = report.layers.iter().enumerate().all(|(i, a)| report.layers[..i].iter().all(|b| b.layer != a.layer));
        let unique_probes = report.probes.iter().enumerate().all(|(i, a)| report.probes[..i].iter().all(|b| b.probe != a.probe));
        let hello = RendererToBroker::Hello { protocol_version: 1, role: Role::Login, sandbox: report };
        prop_assert_eq!(renderer_message(&hello).is_ok(), unique_layers && unique_probes);
    }

    #[test]
    fn request_id_zero_is_always_invalid(req in request()) {
        let msg = RendererToBroker::Invoke { id: RequestId(0), request: req };
        prop_assert!(renderer_message(&msg).is_err());
    }
}
