//! The font pack: the byte layout of the one read-only shared memory object
//! in which the broker hands fallback fonts (CJK, emoji, Arabic, Hebrew) to
//! every renderer at spawn.
//!
//! Renderers open no files, so the broker reads the system's font files and
//! packs the few faces it picked into one sealed memfd; every renderer maps
//! the same pages read-only. This module only says where each face sits in
//! those bytes: [`plan`] lays a pack out (the broker), [`parse`] checks one
//! (the renderer). The renderer trusts the broker, but [`parse`] still
//! bounds-checks every entry and never panics, so a broker bug shows up as
//! "no fallback fonts" rather than as a crash or an out-of-bounds read.
//!
//! Layout (all integers little-endian `u32`):
//!
//! ```text
//! 0   magic  "WSFONTS1"                      8 bytes
//! 8   face count (1..=MAX_FACES)             4
//! 12  reserved, 0                            4
//! 16  per face: offset, len, face index,     16 × count
//!     reserved 0
//! ... face bytes, each at an ALIGN-aligned offset, in entry order,
//!     non-overlapping, after the header, inside the pack
//! ```

use thiserror::Error;

/// The first eight bytes of every pack (the trailing digit is the format
/// version).
pub const MAGIC: [u8; 8] = *b"WSFONTS1";

/// Most faces one pack may hold. The broker picks one face per script of
/// its table (six scripts, several often served by one face), so eight
/// leaves room and still bounds the renderer's parse loop.
pub const MAX_FACES: usize = 8;

/// Largest pack, in bytes. A CJK collection is the biggest face a desktop
/// ships (Noto Sans CJK: about 20 MiB), colour emoji next (about 10 MiB);
/// 64 MiB holds one of each with room, and bounds what a renderer maps.
pub const MAX_PACK_BYTES: usize = 64 << 20;

/// Faces start at multiples of this, so table reads inside a face are
/// naturally aligned.
pub const ALIGN: usize = 8;

/// Bytes before the first entry: magic, count, reserved.
const FIXED_HEADER_BYTES: usize = 16;

/// Bytes per face entry: offset, len, index, reserved.
const ENTRY_BYTES: usize = 16;

/// Where one face's bytes sit in a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaceRange {
    /// Byte offset of the font file's first byte.
    pub offset: usize,
    /// Length of the font file in bytes.
    pub len: usize,
    /// Which face of the file to use (0 unless it is a collection).
    pub index: u32,
}

impl FaceRange {
    /// One past the last byte.
    pub fn end(&self) -> usize {
        self.offset.saturating_add(self.len)
    }
}

/// A pack that cannot be laid out or does not check.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PackError {
    /// Shorter than its own header.
    #[error("pack of {len} bytes is shorter than its header")]
    TooShort {
        /// Bytes present.
        len: usize,
    },
    /// The magic is not [`MAGIC`].
    #[error("not a font pack (bad magic)")]
    BadMagic,
    /// No faces, or more than [`MAX_FACES`].
    #[error("face count {count} outside 1..={MAX_FACES}")]
    FaceCount {
        /// The count found or asked for.
        count: usize,
    },
    /// Bigger than [`MAX_PACK_BYTES`].
    #[error("pack of {len} bytes exceeds {MAX_PACK_BYTES}")]
    TooLarge {
        /// The size found or asked for.
        len: usize,
    },
    /// A face with no bytes.
    #[error("face {face} is empty")]
    EmptyFace {
        /// Its entry number.
        face: usize,
    },
    /// A face that starts inside the header or ends past the pack.
    #[error("face {face} lies outside the pack's data")]
    OutOfRange {
        /// Its entry number.
        face: usize,
    },
    /// A face not at an [`ALIGN`] boundary.
    #[error("face {face} is misaligned")]
    Misaligned {
        /// Its entry number.
        face: usize,
    },
    /// A face that starts before the previous one ends.
    #[error("face {face} overlaps the face before it")]
    Overlap {
        /// Its entry number.
        face: usize,
    },
    /// A reserved field is not zero.
    #[error("reserved field not zero")]
    Reserved,
}

/// A laid-out pack: write `header` at offset 0, then each face's bytes at
/// its range's offset (zero between), `total` bytes in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The header bytes.
    pub header: Vec<u8>,
    /// Where each face goes, in the order given.
    pub faces: Vec<FaceRange>,
    /// The pack's size.
    pub total: usize,
}

/// Header length for `count` faces.
pub fn header_len(count: usize) -> usize {
    FIXED_HEADER_BYTES + count.saturating_mul(ENTRY_BYTES)
}

fn align_up(n: usize) -> Option<usize> {
    n.checked_add(ALIGN - 1).map(|n| n / ALIGN * ALIGN)
}

fn to_u32(n: usize) -> Result<u32, PackError> {
    u32::try_from(n).map_err(|_| PackError::TooLarge { len: n })
}

