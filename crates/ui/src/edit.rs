//! The editing model behind a text input: value, caret, selection, limits.
//!
//! Kept apart from painting so the rules (grapheme boundaries, words, byte
//! limit, what Backspace does to a selection) can be tested without fonts.
//! The
//! value may be a password, so this type also owns the hygiene: its buffer
//! is allocated once at full size (edits never reallocate and leave copies
//! behind), bytes freed by deletions are zeroed at once, and the whole buffer
//! is zeroed on clear and on drop. `Debug` shows only the length.
//!
//! Positions are byte offsets that always sit on `char` boundaries. The
//! caret moves, and Backspace / Delete remove, one *grapheme cluster* at a
//! time (Unicode's extended grapheme clusters, from `unicode-segmentation`):
//! an `e` followed by a combining accent, a flag, or an emoji ZWJ family is
//! one step, as a user sees one character. Words (Ctrl+arrows, Ctrl+Backspace,
//! double-click) are Unicode word-boundary segments that contain a letter or
//! digit. A masked (password) buffer has no words to reveal: word moves go to
//! its ends and a double-click selects all of it, and it never hands out its
//! selected text.

use std::borrow::Cow;
use std::ops::Range;

use unicode_segmentation::{GraphemeCursor, UnicodeSegmentation};
use zeroize::Zeroize;

/// The bullet a masked input shows for each character.
pub const MASK_CHAR: char = '•';

/// Largest byte limit an input accepts (its buffer is allocated up front at
/// the limit, so the limit itself is bounded). Larger requests are clamped.
pub const MAX_INPUT_LEN: usize = 64 * 1024;

/// Value + caret + selection of one text input.
pub(crate) struct EditBuffer {
    value: String,
    /// Byte offset of the caret (a char boundary of `value`).
    caret: usize,
    /// Other end of the selection; equal to `caret` when nothing is selected.
    anchor: usize,
    max_len: usize,
    masked: bool,
}

impl std::fmt::Debug for EditBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("EditBuffer");
        if self.masked {
            d.field(
                "value",
                &format_args!("<redacted, {} bytes>", self.value.len()),
            );
        } else {
            d.field("value", &self.value);
        }
        d.field("caret", &self.caret)
            .field("anchor", &self.anchor)
            .field("max_len", &self.max_len)
            .field("masked", &self.masked)
            .finish()
    }
}

impl Drop for EditBuffer {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl EditBuffer {
    /// An empty buffer that holds at most `max_len` bytes.
    pub(crate) fn new(max_len: usize, masked: bool) -> EditBuffer {
        let max_len = max_len.min(MAX_INPUT_LEN);
        EditBuffer {
            value: String::with_capacity(max_len),
            caret: 0,
            anchor: 0,
            max_len,
            masked,
        }
    }

    /// Whether it is a password buffer (its value is never handed out for
    /// display, copy or accessibility).
    pub(crate) fn is_masked(&self) -> bool {
        self.masked
    }

    pub(crate) fn value(&self) -> &str {
        &self.value
    }

    /// Changes the byte limit, truncating the value (at a char boundary) if
    /// it no longer fits. The buffer is moved to a new allocation of the new
    /// size and the old one is zeroed.
    pub(crate) fn set_max_len(&mut self, max_len: usize) {
        let max_len = max_len.min(MAX_INPUT_LEN);
        let keep = floor_grapheme(&self.value, max_len);
        let mut fresh = String::with_capacity(max_len);
        fresh.push_str(self.value.get(..keep).unwrap_or(""));
        std::mem::swap(&mut self.value, &mut fresh);
        fresh.zeroize();
        self.max_len = max_len;
        self.caret = self.caret.min(keep);
        self.anchor = self.anchor.min(keep);
    }

    /// Byte offset of the caret.
    pub(crate) fn caret(&self) -> usize {
        self.caret
    }

    /// Ctrl+X: removes the selection if it can be copied; true if the value
    /// changed.
    pub(crate) fn cut(&mut self) -> bool {
        if self.masked {
            return false;
        }
        self.delete_selection()
    }

    /// The selected byte range, if any.
    pub(crate) fn selection(&self) -> Option<Range<usize>> {
        if self.caret == self.anchor {
            None
        } else {
            Some(self.caret.min(self.anchor)..self.caret.max(self.anchor))
        }
    }

