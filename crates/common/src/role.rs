//! The roles a renderer process can be started in.
//!
//! A role is assigned by the broker when it spawns a renderer and is bound to
//! the channel that renderer talks on; it is never taken from a message.

use serde::{Deserialize, Serialize};

/// Which window a renderer draws, and therefore what it may say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// The Main Window: heading, sign-in state, Close.
    Main,
    /// The Login Window: the email/password form.
    Login,
}

impl Role {
    /// Every role, in a stable order (tables and reports iterate this).
    pub const ALL: [Role; 2] = [Role::Main, Role::Login];

    /// The name used on the command line (`--role=main`) and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::Login => "login",
        }
    }

    /// The tag the seed put in front of each log line (`[MAIN]`, `[LOGIN]`).
    pub fn log_tag(self) -> &'static str {
        match self {
            Role::Main => "MAIN",
            Role::Login => "LOGIN",
        }
    }

    /// The window title for this role.
    pub fn window_title(self) -> &'static str {
        match self {
            Role::Main => "Main Window",
            Role::Login => "Login Window",
        }
    }

    /// Parses the command-line spelling.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "main" => Some(Role::Main),
            "login" => Some(Role::Login),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_every_role() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("broker"), None);
        assert_eq!(Role::parse("Main"), None);
    }
}
