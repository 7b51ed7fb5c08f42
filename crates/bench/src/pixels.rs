//! Is a known colour in a strip of a window's pixels, and where.
//!
//! `peer` decides that a window has painted its first real frame by the
//! colour only that frame has (the Main Window's blue "Let's check it out!"
//! outline, the Login Window's grey disabled Submit outline), read from a
//! narrow vertical strip through the middle of the window: a few kilobytes
//! per poll, so polling does not cost the X server more than the frame it
//! waits for. The strip crosses every widget of both windows (they are laid
//! out in one centred column), so it needs no knowledge of where a widget
//! lands, which differs by a few pixels between Workshop and Chromium.
//!
//! Pixels are `0x00RRGGBB`, as [`crate::xwatch`] decodes them from a
//! `ZPixmap` image of a 24- or 32-bit TrueColor window.

/// How far each channel may be off and still match: anti-aliased edges
/// and a browser's colour management shift a channel by a few units.
pub const CHANNEL_TOLERANCE: u8 = 6;

/// At least this many matching rows make a hit: a 2 px outline crossed
/// twice gives 4, a stray anti-aliased pixel of another colour gives 1.
pub const MIN_ROWS: usize = 3;

/// Whether `pixel` is `want`, channel by channel within `tolerance`.
pub fn near(pixel: u32, want: u32, tolerance: u8) -> bool {
    (0..3).all(|i| {
        let shift = i * 8;
        let a = ((pixel >> shift) & 0xff) as i32;
        let b = ((want >> shift) & 0xff) as i32;
        (a - b).abs() <= i32::from(tolerance)
    })
}

/// A strip of pixels, `width` per row, row after row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strip {
    /// Pixels per row.
    pub width: usize,
    /// `0x00RRGGBB`, row-major.
    pub pixels: Vec<u32>,
}

impl Strip {
    /// The rows (indices from the top) that have at least one pixel near
    /// `colour`.
    pub fn rows_with(&self, colour: u32) -> Vec<usize> {
        if self.width == 0 {
            return Vec::new();
        }
        self.pixels
            .chunks(self.width)
            .enumerate()
            .filter(|(_, row)| row.iter().any(|&p| near(p, colour, CHANNEL_TOLERANCE)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether `colour` shows in at least [`MIN_ROWS`] rows.
    pub fn shows(&self, colour: u32) -> bool {
        self.rows_with(colour).len() >= MIN_ROWS
    }

    /// The middle row of `colour`'s extent (first to last matching row):
    /// for an outlined button crossed by the strip, its vertical centre.
    pub fn centre_of(&self, colour: u32) -> Option<usize> {
        let rows = self.rows_with(colour);
        if rows.len() < MIN_ROWS {
            return None;
        }
        let (first, last) = (rows[0], rows[rows.len() - 1]);
        Some((first + last) / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BG: u32 = 0xf9f9f9;
    const BLUE: u32 = 0x58b9f1;

    fn strip(rows: &[u32]) -> Strip {
        Strip {
            width: 2,
            pixels: rows.iter().flat_map(|&c| [BG, c]).collect(),
        }
    }

    #[test]
    fn tolerance_is_per_channel() {
        assert!(near(0x5abbef, BLUE, CHANNEL_TOLERANCE));
        assert!(!near(0x58b9f1 + 0x10, BLUE, CHANNEL_TOLERANCE));
        assert!(!near(0x68b9f1, BLUE, CHANNEL_TOLERANCE));
        // The high byte (X's padding) is ignored.
        assert!(near(0xff58_b9f1, BLUE, 0));
    }

    #[test]
    fn a_button_outline_is_found_and_centred() {
        let mut rows = vec![BG; 100];
        for r in [40, 41, 58, 59] {
            rows[r] = BLUE;
        }
        let s = strip(&rows);
        assert!(s.shows(BLUE));
        assert_eq!(s.centre_of(BLUE), Some(49));
        assert!(!s.shows(0xa7a7a7));
    }

    #[test]
    fn one_stray_pixel_is_not_a_frame() {
        let mut rows = vec![BG; 100];
        rows[10] = BLUE;
        rows[11] = BLUE;
        let s = strip(&rows);
        assert!(!s.shows(BLUE));
        assert_eq!(s.centre_of(BLUE), None);
        let empty = Strip {
            width: 0,
            pixels: Vec::new(),
        };
        assert!(!empty.shows(BLUE));
    }
}
