//! Fallback fonts for every renderer: found once at start, packed into one
//! sealed read-only memfd, inherited by every renderer at spawn.
//!
//! Renderers open no files (empty root, Landlock, seccomp), and the font
//! compiled into them (Noto Sans) has no CJK, emoji, Arabic or Hebrew
//! glyphs. So the broker, which may read files, scans the system's font
//! directories once ([`FONT_DIRS`]), picks one face per script of
//! [`SCRIPTS`] (a face already picked is reused when it covers the next
//! script too), and copies just those files into one memfd laid out as
//! `workshop_common::fontpack` describes. The memfd is then sealed
//! (`F_SEAL_WRITE|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL`): from then on no
//! process, the broker included, can change or resize it, and a renderer
//! cannot map it writable, so one compromised renderer cannot alter the
//! glyphs another draws. Every renderer gets the same object at
//! `RENDERER_FONTS_FD` (see `host/spawn.rs`) and maps it `PROT_READ`,
//! `MAP_SHARED`: the same pages for all.
//!
//! Why a memfd and not ipc-channel's shared memory: ipc-channel maps its
//! segments read-write in both processes and cannot seal them, and it would
//! need a message after start-up; an inherited, sealed descriptor gives a
//! read-only mapping the kernel enforces and is not a renderer → broker
//! message at all.
//!
//! A script the system has no font for is logged once at info; its text
//! draws as boxes and everything else works.

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use rustix::fs::{MemfdFlags, SealFlags};
use thiserror::Error;
use workshop_common::fontpack::{self, PackError};

use crate::host::spawn::OWN_EXE_MIN_FD;

/// A script the renderers must be able to draw, and how to find a face for
/// it.
#[derive(Debug)]
pub struct Script {
    /// Its name in logs.
    pub name: &'static str,
    /// Characters a face must have to count as covering the script.
    pub probes: &'static [char],
    /// Families preferred, best first (any covering face is taken if none
    /// of these is installed).
    pub prefer: &'static [&'static str],
    /// Why it is in the table.
    pub reason: &'static str,
}

/// The scripts the fallback faces cover. Order matters: a face picked for
/// an earlier script is reused for a later one it also covers, so CJK
/// collections (which hold Han, Kana and Hangul) come first.
pub const SCRIPTS: &[Script] = &[
    Script {
        name: "Han",
        probes: &['中', '文'],
        prefer: &[
            "Noto Sans CJK SC",
            "WenQuanYi Micro Hei",
            "Droid Sans Fallback",
            "Noto Sans CJK JP",
        ],
        reason: "Chinese, and the kanji of Japanese and hanja of Korean",
    },
    Script {
        name: "Kana",
        probes: &['あ', 'ア'],
        prefer: &[
            "Noto Sans CJK JP",
            "WenQuanYi Micro Hei",
            "Droid Sans Fallback",
        ],
        reason: "Japanese syllabaries",
    },
    Script {
        name: "Hangul",
        probes: &['한', '글'],
        prefer: &["Noto Sans CJK KR", "WenQuanYi Micro Hei", "NanumGothic"],
        reason: "Korean",
    },
    Script {
        name: "Emoji",
        probes: &['😀'],
        prefer: &["Noto Color Emoji", "Twemoji", "Symbola"],
        reason: "emoji typed or pasted into any field",
    },
    Script {
        name: "Arabic",
        probes: &['م', 'ر'],
        prefer: &["Noto Sans Arabic", "DejaVu Sans"],
        reason: "right-to-left, joined script",
    },
    Script {
        name: "Hebrew",
        probes: &['ש', 'ל'],
        prefer: &["Noto Sans Hebrew", "DejaVu Sans"],
        reason: "right-to-left script",
    },
];

/// Where system fonts live on Linux (the directories fontconfig's default
/// configuration lists; the user's own fonts are not read: a renderer's
/// glyphs come from what the system administrator installed).
pub const FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// The name the memfd shows in `/proc/<pid>/maps`.
const MEMFD_NAME: &std::ffi::CStr = c"workshop-fonts";

/// The seals the pack carries once written.
const SEALS: SealFlags = SealFlags::WRITE
    .union(SealFlags::SHRINK)
    .union(SealFlags::GROW)
    .union(SealFlags::SEAL);

