//! The accessibility tree as it crosses the process boundary.
//!
//! A renderer describes its window to assistive technology (a screen
//! reader) as a small tree of [`AccessNode`]s and sends it, first whole and
//! then as changes, in [`crate::RendererToBroker::AccessUpdate`]. The
//! renderer is untrusted, so this is our own wire type, not accesskit's
//! serde types: a closed set of roles ([`AccessRole`]), a handful of
//! fields, and bounds on everything ([`MAX_NODES`], [`MAX_DEPTH`],
//! [`MAX_CHILDREN`], [`MAX_LABEL_BYTES`], [`MAX_VALUE_BYTES`]). The broker
//! converts a validated tree to accesskit itself, under a window node of its
//! own (the title is the broker's, never the renderer's).
//!
//! Two levels of checks, both here so the fuzzer covers them:
//!
//! * [`check_update`] is stateless (runs in [`crate::validate`]): sizes,
//!   ids, roles, no password value, no control characters;
//! * [`AccessTree::apply`] merges an update into the window's last tree and
//!   checks the result as a whole: the root exists, every child exists, each
//!   node has exactly one parent, no cycle, depth and node count bounded,
//!   focus on a node of the tree. Nodes no longer reachable are dropped.
//!
//! Actions from assistive technology come back to the renderer as
//! [`AccessAction`]s, which the broker only produces for nodes of the
//! window's validated tree whose role allows them ([`AccessTree::allows`]):
//! never a value for a [`AccessRole::PasswordInput`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::geometry::PxRect;
use crate::user::MAX_EMAIL_BYTES;

/// Most nodes in one window's tree (the Login Window has 6).
pub const MAX_NODES: usize = 64;

/// Deepest path from the root, counting the root as depth 1 (both windows
/// are 3 deep).
pub const MAX_DEPTH: usize = 8;

/// Most children of one node.
pub const MAX_CHILDREN: usize = 16;

/// Longest label, in bytes ("Welcome, NAME!" with the longest name).
pub const MAX_LABEL_BYTES: usize = 256;

/// Longest value, in bytes: the Email field's limit.
pub const MAX_VALUE_BYTES: usize = MAX_EMAIL_BYTES;

/// A node's id, unique within one window's tree. Id 0 is the broker's own
/// window node and is never a renderer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccessId(pub u32);

/// The id the broker gives its own window node.
pub const WINDOW_NODE: AccessId = AccessId(0);

/// What a node is, as assistive technology is told. A closed set: the
/// widgets the kit has, no more. There is no window role: the window node
/// is the broker's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessRole {
    /// The root of a renderer's tree: the window's content. Its label must
    /// be empty (the window's name is the broker's).
    Pane,
    /// A heading ("Electron Workshop").
    Heading,
    /// A push button.
    Button,
    /// A text input whose value may be read and set.
    TextInput,
    /// A password input: its value is never sent, never readable, never
    /// set by assistive technology.
    PasswordInput,
    /// Static text.
    Label,
    /// Static text that reports a state change ("loading...", an error).
    Status,
}

impl AccessRole {
    /// Whether assistive technology may move the focus to such a node.
    pub fn focusable(self) -> bool {
        match self {
            AccessRole::Button | AccessRole::TextInput | AccessRole::PasswordInput => true,
            AccessRole::Pane | AccessRole::Heading | AccessRole::Label | AccessRole::Status => {
                false
            }
        }
    }
}

/// One node of a window's tree. `Debug` prints the id and role only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessNode {
    /// Unique within the window; never [`WINDOW_NODE`].
    pub id: AccessId,
    /// What it is.
    pub role: AccessRole,
    /// Its name: a button's text, an input's placeholder, a label's text.
    /// At most [`MAX_LABEL_BYTES`], no control characters.
    pub label: String,
    /// A text input's value (`None` for everything else, and always for a
    /// [`AccessRole::PasswordInput`]). At most [`MAX_VALUE_BYTES`].
    pub value: Option<String>,
    /// Shown but not usable (Submit until both fields are filled).
    pub disabled: bool,
    /// Its children, in order; at most [`MAX_CHILDREN`].
    pub children: Vec<AccessId>,
    /// Where it is, physical pixels of the window's surface (the broker
    /// clamps it to the window).
    pub bounds: PxRect,
}