    /// The selected text, for copying; `None` when nothing is selected and
    /// always for a masked buffer (a password is never copied).
    pub(crate) fn selected_text(&self) -> Option<&str> {
        if self.masked {
            return None;
        }
        self.value.get(self.selection()?)
    }

    /// Replaces the value (truncated to the limit at a grapheme boundary)
    /// and puts the caret at the end. Returns true if the value changed.
    pub(crate) fn set_text(&mut self, text: &str) -> bool {
        let text = text.get(..floor_grapheme(text, self.max_len)).unwrap_or("");
        if text == self.value {
            self.caret = self.value.len();
            self.anchor = self.caret;
            return false;
        }
        self.value.zeroize();
        self.value.push_str(text);
        self.caret = self.value.len();
        self.anchor = self.caret;
        true
    }

    /// Empties the value, zeroing its bytes. Returns true if it was not empty.
    pub(crate) fn clear(&mut self) -> bool {
        let changed = !self.value.is_empty();
        self.value.zeroize();
        self.caret = 0;
        self.anchor = 0;
        changed
    }

    /// Types `text` at the caret, replacing the selection (typing, and
    /// paste). Control characters are dropped; whatever does not fit in the
    /// byte limit is cut off at a grapheme boundary of `text`. Returns true
    /// if the value changed.
    pub(crate) fn insert(&mut self, text: &str) -> bool {
        if !text.chars().any(|c| !c.is_control()) {
            // Nothing typeable (e.g. the \u{1} that comes with Ctrl+A): leave
            // the selection alone.
            return false;
        }
        let mut changed = self.delete_selection();
        let room = self.max_len.saturating_sub(self.value.len());
        // Stage what fits, plus one char of look-ahead (it decides whether
        // the last grapheme that fits is complete). The staging string is
        // allocated once at its final size, so pushing never leaves copies
        // of a password behind, and zeroed when done.
        let mut piece = String::with_capacity(room.min(text.len()).saturating_add(4));
        let mut cut_off = false;
        for c in text.chars().filter(|c| !c.is_control()) {
            piece.push(c);
            if piece.len() > room {
                cut_off = true;
                break;
            }
        }
        let fits = if cut_off {
            piece
                .grapheme_indices(true)
                .map(|(i, g)| i + g.len())
                .take_while(|&end| end <= room)
                .last()
                .unwrap_or(0)
        } else {
            piece.len()
        };
        if let Some(fit) = piece.get(..fits).filter(|f| !f.is_empty()) {
            self.value.insert_str(self.caret, fit);
            self.caret += fit.len();
            changed = true;
        }
        piece.zeroize();
        self.anchor = self.caret;
        changed
    }

    /// Backspace: deletes the selection, or the grapheme before the caret.
    pub(crate) fn backspace(&mut self) -> bool {
        if self.delete_selection() {
            return true;
        }
        match prev_grapheme(&self.value, self.caret) {
            Some(p) => self.remove_range(p..self.caret),
            None => false,
        }
    }

    /// Delete: deletes the selection, or the grapheme after the caret.
    pub(crate) fn delete(&mut self) -> bool {
        if self.delete_selection() {
            return true;
        }
        match next_grapheme(&self.value, self.caret) {
            Some(n) => self.remove_range(self.caret..n),
            None => false,
        }
    }

    /// Ctrl+Backspace: deletes the selection, or back to the start of the
    /// word before the caret.
    pub(crate) fn backspace_word(&mut self) -> bool {
        if self.delete_selection() {
            return true;
        }
        let from = self.word_start_before(self.caret);
        self.remove_range(from..self.caret)
    }

    /// Ctrl+Delete: deletes the selection, or up to the end of the word
    /// after the caret.
    pub(crate) fn delete_word(&mut self) -> bool {
        if self.delete_selection() {
            return true;
        }
        let to = self.word_end_after(self.caret);
        self.remove_range(self.caret..to)
    }

    /// Left arrow: with `extend` (Shift) grows the selection, otherwise
    /// collapses a selection to its start or moves one grapheme left.
    pub(crate) fn left(&mut self, extend: bool) {
        let to = match (self.selection(), extend) {
            (Some(r), false) => r.start,
            _ => prev_grapheme(&self.value, self.caret).unwrap_or(self.caret),
        };
        self.move_to(to, extend);
    }