/// Why no pack was built. One variant per step.
#[derive(Debug, Error)]
pub enum FontsError {
    /// The chosen faces do not fit the format's bounds.
    #[error("laying out the pack: {0}")]
    Plan(PackError),
    /// `memfd_create` failed.
    #[error("creating the pack's memfd: {0}")]
    Create(std::io::Error),
    /// Sizing it failed.
    #[error("sizing the pack: {0}")]
    Size(std::io::Error),
    /// Writing a face or the header failed.
    #[error("writing the pack: {0}")]
    Write(std::io::Error),
    /// Sealing failed.
    #[error("sealing the pack: {0}")]
    Seal(std::io::Error),
    /// Moving it above the descriptors a child sets up failed.
    #[error("moving the pack's descriptor: {0}")]
    Dup(std::io::Error),
}

/// One face in the pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedFace {
    /// Its family name.
    pub family: String,
    /// The scripts it was picked for.
    pub scripts: Vec<&'static str>,
    /// Its file's size.
    pub bytes: usize,
}

/// The sealed pack every renderer inherits.
pub struct FontPack {
    fd: OwnedFd,
    len: usize,
    faces: Vec<PackedFace>,
}

impl std::fmt::Debug for FontPack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontPack")
            .field("bytes", &self.len)
            .field("faces", &self.faces)
            .finish_non_exhaustive()
    }
}

impl FontPack {
    /// The memfd (close-on-exec, at or above [`OWN_EXE_MIN_FD`]).
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The pack's size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the pack is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What it holds.
    pub fn faces(&self) -> &[PackedFace] {
        &self.faces
    }
}

/// What a scan found: the pack (none when no script has a face) and the
/// scripts left without a face.
#[derive(Debug)]
pub struct Discovery {
    /// The pack.
    pub pack: Option<FontPack>,
    /// Scripts no installed face covers.
    pub missing: Vec<&'static str>,
}

/// Scans [`FONT_DIRS`] and builds the pack; logs once what is missing.
/// Never fails: without a pack renderers draw with Noto Sans only.
pub fn discover() -> Option<std::sync::Arc<FontPack>> {
    let dirs: Vec<PathBuf> = FONT_DIRS.iter().map(PathBuf::from).collect();
    let started = std::time::Instant::now();
    match discover_in(&dirs) {
        Ok(found) => {
            if !found.missing.is_empty() {
                tracing::info!(
                    scripts = %found.missing.join(", "),
                    "no installed font for these scripts; their text draws as boxes"
                );
            }
            if let Some(pack) = &found.pack {
                tracing::debug!(
                    bytes = pack.len(),
                    faces = ?pack.faces(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "font pack built"
                );
            }
            found.pack.map(std::sync::Arc::new)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no fallback fonts; CJK, emoji, Arabic and Hebrew draw as boxes");
            None
        }
    }
}

/// The pack, found on a thread of its own: the scan (tens of milliseconds:
/// every installed face is parsed, the chosen files copied) overlaps the
/// event loop's and the first window's creation instead of delaying them,
/// and the first spawn waits for what is left of it ([`PendingPack::get`]).
pub struct PendingPack {
    /// The outcome, once known.
    done: std::sync::OnceLock<Option<std::sync::Arc<FontPack>>>,
    /// The scan, until its outcome is taken.
    scan: std::sync::Mutex<Option<std::thread::JoinHandle<Option<std::sync::Arc<FontPack>>>>>,
}

impl PendingPack {
    /// Starts [`discover`] on a thread named `fonts`; if no thread can be
    /// started, scans here and now.
    pub fn start() -> PendingPack {
        let scan = std::thread::Builder::new()
            .name("fonts".into())
            .spawn(discover);
        match scan {
            Ok(handle) => PendingPack {
                done: std::sync::OnceLock::new(),
                scan: std::sync::Mutex::new(Some(handle)),
            },
            Err(e) => {
                tracing::warn!(error = %e, "no thread for the font scan; scanning now");
                PendingPack::ready(discover())
            }
        }
    }

    /// An outcome known already (`None`: Noto Sans only).
    pub fn ready(pack: Option<std::sync::Arc<FontPack>>) -> PendingPack {
        let done = std::sync::OnceLock::new();
        let _ = done.set(pack);
        PendingPack {
            done,
            scan: std::sync::Mutex::new(None),
        }
    }

    /// The pack, waiting for the scan the first time if it is still
    /// running. A scan that panicked means no pack (logged once).
    pub fn get(&self) -> Option<&std::sync::Arc<FontPack>> {
        self.done
            .get_or_init(|| {
                let handle = match self.scan.lock() {
                    Ok(mut slot) => slot.take(),
                    Err(poisoned) => poisoned.into_inner().take(),
                };
                match handle.map(std::thread::JoinHandle::join) {
                    Some(Ok(pack)) => pack,
                    Some(Err(_)) => {
                        tracing::error!("the font scan panicked; renderers get Noto Sans only");
                        None
                    }
                    None => None,
                }
            })
            .as_ref()
    }
}

impl std::fmt::Debug for PendingPack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.done.get() {
            Some(pack) => f.debug_tuple("PendingPack").field(pack).finish(),
            None => f.write_str("PendingPack(scanning)"),
        }
    }
}

