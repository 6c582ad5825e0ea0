//! Logging in and out. The session is stored in the settings so the CLI (one process per
//! command) and the GUI share it; a login opens a shift.

use cloudpos_domain::clerk::{Clerk, ClerkId, LoginGuard};
use cloudpos_domain::shift::Shift;
use cloudpos_domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Event, Result, Terminal, TerminalError};

/// Settings key of the current session.
pub const SESSION_KEY: &str = "session";

/// Why a login was refused: a kind the screens word in their own language (the message is
/// the command line's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Locked after too many failures, until the time given (shop time, `YYYY-MM-DD HH:MM:SS`).
    #[error("clerk {clerk} is locked after too many failed logins until {until}")]
    Locked {
        /// The clerk.
        clerk: ClerkId,
        /// Until when, shop time.
        until: String,
    },
    /// Wrong password, and that failure locked the account.
    #[error("wrong password for clerk {clerk}; the account is now locked until {until}")]
    WrongPasswordLocked {
        /// The clerk.
        clerk: ClerkId,
        /// Until when, shop time.
        until: String,
    },
    /// Wrong password.
    #[error(
        "wrong password for clerk {clerk} ({failures} of {max} attempts before a 30-minute lock)"
    )]
    WrongPassword {
        /// The clerk.
        clerk: ClerkId,
        /// Failures so far.
        failures: u32,
        /// Failures that lock the account.
        max: u32,
    },
    /// No such clerk (said together with a wrong password, so as not to tell which).
    #[error("unknown clerk {0} or wrong password")]
    UnknownClerk(ClerkId),
    /// The login QR code expired.
    #[error("the login QR code expired; show a new one")]
    QrExpired,
    /// The login QR code was used already.
    #[error("this login QR code was already used")]
    QrUsed,
    /// The approval could not be consumed.
    #[error("the login approval could not be used: {0}")]
    QrUnusable(String),
    /// The QR code approves something else.
    #[error("that QR code does not approve a login")]
    NotALoginQr,
    /// The approving staff member has no clerk account here.
    #[error("staff {0} approved, but no clerk here is linked to that Cloud Pay staff id")]
    NoLinkedClerk(String),
}

/// Who is at the till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The clerk logged in.
    pub clerk_id: ClerkId,
    /// The shift their login opened.
    pub shift_id: i64,
    /// Login time.
    pub since: Timestamp,
}

impl Terminal {
    /// Checks a clerk's password, applying the lockout (10 failures → 30 minutes). Used for
    /// logins and for every privileged confirmation (manager authorisation, clearing a halt).
    pub async fn authenticate(&self, id: &ClerkId, password: &str) -> Result<Clerk> {
        let accounts = &self.inner.ports.accounts;
        let guard = LoginGuard::default();
        let now = self.now();
        let record = accounts.login_record(id).await?;
        if let Err(locked) = guard.check(&record, now) {
            return Err(TerminalError::Login(LoginError::Locked {
                clerk: id.clone(),
                until: locked.until.format(self.offset_seconds()),
            }));
        }
        let clerk = accounts.clerk(id).await?;
        let ok = accounts.verify_password(id, password).await?;
        match clerk {
            Some(c) if ok => {
                if record.failures > 0 || record.locked_until.is_some() {
                    accounts
                        .save_login_record(id, &guard.after_success())
                        .await?;
                }
                Ok(c)
            }
            Some(_) => {
                let next = guard.after_failure(&record, now);
                accounts.save_login_record(id, &next).await?;
                Err(TerminalError::Login(match next.locked_until {
                    Some(until) if until > now => LoginError::WrongPasswordLocked {
                        clerk: id.clone(),
                        until: until.format(self.offset_seconds()),
                    },
                    _ => LoginError::WrongPassword {
                        clerk: id.clone(),
                        failures: next.failures,
                        max: guard.max_failures,
                    },
                }))
            }
            None => Err(TerminalError::Login(LoginError::UnknownClerk(id.clone()))),
        }
    }

    /// Logs a clerk in with their password and opens a shift.
    pub async fn login(&self, id: &ClerkId, password: &str) -> Result<Session> {
        let clerk = self.authenticate(id, password).await?;
        self.start_session(&clerk).await
    }

    /// Starts a session for an already authenticated clerk (password or QR approval).
    pub(crate) async fn start_session(&self, clerk: &Clerk) -> Result<Session> {
        let now = self.now();
        let shift: Shift = self.inner.ports.ledger.open_shift(&clerk.id, now).await?;
        let session = Session {
            clerk_id: clerk.id.clone(),
            shift_id: shift.id,
            since: now,
        };
        let value =
            serde_json::to_value(&session).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner.ports.settings.put(SESSION_KEY, &value).await?;
        self.audit(
            clerk.id.as_str(),
            "login",
            serde_json::json!({"shift": shift.id}),
        )
        .await?;
        self.emit(Event::SessionChanged);
        Ok(session)
    }

    /// Ends the session (the shift stays open until a handover or the next login).
    pub async fn logout(&self) -> Result<()> {
        if let Some(s) = self.session().await? {
            self.audit(s.clerk_id.as_str(), "logout", serde_json::json!({}))
                .await?;
        }
        self.inner.ports.settings.remove(SESSION_KEY).await?;
        self.emit(Event::SessionChanged);
        Ok(())
    }

    /// The current session, if someone is logged in.
    pub async fn session(&self) -> Result<Option<Session>> {
        match self.inner.ports.settings.get(SESSION_KEY).await? {
            None => Ok(None),
            Some(v) => Ok(serde_json::from_value(v).ok()),
        }
    }

    /// The logged-in clerk, or [`TerminalError::NotLoggedIn`]. A session whose clerk was
    /// removed meanwhile counts as logged out.
    pub async fn current_clerk(&self) -> Result<(Session, Clerk)> {
        let session = self.session().await?.ok_or(TerminalError::NotLoggedIn)?;
        let clerk = self
            .inner
            .ports
            .accounts
            .clerk(&session.clerk_id)
            .await?
            .ok_or(TerminalError::NotLoggedIn)?;
        Ok((session, clerk))
    }
}
