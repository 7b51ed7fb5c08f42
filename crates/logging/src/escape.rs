//! Escaping text before it reaches a log line.
//!
//! A log line is read on a terminal or by a program splitting on newlines,
//! so any text in it, and above all text a renderer wrote, must not be able
//! to end the line, start a new one, move the cursor, reorder what is shown
//! or push itself onto its own visual line. Every character that could is
//! written as a visible `\u{…}` escape instead; runs of spaces collapse to
//! one, so padding cannot wrap text to the start of a terminal line.
//!
//! What is escaped (policy as data, with the reason for each entry):
//! - Unicode `Cc` (C0, DEL, C1): newlines, carriage return, ESC sequences
//!   and the terminal controls they start.
//! - Unicode `Cf` ([`FORMAT_CHARS`]): bidi embeddings, overrides and
//!   isolates (U+202A..U+202E, U+2066..U+2069) reorder what the terminal
//!   shows; zero-width characters and joiners hide text; tags and
//!   interlinear annotations hide or rewrite it.
//! - `Zl` and `Zp` (U+2028, U+2029): line and paragraph separators that
//!   some viewers break on.
//! - The escape character itself (`\`) in delimited values, so an escape
//!   written by the renderer cannot pass for one written here.

use std::fmt::Write as _;

/// Where escaped text goes, which decides what else must be escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Undelimited text the broker wrote (messages, `Debug` values):
    /// controls and format characters only.
    Bare,
    /// The inside of a `"…"` value in the text format: also `\` and `"`,
    /// so the value cannot close its quotes and forge another field.
    Quoted,
    /// A JSON string (the encoder quotes it): also `\`, so a literal
    /// `\u{…}` from the source differs from one written here.
    Json,
}

/// Every Unicode `Cf` (format) range, as of Unicode 15.1, with why it is
/// dangerous in a log line.
pub const FORMAT_CHARS: &[(char, char, &str)] = &[
    ('\u{00AD}', '\u{00AD}', "soft hyphen: invisible"),
    (
        '\u{0600}',
        '\u{0605}',
        "Arabic number signs: reshape what follows",
    ),
    ('\u{061C}', '\u{061C}', "Arabic letter mark: bidi control"),
    (
        '\u{06DD}',
        '\u{06DD}',
        "Arabic end of ayah: encloses what follows",
    ),
    ('\u{070F}', '\u{070F}', "Syriac abbreviation mark: format"),
    ('\u{0890}', '\u{0891}', "Arabic pound/piastre marks: format"),
    (
        '\u{08E2}',
        '\u{08E2}',
        "Arabic disputed end of ayah: format",
    ),
    (
        '\u{180E}',
        '\u{180E}',
        "Mongolian vowel separator: invisible",
    ),
    ('\u{200B}', '\u{200F}', "zero-width space/joiners, LRM, RLM"),
    (
        '\u{202A}',
        '\u{202E}',
        "bidi embeddings and overrides (U+202E)",
    ),
    (
        '\u{2060}',
        '\u{2064}',
        "word joiner and invisible operators",
    ),
    (
        '\u{2066}',
        '\u{206F}',
        "bidi isolates and deprecated format chars",
    ),
    ('\u{FEFF}', '\u{FEFF}', "zero-width no-break space (BOM)"),
    ('\u{FFF9}', '\u{FFFB}', "interlinear annotations: hide text"),
    ('\u{110BD}', '\u{110BD}', "Kaithi number sign: format"),
    ('\u{110CD}', '\u{110CD}', "Kaithi number sign above: format"),
    (
        '\u{13430}',
        '\u{1343F}',
        "Egyptian hieroglyph format controls",
    ),
    (
        '\u{1BCA0}',
        '\u{1BCA3}',
        "shorthand format controls: invisible",
    ),
    ('\u{1D173}', '\u{1D17A}', "musical symbol format controls"),
    ('\u{E0001}', '\u{E0001}', "language tag: invisible"),
    ('\u{E0020}', '\u{E007F}', "tag characters: invisible text"),
];

/// Line separator (`Zl`).
pub const LINE_SEPARATOR: char = '\u{2028}';
/// Paragraph separator (`Zp`).
pub const PARAGRAPH_SEPARATOR: char = '\u{2029}';

/// Whether `c` is written as a `\u{…}` escape.
pub fn must_escape(c: char) -> bool {
    c.is_control()
        || c == LINE_SEPARATOR
        || c == PARAGRAPH_SEPARATOR
        || FORMAT_CHARS
            .iter()
            .any(|&(lo, hi, _)| (lo..=hi).contains(&c))
}

/// Appends `text` to `out`, escaped for `context`.
pub fn escape_into(out: &mut String, text: &str, context: Context) {
    let mut in_space = false;
    for c in text.chars() {
        if must_escape(c) {
            in_space = false;
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            continue;
        }
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
                in_space = true;
            }
            continue;
        }
        in_space = false;
        match (c, context) {
            ('\\', Context::Quoted | Context::Json) => out.push_str("\\\\"),
            ('"', Context::Quoted) => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
}

/// `text` escaped for `context`.
pub fn escape(text: &str, context: Context) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, context);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_override_is_escaped() {
        assert_eq!(
            escape("abc\u{202E}txt.exe", Context::Bare),
            "abc\\u{202e}txt.exe"
        );
        assert_eq!(
            escape("\u{2067}x\u{2069}", Context::Bare),
            "\\u{2067}x\\u{2069}"
        );
        assert_eq!(escape("a\u{200D}b", Context::Bare), "a\\u{200d}b");
    }

    #[test]
    fn line_and_paragraph_separators_are_escaped() {
        assert_eq!(
            escape("one\u{2028}two\u{2029}", Context::Quoted),
            "one\\u{2028}two\\u{2029}"
        );
        assert_eq!(escape("a\nb\r\n", Context::Json), "a\\u{a}b\\u{d}\\u{a}");
    }

    #[test]
    fn escape_sequences_are_escaped() {
        assert_eq!(
            escape("\x1b[2K\x1b[1A red", Context::Bare),
            "\\u{1b}[2K\\u{1b}[1A red"
        );
        assert_eq!(escape("\u{9b}31m", Context::Bare), "\\u{9b}31m");
    }

    #[test]
    fn a_run_of_spaces_is_one_space() {
        let padded = format!("x{}[BROKER] fake", " ".repeat(500));
        assert_eq!(escape(&padded, Context::Quoted), "x [BROKER] fake");
        // Other Unicode spaces count as padding too.
        assert_eq!(escape("a\u{3000}\u{2003} \u{A0}b", Context::Bare), "a b");
    }

    #[test]
    fn quotes_and_backslashes_cannot_close_a_quoted_value() {
        assert_eq!(
            escape(r#"x" level="ERROR"#, Context::Quoted),
            r#"x\" level=\"ERROR"#
        );
        assert_eq!(escape(r"\u{1b}", Context::Quoted), r"\\u{1b}");
        assert_eq!(escape(r#"\""#, Context::Json), r#"\\""#);
        assert_eq!(escape(r#"\""#, Context::Bare), r#"\""#);
    }

    #[test]
    fn every_format_range_is_escaped_and_ordinary_text_is_not() {
        for &(lo, hi, why) in FORMAT_CHARS {
            assert!(lo <= hi, "{why}");
            assert!(must_escape(lo) && must_escape(hi), "{why}");
        }
        assert_eq!(escape("Grüße, 世界 ✓", Context::Quoted), "Grüße, 世界 ✓");
    }
}
