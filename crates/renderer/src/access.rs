//! The window's accessibility tree on the wire, and actions back into the
//! kit.
//!
//! The kit says which widgets there are ([`workshop_ui::Ui::accessibility`]);
//! this module turns that into the protocol's bounded tree: a root
//! [`AccessRole::Pane`] with no label (the window's name is the broker's)
//! whose children are the widgets in document order, ids derived from the
//! widget ids, bounds in physical pixels. Labels the content marks as
//! status lines ([`Content::status_ids`]) become [`AccessRole::Status`]. A
//! password input becomes [`AccessRole::PasswordInput`] with no value: the
//! kit never hands one out, and the broker would refuse it.
//!
//! The runtime sends the changes (`AccessTree::diff`) with the paint that
//! made them, just before its `FrameReady`, so there is at most one update
//! per frame, the rate the broker accepts.
//!
//! [`Content::status_ids`]: crate::content::Content::status_ids

use workshop_common::access::{
    AccessAction, AccessId, AccessNode, AccessRole, AccessUpdate, MAX_CHILDREN, MAX_LABEL_BYTES,
    MAX_VALUE_BYTES,
};
use workshop_common::geometry::PxRect;
use workshop_ui::{AccessKind, AccessRequest, AccessSnapshot, Rect, Ui, WidgetId};

/// The root node's id.
pub const ROOT: AccessId = AccessId(1);

/// A widget's node id: its index past the root's.
pub fn node_id(widget: WidgetId) -> AccessId {
    AccessId(widget.index().saturating_add(2))
}

