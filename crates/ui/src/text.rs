//! Text: shaping with cosmic-text, rasterizing with swash, blending into the
//! canvas, all from fonts already in memory.
//!
//! The renderer process runs with no filesystem access, so the font database
//! is built only from bytes in memory (`fontdb::Source::Binary`): Noto Sans
//! embedded by the `notosans` crate, plus the fallback faces (CJK, emoji,
//! Arabic, Hebrew) the broker hands every renderer in its read-only font
//! pack ([`TextSystem::with_fallbacks`]). Nothing here scans system font
//! directories (that is what `FontSystem::new()` would do, and why it is not
//! used). cosmic-text picks a fallback face per run of text the primary face
//! cannot draw, shapes it (rustybuzz) and orders it by the bidi algorithm.
//!
//! Shaping is the expensive step, so it produces a [`TextLayout`]: the
//! glyphs of one string already positioned in physical pixels. Widgets keep
//! their layout and reuse it on every paint until their text, style or the
//! canvas scale changes; rasterized glyphs are cached by the `SwashCache`.

use std::sync::Arc;

use cosmic_text::{fontdb, Attrs, Buffer, CacheKey, Family, FontSystem, Metrics, Shaping, Wrap};

use crate::canvas::Canvas;
use crate::geom::PxRect;
use crate::theme::Color;

/// CSS `line-height: normal` for Noto Sans: (ascender + descender) / em =
/// (1069 + 293) / 1000. Every line box is `size × LINE_HEIGHT` tall.
pub const LINE_HEIGHT: f32 = 1.362;

/// Smallest and largest font size (logical px) the kit accepts; sizes
/// outside are clamped so shaping never sees a zero or absurd size.
const SIZE_RANGE: (f32, f32) = (1.0, 512.0);

/// Font weight. Noto Sans ships Regular (400) and Bold (700) only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FontWeight {
    /// 400.
    #[default]
    Regular,
    /// 700.
    Bold,
}

impl FontWeight {
    /// CSS `font-weight: 600` ("semibold", used by the original buttons).
    /// Noto Sans has no 600 face and synthesizing one would blur the glyphs,
    /// so semibold is drawn with the Bold face.
    pub const SEMIBOLD: FontWeight = FontWeight::Bold;

    fn to_fontdb(self) -> fontdb::Weight {
        match self {
            FontWeight::Regular => fontdb::Weight::NORMAL,
            FontWeight::Bold => fontdb::Weight::BOLD,
        }
    }
}

/// Size and weight of a run of text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextStyle {
    /// Font size in logical pixels (CSS `font-size`).
    pub size: f32,
    /// Regular or bold.
    pub weight: FontWeight,
}

impl TextStyle {
    /// A style of the given size and weight.
    pub const fn new(size: f32, weight: FontWeight) -> TextStyle {
        TextStyle { size, weight }
    }

    /// The size, clamped to what the kit accepts (NaN becomes 16).
    pub(crate) fn clamped_size(&self) -> f32 {
        if self.size.is_nan() {
            16.0
        } else {
            self.size.clamp(SIZE_RANGE.0, SIZE_RANGE.1)
        }
    }

    /// Height of one line box in logical pixels.
    pub fn line_height(&self) -> f32 {
        self.clamped_size() * LINE_HEIGHT
    }
}

/// One glyph of a [`TextLayout`], positioned in physical pixels relative to
/// the top-left corner of the layout's first line box.
#[derive(Clone, Copy, Debug)]
struct PlacedGlyph {
    key: CacheKey,
    x: i32,
    y: i32,
}

/// A string shaped at one size, weight and scale: positioned glyphs plus the
/// caret position of every character boundary on the first line.
///
/// It does not keep the string itself (a masked input's layout holds only
/// bullets anyway), just glyph ids and positions.
#[derive(Clone, Debug)]
pub struct TextLayout {
    glyphs: Vec<PlacedGlyph>,
    /// `(byte index, x in physical px)` for each char boundary of line 0,
    /// sorted by byte index; the last entry is the end of the line.
    carets: Vec<(usize, f32)>,
    width_px: f32,
    line_height_px: f32,
    lines: usize,
    scale: f32,
}

impl TextLayout {
    /// Width of the widest line in logical pixels.
    pub fn width(&self) -> f32 {
        self.width_px / self.scale
    }

