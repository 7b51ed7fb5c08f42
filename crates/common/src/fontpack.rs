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
//! Each entry also carries what the renderer's text system needs to list
//! the face (family, PostScript name, weight, style, stretch, monospaced),
//! found by the broker when it parsed the face: the renderer registers the
//! faces without parsing them, so it touches a face's pages only when a
//! character first falls back to it. That keeps start-up fast and the
//! pack's resident pages (and so its PSS) near zero in a window whose
//! text needs no fallback.
//!
//! Layout (integers little-endian):
//!
//! ```text
//! 0   magic  "WSFONTS2"                      8 bytes
//! 8   face count (1..=MAX_FACES), u32        4
//! 12  reserved, 0                            4
//! 16  per face, ENTRY_BYTES each:
//!       offset u32, len u32, face index u32,
//!       weight u16 (1..=1000), style u8 (0 normal, 1 italic, 2 oblique),
//!       stretch u8 (1..=9), flags u32 (bit 0: monospaced; others 0),
//!       reserved u32 (0),
//!       family, PostScript name: NAME_BYTES each, a length byte
//!       (1..NAME_BYTES) then that many bytes of UTF-8, zeros after
//! ... face bytes, each at an ALIGN-aligned offset, in entry order,
//!     non-overlapping, after the header, inside the pack
//! ```

use thiserror::Error;

/// The first eight bytes of every pack (the trailing digit is the format
/// version).
pub const MAGIC: [u8; 8] = *b"WSFONTS2";

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

/// Bytes of one name field: a length byte and up to `NAME_BYTES - 1` bytes
/// of UTF-8 (family names run to 30-odd bytes; longer ones are cut at a
/// character boundary by [`FaceMeta::new`]).
pub const NAME_BYTES: usize = 64;

/// Bytes per face entry: offset, len, index, weight/style/stretch, flags,
/// reserved, then the two names.
const ENTRY_BYTES: usize = 24 + 2 * NAME_BYTES;

/// Flag: the face is monospaced.
const FLAG_MONOSPACED: u32 = 1;

/// Weights a face may declare (OpenType `usWeightClass`).
const WEIGHTS: std::ops::RangeInclusive<u16> = 1..=1000;

/// Stretches a face may declare (OpenType `usWidthClass`).
const STRETCHES: std::ops::RangeInclusive<u8> = 1..=9;

/// A face's slant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaceStyle {
    /// Upright.
    Normal,
    /// Italic.
    Italic,
    /// Oblique.
    Oblique,
}

impl FaceStyle {
    fn to_byte(self) -> u8 {
        match self {
            FaceStyle::Normal => 0,
            FaceStyle::Italic => 1,
            FaceStyle::Oblique => 2,
        }
    }

    fn from_byte(b: u8) -> Option<FaceStyle> {
        match b {
            0 => Some(FaceStyle::Normal),
            1 => Some(FaceStyle::Italic),
            2 => Some(FaceStyle::Oblique),
            _ => None,
        }
    }
}

/// What a renderer's text system lists a face by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaceMeta {
    /// The English family name (fallback lists name families).
    pub family: String,
    /// The PostScript name (the text system spots emoji faces by it).
    pub post_script_name: String,
    /// 1..=1000.
    pub weight: u16,
    /// Its slant.
    pub style: FaceStyle,
    /// 1..=9 (5 is normal width).
    pub stretch: u8,
    /// Whether every glyph has the same advance.
    pub monospaced: bool,
}

impl FaceMeta {
    /// Metadata with out-of-range numbers clamped and names cut to fit
    /// [`NAME_BYTES`] at a character boundary (an empty PostScript name
    /// becomes the family's).
    pub fn new(
        family: &str,
        post_script_name: &str,
        weight: u16,
        style: FaceStyle,
        stretch: u8,
        monospaced: bool,
    ) -> FaceMeta {
        let family = fit_name(family);
        let post_script_name = match fit_name(post_script_name) {
            ps if ps.is_empty() => family.clone(),
            ps => ps,
        };
        FaceMeta {
            family,
            post_script_name,
            weight: weight.clamp(*WEIGHTS.start(), *WEIGHTS.end()),
            style,
            stretch: stretch.clamp(*STRETCHES.start(), *STRETCHES.end()),
            monospaced,
        }
    }
}