impl std::fmt::Debug for AccessNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccessNode({:?}, {:?})", self.id.0, self.role)
    }
}

/// A renderer's description of its window, or of what changed in it.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccessUpdate {
    /// New or changed nodes (the first update: all of them). At most
    /// [`MAX_NODES`].
    pub nodes: Vec<AccessNode>,
    /// The root, a [`AccessRole::Pane`]; required in the first update,
    /// `None` keeps the previous one.
    pub root: Option<AccessId>,
    /// The node with keyboard focus, if any.
    pub focus: Option<AccessId>,
}

/// What assistive technology asked a window to do, as the broker forwards
/// it to that window's renderer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessAction {
    /// Press a button (AT-SPI's default action).
    Click(AccessId),
    /// Move the keyboard focus to a node.
    Focus(AccessId),
    /// Replace a [`AccessRole::TextInput`]'s value (never a password's).
    SetValue {
        /// Which input.
        target: AccessId,
        /// The new value, at most [`MAX_VALUE_BYTES`], no control
        /// characters.
        value: String,
    },
}

impl AccessAction {
    /// The node it acts on.
    pub fn target(&self) -> AccessId {
        match self {
            AccessAction::Click(id) | AccessAction::Focus(id) => *id,
            AccessAction::SetValue { target, .. } => *target,
        }
    }
}

impl std::fmt::Debug for AccessAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessAction::Click(id) => write!(f, "Click({})", id.0),
            AccessAction::Focus(id) => write!(f, "Focus({})", id.0),
            AccessAction::SetValue { target, value } => {
                write!(f, "SetValue({}, {} bytes)", target.0, value.len())
            }
        }
    }
}

/// Why a tree or an update is refused. Payload-free.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AccessInvalid {
    /// More than [`MAX_NODES`] nodes in the update or in the tree.
    #[error("more than {MAX_NODES} nodes")]
    TooManyNodes,
    /// A path from the root longer than [`MAX_DEPTH`].
    #[error("deeper than {MAX_DEPTH}")]
    TooDeep,
    /// A node with more than [`MAX_CHILDREN`] children.
    #[error("node {0} has more than {MAX_CHILDREN} children")]
    TooManyChildren(u32),
    /// A node named id 0 (the broker's window node).
    #[error("node id 0 is the broker's")]
    ReservedId,
    /// The same id twice in one update.
    #[error("node {0} appears twice")]
    DuplicateId(u32),
    /// A label over [`MAX_LABEL_BYTES`] or with a control character.
    #[error("label of node {0} is too long or has control characters")]
    Label(u32),
    /// A value over [`MAX_VALUE_BYTES`], with a control character, or on a
    /// node that is not a text input.
    #[error("value of node {0} is too long, has control characters or is not a text input's")]
    Value(u32),
    /// A password input that carries a value.
    #[error("password node {0} carries a value")]
    PasswordValue(u32),
    /// A node that is not a pane at the root, a pane elsewhere, or a labelled
    /// pane.
    #[error("node {0} has a role it cannot have there")]
    Role(u32),
    /// No root in the first update, or the root is not in the tree.
    #[error("no root")]
    MissingRoot,
    /// A child id with no node.
    #[error("node {0} names a child that does not exist")]
    DanglingChild(u32),
    /// A node reachable twice (two parents, or twice in one list).
    #[error("node {0} has more than one parent")]
    MultipleParents(u32),
    /// A node that is its own ancestor.
    #[error("cycle through node {0}")]
    Cycle(u32),
    /// A node in the update that the tree does not reach.
    #[error("node {0} is not reachable from the root")]
    Unreachable(u32),
    /// Focus on a node that is not in the tree.
    #[error("focus on node {0}, not in the tree")]
    Focus(u32),
    /// An action's value is too long or has control characters.
    #[error("action value too long or with control characters")]
    ActionValue,
}

fn text_ok(s: &str, max: usize) -> bool {
    s.len() <= max && !s.chars().any(char::is_control)
}