/// Lays out a pack of faces given as `(length in bytes, face index)`.
pub fn plan(faces: &[(usize, u32)]) -> Result<Plan, PackError> {
    if faces.is_empty() || faces.len() > MAX_FACES {
        return Err(PackError::FaceCount { count: faces.len() });
    }
    let mut cursor = header_len(faces.len());
    let mut ranges = Vec::with_capacity(faces.len());
    for (face, &(len, index)) in faces.iter().enumerate() {
        if len == 0 {
            return Err(PackError::EmptyFace { face });
        }
        let offset = align_up(cursor).ok_or(PackError::TooLarge { len: cursor })?;
        cursor = offset
            .checked_add(len)
            .ok_or(PackError::TooLarge { len: usize::MAX })?;
        if cursor > MAX_PACK_BYTES {
            return Err(PackError::TooLarge { len: cursor });
        }
        ranges.push(FaceRange { offset, len, index });
    }
    let mut header = Vec::with_capacity(header_len(faces.len()));
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&to_u32(faces.len())?.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    for r in &ranges {
        header.extend_from_slice(&to_u32(r.offset)?.to_le_bytes());
        header.extend_from_slice(&to_u32(r.len)?.to_le_bytes());
        header.extend_from_slice(&r.index.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
    }
    Ok(Plan {
        header,
        faces: ranges,
        total: cursor,
    })
}

/// Builds a whole pack in memory from `(font file bytes, face index)`
/// (tests; the broker writes the planned pieces straight into its memfd).
pub fn build(faces: &[(&[u8], u32)]) -> Result<Vec<u8>, PackError> {
    let sizes: Vec<(usize, u32)> = faces.iter().map(|(b, i)| (b.len(), *i)).collect();
    let plan = plan(&sizes)?;
    let mut out = vec![0u8; plan.total];
    copy_into(&mut out, 0, &plan.header);
    for (r, (bytes, _)) in plan.faces.iter().zip(faces) {
        copy_into(&mut out, r.offset, bytes);
    }
    Ok(out)
}

fn copy_into(out: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = out.get_mut(at..at.saturating_add(bytes.len())) {
        dst.copy_from_slice(bytes);
    }
}

fn read_u32(pack: &[u8], at: usize) -> Option<u32> {
    let bytes = pack.get(at..at.checked_add(4)?)?;
    let arr: [u8; 4] = bytes.try_into().ok()?;
    Some(u32::from_le_bytes(arr))
}

/// Checks a pack and returns where each face is. Every range returned lies
/// inside `pack`, after the header, aligned, non-empty and disjoint from
/// the others.
pub fn parse(pack: &[u8]) -> Result<Vec<FaceRange>, PackError> {
    if pack.len() > MAX_PACK_BYTES {
        return Err(PackError::TooLarge { len: pack.len() });
    }
    let too_short = PackError::TooShort { len: pack.len() };
    if pack.get(..MAGIC.len()).ok_or(too_short.clone())? != MAGIC {
        return Err(PackError::BadMagic);
    }
    let count = read_u32(pack, 8).ok_or(too_short.clone())? as usize;
    if count == 0 || count > MAX_FACES {
        return Err(PackError::FaceCount { count });
    }
    if read_u32(pack, 12).ok_or(too_short.clone())? != 0 {
        return Err(PackError::Reserved);
    }
    let data_start = header_len(count);
    if pack.len() < data_start {
        return Err(too_short);
    }
    let mut faces = Vec::with_capacity(count);
    let mut previous_end = data_start;
    for face in 0..count {
        let at = FIXED_HEADER_BYTES + face * ENTRY_BYTES;
        let field = |k: usize| read_u32(pack, at + 4 * k).ok_or(PackError::OutOfRange { face });
        let offset = field(0)? as usize;
        let len = field(1)? as usize;
        let index = field(2)?;
        if field(3)? != 0 {
            return Err(PackError::Reserved);
        }
        if len == 0 {
            return Err(PackError::EmptyFace { face });
        }
        if !offset.is_multiple_of(ALIGN) {
            return Err(PackError::Misaligned { face });
        }
        let range = FaceRange { offset, len, index };
        if offset < data_start || range.end() > pack.len() {
            return Err(PackError::OutOfRange { face });
        }
        if offset < previous_end {
            return Err(PackError::Overlap { face });
        }
        previous_end = range.end();
        faces.push(range);
    }
    Ok(faces)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn two_faces() -> Vec<u8> {
        build(&[(b"first face".as_slice(), 0), (b"second".as_slice(), 3)]).unwrap()
    }

    fn set_u32(pack: &mut [u8], at: usize, v: u32) {
        pack[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Entry `face`, field `k` (0 offset, 1 len, 2 index, 3 reserved).
    fn entry(face: usize, k: usize) -> usize {
        FIXED_HEADER_BYTES + face * ENTRY_BYTES + 4 * k
    }

    #[test]
    fn round_trip() {
        let pack = two_faces();
        let faces = parse(&pack).unwrap();
        assert_eq!(faces.len(), 2);
        assert_eq!(&pack[faces[0].offset..faces[0].end()], b"first face");
        assert_eq!(&pack[faces[1].offset..faces[1].end()], b"second");
        assert_eq!(faces[1].index, 3);
        assert!(faces.iter().all(|f| f.offset.is_multiple_of(ALIGN)));
        assert_eq!(faces[0].offset, header_len(2));
    }

    #[test]
    fn plan_refuses_what_parse_would() {
        assert_eq!(plan(&[]), Err(PackError::FaceCount { count: 0 }));
        let nine = vec![(1usize, 0u32); MAX_FACES + 1];
        assert_eq!(plan(&nine), Err(PackError::FaceCount { count: 9 }));
        assert_eq!(plan(&[(0, 0)]), Err(PackError::EmptyFace { face: 0 }));
        assert!(matches!(
            plan(&[(MAX_PACK_BYTES, 0)]),
            Err(PackError::TooLarge { .. })
        ));
        assert!(matches!(
            plan(&[(usize::MAX - 4, 0)]),
            Err(PackError::TooLarge { .. })
        ));
    }

    #[test]
    fn hostile_headers_are_refused() {
        let good = two_faces();
        let faces = parse(&good).unwrap();

        assert_eq!(parse(&[]), Err(PackError::TooShort { len: 0 }));
        assert_eq!(parse(&good[..12]), Err(PackError::TooShort { len: 12 }));
        let mut p = good.clone();
        p[0] = b'X';
        assert_eq!(parse(&p), Err(PackError::BadMagic));

        // Too many faces, none, and a count whose entries run off the end.
        let mut p = good.clone();
        set_u32(&mut p, 8, MAX_FACES as u32 + 1);
        assert_eq!(parse(&p), Err(PackError::FaceCount { count: 9 }));
        set_u32(&mut p, 8, u32::MAX);
        assert!(matches!(parse(&p), Err(PackError::FaceCount { .. })));
        set_u32(&mut p, 8, 0);
        assert_eq!(parse(&p), Err(PackError::FaceCount { count: 0 }));
        let mut p = good[..header_len(2)].to_vec();
        set_u32(&mut p, 8, MAX_FACES as u32);
        assert!(matches!(parse(&p), Err(PackError::TooShort { .. })));

        // Out of range: past the end, wrapping, inside the header.
        let mut p = good.clone();
        set_u32(&mut p, entry(1, 1), faces[1].len as u32 + 1);
        assert_eq!(parse(&p), Err(PackError::OutOfRange { face: 1 }));
        let mut p = good.clone();
        set_u32(&mut p, entry(1, 0), u32::MAX - 7);
        set_u32(&mut p, entry(1, 1), u32::MAX);
        assert_eq!(parse(&p), Err(PackError::OutOfRange { face: 1 }));
        let mut p = good.clone();
        set_u32(&mut p, entry(0, 0), 8);
        assert_eq!(parse(&p), Err(PackError::OutOfRange { face: 0 }));

        // Overlapping: the second face starts inside the first, or both are
        // the same bytes.
        let mut p = good.clone();
        set_u32(&mut p, entry(1, 0), faces[0].offset as u32 + 8);
        set_u32(&mut p, entry(1, 1), 2);
        assert_eq!(parse(&p), Err(PackError::Overlap { face: 1 }));
        let mut p = good.clone();
        set_u32(&mut p, entry(1, 0), faces[0].offset as u32);
        assert_eq!(parse(&p), Err(PackError::Overlap { face: 1 }));

        // Empty, misaligned, reserved bits set.
        let mut p = good.clone();
        set_u32(&mut p, entry(0, 1), 0);
        assert_eq!(parse(&p), Err(PackError::EmptyFace { face: 0 }));
        let mut p = good.clone();
        set_u32(&mut p, entry(1, 0), faces[1].offset as u32 + 1);
        set_u32(&mut p, entry(1, 1), 1);
        assert_eq!(parse(&p), Err(PackError::Misaligned { face: 1 }));
        let mut p = good.clone();
        set_u32(&mut p, entry(0, 3), 1);
        assert_eq!(parse(&p), Err(PackError::Reserved));
        let mut p = good;
        set_u32(&mut p, 12, 1);
        assert_eq!(parse(&p), Err(PackError::Reserved));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_ranges_stay_inside() {
        // A cheap deterministic sweep: every single-byte corruption of the
        // header of a good pack either fails or yields in-bounds ranges.
        let good = two_faces();
        for at in 0..header_len(2) {
            for v in [0u8, 1, 7, 8, 0x7f, 0x80, 0xff] {
                let mut p = good.clone();
                p[at] = v;
                if let Ok(faces) = parse(&p) {
                    for f in faces {
                        assert!(f.len > 0 && f.offset >= header_len(2) && f.end() <= p.len());
                    }
                }
            }
        }
    }
}