/// A face that covers a script, as ranked.
struct Candidate {
    id: fontdb::ID,
    index: u32,
    family: String,
    rank: (usize, bool, bool, u16, usize),
}

/// Scans `dirs` and builds the pack from the faces [`SCRIPTS`] pick.
pub fn discover_in(dirs: &[PathBuf]) -> Result<Discovery, FontsError> {
    let mut db = fontdb::Database::new();
    for dir in dirs {
        db.load_fonts_dir(dir);
    }
    // (face, scripts it serves), in the order picked.
    let mut chosen: Vec<(Candidate, Vec<&'static str>)> = Vec::new();
    let mut missing = Vec::new();
    for script in SCRIPTS {
        if let Some((_, scripts)) = chosen
            .iter_mut()
            .find(|(c, _)| covers(&db, c.id, script.probes))
        {
            scripts.push(script.name);
            continue;
        }
        match best_face(&db, script) {
            Some(c) => chosen.push((c, vec![script.name])),
            None => missing.push(script.name),
        }
    }
    // The files, read through fontdb's mapping, budgeted by the format's
    // bounds (a face that would not fit is dropped and its scripts missing).
    let mut files: Vec<(Vec<u8>, u32, PackedFace)> = Vec::new();
    let mut total = fontpack::header_len(fontpack::MAX_FACES);
    for (c, scripts) in chosen {
        let Some(bytes) = db.with_face_data(c.id, |data, _| data.to_vec()) else {
            missing.extend(scripts);
            continue;
        };
        let fits = files.len() < fontpack::MAX_FACES
            && total.saturating_add(bytes.len() + fontpack::ALIGN) <= fontpack::MAX_PACK_BYTES;
        if !fits {
            tracing::warn!(family = %c.family, bytes = bytes.len(), "font too large for the pack; skipped");
            missing.extend(scripts);
            continue;
        }
        total += bytes.len() + fontpack::ALIGN;
        let face = PackedFace {
            family: c.family,
            scripts,
            bytes: bytes.len(),
        };
        files.push((bytes, c.index, face));
    }
    missing.sort_by_key(|m| SCRIPTS.iter().position(|s| s.name == *m));
    if files.is_empty() {
        return Ok(Discovery {
            pack: None,
            missing,
        });
    }
    let pack = write_pack(files)?;
    Ok(Discovery {
        pack: Some(pack),
        missing,
    })
}

fn covers(db: &fontdb::Database, id: fontdb::ID, probes: &[char]) -> bool {
    db.with_face_data(id, |data, index| {
        match ttf_parser::Face::parse(data, index) {
            Ok(face) => probes.iter().all(|&c| face.glyph_index(c).is_some()),
            Err(_) => false,
        }
    })
    .unwrap_or(false)
}

/// The best face covering `script`: a preferred family first, then upright
/// over italic, normal width over condensed, weight nearest 400, smallest
/// file.
fn best_face(db: &fontdb::Database, script: &Script) -> Option<Candidate> {
    db.faces()
        .filter(|info| covers(db, info.id, script.probes))
        .map(|info| {
            let family = info
                .families
                .first()
                .map(|(name, _)| name.clone())
                .unwrap_or_default();
            let preferred = script
                .prefer
                .iter()
                .position(|p| info.families.iter().any(|(name, _)| name == p))
                .unwrap_or(script.prefer.len());
            let size = db
                .with_face_data(info.id, |data, _| data.len())
                .unwrap_or(usize::MAX);
            Candidate {
                id: info.id,
                index: info.index,
                family,
                rank: (
                    preferred,
                    info.style != fontdb::Style::Normal,
                    info.stretch != fontdb::Stretch::Normal,
                    info.weight.0.abs_diff(400),
                    size,
                ),
            }
        })
        .min_by_key(|c| c.rank)
}

/// Lays out, writes and seals the pack.
fn write_pack(files: Vec<(Vec<u8>, u32, PackedFace)>) -> Result<FontPack, FontsError> {
    // 1. Layout.
    let sizes: Vec<(usize, u32)> = files.iter().map(|(b, i, _)| (b.len(), *i)).collect();
    let plan = fontpack::plan(&sizes).map_err(FontsError::Plan)?;
    // 2. The memfd, sealable, sized.
    let fd = rustix::fs::memfd_create(MEMFD_NAME, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(|e| FontsError::Create(e.into()))?;
    let file = std::fs::File::from(fd);
    file.set_len(plan.total as u64).map_err(FontsError::Size)?;
    // 3. Header and faces.
    file.write_all_at(&plan.header, 0)
        .map_err(FontsError::Write)?;
    for (range, (bytes, _, _)) in plan.faces.iter().zip(&files) {
        file.write_all_at(bytes, range.offset as u64)
            .map_err(FontsError::Write)?;
    }
    (&file).flush().map_err(FontsError::Write)?;
    // 4. Seal: nothing can change it from here on.
    rustix::fs::fcntl_add_seals(&file, SEALS).map_err(|e| FontsError::Seal(e.into()))?;
    // 5. Above what a child sets up before exec (fds 0..=4).
    let fd = rustix::io::fcntl_dupfd_cloexec(&file, OWN_EXE_MIN_FD)
        .map_err(|e| FontsError::Dup(e.into()))?;
    drop(file);
    Ok(FontPack {
        fd,
        len: plan.total,
        faces: files.into_iter().map(|(_, _, f)| f).collect(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    fn read_pack(pack: &FontPack) -> Vec<u8> {
        let mut out = vec![0u8; pack.len()];
        let file = std::fs::File::from(pack.fd.try_clone().unwrap());
        file.read_exact_at(&mut out, 0).unwrap();
        out
    }

    #[test]
    fn system_pack_covers_every_script_and_is_sealed() {
        let found = discover_in(&[PathBuf::from("/usr/share/fonts")]).unwrap();
        assert!(
            found.missing.is_empty(),
            "install fonts-wqy-microhei fonts-noto-color-emoji fonts-dejavu-core (.ci/run): missing {:?}",
            found.missing
        );
        let pack = found.pack.unwrap();
        let scripts: Vec<&str> = pack
            .faces()
            .iter()
            .flat_map(|f| f.scripts.clone())
            .collect();
        assert_eq!(scripts.len(), SCRIPTS.len(), "{:?}", pack.faces());
        assert!(
            pack.faces().len() <= 4,
            "shared faces reused: {:?}",
            pack.faces()
        );
        eprintln!("pack: {} bytes, {:?}", pack.len(), pack.faces());
        let seals = rustix::fs::fcntl_get_seals(pack.fd()).unwrap();
        assert!(seals.contains(SEALS), "{seals:?}");
        // Sealed: neither writing nor growing nor a writable mapping works.
        let file = std::fs::File::from(pack.fd.try_clone().unwrap());
        assert!(file.write_all_at(b"x", 0).is_err());
        assert!(file.set_len(pack.len() as u64 + 1).is_err());
        // SAFETY: a fresh mapping request that is expected to fail.
        let writable = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                pack.len(),
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::SHARED,
                pack.fd(),
                0,
            )
        };
        assert!(writable.is_err(), "a sealed pack maps writable");
        assert!(rustix::io::fcntl_getfd(pack.fd())
            .unwrap()
            .contains(rustix::io::FdFlags::CLOEXEC));
        let bytes = read_pack(&pack);
        let faces = fontpack::parse(&bytes).unwrap();
        assert_eq!(faces.len(), pack.faces().len());
        for (range, face) in faces.iter().zip(pack.faces()) {
            assert_eq!(range.len, face.bytes);
            let data = &bytes[range.offset..range.end()];
            ttf_parser::Face::parse(data, range.index).unwrap();
        }
    }

    #[test]
    fn missing_scripts_are_named_and_the_rest_still_packs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(DEJAVU, dir.path().join("DejaVuSans.ttf")).unwrap();
        let found = discover_in(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.missing, vec!["Han", "Kana", "Hangul"]);
        let pack = found.pack.unwrap();
        assert_eq!(pack.faces().len(), 1);
        assert_eq!(pack.faces()[0].family, "DejaVu Sans");
        // DejaVu Sans has monochrome emoji too; one face serves all three.
        assert_eq!(pack.faces()[0].scripts, vec!["Emoji", "Arabic", "Hebrew"]);

        let empty = tempfile::tempdir().unwrap();
        let found = discover_in(&[empty.path().to_path_buf()]).unwrap();
        assert!(found.pack.is_none());
        assert_eq!(found.missing.len(), SCRIPTS.len());
    }
}