    /// Right arrow, the mirror of [`EditBuffer::left`].
    pub(crate) fn right(&mut self, extend: bool) {
        let to = match (self.selection(), extend) {
            (Some(r), false) => r.end,
            _ => next_grapheme(&self.value, self.caret).unwrap_or(self.caret),
        };
        self.move_to(to, extend);
    }

    /// Ctrl+Left: to the start of the word before the caret (Shift extends
    /// the selection).
    pub(crate) fn word_left(&mut self, extend: bool) {
        let to = self.word_start_before(self.caret);
        self.move_to(to, extend);
    }

    /// Ctrl+Right: to the end of the word after the caret (Shift extends
    /// the selection).
    pub(crate) fn word_right(&mut self, extend: bool) {
        let to = self.word_end_after(self.caret);
        self.move_to(to, extend);
    }

    /// Double-click: selects the word (or the run of spaces or the
    /// punctuation) at byte `index`, all of a masked buffer.
    pub(crate) fn select_word_at(&mut self, index: usize) {
        if self.masked {
            self.select_all();
            return;
        }
        let index = floor_grapheme(&self.value, index);
        let segment = self
            .value
            .split_word_bound_indices()
            .map(|(i, w)| i..i + w.len())
            .find(|r| r.contains(&index) || (r.end == index && index == self.value.len()));
        let Some(r) = segment else {
            // Empty value.
            self.move_to(index, false);
            return;
        };
        self.anchor = r.start;
        self.caret = r.end;
    }

    fn word_start_before(&self, i: usize) -> usize {
        if self.masked {
            return 0;
        }
        words(&self.value)
            .map(|r| r.start)
            .take_while(|&start| start < i)
            .last()
            .unwrap_or(0)
    }

    fn word_end_after(&self, i: usize) -> usize {
        if self.masked {
            return self.value.len();
        }
        words(&self.value)
            .map(|r| r.end)
            .find(|&end| end > i)
            .unwrap_or(self.value.len())
    }

    /// Home: caret to the start.
    pub(crate) fn home(&mut self, extend: bool) {
        self.move_to(0, extend);
    }

    /// End: caret to the end.
    pub(crate) fn end(&mut self, extend: bool) {
        self.move_to(self.value.len(), extend);
    }

    /// Ctrl+A: select everything, caret at the end.
    pub(crate) fn select_all(&mut self) {
        self.anchor = 0;
        self.caret = self.value.len();
    }

    /// Moves the caret to byte `to` (snapped down to a grapheme boundary);
    /// `extend` keeps the anchor so the selection grows.
    pub(crate) fn move_to(&mut self, to: usize, extend: bool) {
        self.caret = floor_grapheme(&self.value, to);
        if !extend {
            self.anchor = self.caret;
        }
    }

    /// What the input shows: the value, or one bullet per grapheme (per
    /// character as the user sees it) when masked.
    pub(crate) fn display(&self) -> Cow<'_, str> {
        if self.masked {
            let n = self.value.graphemes(true).count();
            Cow::Owned(std::iter::repeat_n(MASK_CHAR, n).collect())
        } else {
            Cow::Borrowed(&self.value)
        }
    }

    /// Maps a byte offset in the value to the same position in
    /// [`EditBuffer::display`].
    pub(crate) fn display_index_of(&self, index: usize) -> usize {
        if self.masked {
            let n = self
                .value
                .get(..index)
                .map_or(0, |s| s.graphemes(true).count());
            n * MASK_CHAR.len_utf8()
        } else {
            index
        }
    }

    /// Maps a byte offset in [`EditBuffer::display`] back to the value.
    pub(crate) fn value_index_of_display(&self, index: usize) -> usize {
        if self.masked {
            let n = index / MASK_CHAR.len_utf8();
            self.value
                .grapheme_indices(true)
                .nth(n)
                .map_or(self.value.len(), |(i, _)| i)
        } else {
            floor_grapheme(&self.value, index)
        }
    }

    fn delete_selection(&mut self) -> bool {
        match self.selection() {
            Some(r) => self.remove_range(r),
            None => false,
        }
    }

    /// Removes a (char-boundary) range, puts the caret at its start and
    /// zeroes the bytes the removal left past the end of the string.
    fn remove_range(&mut self, r: Range<usize>) -> bool {
        if r.is_empty()
            || r.end > self.value.len()
            || !self.value.is_char_boundary(r.start)
            || !self.value.is_char_boundary(r.end)
        {
            return false;
        }
        self.value.replace_range(r.clone(), "");
        self.wipe_spare();
        self.caret = r.start;
        self.anchor = r.start;
        true
    }