    /// Total height (lines × line height) in logical pixels.
    pub fn height(&self) -> f32 {
        self.line_height_px * self.lines.max(1) as f32 / self.scale
    }

    /// Number of lines (at least 1; text is never wrapped, only `\n` breaks).
    pub fn lines(&self) -> usize {
        self.lines.max(1)
    }

    /// The scale this layout was shaped for.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// Logical x offset of the caret placed before byte `index` of the shaped
    /// text (first line only). An index inside a character or past the end
    /// maps to the nearest boundary at or before it.
    pub fn caret_x(&self, index: usize) -> f32 {
        let pos = self.carets.partition_point(|&(i, _)| i <= index);
        let x = match pos.checked_sub(1).and_then(|p| self.carets.get(p)) {
            Some(&(_, x)) => x,
            None => 0.0,
        };
        x / self.scale
    }

    /// The byte index of the character boundary nearest to logical `x` on
    /// the first line (for placing the caret where the user clicked).
    pub fn index_at_x(&self, x: f32) -> usize {
        let xp = x * self.scale;
        let mut best = (0usize, f32::INFINITY);
        for &(i, cx) in &self.carets {
            let d = (cx - xp).abs();
            if d < best.1 {
                best = (i, d);
            }
        }
        best.0
    }
}

/// Fonts, shaping and the glyph raster cache: one per process.
///
/// Construction parses the two embedded Noto Sans faces (a few
/// milliseconds); keep it for the life of the process and pass it to
/// [`crate::Ui::paint`].
pub struct TextSystem {
    fonts: FontSystem,
    swash: cosmic_text::SwashCache,
    scratch: Option<Buffer>,
}

impl std::fmt::Debug for TextSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextSystem")
            .field("faces", &self.fonts.db().len())
            .finish_non_exhaustive()
    }
}

impl Default for TextSystem {
    fn default() -> Self {
        TextSystem::new()
    }
}

/// The fallback order: cosmic-text's Unix lists, except that colour emoji
/// come before the general sans-serif fallbacks. (DejaVu Sans, packed for
/// Arabic and Hebrew, also has monochrome emoji; with the stock order it
/// would draw 😀 as a black outline.)
struct KitFallback;

/// Families tried for a character no script list claims (emoji are script
/// "Common"), best first.
const COMMON_FALLBACK: &[&str] = &[
    "Noto Sans",
    "Noto Color Emoji",
    "Twemoji",
    "DejaVu Sans",
    "FreeSans",
    "Noto Sans Symbols",
    "Noto Sans Symbols2",
];

impl cosmic_text::Fallback for KitFallback {
    fn common_fallback(&self) -> &'static [&'static str] {
        COMMON_FALLBACK
    }

    fn forbidden_fallback(&self) -> &'static [&'static str] {
        &[]
    }

    fn script_fallback(
        &self,
        script: unicode_script::Script,
        locale: &str,
    ) -> &'static [&'static str] {
        cosmic_text::PlatformFallback.script_fallback(script, locale)
    }
}

/// The bytes of one font file that some other owner keeps in memory (the
/// renderer's mapping of the broker's font pack).
pub type FontBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A fallback face: a font file's bytes and which face of it to use (0
/// unless the file is a collection).
#[derive(Clone)]
pub struct FallbackFace {
    /// The font file.
    pub data: FontBytes,
    /// The face index inside it.
    pub index: u32,
    /// How to list it, when whoever supplied the bytes parsed them already
    /// (the broker, for its font pack): the face is then registered without
    /// being parsed here, and its bytes are first read when some character
    /// falls back to it. `None`: parsed when loaded.
    pub listing: Option<FaceListing>,
}

/// What the text system lists a face by (fontdb's face record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaceListing {
    /// The English family name.
    pub family: String,
    /// The PostScript name.
    pub post_script_name: String,
    /// 1..=1000.
    pub weight: u16,
    /// Italic (or oblique) rather than upright.
    pub slant: Slant,
    /// OpenType width class, 1..=9 (5 normal).
    pub stretch: u16,
    /// Every glyph has the same advance.
    pub monospaced: bool,
}

/// A face's slant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slant {
    /// Upright.
    Normal,
    /// Italic.
    Italic,
    /// Oblique.
    Oblique,
}

