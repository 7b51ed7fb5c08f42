//! The role-specific clients: all that window content code gets.
//!
//! This is the analog of the seed's `contextBridge`: the Main Window's
//! content holds a [`MainWindowClient`] and can only send what the Main
//! Window may send; the Login Window's holds a [`LoginWindowClient`]. The
//! clients only queue messages; the renderer runtime drains and sends them,
//! and tracks invoke timeouts, so content code knows nothing of channels,
//! processes or clocks.

use std::time::{Duration, Instant};

use thiserror::Error;

use crate::capability::{renderer_may_send, Pattern};
use crate::protocol::{RendererMessageKind, RendererToBroker, Reply, Request, RequestId};
use crate::role::Role;
use crate::secret::Secret;
use crate::user::{LoginError, User};

/// How long a renderer waits for an invoke's reply by default.
pub const DEFAULT_INVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an invoke produced no successful result.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InvokeError {
    /// As many invokes of this kind are unanswered as the capability table
    /// allows; nothing was sent.
    #[error("a request of this kind is already pending")]
    AlreadyPending,
    /// No reply arrived in time.
    #[error("the request timed out")]
    TimedOut,
    /// The broker answered with a typed error.
    #[error(transparent)]
    Login(#[from] LoginError),
}

#[derive(Debug)]
struct Pending {
    id: RequestId,
    kind: RendererMessageKind,
    /// Set when the runtime takes the message to send it.
    deadline: Option<Instant>,
}

/// Request ids, in-flight limits and deadlines for one renderer's invokes.
#[derive(Debug)]
struct InvokeTracker {
    next_id: u64,
    timeout: Duration,
    pending: Vec<Pending>,
}

impl InvokeTracker {
    fn new(timeout: Duration) -> InvokeTracker {
        InvokeTracker {
            next_id: 1,
            timeout,
            pending: Vec::new(),
        }
    }

    fn start(&mut self, role: Role, kind: RendererMessageKind) -> Result<RequestId, InvokeError> {
        let max = match renderer_may_send(role, kind).map(|c| c.pattern) {
            Some(Pattern::Invoke { max_in_flight }) => max_in_flight,
            // The client only offers methods its role has; this is a bug in
            // this crate, and refusing is the safe answer.
            _ => 0,
        };
        if self.pending.iter().filter(|p| p.kind == kind).count() >= max {
            return Err(InvokeError::AlreadyPending);
        }
        let id = RequestId(self.next_id);
        self.next_id += 1;
        self.pending.push(Pending {
            id,
            kind,
            deadline: None,
        });
        Ok(id)
    }

    fn arm(&mut self, now: Instant) {
        for p in self.pending.iter_mut().filter(|p| p.deadline.is_none()) {
            p.deadline = Some(now + self.timeout);
        }
    }

    fn finish(&mut self, id: RequestId) -> bool {
        let before = self.pending.len();
        self.pending.retain(|p| p.id != id);
        before != self.pending.len()
    }

    fn expire(&mut self, now: Instant) -> Vec<RequestId> {
        let expired: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|p| p.deadline.is_some_and(|d| d <= now))
            .map(|p| p.id)
            .collect();
        self.pending.retain(|p| !expired.contains(&p.id));
        expired
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.pending.iter().filter_map(|p| p.deadline).min()
    }
}

/// What the Main Window's content may ask of the broker.
#[derive(Debug, Default)]
pub struct MainWindowClient {
    outbox: Vec<RendererToBroker>,
}

impl MainWindowClient {
    /// A client with nothing queued.
    pub fn new() -> MainWindowClient {
        MainWindowClient::default()
    }

    /// Ask the broker to open the Login Window (it raises an open one).
    pub fn send_open_login_window(&mut self) {
        self.outbox.push(RendererToBroker::OpenLoginWindow);
    }

    /// Ask the broker to forget the signed-in user.
    pub fn send_logout(&mut self) {
        self.outbox.push(RendererToBroker::Logout);
    }

    /// Ask the broker to close every window and quit.
    pub fn send_close_window(&mut self) {
        self.outbox.push(RendererToBroker::CloseWindow);
    }

    /// For the runtime: the messages queued since the last call.
    pub fn take_outgoing(&mut self) -> Vec<RendererToBroker> {
        std::mem::take(&mut self.outbox)
    }
}

/// A finished login invoke, delivered to the Login Window's content.
#[derive(Debug, PartialEq)]
pub struct LoginOutcome {
    /// The id [`LoginWindowClient::invoke_submit_login`] returned.
    pub id: RequestId,
    /// The user, or why not.
    pub result: Result<User, InvokeError>,
}

/// What the Login Window's content may ask of the broker.
#[derive(Debug)]
pub struct LoginWindowClient {
    outbox: Vec<RendererToBroker>,
    invokes: InvokeTracker,
}

impl LoginWindowClient {
    /// A client whose invokes time out after `timeout`.
    pub fn new(timeout: Duration) -> LoginWindowClient {
        LoginWindowClient {
            outbox: Vec::new(),
            invokes: InvokeTracker::new(timeout),
        }
    }

    /// Ask the broker to close the Login Window (Escape).
    pub fn send_close_window(&mut self) {
        self.outbox.push(RendererToBroker::CloseWindow);
    }