    /// Zeroes the allocation past the string's length, where removed text
    /// would otherwise linger.
    fn wipe_spare(&mut self) {
        // SAFETY: `as_mut_vec` is unsafe only because the caller could make
        // the bytes invalid UTF-8. We touch nothing but the spare capacity
        // (the bytes past `len`, which are not part of the string) and leave
        // the length unchanged, so the string stays valid UTF-8.
        let bytes = unsafe { self.value.as_mut_vec() };
        bytes.spare_capacity_mut().zeroize();
    }
}

/// The largest char boundary of `s` that is `<= i`.
fn floor_char(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    (0..=i).rev().find(|&k| s.is_char_boundary(k)).unwrap_or(0)
}

/// The largest grapheme boundary of `s` that is `<= i`.
pub(crate) fn floor_grapheme(s: &str, i: usize) -> usize {
    let i = floor_char(s, i);
    if i == 0 || i == s.len() {
        return i;
    }
    let mut cursor = GraphemeCursor::new(i, s.len(), true);
    match cursor.is_boundary(s, 0) {
        Ok(true) => i,
        _ => prev_grapheme(s, i).unwrap_or(0),
    }
}

/// The grapheme boundary before byte `i` (a char boundary), if any.
fn prev_grapheme(s: &str, i: usize) -> Option<usize> {
    if i == 0 || !s.is_char_boundary(i) {
        return None;
    }
    GraphemeCursor::new(i, s.len(), true)
        .prev_boundary(s, 0)
        .ok()
        .flatten()
}

/// The grapheme boundary after byte `i` (a char boundary), if any.
fn next_grapheme(s: &str, i: usize) -> Option<usize> {
    if i >= s.len() || !s.is_char_boundary(i) {
        return None;
    }
    GraphemeCursor::new(i, s.len(), true)
        .next_boundary(s, 0)
        .ok()
        .flatten()
}