impl FaceListing {
    fn to_face_info(&self, data: FontBytes, index: u32) -> fontdb::FaceInfo {
        let stretch = match self.stretch {
            1 => fontdb::Stretch::UltraCondensed,
            2 => fontdb::Stretch::ExtraCondensed,
            3 => fontdb::Stretch::Condensed,
            4 => fontdb::Stretch::SemiCondensed,
            6 => fontdb::Stretch::SemiExpanded,
            7 => fontdb::Stretch::Expanded,
            8 => fontdb::Stretch::ExtraExpanded,
            9 => fontdb::Stretch::UltraExpanded,
            _ => fontdb::Stretch::Normal,
        };
        let style = match self.slant {
            Slant::Normal => fontdb::Style::Normal,
            Slant::Italic => fontdb::Style::Italic,
            Slant::Oblique => fontdb::Style::Oblique,
        };
        fontdb::FaceInfo {
            // Replaced by the database's own id on insertion.
            id: fontdb::ID::dummy(),
            source: fontdb::Source::Binary(data),
            index,
            families: vec![(self.family.clone(), fontdb::Language::English_UnitedStates)],
            post_script_name: self.post_script_name.clone(),
            style,
            weight: fontdb::Weight(self.weight),
            stretch,
            monospaced: self.monospaced,
        }
    }
}

impl std::fmt::Debug for FallbackFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FallbackFace")
            .field("bytes", &(*self.data).as_ref().len())
            .field("index", &self.index)
            .finish()
    }
}

impl TextSystem {
    /// Loads Noto Sans Regular and Bold from memory. Opens no files.
    pub fn new() -> TextSystem {
        TextSystem::with_fallbacks(Vec::new())
    }

    /// Noto Sans plus `fallbacks`, parsed where they lie (no copy). A file
    /// that does not parse, or a face index the file does not have, is
    /// skipped. Opens no files.
    pub fn with_fallbacks(fallbacks: Vec<FallbackFace>) -> TextSystem {
        let mut db = fontdb::Database::new();
        let regular: &'static [u8] = notosans::REGULAR_TTF;
        let bold: &'static [u8] = notosans::BOLD_TTF;
        db.load_font_source(fontdb::Source::Binary(Arc::new(regular)));
        db.load_font_source(fontdb::Source::Binary(Arc::new(bold)));
        for face in fallbacks {
            if let Some(listing) = &face.listing {
                db.push_face_info(listing.to_face_info(face.data, face.index));
                continue;
            }
            // A collection loads every face it holds: keep the chosen one.
            let ids = db.load_font_source(fontdb::Source::Binary(face.data));
            for id in ids {
                if db.face(id).is_some_and(|info| info.index != face.index) {
                    db.remove_face(id);
                }
            }
        }
        db.set_sans_serif_family("Noto Sans");
        let fonts =
            FontSystem::new_with_locale_and_db_and_fallback("en-US".into(), db, KitFallback);
        TextSystem {
            fonts,
            swash: cosmic_text::SwashCache::new(),
            scratch: None,
        }
    }

    /// Number of font faces loaded (2, Regular and Bold, plus fallbacks).
    pub fn face_count(&self) -> usize {
        self.fonts.db().len()
    }

    /// Shapes `text` for a canvas of the given `scale` (glyphs are shaped
    /// at `size × scale` so they land on physical pixels). Lines break only
    /// at `\n`.
    pub fn shape(&mut self, text: &str, style: TextStyle, scale: f32) -> TextLayout {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        let size_px = style.clamped_size() * scale;
        let line_px = size_px * LINE_HEIGHT;
        let metrics = Metrics::new(size_px, line_px);
        let mut buffer = match self.scratch.take() {
            Some(mut b) => {
                b.set_metrics(metrics);
                b
            }
            None => Buffer::new_empty(metrics),
        };
        buffer.set_wrap(Wrap::None);
        buffer.set_size(None, None);
        let attrs = Attrs::new()
            .family(Family::SansSerif)
            .weight(style.weight.to_fontdb());
        buffer.set_text(text, &attrs, Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut self.fonts, false);

        let mut glyphs = Vec::new();
        let mut carets = Vec::new();
        let mut width_px: f32 = 0.0;
        let mut lines = 0usize;
        for run in buffer.layout_runs() {
            lines += 1;
            width_px = width_px.max(run.line_w);
            for g in run.glyphs {
                let p = g.physical((0.0, run.line_y), 1.0);
                glyphs.push(PlacedGlyph {
                    key: p.cache_key,
                    x: p.x,
                    y: p.y,
                });
                if run.line_i == 0 {
                    // Split a cluster's advance evenly among its chars so a
                    // caret can sit between any two of them.
                    let cluster = run.text.get(g.start..g.end).unwrap_or("");
                    let n = cluster.chars().count().max(1) as f32;
                    for (k, (off, _)) in cluster.char_indices().enumerate() {
                        carets.push((g.start + off, g.x + g.w * k as f32 / n));
                    }
                }
            }
            if run.line_i == 0 {
                let end = run.text.len();
                carets.push((end, run.line_w));
            }
        }
        if carets.is_empty() {
            carets.push((0, 0.0));
        }
        carets.sort_by_key(|&(i, _)| i);
        carets.dedup_by_key(|&mut (i, _)| i);
        self.scratch = Some(buffer);
        TextLayout {
            glyphs,
            carets,
            width_px,
            line_height_px: line_px,
            lines,
            scale,
        }
    }

