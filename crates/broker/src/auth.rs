//! Authentication, behind a trait so the product, tests and a future real
//! backend plug in the same way.
//!
//! The default stands in for the original's simulated API call: after a
//! delay, any well-formed email with a non-empty password signs in as
//! "Bruce Wayne". The broker has already checked the bounds (the router
//! calls `check_email`/`check_password` before asking), and checks them
//! again here because an authenticator must not rely on its caller.

use std::time::Duration;

use workshop_common::user::{check_email, check_password, LoginError, User};
use workshop_common::Secret;

/// Turns credentials into a user. Runs on its own thread; may block.
pub trait Authenticator: Send + Sync {
    /// Authenticates `email` with `password`.
    fn authenticate(&self, email: &str, password: &Secret) -> Result<User, LoginError>;
}

/// The original workshop's simulated API: a delay, then success.
#[derive(Debug, Clone)]
pub struct SimulatedApi {
    /// How long the "API call" takes (`--auth-delay-ms`, default 2000).
    pub delay: Duration,
}

/// The id the simulated API gives every user.
pub const SIMULATED_USER_ID: u64 = 123456;
/// The name the simulated API gives every user.
pub const SIMULATED_USER_NAME: &str = "Bruce Wayne";

impl Authenticator for SimulatedApi {
    fn authenticate(&self, email: &str, password: &Secret) -> Result<User, LoginError> {
        check_email(email)?;
        check_password(password.expose())?;
        // The simulated network round trip (product behaviour, not a test
        // wait): the Login Window shows "loading..." meanwhile.
        std::thread::sleep(self.delay);
        Ok(User {
            id: SIMULATED_USER_ID,
            name: SIMULATED_USER_NAME.to_owned(),
            email: email.to_owned(),
        })
    }
}

/// Refuses every credential (the tests of the error path).
#[derive(Debug, Clone)]
pub struct RejectAll {
    /// How long before refusing.
    pub delay: Duration,
}

impl Authenticator for RejectAll {
    fn authenticate(&self, email: &str, password: &Secret) -> Result<User, LoginError> {
        check_email(email)?;
        check_password(password.expose())?;
        std::thread::sleep(self.delay);
        Err(LoginError::Rejected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_api_signs_in_bruce_wayne() {
        let api = SimulatedApi {
            delay: Duration::ZERO,
        };
        let user = api
            .authenticate("bruce@wayne.com", &Secret::new("pw".into()))
            .map_err(|e| e.to_string());
        assert_eq!(
            user,
            Ok(User {
                id: 123456,
                name: "Bruce Wayne".into(),
                email: "bruce@wayne.com".into()
            })
        );
        assert_eq!(
            api.authenticate("nope", &Secret::new("pw".into())),
            Err(LoginError::InvalidEmail)
        );
        assert_eq!(
            api.authenticate("a@b", &Secret::new(String::new())),
            Err(LoginError::InvalidPassword)
        );
    }

    #[test]
    fn reject_all_rejects_well_formed_credentials() {
        let auth = RejectAll {
            delay: Duration::ZERO,
        };
        assert_eq!(
            auth.authenticate("a@b", &Secret::new("x".into())),
            Err(LoginError::Rejected)
        );
    }
}
