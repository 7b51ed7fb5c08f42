//! The accessibility adapter of each desktop window: the broker's side of
//! AT-SPI.
//!
//! Renderers have no bus; the broker speaks AT-SPI for them through one
//! `accesskit_winit` adapter per window, created while the window is still
//! invisible (the adapter's requirement). What it exposes is built here
//! from the window's last validated [`AccessTree`] (the core checked it as
//! hostile input): a window node that is the broker's own (role window,
//! named by the broker's title), with the renderer's tree under it. Node ids
//! are the renderer's ids as they are: each window has its own adapter and
//! its own id space, so a renderer can name only nodes of its own window.
//! A text input gets a text run child the broker makes from its value (so
//! AT-SPI's Text and EditableText work); a password input gets none, and no
//! value, so nothing of it is readable.
//!
//! The activation handler runs on the adapter's thread and answers with
//! the latest tree (shared behind a mutex); actions arrive through the event
//! loop proxy as [`UserEvent::Access`](super::UserEvent) and become
//! [`AccessAction`]s for the core, which forwards only those the window's
//! tree allows, paced as input.

use std::sync::{Arc, Mutex, PoisonError};

use accesskit::{
    Action, ActionData, ActionRequest, ActivationHandler, Live, Node, NodeId, Rect, Role as AkRole,
    TreeInfo, TreeUpdate,
};
use winit::event_loop::{ActiveEventLoop, EventLoopProxy};
use winit::window::Window;
use workshop_common::access::{AccessAction, AccessId, AccessRole, AccessTree, WINDOW_NODE};
use workshop_common::Role;

use super::UserEvent;

/// Text run nodes live above every id a renderer can use (`u32`).
const TEXT_RUN_BASE: u64 = 1 << 32;

/// The toolkit name AT-SPI clients see.
const TOOLKIT: &str = "workshop";

/// One window's adapter and the tree it shows.
pub(super) struct WindowAccess {
    adapter: accesskit_winit::Adapter,
    latest: Arc<Mutex<TreeUpdate>>,
    role: Role,
    title: String,
    tree: AccessTree,
    size: (u32, u32),
}

/// Answers the adapter's first request with the latest tree.
struct Latest(Arc<Mutex<TreeUpdate>>);

