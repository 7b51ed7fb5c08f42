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
use std::path::{Path, PathBuf};

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
    /// Opening a chosen face's file again, to copy it, failed.
    #[error("opening a font file: {0}")]
    Read(std::io::Error),
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
    match discover_timed(&dirs) {
        Ok((found, timings)) => {
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
                    parse_us = timings.parse.as_micros() as u64,
                    pack_us = timings.pack.as_micros() as u64,
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

/// How deep [`FONT_DIRS`] are walked (Debian's are 3 levels; the bound
/// also stops a symlink loop).
const MAX_DIR_DEPTH: usize = 8;

/// At most this many font files are looked at; the rest are ignored (a
/// typical desktop has hundreds, a full TeX install a few thousand).
const MAX_FONT_FILES: usize = 10_000;

/// At most this many faces of one collection are looked at (Noto Sans
/// CJK's `.ttc` holds 10).
const MAX_FACES_PER_FILE: u32 = 64;

/// OpenType width class of a normal-width face.
const NORMAL_STRETCH: u8 = 5;

/// What a file must be called to be looked at.
const FONT_EXTENSIONS: &[&str] = &["ttf", "otf", "ttc", "otc"];

/// One installed face, parsed once: which scripts of [`SCRIPTS`] it covers
/// (bit `i` for `SCRIPTS[i]`) and what ranks it.
#[derive(Debug)]
struct Candidate {
    /// Index of its file in the scan's list.
    file: usize,
    /// Its index in the file (a collection holds several).
    index: u32,
    /// Its family names, the English one first.
    families: Vec<String>,
    /// Bit `i`: covers `SCRIPTS[i]`.
    covers: u32,
    /// Its PostScript name (may be empty).
    post_script_name: String,
    style: fontpack::FaceStyle,
    /// OpenType width class, 1..=9 (5 normal).
    stretch: u8,
    weight: u16,
    monospaced: bool,
    /// Its file's size.
    bytes: u64,
}

impl Candidate {
    /// Lower is better: a preferred family first, then upright over
    /// italic, normal width over condensed, weight nearest 400, smallest
    /// file.
    fn rank(&self, script: &Script) -> (usize, bool, bool, u16, u64) {
        let preferred = script
            .prefer
            .iter()
            .position(|p| self.families.iter().any(|f| f == p))
            .unwrap_or(script.prefer.len());
        (
            preferred,
            self.style != fontpack::FaceStyle::Normal,
            self.stretch != NORMAL_STRETCH,
            self.weight.abs_diff(400),
            self.bytes,
        )
    }

    fn family(&self) -> String {
        self.families.first().cloned().unwrap_or_default()
    }

    /// How renderers list it (see `fontpack`'s entry layout).
    fn meta(&self) -> fontpack::FaceMeta {
        fontpack::FaceMeta::new(
            &self.family(),
            &self.post_script_name,
            self.weight,
            self.style,
            self.stretch,
            self.monospaced,
        )
    }
}

/// How long the two halves of a scan took (in the debug log and in
/// `workshop-bench fonts`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ScanTimings {
    /// Walking the directories and parsing every face once.
    pub parse: std::time::Duration,
    /// Creating, filling and sealing the memfd.
    pub pack: std::time::Duration,
}

/// Scans `dirs` and builds the pack from the faces [`SCRIPTS`] pick.
pub fn discover_in(dirs: &[PathBuf]) -> Result<Discovery, FontsError> {
    discover_timed(dirs).map(|(found, _)| found)
}

/// [`discover_in`], with how long its halves took.
pub fn discover_timed(dirs: &[PathBuf]) -> Result<(Discovery, ScanTimings), FontsError> {
    let started = std::time::Instant::now();
    // 1. The font files, in a stable order.
    let paths = font_files(dirs);
    // 2. Every face parsed once.
    let mut candidates = Vec::new();
    for (file, path) in paths.iter().enumerate() {
        parse_file(file, path, &mut candidates);
    }
    // 3. One face per script; a face already picked is reused.
    let mut chosen: Vec<(&Candidate, Vec<&'static str>)> = Vec::new();
    let mut missing = Vec::new();
    for (bit, script) in SCRIPTS.iter().enumerate() {
        let mask = 1u32 << bit;
        if let Some((_, scripts)) = chosen.iter_mut().find(|(c, _)| c.covers & mask != 0) {
            scripts.push(script.name);
            continue;
        }
        let best = candidates
            .iter()
            .filter(|c| c.covers & mask != 0)
            .min_by_key(|c| c.rank(script));
        match best {
            Some(c) => chosen.push((c, vec![script.name])),
            None => missing.push(script.name),
        }
    }
    // 4. Budgeted by the format's bounds: a face that would not fit is
    //    dropped and its scripts are missing.
    let mut files: Vec<(&Path, u32, fontpack::FaceMeta, PackedFace)> = Vec::new();
    let mut total = fontpack::header_len(fontpack::MAX_FACES);
    for (c, scripts) in chosen {
        let len = usize::try_from(c.bytes).unwrap_or(usize::MAX);
        let fits = files.len() < fontpack::MAX_FACES
            && total.saturating_add(len).saturating_add(fontpack::ALIGN)
                <= fontpack::MAX_PACK_BYTES;
        let Some(path) = paths.get(c.file).filter(|_| fits) else {
            tracing::warn!(family = %c.family(), bytes = len, "font too large for the pack; skipped");
            missing.extend(scripts);
            continue;
        };
        total += len + fontpack::ALIGN;
        let face = PackedFace {
            family: c.family(),
            scripts,
            bytes: len,
        };
        files.push((path.as_path(), c.index, c.meta(), face));
    }
    missing.sort_by_key(|m| SCRIPTS.iter().position(|s| s.name == *m));
    let parsed = started.elapsed();
    let pack = if files.is_empty() {
        None
    } else {
        Some(write_pack(files)?)
    };
    let timings = ScanTimings {
        parse: parsed,
        pack: started.elapsed().saturating_sub(parsed),
    };
    Ok((Discovery { pack, missing }, timings))
}

/// The font files under `dirs`, each file once, in a stable order.
fn font_files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    let mut paths = Vec::new();
    for dir in dirs {
        walk(dir, 0, &mut seen, &mut paths);
    }
    paths.sort();
    paths
}

/// Adds the font files under `dir` to `out` (depth and count bounded;
/// unreadable entries skipped). Symlinks are followed (Debian links fonts
/// between packages), but every directory and file is taken once, by
/// device and inode in `seen`: a link loop ends at once and a linked face
/// is not parsed twice.
fn walk(
    dir: &Path,
    depth: usize,
    seen: &mut std::collections::HashSet<(u64, u64)>,
    out: &mut Vec<PathBuf>,
) {
    use std::os::unix::fs::MetadataExt;
    let first_visit = std::fs::metadata(dir).is_ok_and(|m| seen.insert((m.dev(), m.ino())));
    if !first_visit || depth > MAX_DIR_DEPTH || out.len() >= MAX_FONT_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, depth + 1, seen, out);
        } else if meta.is_file() && is_font_name(&path) && seen.insert((meta.dev(), meta.ino())) {
            out.push(path);
        }
        if out.len() >= MAX_FONT_FILES {
            return;
        }
    }
}