    /// Width and height of `text` in logical pixels.
    pub fn measure(&mut self, text: &str, style: TextStyle) -> (f32, f32) {
        let l = self.shape(text, style, 1.0);
        (l.width(), l.height())
    }

    /// Shapes and draws `text` with its first line box's top-left corner at
    /// logical `(x, y)`. Convenience for one-off text; widgets keep a
    /// [`TextLayout`] and call [`TextSystem::draw_layout`] instead.
    pub fn draw_text(
        &mut self,
        canvas: &mut Canvas,
        text: &str,
        style: TextStyle,
        color: Color,
        x: f32,
        y: f32,
    ) {
        let scale = canvas.scale();
        let layout = self.shape(text, style, scale);
        let origin = ((x * scale).round() as i32, (y * scale).round() as i32);
        let clip = canvas.bounds();
        self.draw_layout(canvas, &layout, origin, color, clip);
    }

    /// Draws a shaped layout with its first line box's top-left corner at the
    /// physical pixel `origin`, anti-aliased, blended over what is there,
    /// touching only pixels inside `clip`.
    pub fn draw_layout(
        &mut self,
        canvas: &mut Canvas,
        layout: &TextLayout,
        origin: (i32, i32),
        color: Color,
        clip: PxRect,
    ) {
        let (cw, ch) = (canvas.width_px(), canvas.height_px());
        let clip = clip.clamp_to(cw, ch);
        if clip.is_empty() || color.a == 0 {
            return;
        }
        let stride = cw as usize * 4;
        let data = canvas.data_mut();
        let clip_x0 = i64::from(clip.x);
        let clip_y0 = i64::from(clip.y);
        let clip_x1 = i64::from(clip.right());
        let clip_y1 = i64::from(clip.bottom());
        for g in &layout.glyphs {
            let Some(image) = self.swash.get_image(&mut self.fonts, g.key) else {
                continue;
            };
            let p = image.placement;
            let left = i64::from(origin.0) + i64::from(g.x) + i64::from(p.left);
            let top = i64::from(origin.1) + i64::from(g.y) - i64::from(p.top);
            let (w, h) = (i64::from(p.width), i64::from(p.height));
            let bpp: usize = match image.content {
                cosmic_text::SwashContent::Mask => 1,
                cosmic_text::SwashContent::Color => 4,
                cosmic_text::SwashContent::SubpixelMask => continue,
            };
            let y_start = top.max(clip_y0);
            let y_end = (top + h).min(clip_y1);
            let x_start = left.max(clip_x0);
            let x_end = (left + w).min(clip_x1);
            for py in y_start..y_end {
                for px in x_start..x_end {
                    let si = ((py - top) * w + (px - left)) as usize * bpp;
                    let (src, cov) = if bpp == 1 {
                        (color, image.data.get(si).copied().unwrap_or(0))
                    } else {
                        match image.data.get(si..si + 4) {
                            Some(&[r, g, b, a]) => (Color { r, g, b, a: 255 }, a),
                            _ => continue,
                        }
                    };
                    if cov == 0 {
                        continue;
                    }
                    let di = py as usize * stride + px as usize * 4;
                    if let Some(d) = data.get_mut(di..di + 4) {
                        blend(d, src, mul255(cov, color.a));
                    }
                }
            }
        }
    }
}

/// `a × b / 255`, rounded.
fn mul255(a: u8, b: u8) -> u8 {
    let t = u32::from(a) * u32::from(b) + 128;
    (((t >> 8) + t) >> 8) as u8
}