impl ActivationHandler for Latest {
    fn request_initial_tree(&mut self) -> Option<TreeUpdate> {
        Some(
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

impl WindowAccess {
    /// The adapter for `window`, which must not have been shown yet.
    pub(super) fn new(
        event_loop: &ActiveEventLoop,
        window: &Window,
        proxy: EventLoopProxy<UserEvent>,
        role: Role,
        size: (u32, u32),
    ) -> WindowAccess {
        let title = role.window_title().to_owned();
        let tree = AccessTree::default();
        let latest = Arc::new(Mutex::new(convert(&title, &tree, size)));
        let adapter = accesskit_winit::Adapter::with_mixed_handlers(
            event_loop,
            window,
            Latest(latest.clone()),
            proxy,
        );
        WindowAccess {
            adapter,
            latest,
            role,
            title,
            tree,
            size,
        }
    }

    /// Lets the adapter follow focus and geometry.
    pub(super) fn process_event(&mut self, window: &Window, event: &winit::event::WindowEvent) {
        self.adapter.process_event(window, event);
    }

    /// A new validated tree from the core.
    pub(super) fn set_tree(&mut self, tree: &AccessTree) {
        self.tree = tree.clone();
        self.publish();
    }

    /// The broker changed the title ("(Not Responding)").
    pub(super) fn set_title(&mut self, title: &str) {
        self.title = title.to_owned();
        self.publish();
    }

    /// The window's size changed (bounds are clamped to it).
    pub(super) fn set_size(&mut self, size: (u32, u32)) {
        if self.size != size {
            self.size = size;
            self.publish();
        }
    }

    /// The window this adapter is for.
    pub(super) fn role(&self) -> Role {
        self.role
    }

    fn publish(&mut self) {
        let update = convert(&self.title, &self.tree, self.size);
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = update.clone();
        self.adapter.update_if_active(|| update);
    }
}

fn node_id(id: AccessId) -> NodeId {
    NodeId(u64::from(id.0))
}

fn text_run_id(id: AccessId) -> NodeId {
    NodeId(TEXT_RUN_BASE + u64::from(id.0))
}

/// The accesskit tree for `tree` under the broker's window node named
/// `title`; bounds clamped to the `size` window.
pub(super) fn convert(title: &str, tree: &AccessTree, size: (u32, u32)) -> TreeUpdate {
    let mut window = Node::new(AkRole::Window);
    window.set_label(title);
    window.set_bounds(Rect::new(0.0, 0.0, f64::from(size.0), f64::from(size.1)));
    let mut nodes = Vec::with_capacity(tree.len() * 2 + 1);
    if let Some(root) = tree.root() {
        window.set_children(vec![node_id(root)]);
    }
    nodes.push((node_id(WINDOW_NODE), window));
    for n in tree.nodes() {
        let mut node = Node::new(match n.role {
            AccessRole::Pane => AkRole::Pane,
            AccessRole::Heading => AkRole::Heading,
            AccessRole::Button => AkRole::Button,
            AccessRole::TextInput => AkRole::TextInput,
            AccessRole::PasswordInput => AkRole::PasswordInput,
            AccessRole::Label => AkRole::Label,
            AccessRole::Status => AkRole::Status,
        });
        if !n.label.is_empty() {
            node.set_label(n.label.as_str());
        }
        let b = n.bounds.clamp_to(size.0, size.1);
        node.set_bounds(Rect::new(
            f64::from(b.x),
            f64::from(b.y),
            f64::from(b.x + b.width),
            f64::from(b.y + b.height),
        ));
        if n.disabled {
            node.set_disabled();
        }
        let mut children: Vec<NodeId> = n.children.iter().copied().map(node_id).collect();
        match n.role {
            AccessRole::Button => {
                node.add_action(Action::Click);
                node.add_action(Action::Focus);
            }
            AccessRole::TextInput => {
                node.add_action(Action::Focus);
                node.add_action(Action::SetValue);
                let value = n.value.as_deref().unwrap_or_default();
                node.set_value(value);
                let mut run = Node::new(AkRole::TextRun);
                run.set_value(value);
                run.set_character_lengths(
                    value
                        .chars()
                        .map(|c| c.len_utf8() as u8)
                        .collect::<Vec<u8>>(),
                );
                run.set_bounds(node.bounds().unwrap_or_default());
                children.push(text_run_id(n.id));
                nodes.push((text_run_id(n.id), run));
            }
            // No value, no text run: nothing of a password is readable.
            AccessRole::PasswordInput => node.add_action(Action::Focus),
            AccessRole::Status => node.set_live(Live::Polite),
            AccessRole::Pane | AccessRole::Heading | AccessRole::Label => {}
        }
        if !children.is_empty() {
            node.set_children(children);
        }
        nodes.push((node_id(n.id), node));
    }
    let mut info = TreeInfo::new(node_id(WINDOW_NODE));
    info.toolkit_name = Some(TOOLKIT.to_owned());
    info.toolkit_version = Some(env!("CARGO_PKG_VERSION").to_owned());
    TreeUpdate {
        nodes,
        tree: Some(info),
        tree_id: accesskit::TreeId::ROOT,
        focus: node_id(tree.focus().unwrap_or(WINDOW_NODE)),
    }
}

/// The core's action for an adapter's request, if it is one the protocol
/// has (click, focus, a text value) on a renderer's node.
pub(super) fn action(request: &ActionRequest) -> Option<AccessAction> {
    let target = AccessId(u32::try_from(request.target_node.0).ok()?);
    if target == WINDOW_NODE {
        return None;
    }
    match (request.action, &request.data) {
        (Action::Click, _) => Some(AccessAction::Click(target)),
        (Action::Focus, _) => Some(AccessAction::Focus(target)),
        (Action::SetValue, Some(ActionData::Value(value))) => Some(AccessAction::SetValue {
            target,
            value: value.to_string(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use workshop_common::access::{AccessNode, AccessUpdate};
    use workshop_common::geometry::PxRect;

    fn tree() -> AccessTree {
        let node = |id, role, label: &str, value: Option<&str>, children: Vec<u32>| AccessNode {
            id: AccessId(id),
            role,
            label: label.into(),
            value: value.map(str::to_owned),
            disabled: false,
            children: children.into_iter().map(AccessId).collect(),
            bounds: PxRect {
                x: 10,
                y: 10,
                width: u32::MAX,
                height: 5,
            },
        };
        AccessTree::default()
            .apply(&AccessUpdate {
                nodes: vec![
                    node(1, AccessRole::Pane, "", None, vec![2, 3]),
                    node(2, AccessRole::TextInput, "Email", Some("a@b"), vec![]),
                    node(3, AccessRole::PasswordInput, "Password", None, vec![]),
                ],
                root: Some(AccessId(1)),
                focus: Some(AccessId(3)),
            })
            .unwrap()
    }

    #[test]
    fn the_window_node_is_the_brokers_and_the_password_has_no_text() {
        let u = convert("Login Window", &tree(), (400, 400));
        let (id, window) = &u.nodes[0];
        assert_eq!(*id, NodeId(0));
        assert_eq!(window.role(), AkRole::Window);
        assert_eq!(window.label(), Some("Login Window"));
        assert_eq!(u.focus, NodeId(3));
        let get = |id: u64| &u.nodes.iter().find(|(n, _)| n.0 == id).unwrap().1;
        assert_eq!(get(2).value(), Some("a@b"));
        assert_eq!(get(TEXT_RUN_BASE + 2).value(), Some("a@b"));
        assert_eq!(get(3).value(), None);
        assert!(get(3).children().is_empty());
        assert!(u.nodes.iter().all(|(n, _)| n.0 != TEXT_RUN_BASE + 3));
        // Bounds are clamped to the window.
        assert_eq!(get(2).bounds().unwrap().x1, 400.0);
    }

    #[test]
    fn only_protocol_actions_on_renderer_nodes_are_taken() {
        let req = |action, node, data| ActionRequest {
            action,
            target_tree: accesskit::TreeId::ROOT,
            target_node: NodeId(node),
            data,
        };
        assert_eq!(
            action(&req(Action::Click, 4, None)),
            Some(AccessAction::Click(AccessId(4)))
        );
        assert_eq!(action(&req(Action::Click, 0, None)), None);
        assert_eq!(action(&req(Action::Click, TEXT_RUN_BASE + 2, None)), None);
        assert_eq!(action(&req(Action::ScrollIntoView, 4, None)), None);
        assert_eq!(
            action(&req(
                Action::SetValue,
                2,
                Some(ActionData::Value("x".into()))
            )),
            Some(AccessAction::SetValue {
                target: AccessId(2),
                value: "x".into()
            })
        );
    }
}