/// The stateless checks of one update: sizes, ids, roles and values.
pub fn check_update(update: &AccessUpdate) -> Result<(), AccessInvalid> {
    if update.nodes.len() > MAX_NODES {
        return Err(AccessInvalid::TooManyNodes);
    }
    let mut seen = std::collections::BTreeSet::new();
    for node in &update.nodes {
        let id = node.id.0;
        if node.id == WINDOW_NODE {
            return Err(AccessInvalid::ReservedId);
        }
        if !seen.insert(node.id) {
            return Err(AccessInvalid::DuplicateId(id));
        }
        if node.children.len() > MAX_CHILDREN {
            return Err(AccessInvalid::TooManyChildren(id));
        }
        if !text_ok(&node.label, MAX_LABEL_BYTES) {
            return Err(AccessInvalid::Label(id));
        }
        match (node.role, &node.value) {
            (AccessRole::PasswordInput, Some(_)) => return Err(AccessInvalid::PasswordValue(id)),
            (AccessRole::TextInput, Some(v)) if !text_ok(v, MAX_VALUE_BYTES) => {
                return Err(AccessInvalid::Value(id))
            }
            (AccessRole::TextInput, _) | (_, None) => {}
            (_, Some(_)) => return Err(AccessInvalid::Value(id)),
        }
        if node.role == AccessRole::Pane && !node.label.is_empty() {
            return Err(AccessInvalid::Role(id));
        }
    }
    Ok(())
}

/// The stateless checks of one action (the broker builds them; checked
/// again before they are sent).
pub fn check_action(action: &AccessAction) -> Result<(), AccessInvalid> {
    match action {
        AccessAction::Click(_) | AccessAction::Focus(_) => Ok(()),
        AccessAction::SetValue { value, .. } if text_ok(value, MAX_VALUE_BYTES) => Ok(()),
        AccessAction::SetValue { .. } => Err(AccessInvalid::ActionValue),
    }
}

/// One window's validated tree: every node reachable from the root exactly
/// once, within the bounds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessTree {
    nodes: BTreeMap<AccessId, AccessNode>,
    root: Option<AccessId>,
    focus: Option<AccessId>,
}

impl AccessTree {
    /// The root, once a tree was received.
    pub fn root(&self) -> Option<AccessId> {
        self.root
    }

    /// The focused node, if any.
    pub fn focus(&self) -> Option<AccessId> {
        self.focus
    }

    /// The node `id`, if it is in the tree.
    pub fn node(&self, id: AccessId) -> Option<&AccessNode> {
        self.nodes.get(&id)
    }

