//! [`WidgetId`], the name of a widget inside one [`crate::Ui`].
//!
//! Its own module because the document ([`crate::Ui`]), the layout tree and
//! the actions the document returns all name widgets: with the id here,
//! none of them has to import another to say which widget it means.

/// Names a widget inside one [`crate::Ui`]. Ids are handed out by the
/// `add_*` builders and stay valid for the life of that `Ui`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WidgetId(pub(crate) u32);

impl WidgetId {
    /// The id as a number (stable, dense, in creation order).
    pub fn index(self) -> u32 {
        self.0
    }
}
