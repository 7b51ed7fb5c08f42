//! The accessibility path end to end in the headless shell, with real
//! sandboxed renderers: each window's tree as the broker would hand it to
//! its adapter, and actions from assistive technology driving the app
//! (through the core's checks and the input pacing) as a screen reader
//! user would. The AT-SPI side is `tests/atspi/check.py`, run by `.ci/run`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::Harness;
use workshop_broker::shell::headless::HeadlessApp;
use workshop_common::access::{AccessAction, AccessId, AccessNode, AccessRole, AccessTree};
use workshop_common::Role;

fn tree(app: &HeadlessApp, role: Role) -> AccessTree {
    app.backend()
        .window(role)
        .map(|w| w.access.clone())
        .unwrap_or_default()
}

fn find<'a>(t: &'a AccessTree, role: AccessRole, label: &str) -> Option<&'a AccessNode> {
    t.nodes().find(|n| n.role == role && n.label == label)
}

fn has(app: &HeadlessApp, w: Role, role: AccessRole, label: &str) -> bool {
    find(&tree(app, w), role, label).is_some()
}

fn id(h: &Harness, w: Role, role: AccessRole, label: &str) -> AccessId {
    find(&tree(&h.app, w), role, label)
        .unwrap_or_else(|| panic!("no {role:?} {label:?} in {:?}", tree(&h.app, w)))
        .id
}

fn enabled(app: &HeadlessApp, w: Role, role: AccessRole, label: &str) -> bool {
    find(&tree(app, w), role, label).is_some_and(|n| !n.disabled)
}

#[test]
fn a_screen_reader_user_signs_in() {
    let mut h = Harness::start(support::options());
    h.until("the Main Window's tree", |app| {
        has(app, Role::Main, AccessRole::Button, "Let's check it out!")
            && has(app, Role::Main, AccessRole::Button, "Close")
            && has(app, Role::Main, AccessRole::Heading, "Electron Workshop")
    });
    // The root is the renderer's pane; the window node is the broker's.
    let main = tree(&h.app, Role::Main);
    let root = main.node(main.root().unwrap()).unwrap();
    assert_eq!(root.role, AccessRole::Pane);
    assert!(root.label.is_empty());
    assert_eq!(
        h.app.backend().window(Role::Main).unwrap().title,
        "Main Window"
    );

    // Default action on "Let's check it out!" opens the Login Window.
    let check = id(&h, Role::Main, AccessRole::Button, "Let's check it out!");
    h.app.access_action(Role::Main, AccessAction::Click(check));
    h.until("the Login Window's tree", |app| {
        has(app, Role::Login, AccessRole::TextInput, "Email")
            && has(app, Role::Login, AccessRole::PasswordInput, "Password")
            && has(app, Role::Login, AccessRole::Button, "Submit")
    });
    assert!(!enabled(&h.app, Role::Login, AccessRole::Button, "Submit"));

    // The Email is set through assistive technology; a value for the
    // password is never forwarded (the core refuses it, the kit would too).
    let email = id(&h, Role::Login, AccessRole::TextInput, "Email");
    let password = id(&h, Role::Login, AccessRole::PasswordInput, "Password");
    h.app.access_action(
        Role::Login,
        AccessAction::SetValue {
            target: email,
            value: "bruce@wayne.com".into(),
        },
    );
    h.app.access_action(
        Role::Login,
        AccessAction::SetValue {
            target: password,
            value: "set-by-at".into(),
        },
    );
    h.until("the Email's value", |app| {
        find(&tree(app, Role::Login), AccessRole::TextInput, "Email")
            .is_some_and(|n| n.value.as_deref() == Some("bruce@wayne.com"))
    });
    assert!(h
        .broker_log()
        .contains("assistive technology asked for an action the window's tree does not offer"));
    assert!(!enabled(&h.app, Role::Login, AccessRole::Button, "Submit"));

    // Focus moves to the password through assistive technology; the user
    // types it; Submit becomes enabled and the password is nowhere.
    h.app
        .access_action(Role::Login, AccessAction::Focus(password));
    h.until("focus on the password", |app| {
        tree(app, Role::Login).focus() == Some(password)
    });
    h.app.type_text(Role::Login, "hunter2");
    h.until("Submit enabled", |app| {
        enabled(app, Role::Login, AccessRole::Button, "Submit")
    });
    let login = tree(&h.app, Role::Login);
    assert_eq!(login.node(password).unwrap().value, None);
    for n in login.nodes() {
        assert!(!n.label.contains("hunter2") && n.value.as_deref() != Some("hunter2"));
    }

    // Default action on Submit signs in; the Main Window's tree says so.
    let submit = id(&h, Role::Login, AccessRole::Button, "Submit");
    h.app
        .access_action(Role::Login, AccessAction::Click(submit));
    h.until("the welcome status", |app| {
        has(app, Role::Main, AccessRole::Status, "Welcome, Bruce Wayne!")
            && app.backend().window(Role::Login).is_none()
    });
}