/// The words of `s`: word-boundary segments with a letter or digit in them
/// (not spaces, not punctuation), as byte ranges in order.
fn words(s: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    s.split_word_bound_indices()
        .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
        .map(|(i, w)| i..i + w.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_and_multibyte() {
        let mut e = EditBuffer::new(64, false);
        assert!(e.insert("héllo"));
        assert_eq!(e.value(), "héllo");
        assert_eq!(e.caret(), "héllo".len());
        e.left(false);
        e.left(false);
        e.left(false);
        e.left(false);
        assert_eq!(e.caret(), 1, "caret before é");
        e.right(false);
        assert_eq!(e.caret(), 3, "é is two bytes, caret skips both");
        assert!(e.backspace());
        assert_eq!(e.value(), "hllo");
        assert!(e.insert("€😀"));
        assert_eq!(e.value(), "h€😀llo");
        e.home(false);
        assert!(e.delete());
        assert_eq!(e.value(), "€😀llo");
        assert!(e.delete());
        assert_eq!(e.value(), "😀llo");
        e.end(false);
        assert!(!e.delete(), "delete at end does nothing");
        e.home(false);
        assert!(!e.backspace(), "backspace at start does nothing");
    }

    #[test]
    fn selection_replace_and_delete() {
        let mut e = EditBuffer::new(64, false);
        e.insert("bruce@wayne.com");
        e.home(false);
        e.right(true);
        e.right(true);
        assert_eq!(e.selection(), Some(0..2));
        assert!(e.insert("X"));
        assert_eq!(e.value(), "Xuce@wayne.com");
        e.end(false);
        e.left(true);
        e.left(true);
        e.left(true);
        e.left(true);
        assert!(e.backspace());
        assert_eq!(e.value(), "Xuce@wayne");
        e.select_all();
        assert_eq!(e.selection(), Some(0..10));
        e.left(false);
        assert_eq!(
            (e.caret(), e.selection()),
            (0, None),
            "Left collapses to start"
        );
        e.select_all();
        e.right(false);
        assert_eq!(
            (e.caret(), e.selection()),
            (10, None),
            "Right collapses to end"
        );
        e.select_all();
        assert!(e.delete());
        assert_eq!(e.value(), "");
        e.insert("ab");
        e.home(true);
        e.end(true);
        assert_eq!(
            e.selection(),
            None,
            "Shift+Home then Shift+End: back to anchor"
        );
    }

    #[test]
    fn max_len_in_bytes_never_splits_chars() {
        let mut e = EditBuffer::new(5, false);
        assert!(e.insert("abcé€"));
        assert_eq!(e.value(), "abcé", "€ (3 bytes) does not fit in 5");
        assert!(!e.insert("z"));
        e.left(false);
        assert!(e.backspace());
        assert!(e.insert("xyz"));
        assert_eq!(e.value(), "abxé");
        assert!(e.set_text("ééé"));
        assert_eq!(e.value(), "éé");
        e.set_max_len(3);
        assert_eq!(e.value(), "é");
        assert_eq!(e.caret(), 2);
        e.set_max_len(usize::MAX);
        assert_eq!(e.max_len, MAX_INPUT_LEN, "clamped, no huge allocation");
    }

    #[test]
    fn control_characters_are_dropped() {
        let mut e = EditBuffer::new(64, false);
        assert!(!e.insert("\u{1}"), "Ctrl+A's text is not typed");
        e.insert("xy");
        e.select_all();
        assert!(!e.insert("\u{1}"), "and does not replace a selection");
        assert_eq!(e.value(), "xy");
        e.clear();
        assert!(e.insert("a\nb\tc\u{7f}"));
        assert_eq!(e.value(), "abc");
    }

    #[test]
    fn masked_display_and_debug() {
        let mut e = EditBuffer::new(64, true);
        e.insert("pä55");
        assert_eq!(e.display(), "••••");
        assert_eq!(e.display_index_of(e.caret()), 4 * 3);
        assert_eq!(e.display_index_of(1), 3);
        assert_eq!(e.value_index_of_display(6), 3, "after p and ä");
        assert_eq!(e.value_index_of_display(1000), e.value().len());
        let dbg = format!("{e:?}");
        assert!(!dbg.contains("pä55"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn caret_and_deletion_step_over_grapheme_clusters() {
        let accent = "e\u{301}"; // e + combining acute: one grapheme, 3 bytes
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"; // ZWJ sequence
        let flag = "\u{1F1EB}\u{1F1F7}"; // FR
        let mut e = EditBuffer::new(256, false);
        e.insert(&format!("a{accent}{family}{flag}b"));
        e.end(false);
        e.left(false);
        assert_eq!(e.caret(), e.value().len() - 1, "before b");
        e.left(false);
        assert_eq!(
            e.caret(),
            1 + accent.len() + family.len(),
            "before the flag"
        );
        e.left(false);
        assert_eq!(e.caret(), 1 + accent.len(), "the family is one step");
        e.left(false);
        assert_eq!(e.caret(), 1, "the accented e is one step");
        e.right(false);
        assert_eq!(e.caret(), 1 + accent.len());
        // One Backspace removes the whole accented letter.
        assert!(e.backspace());
        assert_eq!(e.value(), format!("a{family}{flag}b"));
        // One Delete removes the whole family.
        assert!(e.delete());
        assert_eq!(e.value(), format!("a{flag}b"));
        e.end(false);
        e.left(false);
        assert!(e.backspace(), "the flag in one press");
        assert_eq!(e.value(), "ab");
        // Shift+Left selects a whole grapheme too.
        e.set_text(&format!("x{accent}"));
        e.left(true);
        assert_eq!(e.selection(), Some(1..1 + accent.len()));
        assert_eq!(e.selected_text(), Some(accent));
    }

    #[test]
    fn a_click_inside_a_cluster_snaps_to_its_start() {
        let mut e = EditBuffer::new(64, false);
        e.insert("ae\u{301}z");
        e.move_to(2, false); // between e and its accent
        assert_eq!(e.caret(), 1);
        e.move_to(3, false); // inside the accent's two bytes
        assert_eq!(e.caret(), 1);
        e.move_to(100, false);
        assert_eq!(e.caret(), e.value().len());
    }

    #[test]
    fn the_limit_never_splits_a_cluster() {
        let family = "\u{1F468}\u{200D}\u{1F469}"; // 4 + 3 + 4 bytes
        let mut e = EditBuffer::new(12, false);
        assert!(e.insert(&format!("a{family}")), "12 bytes: fits");
        assert_eq!(e.value(), format!("a{family}"));
        let mut e = EditBuffer::new(10, false);
        assert!(e.insert(&format!("a{family}")));
        assert_eq!(e.value(), "a", "half a family is not typed");
        let mut e = EditBuffer::new(2, false);
        assert!(!e.insert("e\u{301}"), "the e alone would change the text");
        assert!(e.set_text("xe\u{301}") && e.value() == "x");
    }

    #[test]
    fn words_for_ctrl_arrows_backspace_and_double_click() {
        let mut e = EditBuffer::new(64, false);
        e.insert("hello, big world");
        e.word_left(false);
        assert_eq!(e.caret(), 11, "start of world");
        e.word_left(false);
        assert_eq!(e.caret(), 7, "start of big, over the space");
        e.word_left(false);
        assert_eq!(e.caret(), 0, "over \", \" to hello");
        e.word_left(false);
        assert_eq!(e.caret(), 0);
        e.word_right(false);
        assert_eq!(e.caret(), 5, "end of hello");
        e.word_right(true);
        assert_eq!(
            e.selection(),
            Some(5..10),
            "Ctrl+Shift extends to end of big"
        );
        e.word_right(true);
        assert_eq!(e.selection(), Some(5..16));
        assert_eq!(e.selected_text(), Some(", big world"));
        e.word_left(true);
        assert_eq!(e.selection(), Some(5..11));
        e.end(false);
        assert!(e.backspace_word());
        assert_eq!(e.value(), "hello, big ");
        e.home(false);
        assert!(e.delete_word());
        assert_eq!(e.value(), ", big ");

        e.set_text("bruce@wayne.com is here");
        e.select_word_at(2);
        assert_eq!(e.selected_text(), Some("bruce"));
        e.select_word_at(5);
        assert_eq!(e.selected_text(), Some("@"));
        e.select_word_at(8);
        assert_eq!(
            e.selected_text(),
            Some("wayne.com"),
            "UAX #29 keeps it whole"
        );
        e.select_word_at(e.value().len());
        assert_eq!(
            e.selected_text(),
            Some("here"),
            "past the end: the last word"
        );
        e.clear();
        e.select_word_at(0);
        assert_eq!(e.selection(), None);
    }

    #[test]
    fn a_password_has_no_words_and_gives_no_text() {
        let mut e = EditBuffer::new(64, true);
        e.insert("two words");
        e.word_left(false);
        assert_eq!(e.caret(), 0, "to the start, not to \"words\"");
        e.word_right(true);
        assert_eq!(e.selection(), Some(0..9));
        assert_eq!(e.selected_text(), None, "never copied");
        e.select_word_at(5);
        assert_eq!(e.selection(), Some(0..9), "double-click selects all");
        e.select_all();
        assert_eq!(e.selected_text(), None);
        e.end(false);
        assert!(e.backspace_word());
        assert_eq!(e.value(), "");
        // One bullet per grapheme.
        e.insert("e\u{301}\u{1F468}\u{200D}\u{1F469}x");
        assert_eq!(e.display(), "•••");
        assert_eq!(e.display_index_of(e.caret()), 9);
        assert_eq!(e.value_index_of_display(3), 3, "after the accented e");
    }

    #[test]
    fn staging_copies_are_wiped_and_the_buffer_never_grows() {
        let mut e = EditBuffer::new(8, true);
        let cap = e.value.capacity();
        e.insert("secret-and-too-long");
        assert_eq!(e.value(), "secret-a");
        assert_eq!(e.value.capacity(), cap, "no reallocation");
    }

    /// The whole allocation of the buffer's string, including spare bytes.
    fn whole_allocation(e: &EditBuffer) -> Vec<u8> {
        let cap = e.value.capacity();
        // SAFETY: every byte of this allocation is initialized in these
        // tests: `wipe_spare` and `zeroize` write zeros over the whole spare
        // capacity before we read it, and the rest is the string itself.
        unsafe { std::slice::from_raw_parts(e.value.as_ptr(), cap) }.to_vec()
    }

    #[test]
    fn removal_zeroes_the_freed_tail() {
        let mut e = EditBuffer::new(16, true);
        e.insert("secret");
        e.select_all();
        e.backspace();
        e.insert("ab");
        let all = whole_allocation(&e);
        assert_eq!(&all[..2], b"ab");
        assert!(all[2..].iter().all(|&b| b == 0), "{all:?}");
        e.left(false);
        assert!(e.backspace());
        assert!(whole_allocation(&e)[1..].iter().all(|&b| b == 0));
        assert!(e.clear());
        assert!(
            whole_allocation(&e).iter().all(|&b| b == 0),
            "clear zeroes everything"
        );
    }
}