/// `name` cut to at most `NAME_BYTES - 1` bytes at a character boundary,
/// without NULs.
fn fit_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().filter(|&c| c != '\0') {
        if out.len() + c.len_utf8() > NAME_BYTES - 1 {
            break;
        }
        out.push(c);
    }
    out
}

/// One face of a checked pack: where its bytes are, and how to list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedFace {
    /// Where its file's bytes are.
    pub range: FaceRange,
    /// How to list it.
    pub meta: FaceMeta,
}

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
    /// A reserved field or flag is not zero.
    #[error("reserved field not zero")]
    Reserved,
    /// Weight, style or stretch out of range.
    #[error("face {face} has an out-of-range weight, style or stretch")]
    BadAttributes {
        /// Its entry number.
        face: usize,
    },
    /// A name that is empty, too long, not UTF-8, or not zero-padded (or
    /// one [`plan`] was given that [`FaceMeta::new`] would have cut).
    #[error("face {face} has a malformed name")]
    BadName {
        /// Its entry number.
        face: usize,
    },
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

/// Lays out a pack of faces given as `(length in bytes, face index,
/// metadata)`.
pub fn plan(faces: &[(usize, u32, FaceMeta)]) -> Result<Plan, PackError> {
    if faces.is_empty() || faces.len() > MAX_FACES {
        return Err(PackError::FaceCount { count: faces.len() });
    }
    let mut cursor = header_len(faces.len());
    let mut ranges = Vec::with_capacity(faces.len());
    for (face, (len, index, _)) in faces.iter().enumerate() {
        let (len, index) = (*len, *index);
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
    for (face, (r, (_, _, meta))) in ranges.iter().zip(faces).enumerate() {
        if !WEIGHTS.contains(&meta.weight) || !STRETCHES.contains(&meta.stretch) {
            return Err(PackError::BadAttributes { face });
        }
        header.extend_from_slice(&to_u32(r.offset)?.to_le_bytes());
        header.extend_from_slice(&to_u32(r.len)?.to_le_bytes());
        header.extend_from_slice(&r.index.to_le_bytes());
        header.extend_from_slice(&meta.weight.to_le_bytes());
        header.push(meta.style.to_byte());
        header.push(meta.stretch);
        let flags = if meta.monospaced { FLAG_MONOSPACED } else { 0 };
        header.extend_from_slice(&flags.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        for name in [&meta.family, &meta.post_script_name] {
            header.extend_from_slice(&name_field(name).ok_or(PackError::BadName { face })?);
        }
    }
    Ok(Plan {
        header,
        faces: ranges,
        total: cursor,
    })
}

/// A name's field, or `None` if it does not fit (empty, too long, NULs).
fn name_field(name: &str) -> Option<[u8; NAME_BYTES]> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= NAME_BYTES || bytes.contains(&0) {
        return None;
    }
    let mut field = [0u8; NAME_BYTES];
    field[0] = u8::try_from(bytes.len()).ok()?;
    field.get_mut(1..=bytes.len())?.copy_from_slice(bytes);
    Some(field)
}

/// The name in a field, if well formed.
fn read_name(field: &[u8]) -> Option<String> {
    let (&len, rest) = field.split_first()?;
    let len = usize::from(len);
    let (name, padding) = (rest.get(..len)?, rest.get(len..)?);
    if len == 0 || name.contains(&0) || padding.iter().any(|&b| b != 0) {
        return None;
    }
    std::str::from_utf8(name).ok().map(str::to_owned)
}

/// Builds a whole pack in memory from `(font file bytes, face index,
/// metadata)` (tests; the broker writes the planned pieces straight into
/// its memfd).
pub fn build(faces: &[(&[u8], u32, FaceMeta)]) -> Result<Vec<u8>, PackError> {
    let sizes: Vec<(usize, u32, FaceMeta)> = faces
        .iter()
        .map(|(b, i, m)| (b.len(), *i, m.clone()))
        .collect();
    let plan = plan(&sizes)?;
    let mut out = vec![0u8; plan.total];
    copy_into(&mut out, 0, &plan.header);
    for (r, (bytes, _, _)) in plan.faces.iter().zip(faces) {
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

fn read_u16(pack: &[u8], at: usize) -> Option<u16> {
    let bytes = pack.get(at..at.checked_add(2)?)?;
    let arr: [u8; 2] = bytes.try_into().ok()?;
    Some(u16::from_le_bytes(arr))
}

/// Checks a pack and returns each face: where it is and how to list it.
/// Every range returned lies inside `pack`, after the header, aligned,
/// non-empty and disjoint from the others; every name is non-empty UTF-8.
pub fn parse(pack: &[u8]) -> Result<Vec<PackedFace>, PackError> {
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
        let out = PackError::OutOfRange { face };
        let word = |k: usize| read_u32(pack, at + 4 * k).ok_or(out.clone());
        let offset = word(0)? as usize;
        let len = word(1)? as usize;
        let index = word(2)?;
        let weight = read_u16(pack, at + 12).ok_or(out.clone())?;
        let style = *pack.get(at + 14).ok_or(out.clone())?;
        let stretch = *pack.get(at + 15).ok_or(out.clone())?;
        let flags = word(4)?;
        if flags & !FLAG_MONOSPACED != 0 || word(5)? != 0 {
            return Err(PackError::Reserved);
        }
        let style = FaceStyle::from_byte(style)
            .filter(|_| WEIGHTS.contains(&weight) && STRETCHES.contains(&stretch))
            .ok_or(PackError::BadAttributes { face })?;
        let name = |k: usize| {
            let from = at + 24 + k * NAME_BYTES;
            pack.get(from..from + NAME_BYTES)
                .and_then(read_name)
                .ok_or(PackError::BadName { face })
        };
        let (family, post_script_name) = (name(0)?, name(1)?);
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
        faces.push(PackedFace {
            range,
            meta: FaceMeta {
                family,
                post_script_name,
                weight,
                style,
                stretch,
                monospaced: flags & FLAG_MONOSPACED != 0,
            },
        });
    }
    Ok(faces)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn meta(family: &str) -> FaceMeta {
        FaceMeta::new(family, "", 400, FaceStyle::Normal, 5, false)
    }

    fn two_faces() -> Vec<u8> {
        build(&[
            (b"first face".as_slice(), 0, meta("First")),
            (b"second".as_slice(), 3, meta("Second Sans")),
        ])
        .unwrap()
    }

    fn set_u32(pack: &mut [u8], at: usize, v: u32) {
        pack[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Entry `face`, word `k` (0 offset, 1 len, 2 index, 3 weight, style
    /// and stretch, 4 flags, 5 reserved).
    fn entry(face: usize, k: usize) -> usize {
        FIXED_HEADER_BYTES + face * ENTRY_BYTES + 4 * k
    }

    #[test]
    fn round_trip() {
        let pack = two_faces();
        let parsed = parse(&pack).unwrap();
        assert_eq!(parsed[0].meta, meta("First"));
        assert_eq!(parsed[1].meta.family, "Second Sans");
        assert_eq!(parsed[1].meta.post_script_name, "Second Sans");
        let faces: Vec<FaceRange> = parsed.iter().map(|f| f.range).collect();
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
        let nine = vec![(1usize, 0u32, meta("F")); MAX_FACES + 1];
        assert_eq!(plan(&nine), Err(PackError::FaceCount { count: 9 }));
        assert_eq!(
            plan(&[(0, 0, meta("F"))]),
            Err(PackError::EmptyFace { face: 0 })
        );
        assert!(matches!(
            plan(&[(MAX_PACK_BYTES, 0, meta("F"))]),
            Err(PackError::TooLarge { .. })
        ));
        assert!(matches!(
            plan(&[(usize::MAX - 4, 0, meta("F"))]),
            Err(PackError::TooLarge { .. })
        ));
        // Metadata `FaceMeta::new` would never make.
        let mut m = meta("F");
        m.weight = 0;
        assert_eq!(
            plan(&[(1, 0, m)]),
            Err(PackError::BadAttributes { face: 0 })
        );
        let mut m = meta("F");
        m.family = String::new();
        assert_eq!(plan(&[(1, 0, m)]), Err(PackError::BadName { face: 0 }));
        let mut m = meta("F");
        m.post_script_name = "x".repeat(NAME_BYTES);
        assert_eq!(plan(&[(1, 0, m)]), Err(PackError::BadName { face: 0 }));
    }

    #[test]
    fn hostile_headers_are_refused() {
        let good = two_faces();
        let faces: Vec<FaceRange> = parse(&good).unwrap().iter().map(|f| f.range).collect();

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
        set_u32(&mut p, entry(0, 5), 1);
        assert_eq!(parse(&p), Err(PackError::Reserved));
        let mut p = good.clone();
        set_u32(&mut p, entry(0, 4), 2);
        assert_eq!(parse(&p), Err(PackError::Reserved));
        let mut p = good.clone();
        set_u32(&mut p, 12, 1);
        assert_eq!(parse(&p), Err(PackError::Reserved));
    }

    #[test]
    fn hostile_metadata_is_refused() {
        let good = two_faces();
        let attrs = entry(1, 3);
        // Weight 0 and 1001, style 3, stretch 0 and 10.
        for (at, bytes) in [
            (attrs, vec![0u8, 0]),
            (attrs, 1001u16.to_le_bytes().to_vec()),
            (attrs + 2, vec![3]),
            (attrs + 3, vec![0]),
            (attrs + 3, vec![10]),
        ] {
            let mut p = good.clone();
            p[at..at + bytes.len()].copy_from_slice(&bytes);
            assert_eq!(
                parse(&p),
                Err(PackError::BadAttributes { face: 1 }),
                "{bytes:?}"
            );
        }
        let family = entry(1, 6);
        let post_script = family + NAME_BYTES;
        let set_name = |p: &mut Vec<u8>, at: usize, field: &[u8]| {
            p[at..at + NAME_BYTES].fill(0);
            p[at..at + field.len()].copy_from_slice(field);
        };
        for (at, field) in [
            (family, b"\x00".as_slice()),         // empty
            (family, b"\x03ab".as_slice()),       // a length past the name (its NUL)
            (family, b"\x02\xff\xfe".as_slice()), // not UTF-8
            (family, b"\x02a\x00".as_slice()),    // a NUL inside
            (family, b"\x01ab".as_slice()),       // padding not zero
            (family, &[NAME_BYTES as u8]),        // longer than the field
            (post_script, b"\x00".as_slice()),
        ] {
            let mut p = good.clone();
            set_name(&mut p, at, field);
            assert_eq!(parse(&p), Err(PackError::BadName { face: 1 }), "{field:?}");
        }
        // A well-formed other name is taken as is.
        let mut p = good.clone();
        set_name(&mut p, family, "\u{3}中".as_bytes());
        assert_eq!(parse(&p).unwrap()[1].meta.family, "中");
        // Monospaced is the one flag.
        let mut p = good;
        set_u32(&mut p, entry(0, 4), 1);
        assert!(parse(&p).unwrap()[0].meta.monospaced);
    }

    #[test]
    fn metadata_is_fitted_to_the_format() {
        let long = "字".repeat(30); // 90 bytes
        let m = FaceMeta::new(&long, "PS\0Name", 0, FaceStyle::Italic, 42, true);
        assert!(m.family.len() < NAME_BYTES && m.family.chars().all(|c| c == '字'));
        assert_eq!(m.family.chars().count(), 21);
        assert_eq!(m.post_script_name, "PSName");
        assert_eq!((m.weight, m.stretch), (1, 9));
        let pack = build(&[(b"x".as_slice(), 0, m.clone())]).unwrap();
        assert_eq!(parse(&pack).unwrap()[0].meta, m);
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
                    for PackedFace { range: f, meta } in faces {
                        assert!(f.len > 0 && f.offset >= header_len(2) && f.end() <= p.len());
                        assert!(!meta.family.is_empty() && meta.family.len() < NAME_BYTES);
                    }
                }
            }
        }
    }
}