fn is_font_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| FONT_EXTENSIONS.iter().any(|f| e.eq_ignore_ascii_case(f)))
}

/// Parses every face of the file at `path` once and adds those covering
/// any script to `out`. A file that cannot be opened, mapped or parsed is
/// skipped.
fn parse_file(file: usize, path: &Path, out: &mut Vec<Candidate>) {
    let Ok(f) = std::fs::File::open(path) else {
        return;
    };
    let Ok(meta) = f.metadata() else {
        return;
    };
    let bytes = meta.len();
    if bytes == 0 || bytes > fontpack::MAX_PACK_BYTES as u64 {
        return;
    }
    // SAFETY: a private read-only mapping of a system font file, read
    // only by the parser below and dropped before this returns. Another
    // process changing the file meanwhile can change what is parsed (the
    // parser checks every offset, so that gives wrong answers, not unsound
    // reads) or truncate it (SIGBUS; package managers replace font files
    // by rename, which leaves this inode whole). The pack is copied from
    // the file by the kernel, not from this mapping.
    let Ok(map) = (unsafe { memmap2::Mmap::map(&f) }) else {
        return;
    };
    let data: &[u8] = &map;
    let count = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    for index in 0..count.min(MAX_FACES_PER_FILE) {
        let Ok(face) = ttf_parser::Face::parse(data, index) else {
            continue;
        };
        let covers = SCRIPTS
            .iter()
            .enumerate()
            .filter(|(_, s)| s.probes.iter().all(|&c| face.glyph_index(c).is_some()))
            .fold(0u32, |mask, (bit, _)| mask | (1 << bit));
        let families = family_names(&face);
        if covers == 0 || families.is_empty() {
            continue;
        }
        let style = if face.is_italic() {
            fontpack::FaceStyle::Italic
        } else if face.is_oblique() {
            fontpack::FaceStyle::Oblique
        } else {
            fontpack::FaceStyle::Normal
        };
        let post_script_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_default();
        out.push(Candidate {
            file,
            index,
            families,
            covers,
            post_script_name,
            style,
            stretch: u8::try_from(face.width().to_number()).unwrap_or(NORMAL_STRETCH),
            weight: face.weight().to_number(),
            monospaced: face.is_monospaced(),
            bytes,
        });
    }
}