/// Source-over blend of straight colour `src` at alpha `alpha` onto one
/// premultiplied RGBA8 pixel.
fn blend(dst: &mut [u8], src: Color, alpha: u8) {
    let inv = 255 - alpha;
    if let [r, g, b, a] = dst {
        *r = mul255(src.r, alpha).saturating_add(mul255(*r, inv));
        *g = mul255(src.g, alpha).saturating_add(mul255(*g, inv));
        *b = mul255(src.b, alpha).saturating_add(mul255(*b, inv));
        *a = alpha.saturating_add(mul255(*a, inv));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The fallback files CI installs (`.ci/run`): what the broker packs.
    const FALLBACK_FILES: &[&str] = &[
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ];

    fn with_system_fallbacks() -> TextSystem {
        let faces = FALLBACK_FILES
            .iter()
            .map(|p| FallbackFace {
                data: Arc::new(std::fs::read(p).expect("fallback font (see .ci/run)")),
                index: 0,
                listing: None,
            })
            .collect();
        TextSystem::with_fallbacks(faces)
    }

    /// The same faces, listed the way the broker's pack lists them (not
    /// parsed when registered).
    fn with_listed_fallbacks() -> TextSystem {
        let listing = |family: &str, ps: &str| FaceListing {
            family: family.into(),
            post_script_name: ps.into(),
            weight: 400,
            slant: Slant::Normal,
            stretch: 5,
            monospaced: false,
        };
        let listings = [
            listing("WenQuanYi Micro Hei", "WenQuanYiMicroHei"),
            listing("Noto Color Emoji", "NotoColorEmoji"),
            listing("DejaVu Sans", "DejaVuSans"),
        ];
        let faces = FALLBACK_FILES
            .iter()
            .zip(listings)
            .map(|(p, l)| FallbackFace {
                data: Arc::new(std::fs::read(p).expect("fallback font (see .ci/run)")),
                index: 0,
                listing: Some(l),
            })
            .collect();
        TextSystem::with_fallbacks(faces)
    }

    /// Font bytes that count how often they are read.
    struct Counted(Vec<u8>, std::sync::atomic::AtomicUsize);

    impl AsRef<[u8]> for Counted {
        fn as_ref(&self) -> &[u8] {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            &self.0
        }
    }

    #[test]
    fn a_listed_face_is_not_read_until_a_character_falls_back_to_it() {
        let bytes = std::fs::read(FALLBACK_FILES[0]).expect("fallback font (see .ci/run)");
        let counted = Arc::new(Counted(bytes, 0.into()));
        let reads = || counted.1.load(std::sync::atomic::Ordering::Relaxed);
        let face = |listing| FallbackFace {
            data: counted.clone(),
            index: 0,
            listing,
        };
        // Parsed when registered: read at once.
        let _parsed = TextSystem::with_fallbacks(vec![face(None)]);
        assert!(reads() > 0, "an unlisted face is parsed when registered");
        let before = reads();
        let mut t = TextSystem::with_fallbacks(vec![face(Some(FaceListing {
            family: "WenQuanYi Micro Hei".into(),
            post_script_name: "WenQuanYiMicroHei".into(),
            weight: 400,
            slant: Slant::Normal,
            stretch: 5,
            monospaced: false,
        }))]);
        render(&mut t, "Electron Workshop");
        assert_eq!(reads(), before, "Latin text read the CJK face");
        render(&mut t, "中文");
        assert!(reads() > before, "the CJK face was never read for 中文");
    }

    #[test]
    fn listed_faces_draw_as_parsed_ones_do() {
        let mut parsed = with_system_fallbacks();
        let mut listed = with_listed_fallbacks();
        assert_eq!(listed.face_count(), parsed.face_count());
        for s in ["中文", "かな", "한글", "😀", "مرحبا", "שלום", "Workshop"] {
            assert_eq!(
                render(&mut listed, s),
                render(&mut parsed, s),
                "{s} draws differently when its face is listed, not parsed"
            );
        }
    }

    fn render(t: &mut TextSystem, s: &str) -> Vec<u8> {
        let mut c = Canvas::new(160, 40, 1.0).unwrap();
        c.fill_px_rect(c.bounds(), Color::rgb(0xffffff));
        t.draw_text(
            &mut c,
            s,
            TextStyle::new(20.0, FontWeight::Regular),
            Color::rgb(0),
            2.0,
            4.0,
        );
        c.to_rgba_image()
    }

    #[test]
    fn fallbacks_draw_every_script_not_boxes() {
        let mut plain = TextSystem::new();
        let mut full = with_system_fallbacks();
        // The collection's second face (the mono one) is not loaded.
        assert_eq!(full.face_count(), 2 + FALLBACK_FILES.len());
        for s in ["中文", "かな", "한글", "😀", "مرحبا", "שלום"] {
            let a = render(&mut plain, s);
            let b = render(&mut full, s);
            assert_ne!(a, b, "{s} draws the same as with Noto Sans only (tofu)");
            assert!(b.chunks(4).any(|p| p[0] < 128), "{s} draws nothing");
        }
        // Colour emoji: some pixel is neither white nor grey.
        let e = render(&mut full, "😀");
        assert!(
            e.chunks(4).any(|p| p[0].abs_diff(p[2]) > 60),
            "emoji is not in colour"
        );
    }

    #[test]
    fn right_to_left_is_laid_out_right_to_left() {
        let mut t = with_system_fallbacks();
        for s in ["שלום", "مرحبا"] {
            let l = t.shape(s, TextStyle::new(16.0, FontWeight::Regular), 1.0);
            let first = s.char_indices().nth(1).map(|(i, _)| i).unwrap();
            // The first letter sits at the right: the caret after it is
            // left of the caret before it.
            assert!(l.caret_x(first) < l.caret_x(0), "{s} is not RTL");
        }
    }

    #[test]
    fn fonts_are_embedded() {
        let t = TextSystem::new();
        assert_eq!(t.face_count(), 2);
    }

    #[test]
    fn bold_is_wider_and_size_scales() {
        let mut t = TextSystem::new();
        let (rw, rh) = t.measure(
            "Electron Workshop",
            TextStyle::new(24.0, FontWeight::Regular),
        );
        let (bw, bh) = t.measure("Electron Workshop", TextStyle::new(24.0, FontWeight::Bold));
        assert!(bw > rw, "bold {bw} vs regular {rw}");
        assert!((rh - 24.0 * LINE_HEIGHT).abs() < 0.01 && (bh - rh).abs() < 0.01);
        assert!(rw > 150.0 && rw < 260.0, "plausible width {rw}");
        let (w12, _) = t.measure(
            "Electron Workshop",
            TextStyle::new(12.0, FontWeight::Regular),
        );
        assert!((w12 * 2.0 - rw).abs() < 1.0);
        let (w0, h0) = t.measure("", TextStyle::new(16.0, FontWeight::Regular));
        assert_eq!(w0, 0.0);
        assert!(h0 > 0.0);
    }

    #[test]
    fn carets_at_char_boundaries() {
        let mut t = TextSystem::new();
        let s = "aé€b";
        let l = t.shape(s, TextStyle::new(16.0, FontWeight::Regular), 1.0);
        let mut last = -1.0;
        for (i, _) in s.char_indices().chain([(s.len(), ' ')]) {
            let x = l.caret_x(i);
            assert!(x > last, "caret x increases at {i}");
            last = x;
        }
        assert!((l.caret_x(s.len()) - l.width()).abs() < 0.01);
        assert_eq!(l.index_at_x(-5.0), 0);
        assert_eq!(l.index_at_x(1000.0), s.len());
    }

    #[test]
    fn draws_antialiased_text_within_clip() {
        let mut t = TextSystem::new();
        let mut c = Canvas::new(100, 40, 1.0).unwrap();
        c.fill_px_rect(c.bounds(), Color::rgb(0xffffff));
        let l = t.shape("Hello", TextStyle::new(16.0, FontWeight::Regular), 1.0);
        t.draw_layout(&mut c, &l, (0, 0), Color::rgb(0), PxRect::new(0, 0, 20, 40));
        let img = c.to_rgba_image();
        let mut dark = 0;
        let mut grey = 0;
        for y in 0..40u32 {
            for x in 0..100u32 {
                let v = img[((y * 100 + x) * 4) as usize];
                if x >= 20 {
                    assert_eq!(v, 255, "clip respected at {x},{y}");
                } else if v < 60 {
                    dark += 1;
                } else if v < 250 {
                    grey += 1;
                }
            }
        }
        assert!(dark > 10 && grey > 5, "dark {dark} grey {grey}");
    }
}