    /// Submit credentials. Returns the request's id; the outcome arrives
    /// later as a [`LoginOutcome`]. Refused while a submit is pending.
    pub fn invoke_submit_login(
        &mut self,
        email: String,
        password: Secret,
    ) -> Result<RequestId, InvokeError> {
        let id = self
            .invokes
            .start(Role::Login, RendererMessageKind::SubmitLogin)?;
        self.outbox.push(RendererToBroker::Invoke {
            id,
            request: Request::SubmitLogin { email, password },
        });
        Ok(id)
    }

    /// Whether a submit is awaiting its reply.
    pub fn is_pending(&self) -> bool {
        !self.invokes.pending.is_empty()
    }

    /// For the runtime: the messages queued since the last call; their
    /// timeouts start at `now`.
    pub fn take_outgoing(&mut self, now: Instant) -> Vec<RendererToBroker> {
        self.invokes.arm(now);
        std::mem::take(&mut self.outbox)
    }

    /// For the runtime: match a reply to its invoke. `None` means a reply to
    /// nothing (already timed out, or never asked), which the runtime logs
    /// and drops.
    pub fn complete(&mut self, id: RequestId, reply: Reply) -> Option<LoginOutcome> {
        if !self.invokes.finish(id) {
            return None;
        }
        match reply {
            Reply::SubmitLogin(result) => Some(LoginOutcome {
                id,
                result: result.map_err(InvokeError::from),
            }),
        }
    }

    /// For the runtime: invokes whose deadline has passed, as timeouts.
    pub fn expire(&mut self, now: Instant) -> Vec<LoginOutcome> {
        self.invokes
            .expire(now)
            .into_iter()
            .map(|id| LoginOutcome {
                id,
                result: Err(InvokeError::TimedOut),
            })
            .collect()
    }

    /// For the runtime: when [`LoginWindowClient::expire`] next has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.invokes.next_deadline()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn user() -> User {
        User {
            id: 123456,
            name: "Bruce Wayne".into(),
            email: "bruce@wayne.com".into(),
        }
    }

    #[test]
    fn main_client_queues_only_main_messages() {
        let mut c = MainWindowClient::new();
        c.send_open_login_window();
        c.send_logout();
        c.send_close_window();
        let out = c.take_outgoing();
        assert_eq!(
            out,
            vec![
                RendererToBroker::OpenLoginWindow,
                RendererToBroker::Logout,
                RendererToBroker::CloseWindow
            ]
        );
        for m in &out {
            assert!(renderer_may_send(Role::Main, m.kind()).is_some());
        }
        assert!(c.take_outgoing().is_empty());
    }

    #[test]
    fn invoke_reply_completes_once() {
        let mut c = LoginWindowClient::new(Duration::from_secs(5));
        let id = c
            .invoke_submit_login("a@b".into(), Secret::new("p".into()))
            .unwrap();
        assert_eq!(id, RequestId(1));
        assert!(c.is_pending());
        let out = c.take_outgoing(Instant::now());
        assert_eq!(out.len(), 1);
        assert!(renderer_may_send(Role::Login, out[0].kind()).is_some());
        let done = c.complete(id, Reply::SubmitLogin(Ok(user()))).unwrap();
        assert_eq!(done.result, Ok(user()));
        assert!(!c.is_pending());
        // A second reply to the same id is a reply to nothing.
        assert!(c.complete(id, Reply::SubmitLogin(Ok(user()))).is_none());
    }

    #[test]
    fn invoke_error_is_typed() {
        let mut c = LoginWindowClient::new(Duration::from_secs(5));
        let id = c
            .invoke_submit_login("a".into(), Secret::new("p".into()))
            .unwrap();
        c.take_outgoing(Instant::now());
        let done = c
            .complete(id, Reply::SubmitLogin(Err(LoginError::InvalidEmail)))
            .unwrap();
        assert_eq!(
            done.result,
            Err(InvokeError::Login(LoginError::InvalidEmail))
        );
    }

    #[test]
    fn second_invoke_while_pending_is_refused_and_ids_increase() {
        let mut c = LoginWindowClient::new(Duration::from_secs(5));
        let a = c
            .invoke_submit_login("a@b".into(), Secret::new("p".into()))
            .unwrap();
        assert_eq!(
            c.invoke_submit_login("a@b".into(), Secret::new("p".into())),
            Err(InvokeError::AlreadyPending)
        );
        assert_eq!(c.take_outgoing(Instant::now()).len(), 1);
        c.complete(a, Reply::SubmitLogin(Ok(user()))).unwrap();
        let b = c
            .invoke_submit_login("a@b".into(), Secret::new("p".into()))
            .unwrap();
        assert!(b > a);
    }

    #[test]
    fn invoke_times_out_at_its_deadline_and_late_reply_is_dropped() {
        let mut c = LoginWindowClient::new(Duration::from_millis(100));
        let t0 = Instant::now();
        let id = c
            .invoke_submit_login("a@b".into(), Secret::new("p".into()))
            .unwrap();
        // Not armed until taken for sending.
        assert_eq!(c.next_deadline(), None);
        c.take_outgoing(t0);
        assert_eq!(c.next_deadline(), Some(t0 + Duration::from_millis(100)));
        assert!(c.expire(t0 + Duration::from_millis(99)).is_empty());
        let expired = c.expire(t0 + Duration::from_millis(100));
        assert_eq!(
            expired,
            vec![LoginOutcome {
                id,
                result: Err(InvokeError::TimedOut)
            }]
        );
        assert!(c.complete(id, Reply::SubmitLogin(Ok(user()))).is_none());
        assert!(!c.is_pending());
    }
}
