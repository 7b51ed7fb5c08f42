//! The signed-in user and the rules for what a login request may contain.
//!
//! The bounds here are enforced by the broker on every request; the Login
//! Window uses the same functions only to enable its Submit button sooner.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest email address accepted, in bytes (RFC 5321 path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest display name the broker will push, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// A signed-in user, as the broker pushes it to the Main Window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Account id.
    pub id: u64,
    /// Display name ("Bruce Wayne").
    pub name: String,
    /// The address the user signed in with.
    pub email: String,
}

/// Why a login was refused. Typed, so the window can word it and tests can
/// match it; none of the variants carries the password.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum LoginError {
    /// The email is empty, too long, or not of the form `local@domain`.
    #[error("enter a valid email address")]
    InvalidEmail,
    /// The password is empty or longer than the limit.
    #[error("enter a password of 1 to 1024 bytes")]
    InvalidPassword,
    /// The authenticator turned the credentials down.
    #[error("email or password is incorrect")]
    Rejected,
    /// The authenticator could not be reached or failed.
    #[error("sign-in is unavailable, try again")]
    Unavailable,
    /// A sign-in is already pending for this window.
    #[error("a sign-in is already in progress")]
    AlreadyPending,
}

/// Checks the shape of an email address: 1..=254 bytes, exactly one `@`
/// with something on both sides, no whitespace or control characters.
pub fn check_email(email: &str) -> Result<(), LoginError> {
    if email.is_empty() || email.len() > MAX_EMAIL_BYTES {
        return Err(LoginError::InvalidEmail);
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(LoginError::InvalidEmail);
    }
    let mut parts = email.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty() => Ok(()),
        _ => Err(LoginError::InvalidEmail),
    }
}

/// Checks a password's length: 1..=1024 bytes.
pub fn check_password(password: &str) -> Result<(), LoginError> {
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Err(LoginError::InvalidPassword);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        assert_eq!(check_email("bruce@wayne.com"), Ok(()));
        assert_eq!(check_email("a@b"), Ok(()));
        for bad in [
            "", "bruce", "@wayne", "bruce@", "a@b@c", "bru ce@x", "a\n@b",
        ] {
            assert_eq!(check_email(bad), Err(LoginError::InvalidEmail), "{bad:?}");
        }
        let long = format!("{}@x", "a".repeat(MAX_EMAIL_BYTES - 1));
        assert_eq!(long.len(), MAX_EMAIL_BYTES + 1);
        assert_eq!(check_email(&long), Err(LoginError::InvalidEmail));
        let edge = format!("{}@x", "a".repeat(MAX_EMAIL_BYTES - 2));
        assert_eq!(check_email(&edge), Ok(()));
    }

    #[test]
    fn password_rules() {
        assert_eq!(check_password("x"), Ok(()));
        assert_eq!(check_password(""), Err(LoginError::InvalidPassword));
        assert_eq!(check_password(&"p".repeat(MAX_PASSWORD_BYTES)), Ok(()));
        assert_eq!(
            check_password(&"p".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(LoginError::InvalidPassword)
        );
    }
}