/// A face's family names (typographic, then legacy), the US English one
/// first, as fontconfig and fontdb name families.
fn family_names(face: &ttf_parser::Face<'_>) -> Vec<String> {
    use ttf_parser::name_id::{FAMILY, TYPOGRAPHIC_FAMILY};
    let mut names: Vec<(bool, u16, String)> = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == TYPOGRAPHIC_FAMILY || n.name_id == FAMILY)
        .filter_map(|n| {
            let english = n.language() == ttf_parser::Language::English_UnitedStates;
            n.to_string().map(|s| (!english, n.name_id, s))
        })
        .collect();
    // English before other languages; typographic (16) before legacy (1).
    names.sort_by_key(|(not_english, id, _)| (*not_english, std::cmp::Reverse(*id)));
    let mut out: Vec<String> = Vec::new();
    for (_, _, name) in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Lays out, writes and seals the pack. Each face is copied from its file
/// into the memfd by the kernel (`sendfile`): one copy, no user-space
/// buffer and no page faults on a mapping of the source.
fn write_pack(
    files: Vec<(&Path, u32, fontpack::FaceMeta, PackedFace)>,
) -> Result<FontPack, FontsError> {
    // 1. Layout.
    let sizes: Vec<(usize, u32, fontpack::FaceMeta)> = files
        .iter()
        .map(|(_, i, m, f)| (f.bytes, *i, m.clone()))
        .collect();
    let plan = fontpack::plan(&sizes).map_err(FontsError::Plan)?;
    // 2. The memfd, sealable, sized.
    let fd = rustix::fs::memfd_create(MEMFD_NAME, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(|e| FontsError::Create(e.into()))?;
    let file = std::fs::File::from(fd);
    file.set_len(plan.total as u64).map_err(FontsError::Size)?;
    // 3. Header and faces.
    file.write_all_at(&plan.header, 0)
        .map_err(FontsError::Write)?;
    for (range, (path, _, _, face)) in plan.faces.iter().zip(&files) {
        let src = std::fs::File::open(path).map_err(FontsError::Read)?;
        copy_into(&src, &file, range.offset as u64, face.bytes).map_err(FontsError::Write)?;
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
        faces: files.into_iter().map(|(_, _, _, f)| f).collect(),
    })
}

