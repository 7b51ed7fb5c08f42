//! The Workshop palette, taken from the original electron-workshop styles.
//!
//! Widgets and window content refer to colours by these names only, so the
//! look lives in one place and tests can assert exact pixel values.

/// An sRGB colour with straight (not premultiplied) alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha (255 = opaque).
    pub a: u8,
}

impl Color {
    /// An opaque colour from `0xRRGGBB` (CSS `#RRGGBB`).
    pub const fn rgb(hex: u32) -> Color {
        Color {
            r: ((hex >> 16) & 0xff) as u8,
            g: ((hex >> 8) & 0xff) as u8,
            b: (hex & 0xff) as u8,
            a: 255,
        }
    }

    /// The colour with a different alpha.
    pub const fn with_alpha(self, a: u8) -> Color {
        Color { a, ..self }
    }

    /// `0x00RRGGBB`, the layout softbuffer presents (alpha dropped).
    pub const fn to_0rgb(self) -> u32 {
        ((self.r as u32) << 16) | ((self.g as u32) << 8) | self.b as u32
    }

    /// The colour moved towards black by `amount` (0 = unchanged, 1 = black).
    /// Used for the pressed state of buttons.
    pub fn darken(self, amount: f32) -> Color {
        let keep = (1.0 - amount).clamp(0.0, 1.0);
        let f = |c: u8| (f32::from(c) * keep).round() as u8;
        Color {
            r: f(self.r),
            g: f(self.g),
            b: f(self.b),
            a: self.a,
        }
    }

    pub(crate) fn to_skia(self) -> tiny_skia::Color {
        tiny_skia::Color::from_rgba8(self.r, self.g, self.b, self.a)
    }
}

/// Window background, `#F9F9F9`.
pub const BACKGROUND: Color = Color::rgb(0xf9f9f9);
/// Body text: plain black `#000000`, the browser default the original app
/// inherited (it never set a text colour).
pub const TEXT: Color = Color::rgb(0x000000);
/// "Let's check it out!" button, `#58b9f1`.
pub const BLUE: Color = Color::rgb(0x58b9f1);
/// "Logout" button, `#f8ca56`.
pub const YELLOW: Color = Color::rgb(0xf8ca56);
/// "Close" button, `#ec6262`.
pub const RED: Color = Color::rgb(0xec6262);
/// "Submit" button, `#58bb80`.
pub const GREEN: Color = Color::rgb(0x58bb80);
/// Idle fill of the "Submit" button, `#fcfaf6`.
pub const SUBMIT_BG: Color = Color::rgb(0xfcfaf6);
/// Text and border of a disabled button, `#a7a7a7`.
pub const DISABLED: Color = Color::rgb(0xa7a7a7);
/// Text input border, `#BCBCBC`.
pub const INPUT_BORDER: Color = Color::rgb(0xbcbcbc);
/// Text input border while the input has keyboard focus: the app's blue, so
/// the focused field is visible without a browser focus ring.
pub const INPUT_FOCUS_BORDER: Color = BLUE;
/// Text input fill, white.
pub const INPUT_BG: Color = Color::rgb(0xffffff);
/// Placeholder text, `#BCBCBC`.
pub const PLACEHOLDER: Color = Color::rgb(0xbcbcbc);
/// Button text on a filled (hovered or pressed) button, `#f9f9f9`.
pub const HOVER_TEXT: Color = Color::rgb(0xf9f9f9);
/// Error messages (e.g. a rejected login), `#d93025`: a darker red than
/// [`RED`] so small text stays readable on the background.
pub const ERROR: Color = Color::rgb(0xd93025);
/// Selected-text highlight in inputs, `#b4d8fb` (a light tint of [`BLUE`]).
pub const SELECTION: Color = Color::rgb(0xb4d8fb);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(BLUE.to_0rgb(), 0x58b9f1);
        assert_eq!(BACKGROUND.to_0rgb(), 0xf9f9f9);
        assert_eq!(Color::rgb(0x102030).darken(0.5), Color::rgb(0x081018));
        assert_eq!(RED.darken(0.0), RED);
    }
}
