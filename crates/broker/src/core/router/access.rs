//! `AccessUpdate`: a renderer's accessibility tree, checked as hostile
//! input and kept per window.
//!
//! The gate has already checked the update alone (sizes, ids, roles, no
//! password value). Here it is merged into the window's last validated tree
//! and the result is checked whole (`AccessTree::apply`: root, children,
//! one parent each, no cycle, depth, node count, focus); a failure is a bad
//! message and the window keeps its last good tree until the new renderer
//! sends one. Rate: one update per frame the broker accepted (one before
//! the first), so the tree costs the broker at most what the frame limit
//! already allows. The tree lives in the window's `RendererState`, so it
//! dies with its renderer, and it only ever reaches that window's adapter:
//! a renderer can describe its own window and nothing else.

use workshop_common::access::{AccessTree, AccessUpdate};
use workshop_common::Role;

use super::BadMessage;
use crate::audit::Verdict;
use crate::core::{Broker, Effect};

impl Broker {
    /// `AccessUpdate`: spend the frame's credit, merge, check, keep, show.
    pub(super) fn access_update(
        &mut self,
        role: Role,
        update: &AccessUpdate,
    ) -> Result<Verdict, BadMessage> {
        let Some(w) = self.windows.get_mut(&role) else {
            return Ok(Verdict::Stale);
        };
        if !w.renderer.proto.take_access_credit() {
            return Err(BadMessage::AccessRateLimited);
        }
        let tree = w
            .renderer
            .access
            .apply(update)
            .map_err(BadMessage::AccessTree)?;
        w.renderer.access = tree.clone();
        self.effects.push(Effect::AccessTree { role, tree });
        Ok(Verdict::Accepted)
    }

    /// The window's renderer is gone or replaced: assistive technology sees
    /// only the broker's window node until the next renderer describes it.
    pub(in crate::core) fn forget_access_tree(&mut self, role: Role) {
        if let Some(w) = self.windows.get_mut(&role) {
            w.renderer.access = AccessTree::default();
        }
        self.effects.push(Effect::AccessTree {
            role,
            tree: AccessTree::default(),
        });
    }
}