/// Copies the first `len` bytes of `src` to `dst` at `at`: `sendfile`
/// (file to file, in the kernel), falling back to reads and writes where
/// it is refused. A file that turns out shorter than `len` (changed since
/// it was parsed) is an error: the pack's layout promised `len` bytes.
fn copy_into(src: &std::fs::File, dst: &std::fs::File, at: u64, len: usize) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let short = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "font file shrank");
    let mut out = dst;
    out.seek(SeekFrom::Start(at))?;
    let mut done = 0usize;
    let mut offset = 0u64;
    while done < len {
        match rustix::fs::sendfile(dst, src, Some(&mut offset), len - done) {
            Ok(0) => return Err(short()),
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) if done == 0 => {
                return copy_by_reads(src, dst, at, len)
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The fallback of [`copy_into`]: through a buffer.
fn copy_by_reads(
    src: &std::fs::File,
    dst: &std::fs::File,
    at: u64,
    len: usize,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut done = 0usize;
    while done < len {
        let want = buf.len().min(len - done);
        let chunk = buf.get_mut(..want).unwrap_or_default();
        let n = src.read_at(chunk, done as u64)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "font file shrank",
            ));
        }
        dst.write_all_at(chunk.get(..n).unwrap_or_default(), at + done as u64)?;
        done += n;
    }
    Ok(())
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
        for (packed, face) in faces.iter().zip(pack.faces()) {
            let range = packed.range;
            assert_eq!(range.len, face.bytes);
            assert_eq!(packed.meta.family, face.family);
            let data = &bytes[range.offset..range.end()];
            // The metadata is what the face itself says.
            let parsed = ttf_parser::Face::parse(data, range.index).unwrap();
            assert_eq!(packed.meta.weight, parsed.weight().to_number());
            assert_eq!(packed.meta.monospaced, parsed.is_monospaced());
        }
        let emoji = faces
            .iter()
            .find(|f| f.meta.family == "Noto Color Emoji")
            .unwrap();
        assert!(
            emoji.meta.post_script_name.contains("Emoji"),
            "{:?}",
            emoji.meta
        );
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

    #[test]
    fn nested_fonts_are_found_and_loops_and_other_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::copy(DEJAVU, deep.join("DejaVuSans.TTF")).unwrap();
        std::fs::write(dir.path().join("fonts.dir"), b"not a font").unwrap();
        std::fs::write(dir.path().join("broken.ttf"), b"not a font either").unwrap();
        // A directory symlink to its ancestor, and a file linked twice:
        // each directory and file is taken once.
        std::os::unix::fs::symlink(dir.path(), deep.join("loop")).unwrap();
        std::os::unix::fs::symlink(deep.join("DejaVuSans.TTF"), dir.path().join("again.ttf"))
            .unwrap();
        let paths = font_files(&[dir.path().to_path_buf()]);
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert!(paths.contains(&dir.path().join("broken.ttf")), "{paths:?}");
        assert!(
            paths
                .iter()
                .any(|p| p.ends_with("DejaVuSans.TTF") || p.ends_with("again.ttf")),
            "{paths:?}"
        );
        let found = discover_in(&[dir.path().to_path_buf()]).unwrap();
        let pack = found.pack.unwrap();
        assert_eq!(pack.faces().len(), 1, "one face, however often seen");
        assert_eq!(pack.faces()[0].family, "DejaVu Sans");
    }

    #[test]
    fn each_face_is_parsed_once_with_every_script_it_covers() {
        let mut out = Vec::new();
        parse_file(7, Path::new(DEJAVU), &mut out);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.file, 7);
        assert_eq!(c.families.first().map(String::as_str), Some("DejaVu Sans"));
        let names: Vec<&str> = SCRIPTS
            .iter()
            .enumerate()
            .filter(|(bit, _)| c.covers & (1 << bit) != 0)
            .map(|(_, s)| s.name)
            .collect();
        assert_eq!(names, vec!["Emoji", "Arabic", "Hebrew"]);
        assert_eq!(
            (c.style, c.stretch, c.weight),
            (fontpack::FaceStyle::Normal, 5, 400)
        );
        assert_eq!(c.post_script_name, "DejaVuSans");
        assert!(!c.monospaced);
    }

    #[test]
    fn a_font_file_that_shrank_since_it_was_parsed_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.ttf");
        std::fs::write(&path, vec![7u8; 1000]).unwrap();
        let src = std::fs::File::open(&path).unwrap();
        let dst = tempfile::tempfile().unwrap();
        dst.set_len(4096).unwrap();
        let err = copy_into(&src, &dst, 8, 2000).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        // What fits is copied where the layout put it, by either path.
        copy_into(&src, &dst, 8, 1000).unwrap();
        let other = tempfile::tempfile().unwrap();
        other.set_len(4096).unwrap();
        copy_by_reads(&src, &other, 8, 1000).unwrap();
        for f in [&dst, &other] {
            let mut got = vec![0u8; 1010];
            f.read_exact_at(&mut got, 0).unwrap();
            assert_eq!(&got[..8], &[0u8; 8]);
            assert!(got[8..1008].iter().all(|&b| b == 7));
            assert_eq!(&got[1008..], &[0u8; 2]);
        }
        let err = copy_by_reads(&src, &other, 0, 2000).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
