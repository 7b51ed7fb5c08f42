//! The editing model behind a text input: value, caret, selection, limits.
//!
//! Kept apart from painting so the rules (char boundaries only, byte limit,
//! what Backspace does to a selection) can be tested without fonts. The
//! value may be a password, so this type also owns the hygiene: its buffer
//! is allocated once at full size (edits never reallocate and leave copies
//! behind), bytes freed by deletions are zeroed at once, and the whole buffer
//! is zeroed on clear and on drop. `Debug` shows only the length.
//!
//! Positions are byte offsets that always sit on `char` boundaries; the caret
//! moves one `char` at a time (a combining sequence takes two presses).

use std::borrow::Cow;
use std::ops::Range;

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

    pub(crate) fn value(&self) -> &str {
        &self.value
    }

    /// Changes the byte limit, truncating the value (at a char boundary) if
    /// it no longer fits. The buffer is moved to a new allocation of the new
    /// size and the old one is zeroed.
    pub(crate) fn set_max_len(&mut self, max_len: usize) {
        let max_len = max_len.min(MAX_INPUT_LEN);
        let keep = floor_boundary(&self.value, max_len);
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

    /// The selected text, if any; never for a masked input (a password
    /// is not copied).
    pub(crate) fn selected_text(&self) -> Option<&str> {
        if self.masked {
            return None;
        }
        self.selection().and_then(|r| self.value.get(r))
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

    /// Replaces the value (truncated to the limit at a char boundary) and
    /// puts the caret at the end. Returns true if the value changed.
    pub(crate) fn set_text(&mut self, text: &str) -> bool {
        let text = text.get(..floor_boundary(text, self.max_len)).unwrap_or("");
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

    /// Types `text` at the caret, replacing the selection. Control characters
    /// are dropped; whatever does not fit in the byte limit is cut off at a
    /// char boundary. Returns true if the value changed.
    pub(crate) fn insert(&mut self, text: &str) -> bool {
        if !text.chars().any(|c| !c.is_control()) {
            // Nothing typeable (e.g. the \u{1} that comes with Ctrl+A): leave
            // the selection alone.
            return false;
        }
        let mut changed = self.delete_selection();
        let room = self.max_len.saturating_sub(self.value.len());
        // Cut what fits at a char boundary, then insert it in one go (the
        // buffer has room: it was allocated at `max_len`).
        let mut fits = 0usize;
        let mut end_of_fit = 0usize;
        let mut any = false;
        for (i, c) in text.char_indices() {
            if c.is_control() {
                continue;
            }
            let n = c.len_utf8();
            if fits + n > room {
                break;
            }
            fits += n;
            end_of_fit = i + n;
            any = true;
        }
        if any {
            let mut piece: String = text
                .get(..end_of_fit)
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            self.value.insert_str(self.caret, &piece);
            self.caret += piece.len();
            // The staging copy may be a piece of a password.
            piece.zeroize();
            changed = true;
        }
        self.anchor = self.caret;
        changed
    }

    /// Backspace: deletes the selection, or the char before the caret.
    pub(crate) fn backspace(&mut self) -> bool {
        if self.delete_selection() {
            return true;
        }
        match prev_boundary(&self.value, self.caret) {
            Some(p) => self.remove_range(p..self.caret),
            None => false,
        }
    }

    /// Delete: deletes the selection, or the char after the caret.
    pub(crate) fn delete(&mut self) -> bool {
        if self.delete_selection() {
            return true;
        }
        match next_boundary(&self.value, self.caret) {
            Some(n) => self.remove_range(self.caret..n),
            None => false,
        }
    }

    /// Left arrow: with `extend` (Shift) grows the selection, otherwise
    /// collapses a selection to its start or moves one char left.
    pub(crate) fn left(&mut self, extend: bool) {
        let to = match (self.selection(), extend) {
            (Some(r), false) => r.start,
            _ => prev_boundary(&self.value, self.caret).unwrap_or(self.caret),
        };
        self.move_to(to, extend);
    }

    /// Right arrow, the mirror of [`EditBuffer::left`].
    pub(crate) fn right(&mut self, extend: bool) {
        let to = match (self.selection(), extend) {
            (Some(r), false) => r.end,
            _ => next_boundary(&self.value, self.caret).unwrap_or(self.caret),
        };
        self.move_to(to, extend);
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

    /// Moves the caret to byte `to` (snapped down to a char boundary);
    /// `extend` keeps the anchor so the selection grows.
    pub(crate) fn move_to(&mut self, to: usize, extend: bool) {
        self.caret = floor_boundary(&self.value, to);
        if !extend {
            self.anchor = self.caret;
        }
    }

    /// What the input shows: the value, or one bullet per char when masked.
    pub(crate) fn display(&self) -> Cow<'_, str> {
        if self.masked {
            Cow::Owned(std::iter::repeat_n(MASK_CHAR, self.value.chars().count()).collect())
        } else {
            Cow::Borrowed(&self.value)
        }
    }

    /// Maps a byte offset in the value to the same position in
    /// [`EditBuffer::display`].
    pub(crate) fn display_index_of(&self, index: usize) -> usize {
        if self.masked {
            let chars = self.value.get(..index).map_or(0, |s| s.chars().count());
            chars * MASK_CHAR.len_utf8()
        } else {
            index
        }
    }

    /// Maps a byte offset in [`EditBuffer::display`] back to the value.
    pub(crate) fn value_index_of_display(&self, index: usize) -> usize {
        if self.masked {
            let n = index / MASK_CHAR.len_utf8();
            self.value
                .char_indices()
                .nth(n)
                .map_or(self.value.len(), |(i, _)| i)
        } else {
            floor_boundary(&self.value, index)
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
pub(crate) fn floor_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    (0..=i).rev().find(|&k| s.is_char_boundary(k)).unwrap_or(0)
}

fn prev_boundary(s: &str, i: usize) -> Option<usize> {
    s.get(..i)?.char_indices().next_back().map(|(k, _)| k)
}

fn next_boundary(s: &str, i: usize) -> Option<usize> {
    let c = s.get(i..)?.chars().next()?;
    Some(i + c.len_utf8())
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