/// `s` cut to `max` bytes at a char boundary, control characters replaced
/// by spaces (the broker refuses them).
fn bounded(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

fn px(r: Rect, scale: f32) -> PxRect {
    PxRect {
        x: (r.x * scale).max(0.0) as u32,
        y: (r.y * scale).max(0.0) as u32,
        width: (r.w * scale).max(0.0) as u32,
        height: (r.h * scale).max(0.0) as u32,
    }
}

/// The whole tree for `snapshot`, with `status` labels as status lines,
/// at `scale` physical pixels per logical pixel. At most [`MAX_CHILDREN`]
/// widgets (both windows have far fewer).
pub fn tree(
    snapshot: &AccessSnapshot,
    status: &[WidgetId],
    size: (f32, f32),
    scale: f32,
) -> AccessUpdate {
    let items = snapshot.items.iter().take(MAX_CHILDREN);
    let mut nodes = vec![AccessNode {
        id: ROOT,
        role: AccessRole::Pane,
        label: String::new(),
        value: None,
        disabled: false,
        children: items.clone().map(|i| node_id(i.id)).collect(),
        bounds: px(
            Rect {
                x: 0.0,
                y: 0.0,
                w: size.0,
                h: size.1,
            },
            scale,
        ),
    }];
    for item in items {
        let role = match item.kind {
            AccessKind::Heading => AccessRole::Heading,
            AccessKind::Label if status.contains(&item.id) => AccessRole::Status,
            AccessKind::Label => AccessRole::Label,
            AccessKind::Button => AccessRole::Button,
            AccessKind::TextInput => AccessRole::TextInput,
            AccessKind::PasswordInput => AccessRole::PasswordInput,
        };
        let value = match role {
            AccessRole::TextInput => item.value.as_deref().map(|v| bounded(v, MAX_VALUE_BYTES)),
            AccessRole::Pane
            | AccessRole::Heading
            | AccessRole::Button
            | AccessRole::PasswordInput
            | AccessRole::Label
            | AccessRole::Status => None,
        };
        nodes.push(AccessNode {
            id: node_id(item.id),
            role,
            label: bounded(&item.label, MAX_LABEL_BYTES),
            value,
            disabled: !item.enabled,
            children: Vec::new(),
            bounds: px(item.bounds, scale),
        });
    }
    let focus = snapshot
        .focus
        .filter(|f| nodes.iter().any(|n| n.id == node_id(*f)))
        .map(node_id);
    AccessUpdate {
        nodes,
        root: Some(ROOT),
        focus,
    }
}

/// The kit request for an action the broker forwarded, if its target is a
/// widget of `ui` that assistive technology can see.
pub fn request(ui: &Ui, action: &AccessAction) -> Option<AccessRequest> {
    let widget = ui
        .accessibility()
        .items
        .iter()
        .find(|i| node_id(i.id) == action.target())
        .map(|i| i.id)?;
    Some(match action {
        AccessAction::Click(_) => AccessRequest::Click(widget),
        AccessAction::Focus(_) => AccessRequest::Focus(widget),
        AccessAction::SetValue { value, .. } => AccessRequest::SetValue(widget, value.clone()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::content::Content;
    use workshop_common::access::AccessTree;
    use workshop_common::protocol::{BrokerToRenderer, Reply};
    use workshop_common::user::{LoginError, User};
    use workshop_common::Role;
    use workshop_ui::{Canvas, Event, TextSystem};

    /// (role, label, value, disabled) of every node but the root, and the
    /// focused node's label.
    type Shape = (
        Vec<(AccessRole, String, Option<String>, bool)>,
        Option<String>,
    );

    fn shape(content: &mut Content) -> Shape {
        let mut canvas = Canvas::new(400, 400, 1.0).unwrap();
        content.ui_mut().paint(&mut canvas, &mut TextSystem::new());
        let status = content.status_ids();
        let ui = content.ui_mut();
        let t = tree(&ui.accessibility(), &status, ui.size(), 1.0);
        // Whatever the window shows, the broker accepts it.
        let checked = AccessTree::default().apply(&t).unwrap();
        assert_eq!(checked.len(), t.nodes.len());
        assert_eq!(t.nodes[0].role, AccessRole::Pane);
        assert!(t.nodes[0].label.is_empty());
        let focus = t
            .focus
            .and_then(|f| t.nodes.iter().find(|n| n.id == f))
            .map(|n| n.label.clone());
        (
            t.nodes[1..]
                .iter()
                .map(|n| (n.role, n.label.clone(), n.value.clone(), n.disabled))
                .collect(),
            focus,
        )
    }

    fn n(role: AccessRole, label: &str) -> (AccessRole, String, Option<String>, bool) {
        (role, label.into(), None, false)
    }

    fn bruce() -> User {
        User {
            id: 1,
            name: "Bruce Wayne".into(),
            email: "bruce@wayne.com".into(),
        }
    }

    fn main() -> Content {
        Content::new(Role::Main, std::time::Duration::from_secs(5))
    }

    fn login() -> Content {
        Content::new(Role::Login, std::time::Duration::from_secs(5))
    }

    fn type_into(content: &mut Content, text: &str) {
        content.input(&Event::Text(text.into()));
    }

    #[test]
    fn main_window_initializing_signed_out_and_signed_in() {
        let mut c = main();
        let (nodes, _) = shape(&mut c);
        assert_eq!(
            nodes,
            vec![
                n(AccessRole::Heading, "Electron Workshop"),
                n(AccessRole::Status, "Initializing..."),
                n(AccessRole::Button, "Close"),
            ]
        );
        c.push(BrokerToRenderer::InitialState { user: None });
        let (nodes, _) = shape(&mut c);
        assert_eq!(
            nodes,
            vec![
                n(AccessRole::Heading, "Electron Workshop"),
                n(AccessRole::Button, "Let's check it out!"),
                n(AccessRole::Button, "Close"),
            ]
        );
        c.push(BrokerToRenderer::Authenticated { user: bruce() });
        let (nodes, _) = shape(&mut c);
        assert_eq!(
            nodes,
            vec![
                n(AccessRole::Heading, "Electron Workshop"),
                n(AccessRole::Status, "Welcome, Bruce Wayne!"),
                n(AccessRole::Label, "Your email: bruce@wayne.com"),
                n(AccessRole::Button, "Logout"),
                n(AccessRole::Button, "Close"),
            ]
        );
    }

    #[test]
    fn login_window_empty_filled_loading_and_error() {
        let mut c = login();
        let (nodes, focus) = shape(&mut c);
        assert_eq!(
            nodes,
            vec![
                (
                    AccessRole::TextInput,
                    "Email".into(),
                    Some(String::new()),
                    false
                ),
                n(AccessRole::PasswordInput, "Password"),
                (AccessRole::Button, "Submit".into(), None, true),
            ]
        );
        assert_eq!(focus.as_deref(), Some("Email"));
        type_into(&mut c, "bruce@wayne.com");
        c.input(&Event::Key {
            key: workshop_ui::Key::Tab,
            modifiers: workshop_ui::Modifiers::NONE,
        });
        type_into(&mut c, "hunter2");
        let (nodes, focus) = shape(&mut c);
        assert_eq!(
            nodes,
            vec![
                (
                    AccessRole::TextInput,
                    "Email".into(),
                    Some("bruce@wayne.com".into()),
                    false
                ),
                n(AccessRole::PasswordInput, "Password"),
                n(AccessRole::Button, "Submit"),
            ]
        );
        assert_eq!(focus.as_deref(), Some("Password"));
        assert!(!format!("{nodes:?}").contains("hunter2"));
        // Submit: loading..., everything disabled.
        c.input(&Event::Key {
            key: workshop_ui::Key::Enter,
            modifiers: workshop_ui::Modifiers::NONE,
        });
        let (nodes, _) = shape(&mut c);
        assert_eq!(
            nodes,
            vec![
                (
                    AccessRole::TextInput,
                    "Email".into(),
                    Some("bruce@wayne.com".into()),
                    true
                ),
                (AccessRole::PasswordInput, "Password".into(), None, true),
                (AccessRole::Button, "loading...".into(), None, true),
            ]
        );
        // The broker's answer: wrong password, shown as a status line.
        let sent = c.take_outgoing(std::time::Instant::now());
        assert_eq!(sent.len(), 1);
        let id = match &sent[0] {
            workshop_common::RendererToBroker::Invoke { id, .. } => *id,
            other => panic!("{other:?}"),
        };
        c.push(BrokerToRenderer::Reply {
            id,
            reply: Reply::SubmitLogin(Err(LoginError::Rejected)),
        });
        let (nodes, focus) = shape(&mut c);
        assert_eq!(nodes.len(), 4, "{nodes:?}");
        assert_eq!(nodes[3].0, AccessRole::Status);
        assert!(!nodes[3].1.is_empty());
        assert_eq!(nodes[2], (AccessRole::Button, "Submit".into(), None, true));
        assert_eq!(focus.as_deref(), Some("Password"));
    }

    #[test]
    fn actions_reach_the_widgets_and_never_set_the_password() {
        let mut c = login();
        let _ = shape(&mut c);
        let email = node_id(login_ids(&mut c).0);
        let password = node_id(login_ids(&mut c).1);
        let set = |target, value: &str| AccessAction::SetValue {
            target,
            value: value.into(),
        };
        let req = request(c.ui_mut(), &set(email, "a@b.c")).unwrap();
        c.input(&Event::Access(req));
        let req = request(c.ui_mut(), &set(password, "hunter2")).unwrap();
        c.input(&Event::Access(req));
        let (nodes, _) = shape(&mut c);
        assert_eq!(nodes[0].2.as_deref(), Some("a@b.c"));
        assert!(nodes[2].3, "Submit stays disabled: no password was set");
        assert!(request(c.ui_mut(), &AccessAction::Click(AccessId(999))).is_none());
    }

    fn login_ids(c: &mut Content) -> (WidgetId, WidgetId) {
        match c {
            Content::Login(w, _) => (w.email_input_id(), w.password_input_id()),
            Content::Main(..) => panic!("not the login window"),
        }
    }

    #[test]
    fn labels_are_bounded_and_lose_control_characters() {
        assert_eq!(bounded("a\nb", 10), "a b");
        assert_eq!(bounded("ééé", 5), "éé");
    }
}
