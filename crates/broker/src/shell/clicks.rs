//! Double clicks: which press of the primary button is the second of a
//! pair.
//!
//! winit reports button presses, not clicks, and renderers have no clock
//! the user's double-click setting applies to, so the desktop shell counts:
//! a press within [`DOUBLE_CLICK_TIME`] of the previous one and within
//! [`DOUBLE_CLICK_DISTANCE`] of where it was continues the run, anything
//! else starts a new one. The second press of a run is forwarded as
//! `PointerPressed` followed by `DoubleClicked`; a text input selects the
//! word under it.

use std::time::{Duration, Instant};

/// Longest gap between the presses of a double click: GTK's and GNOME's
/// default `gtk-double-click-time` (400 ms).
pub const DOUBLE_CLICK_TIME: Duration = Duration::from_millis(400);

/// Farthest the pointer may move between the presses, physical pixels, in
/// either axis: GTK's default `gtk-double-click-distance` (5 px).
pub const DOUBLE_CLICK_DISTANCE: f32 = 5.0;

/// Counts consecutive presses of one window's primary button.
#[derive(Debug, Default)]
pub struct ClickCounter {
    last: Option<(Instant, (f32, f32))>,
    count: u32,
}

impl ClickCounter {
    /// A press at `at` (physical px) at time `now`: its number in the
    /// current run (1 for a single click, 2 for the second of a double
    /// click, 3 for a triple...).
    pub fn press(&mut self, at: (f32, f32), now: Instant) -> u32 {
        let continues = self.last.is_some_and(|(when, (x, y))| {
            now.checked_duration_since(when)
                .is_some_and(|gap| gap <= DOUBLE_CLICK_TIME)
                && (at.0 - x).abs() <= DOUBLE_CLICK_DISTANCE
                && (at.1 - y).abs() <= DOUBLE_CLICK_DISTANCE
        });
        self.count = if continues {
            self.count.saturating_add(1)
        } else {
            1
        };
        self.last = Some((now, at));
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_quick_close_presses_are_a_double_click() {
        let t = Instant::now();
        let mut c = ClickCounter::default();
        assert_eq!(c.press((10.0, 10.0), t), 1);
        assert_eq!(c.press((13.0, 8.0), t + Duration::from_millis(150)), 2);
        assert_eq!(c.press((13.0, 8.0), t + Duration::from_millis(300)), 3);
    }

    #[test]
    fn slow_or_distant_presses_start_over() {
        let t = Instant::now();
        let mut c = ClickCounter::default();
        assert_eq!(c.press((10.0, 10.0), t), 1);
        let late = t + DOUBLE_CLICK_TIME + Duration::from_millis(1);
        assert_eq!(c.press((10.0, 10.0), late), 1, "too slow");
        let far = late + Duration::from_millis(100);
        assert_eq!(
            c.press((10.0 + DOUBLE_CLICK_DISTANCE + 1.0, 10.0), far),
            1,
            "too far"
        );
        // A clock that went backwards is no continuation either.
        assert_eq!(c.press((16.0, 10.0), t), 1);
    }
}