    /// Every node, by id.
    pub fn nodes(&self) -> impl Iterator<Item = &AccessNode> {
        self.nodes.values()
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True before the first tree.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// `update` merged into this tree, checked whole; nodes the new tree
    /// no longer reaches are dropped. `self` is unchanged on error.
    pub fn apply(&self, update: &AccessUpdate) -> Result<AccessTree, AccessInvalid> {
        check_update(update)?;
        let mut merged = self.nodes.clone();
        for node in &update.nodes {
            merged.insert(node.id, node.clone());
        }
        let root = update
            .root
            .or(self.root)
            .ok_or(AccessInvalid::MissingRoot)?;
        match merged.get(&root) {
            Some(n) if n.role == AccessRole::Pane => {}
            Some(_) => return Err(AccessInvalid::Role(root.0)),
            None => return Err(AccessInvalid::MissingRoot),
        }
        // Depth-first from the root; `path` is the current ancestry.
        let mut reached: BTreeMap<AccessId, AccessNode> = BTreeMap::new();
        let mut stack: Vec<(AccessId, usize)> = vec![(root, 1)];
        let mut path: Vec<AccessId> = Vec::new();
        while let Some((id, depth)) = stack.pop() {
            path.truncate(depth - 1);
            if depth > MAX_DEPTH {
                return Err(AccessInvalid::TooDeep);
            }
            if path.contains(&id) {
                return Err(AccessInvalid::Cycle(id.0));
            }
            if reached.contains_key(&id) {
                return Err(AccessInvalid::MultipleParents(id.0));
            }
            let node = merged
                .get(&id)
                .ok_or(AccessInvalid::DanglingChild(path.last().map_or(0, |p| p.0)))?;
            if id != root && node.role == AccessRole::Pane {
                return Err(AccessInvalid::Role(id.0));
            }
            if reached.len() >= MAX_NODES {
                return Err(AccessInvalid::TooManyNodes);
            }
            path.push(id);
            for child in node.children.iter().rev() {
                stack.push((*child, depth + 1));
            }
            reached.insert(id, node.clone());
        }
        for node in &update.nodes {
            if !reached.contains_key(&node.id) {
                return Err(AccessInvalid::Unreachable(node.id.0));
            }
        }
        if let Some(focus) = update.focus {
            if !reached.contains_key(&focus) {
                return Err(AccessInvalid::Focus(focus.0));
            }
        }
        Ok(AccessTree {
            nodes: reached,
            root: Some(root),
            focus: update.focus,
        })
    }

    /// The update that turns this tree into `full` (a whole tree, as the
    /// renderer builds it): the nodes that are new or changed, the root if
    /// it changed, the focus. `None` when nothing changed.
    pub fn diff(&self, full: &AccessUpdate) -> Option<AccessUpdate> {
        let nodes: Vec<AccessNode> = full
            .nodes
            .iter()
            .filter(|n| self.nodes.get(&n.id) != Some(n))
            .cloned()
            .collect();
        let root = full.root.filter(|r| Some(*r) != self.root);
        if nodes.is_empty() && root.is_none() && full.focus == self.focus {
            return None;
        }
        Some(AccessUpdate {
            nodes,
            root,
            focus: full.focus,
        })
    }

    /// Whether `action` may be forwarded to the renderer whose tree this
    /// is: its target is in the tree, enabled, and of a role that takes the
    /// action (a click on a button, focus on a focusable node, a value for a
    /// text input, never for a password).
    pub fn allows(&self, action: &AccessAction) -> bool {
        let Some(node) = self.nodes.get(&action.target()) else {
            return false;
        };
        if node.disabled || check_action(action).is_err() {
            return false;
        }
        match action {
            AccessAction::Click(_) => node.role == AccessRole::Button,
            AccessAction::Focus(_) => node.role.focusable(),
            AccessAction::SetValue { .. } => node.role == AccessRole::TextInput,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn node(id: u32, role: AccessRole, label: &str, children: &[u32]) -> AccessNode {
        AccessNode {
            id: AccessId(id),
            role,
            label: label.into(),
            value: None,
            disabled: false,
            children: children.iter().map(|&c| AccessId(c)).collect(),
            bounds: PxRect::default(),
        }
    }

    fn login() -> AccessUpdate {
        let mut email = node(2, AccessRole::TextInput, "Email", &[]);
        email.value = Some("bruce@wayne.com".into());
        AccessUpdate {
            nodes: vec![
                node(1, AccessRole::Pane, "", &[2, 3, 4]),
                email,
                node(3, AccessRole::PasswordInput, "Password", &[]),
                node(4, AccessRole::Button, "Submit", &[]),
            ],
            root: Some(AccessId(1)),
            focus: Some(AccessId(2)),
        }
    }

    #[test]
    fn a_whole_tree_applies_and_diffs_to_nothing() {
        let tree = AccessTree::default().apply(&login()).unwrap();
        assert_eq!(tree.len(), 4);
        assert_eq!(tree.diff(&login()), None);
        let mut changed = login();
        changed.nodes[3].disabled = true;
        let d = tree.diff(&changed).unwrap();
        assert_eq!(d.nodes.len(), 1);
        assert_eq!(d.root, None);
        assert_eq!(
            tree.apply(&d).unwrap(),
            AccessTree::default().apply(&changed).unwrap()
        );
    }

    #[test]
    fn hostile_trees_are_refused() {
        let t = AccessTree::default();
        let mut u = login();
        u.nodes[2].value = Some("hunter2".into());
        assert_eq!(t.apply(&u), Err(AccessInvalid::PasswordValue(3)));
        let mut u = login();
        u.nodes[3].children = vec![AccessId(1)];
        assert_eq!(t.apply(&u), Err(AccessInvalid::Cycle(1)));
        let mut u = login();
        u.nodes[3].children = vec![AccessId(9)];
        assert_eq!(t.apply(&u), Err(AccessInvalid::DanglingChild(4)));
        let mut u = login();
        u.nodes[3].children = vec![AccessId(2)];
        assert_eq!(t.apply(&u), Err(AccessInvalid::MultipleParents(2)));
        let mut u = login();
        u.nodes.push(u.nodes[1].clone());
        assert_eq!(t.apply(&u), Err(AccessInvalid::DuplicateId(2)));
        let mut u = login();
        u.root = None;
        assert_eq!(t.apply(&u), Err(AccessInvalid::MissingRoot));
        let mut u = login();
        u.nodes[0].label = "Password prompt from your bank".into();
        assert_eq!(t.apply(&u), Err(AccessInvalid::Role(1)));
        let mut u = login();
        u.focus = Some(AccessId(7));
        assert_eq!(t.apply(&u), Err(AccessInvalid::Focus(7)));
        let mut u = login();
        u.nodes.push(node(8, AccessRole::Label, "orphan", &[]));
        assert_eq!(t.apply(&u), Err(AccessInvalid::Unreachable(8)));
        let mut u = login();
        u.nodes[3].label = "a\u{7}b".into();
        assert_eq!(t.apply(&u), Err(AccessInvalid::Label(4)));
        let mut u = login();
        u.nodes[3].id = WINDOW_NODE;
        assert_eq!(t.apply(&u), Err(AccessInvalid::ReservedId));
    }

    #[test]
    fn depth_and_size_are_bounded() {
        // A chain one deeper than allowed.
        let mut nodes = vec![node(1, AccessRole::Pane, "", &[2])];
        for i in 2..=MAX_DEPTH as u32 + 1 {
            nodes.push(node(i, AccessRole::Label, "x", &[i + 1]));
        }
        let last = nodes.len() - 1;
        nodes[last].children.clear();
        let u = AccessUpdate {
            nodes,
            root: Some(AccessId(1)),
            focus: None,
        };
        assert_eq!(AccessTree::default().apply(&u), Err(AccessInvalid::TooDeep));
        let mut u = u;
        u.nodes.truncate(MAX_DEPTH);
        let last = u.nodes.len() - 1;
        u.nodes[last].children.clear();
        assert!(AccessTree::default().apply(&u).is_ok());
        // Too many in one update.
        let u = AccessUpdate {
            nodes: (1..=MAX_NODES as u32 + 1)
                .map(|i| node(i, AccessRole::Label, "", &[]))
                .collect(),
            root: Some(AccessId(1)),
            focus: None,
        };
        assert_eq!(check_update(&u), Err(AccessInvalid::TooManyNodes));
        // Too many across updates: each within the limit, the tree not.
        let groups: Vec<u32> = (0..5).map(|g| 1000 + g).collect();
        let mut tree = AccessTree::default()
            .apply(&AccessUpdate {
                nodes: vec![node(1, AccessRole::Pane, "", &[])],
                root: Some(AccessId(1)),
                focus: None,
            })
            .unwrap();
        let mut children = Vec::new();
        let mut refused = None;
        for (i, g) in groups.iter().enumerate() {
            children.push(*g);
            let kids: Vec<u32> = (0..MAX_CHILDREN as u32 - 1)
                .map(|k| 100 * (i as u32 + 1) + k)
                .collect();
            let mut nodes = vec![
                node(1, AccessRole::Pane, "", &children),
                node(*g, AccessRole::Label, "", &kids),
            ];
            nodes.extend(kids.iter().map(|&k| node(k, AccessRole::Label, "", &[])));
            match tree.apply(&AccessUpdate {
                nodes,
                root: None,
                focus: None,
            }) {
                Ok(t) => tree = t,
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        assert_eq!(refused, Some(AccessInvalid::TooManyNodes));
        assert!(tree.len() <= MAX_NODES);
    }

    #[test]
    fn actions_go_only_where_the_role_allows() {
        let tree = AccessTree::default().apply(&login()).unwrap();
        assert!(tree.allows(&AccessAction::Click(AccessId(4))));
        assert!(!tree.allows(&AccessAction::Click(AccessId(2))));
        assert!(tree.allows(&AccessAction::Focus(AccessId(3))));
        assert!(!tree.allows(&AccessAction::Focus(AccessId(1))));
        let set = |id, v: &str| AccessAction::SetValue {
            target: AccessId(id),
            value: v.into(),
        };
        assert!(tree.allows(&set(2, "a@b.c")));
        assert!(!tree.allows(&set(3, "hunter2")), "never the password");
        assert!(!tree.allows(&set(2, "a\nb")));
        assert!(!tree.allows(&AccessAction::Click(AccessId(99))));
        let mut disabled = login();
        disabled.nodes[3].disabled = true;
        let tree = AccessTree::default().apply(&disabled).unwrap();
        assert!(!tree.allows(&AccessAction::Click(AccessId(4))));
        assert_eq!(format!("{:?}", set(2, "secret")), "SetValue(2, 6 bytes)");
    }
}
