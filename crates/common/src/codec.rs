//! The one codec every control message crosses, with a byte limit on every
//! decode.
//!
//! bincode 2.0.1 through serde. The format lives only here: swapping it for
//! postcard or wincode is a change to this file. Pixels never pass through
//! the codec; they travel in shared memory.

use bincode::config::{Configuration, Limit, LittleEndian, Varint};
use serde::de::DeserializeOwned;
use serde::Serialize;
use thiserror::Error;

/// Largest encoded control message, in bytes, in either direction. A
/// renderer datagram larger than this is a bad message.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// How many bytes of memory one decode may claim. bincode counts claims in
/// in-memory sizes (8 bytes per length prefix, 4 per enum tag) rather than
/// wire bytes, so a message that fits [`MAX_MESSAGE_BYTES`] on the wire can
/// claim slightly more; twice the wire limit covers every such message while
/// still bounding what a hostile length prefix can make the broker allocate.
pub const MAX_DECODE_CLAIM_BYTES: usize = 2 * MAX_MESSAGE_BYTES;

type Config = Configuration<LittleEndian, Varint, Limit<MAX_DECODE_CLAIM_BYTES>>;

const fn config() -> Config {
    bincode::config::standard().with_limit::<MAX_DECODE_CLAIM_BYTES>()
}

/// Why bytes could not become a message, or a message bytes. Carries no
/// payload bytes, so it is safe to log and audit.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The input or output is longer than [`MAX_MESSAGE_BYTES`].
    #[error("message of {len} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// The input is empty.
    #[error("empty message")]
    Empty,
    /// The bytes are not a valid encoding of the expected type.
    #[error("undecodable message: {reason}")]
    Malformed {
        /// bincode's classification (no input bytes).
        reason: &'static str,
    },
    /// A valid message followed by extra bytes.
    #[error("{extra} trailing bytes after the message")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The value could not be encoded.
    #[error("could not encode: {reason}")]
    Encode {
        /// bincode's classification.
        reason: &'static str,
    },
}

/// Encodes `msg` into a fresh buffer.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, CodecError> {
    let mut buf = Vec::with_capacity(64);
    encode_into(msg, &mut buf)?;
    Ok(buf)
}

/// Encodes `msg`, replacing the contents of `buf` (reused between messages so
/// the hot path does not allocate).
pub fn encode_into<T: Serialize>(msg: &T, buf: &mut Vec<u8>) -> Result<(), CodecError> {
    buf.clear();
    // bincode's limit applies to decoding only; the length is checked after.
    bincode::serde::encode_into_std_write(msg, buf, config()).map_err(|_| CodecError::Encode {
        reason: "serializer error",
    })?;
    if buf.len() > MAX_MESSAGE_BYTES {
        return Err(CodecError::TooLarge { len: buf.len() });
    }
    Ok(())
}

/// Decodes exactly one `T` from `bytes`: the length is checked before any
/// parsing, every allocation the encoding claims counts against
/// [`MAX_DECODE_CLAIM_BYTES`], and trailing bytes are refused. Whatever
/// [`encode`] accepts, this decodes.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(CodecError::TooLarge { len: bytes.len() });
    }
    if bytes.is_empty() {
        return Err(CodecError::Empty);
    }
    let (value, used) =
        bincode::serde::decode_from_slice::<T, _>(bytes, config()).map_err(classify)?;
    if used != bytes.len() {
        return Err(CodecError::TrailingBytes {
            extra: bytes.len() - used,
        });
    }
    Ok(value)
}

fn classify(e: bincode::error::DecodeError) -> CodecError {
    use bincode::error::DecodeError as D;
    let reason = match e {
        D::UnexpectedEnd { .. } => "truncated",
        D::LimitExceeded => "claims more than the byte limit",
        D::InvalidIntegerType { .. } => "invalid integer",
        D::NonZeroTypeIsZero { .. } => "zero where non-zero is required",
        D::UnexpectedVariant { .. } => "unknown enum variant",
        D::Utf8 { .. } => "invalid UTF-8",
        D::InvalidCharEncoding(_) => "invalid char",
        D::InvalidBooleanValue(_) => "invalid bool",
        D::ArrayLengthMismatch { .. } => "array length mismatch",
        D::OutsideUsizeRange(_) => "length outside usize",
        D::EmptyEnum { .. } => "empty enum",
        D::InvalidDuration { .. } => "invalid duration",
        D::InvalidSystemTime { .. } => "invalid system time",
        D::CStringNulError { .. } => "invalid C string",
        D::Io { .. } => "io",
        D::Other(_) => "other",
        D::OtherString(_) => "invalid value",
        _ => "malformed",
    };
    CodecError::Malformed { reason }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::protocol::{Request, RequestId};
    use crate::{RendererToBroker, Secret};
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let m = RendererToBroker::Invoke {
            id: RequestId(3),
            request: Request::SubmitLogin {
                email: "bruce@wayne.com".into(),
                password: Secret::new("pw".into()),
            },
        };
        let bytes = encode(&m).unwrap();
        assert_eq!(decode::<RendererToBroker>(&bytes).unwrap(), m);
    }

    #[test]
    fn refuses_oversized_input_before_parsing() {
        let bytes = vec![0u8; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            decode::<RendererToBroker>(&bytes),
            Err(CodecError::TooLarge {
                len: MAX_MESSAGE_BYTES + 1
            })
        );
    }

    #[test]
    fn refuses_a_string_claiming_more_than_the_limit() {
        // Variant 0 (Bootstrap) followed by a varint length of u64::MAX.
        let bytes = [0u8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(matches!(
            decode::<RendererToBroker>(&bytes),
            Err(CodecError::Malformed { .. })
        ));
    }

    #[test]
    fn refuses_unknown_variants_truncation_and_trailing_bytes() {
        // Through serde an unknown variant is reported as an invalid value.
        assert!(matches!(
            decode::<RendererToBroker>(&[200]),
            Err(CodecError::Malformed { .. })
        ));
        let mut bytes = encode(&RendererToBroker::Pong { nonce: 99 }).unwrap();
        assert!(matches!(
            decode::<RendererToBroker>(&bytes[..bytes.len() - 1]),
            Err(CodecError::Malformed { .. })
        ));
        bytes.push(0);
        assert_eq!(
            decode::<RendererToBroker>(&bytes),
            Err(CodecError::TrailingBytes { extra: 1 })
        );
        assert_eq!(decode::<RendererToBroker>(&[]), Err(CodecError::Empty));
    }

    #[test]
    fn refuses_to_encode_past_the_limit() {
        let m = RendererToBroker::Bootstrap {
            server: "x".repeat(MAX_MESSAGE_BYTES),
        };
        assert!(matches!(encode(&m), Err(CodecError::TooLarge { .. })));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode::<RendererToBroker>(&bytes);
        }

        #[test]
        fn pong_round_trips(nonce: u64) {
            let m = RendererToBroker::Pong { nonce };
            prop_assert_eq!(decode::<RendererToBroker>(&encode(&m).unwrap()).unwrap(), m);
        }
    }
}
