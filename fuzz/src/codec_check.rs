//! The `decode_validate` target: what the broker's receive thread and the
//! router's stateless checks do with arbitrary bytes.
//!
//! For any input: decoding never panics. For input that decodes:
//! - validation and the capability look-up never panic, and validation
//!   agrees with an independent statement of the protocol limits;
//! - the message re-encodes within `MAX_MESSAGE_BYTES`, in no more bytes
//!   than it arrived in (bincode's canonical form is the shortest), and the
//!   re-encoding decodes to an equal value that encodes to the same bytes;
//! - `Debug` prints the kind name only (no payload can reach a log line).

use workshop_common::access::{self, AccessRole, AccessUpdate};
use workshop_common::capability::{renderer_may_send, Pattern};
use workshop_common::codec::{self, CodecError, MAX_MESSAGE_BYTES};
use workshop_common::protocol::{RendererMessageKind, Request};
use workshop_common::sandbox_report::{SandboxReport, MAX_REPORT_ENTRIES};
use workshop_common::user::{MAX_EMAIL_BYTES, MAX_PASSWORD_BYTES};
use workshop_common::validate::{self, MAX_CLIPBOARD_BYTES, MAX_SERVER_PATH_BYTES};
use workshop_common::{RendererToBroker, Role};

/// Runs every check on `data`; panics on a violation.
pub fn check(data: &[u8]) {
    let msg = match codec::decode::<RendererToBroker>(data) {
        Ok(msg) => msg,
        Err(e) => {
            check_error(data, &e);
            return;
        }
    };
    let kind = msg.kind();

    let verdict = validate::renderer_message(&msg);
    assert_eq!(
        verdict.is_ok(),
        valid_by_spec(&msg),
        "validate::renderer_message disagrees with the protocol limits for {kind:?}: {verdict:?}"
    );

    for role in Role::ALL {
        if let Some(c) = renderer_may_send(role, kind) {
            assert_eq!((c.role, c.kind), (role, kind));
            if kind == RendererMessageKind::SubmitLogin {
                assert!(
                    matches!(c.pattern, Pattern::Invoke { max_in_flight } if max_in_flight > 0)
                );
            }
        }
    }
    // The handshake is open to every role; app messages to exactly one.
    let allowed = Role::ALL
        .iter()
        .filter(|&&r| renderer_may_send(r, kind).is_some())
        .count();
    assert!(allowed >= 1, "{kind:?} is allowed to no role");

    assert_eq!(
        format!("{msg:?}"),
        kind.name(),
        "Debug leaks more than the kind"
    );

    let bytes = match codec::encode(&msg) {
        Ok(bytes) => bytes,
        Err(e) => panic!("a decoded {kind:?} does not re-encode: {e}"),
    };
    assert!(bytes.len() <= MAX_MESSAGE_BYTES);
    assert!(
        bytes.len() <= data.len(),
        "re-encoding of {kind:?} is longer ({}) than the input ({})",
        bytes.len(),
        data.len()
    );
    let again = match codec::decode::<RendererToBroker>(&bytes) {
        Ok(again) => again,
        Err(e) => panic!("the re-encoding of {kind:?} does not decode: {e}"),
    };
    assert!(again == msg, "{kind:?} does not round-trip");
    assert_eq!(
        codec::encode(&again).ok().as_deref(),
        Some(&bytes[..]),
        "{kind:?}: the encoding is not canonical"
    );
}

/// The codec's errors are the documented ones for the input's shape.
fn check_error(data: &[u8], e: &CodecError) {
    match e {
        CodecError::TooLarge { len } => {
            assert!(data.len() > MAX_MESSAGE_BYTES && *len == data.len())
        }
        CodecError::Empty => assert!(data.is_empty()),
        CodecError::TrailingBytes { extra } => assert!(*extra > 0 && *extra < data.len()),
        CodecError::Malformed { .. } => assert!(!data.is_empty()),
        CodecError::Encode { .. } => panic!("decode returned an encode error"),
    }
}

/// The protocol's stateless limits, stated independently of `validate`.
fn valid_by_spec(msg: &RendererToBroker) -> bool {
    match msg {
        RendererToBroker::Bootstrap { server } => {
            !server.is_empty() && server.len() <= MAX_SERVER_PATH_BYTES && !server.contains('\0')
        }
        RendererToBroker::Hello { sandbox, .. } => report_ok(sandbox),
        RendererToBroker::Invoke { id, request } => {
            let Request::SubmitLogin { email, password } = request;
            id.0 != 0 && email.len() <= MAX_EMAIL_BYTES && password.len() <= MAX_PASSWORD_BYTES
        }
        RendererToBroker::ClipboardWrite { text } => {
            text.len() <= MAX_CLIPBOARD_BYTES && !text.contains('\0')
        }
        RendererToBroker::AccessUpdate(update) => access_ok(update),
        RendererToBroker::FrameReady { .. }
        | RendererToBroker::SetImeArea { .. }
        | RendererToBroker::SetCursor { .. }
        | RendererToBroker::Pong { .. }
        | RendererToBroker::OpenLoginWindow
        | RendererToBroker::Logout
        | RendererToBroker::CloseWindow => true,
    }
}

/// An accessibility update's stateless limits: sizes, unique non-zero ids,
/// text without control characters, a value only on a text input (never on
/// a password input), a pane only without a label.
fn access_ok(u: &AccessUpdate) -> bool {
    let text = |s: &str, max: usize| s.len() <= max && s.chars().all(|c| !c.is_control());
    u.nodes.len() <= access::MAX_NODES
        && u.nodes.iter().enumerate().all(|(i, n)| {
            n.id.0 != 0
                && u.nodes[..i].iter().all(|m| m.id != n.id)
                && n.children.len() <= access::MAX_CHILDREN
                && text(&n.label, access::MAX_LABEL_BYTES)
                && match (&n.value, n.role) {
                    (None, _) => true,
                    (Some(v), AccessRole::TextInput) => text(v, access::MAX_VALUE_BYTES),
                    (Some(_), _) => false,
                }
                && (n.role != AccessRole::Pane || n.label.is_empty())
        })
}

fn report_ok(r: &SandboxReport) -> bool {
    let unique = |n: usize, same: &dyn Fn(usize, usize) -> bool| {
        (0..n).all(|i| (0..n).all(|j| i == j || !same(i, j)))
    };
    r.layers.len() <= MAX_REPORT_ENTRIES
        && r.probes.len() <= MAX_REPORT_ENTRIES
        && unique(r.layers.len(), &|i, j| {
            r.layers[i].layer == r.layers[j].layer
        })
        && unique(r.probes.len(), &|i, j| {
            r.probes[i].probe == r.probes[j].probe
        })
}
