//! The broker's font pack, mapped read-only: the fallback faces (CJK,
//! emoji, Arabic, Hebrew) this renderer draws with, without opening a file.
//!
//! The broker passes one sealed memfd at [`RENDERER_FONTS_FD`] (see
//! `crates/broker/src/fonts.rs`); every renderer maps the same pages. Here,
//! before lockdown, straight-line and one error variant per step: check the
//! seals (so nobody, the broker included, can change the bytes while we
//! parse them), map it `PROT_READ`/`MAP_SHARED`, check the header
//! ([`workshop_common::fontpack::parse`]), and hand each face to the text
//! system as a slice of the mapping (no copy), listed by the header's
//! metadata (not parsed: its pages are read when a character first falls
//! back to it). The descriptor is closed once mapped. Any failure means
//! "Noto Sans only": the window still works.
//!
//! Nothing here needs a system call after lockdown: glyph data is read
//! from the mapping by plain loads.

use std::os::fd::{AsFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::Arc;

use rustix::fs::SealFlags;
use thiserror::Error;
use workshop_common::fontpack::{self, FaceRange, FaceStyle, PackError, PackedFace};
use workshop_ui::{FaceListing, FallbackFace, Slant};

pub use workshop_transport::RENDERER_FONTS_FD;

/// The seals a pack must carry: no write, no resize, no further change of
/// seals.
const REQUIRED_SEALS: SealFlags = SealFlags::WRITE
    .union(SealFlags::SHRINK)
    .union(SealFlags::GROW)
    .union(SealFlags::SEAL);

/// Why the pack is not used. One variant per step.
#[derive(Debug, Error)]
pub enum FontsError {
    /// Reading the seals failed (not a memfd?).
    #[error("font pack seals: {0}")]
    Seals(std::io::Error),
    /// Some required seal is missing.
    #[error("font pack is not sealed read-only (seals {0:#x})")]
    NotSealed(u32),
    /// `fstat` failed.
    #[error("font pack size: {0}")]
    Stat(std::io::Error),
    /// Empty or larger than [`fontpack::MAX_PACK_BYTES`].
    #[error("font pack of {0} bytes is out of bounds")]
    Size(u64),
    /// `mmap` failed.
    #[error("mapping the font pack: {0}")]
    Map(std::io::Error),
    /// The header does not check.
    #[error("font pack header: {0}")]
    Header(PackError),
}

/// A read-only shared mapping, unmapped when the last face using it goes.
#[derive(Debug)]
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and its pages cannot change (the memfd
// is sealed against writes, checked before mapping), so sharing the
// pointer across threads is sharing immutable bytes.
unsafe impl Send for Mapping {}
// SAFETY: as above; `&Mapping` only ever yields `&[u8]`.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is the start of a live `PROT_READ` mapping of `len`
        // bytes (unmapped only in `drop`), of a memfd sealed against write,
        // shrink and grow: the bytes stay valid and unchanged for `&self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned, and no slice
        // of it outlives `self` (faces hold an `Arc<Mapping>`).
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// One face: a checked range of the mapping.
struct FaceBytes {
    map: Arc<Mapping>,
    range: FaceRange,
}

impl AsRef<[u8]> for FaceBytes {
    fn as_ref(&self) -> &[u8] {
        // `parse` returned only ranges inside the pack; `get` keeps that a
        // non-panicking fact rather than an assumption.
        self.map
            .bytes()
            .get(self.range.offset..self.range.end())
            .unwrap_or_default()
    }
}

/// The mapped pack.
#[derive(Debug)]
pub struct FontPack {
    map: Arc<Mapping>,
    faces: Vec<PackedFace>,
}

impl FontPack {
    /// Maps the pack at `fd` (which is closed on return either way).
    pub fn map(fd: OwnedFd) -> Result<FontPack, FontsError> {
        // 1. Sealed read-only.
        let seals =
            rustix::fs::fcntl_get_seals(fd.as_fd()).map_err(|e| FontsError::Seals(e.into()))?;
        if !seals.contains(REQUIRED_SEALS) {
            return Err(FontsError::NotSealed(seals.bits()));
        }
        // 2. Size within bounds.
        let size = rustix::fs::fstat(fd.as_fd())
            .map_err(|e| FontsError::Stat(e.into()))?
            .st_size;
        let size = u64::try_from(size).unwrap_or(0);
        let len = usize::try_from(size)
            .ok()
            .filter(|&n| n > 0 && n <= fontpack::MAX_PACK_BYTES)
            .ok_or(FontsError::Size(size))?;
        // 3. Map.
        // SAFETY: a fresh read-only shared mapping of `len` bytes of a
        // memfd whose size is sealed at `len`; the kernel picks the
        // address, so nothing existing is replaced.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ,
                rustix::mm::MapFlags::SHARED,
                fd.as_fd(),
                0,
            )
        }
        .map_err(|e| FontsError::Map(e.into()))?;
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(FontsError::Map(
            std::io::Error::from_raw_os_error(libc::EFAULT),
        ))?;
        let map = Arc::new(Mapping { ptr, len });
        drop(fd);
        // 4. Header.
        let faces = fontpack::parse(map.bytes()).map_err(FontsError::Header)?;
        Ok(FontPack { map, faces })
    }

    /// How many faces the pack holds.
    pub fn face_count(&self) -> usize {
        self.faces.len()
    }

    /// The faces, as the text system takes them: slices of the mapping,
    /// listed by the header's metadata, so that registering them reads
    /// none of their bytes (a face's pages are first touched when a
    /// character falls back to it).
    pub fn fallbacks(&self) -> Vec<FallbackFace> {
        self.faces
            .iter()
            .map(|face| FallbackFace {
                data: Arc::new(FaceBytes {
                    map: self.map.clone(),
                    range: face.range,
                }),
                index: face.range.index,
                listing: Some(FaceListing {
                    family: face.meta.family.clone(),
                    post_script_name: face.meta.post_script_name.clone(),
                    weight: face.meta.weight,
                    slant: match face.meta.style {
                        FaceStyle::Normal => Slant::Normal,
                        FaceStyle::Italic => Slant::Italic,
                        FaceStyle::Oblique => Slant::Oblique,
                    },
                    stretch: u16::from(face.meta.stretch),
                    monospaced: face.meta.monospaced,
                }),
            })
            .collect()
    }
}
