//! Re-login at a till where someone may still be logged in: another clerk's shift is handed
//! over (交接班) first, the same clerk's session simply continues.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::ports::ClerkQuery;

use crate::{Event, HandoverReport, Result, Session, Terminal, TerminalError};

/// The re-login of [`Terminal::login_with_handover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relogin {
    /// The session now in force.
    pub session: Session,
    /// The previous clerk's shift, closed with its summary, when another clerk was logged in.
    pub handover: Option<HandoverReport>,
    /// The clerk's own session was resumed (same clerk logging in again).
    pub resumed: bool,
}

impl Terminal {
    /// Logs a clerk in at a till where someone may still be logged in: the password is
    /// checked first; when another clerk's session is open, that shift is handed over
    /// (closed with its summary, 交接班) before the new one starts; when the same clerk logs
    /// in again, their session simply continues.
    pub async fn login_with_handover(&self, id: &ClerkId, password: &str) -> Result<Relogin> {
        let clerk = self.authenticate(id, password).await?;
        match self.current_clerk().await {
            Ok((session, current)) if current.id == clerk.id => {
                self.audit(
                    clerk.id.as_str(),
                    "login",
                    serde_json::json!({"shift": session.shift_id, "resumed": true}),
                )
                .await?;
                self.emit(Event::SessionChanged);
                Ok(Relogin {
                    session,
                    handover: None,
                    resumed: true,
                })
            }
            Ok(_) => {
                let report = self.handover().await?;
                let session = self.start_session(&clerk).await?;
                Ok(Relogin {
                    session,
                    handover: Some(report),
                    resumed: false,
                })
            }
            Err(TerminalError::NotLoggedIn) => Ok(Relogin {
                session: self.start_session(&clerk).await?,
                handover: None,
                resumed: false,
            }),
            Err(e) => Err(e),
        }
    }

    /// [`Terminal::finish_qr_login`] with the handover of [`Terminal::login_with_handover`]:
    /// `Ok(None)` while the QR code is not approved yet.
    pub async fn finish_qr_login_with_handover(&self, token: &str) -> Result<Option<Relogin>> {
        let status = self.approval(token).await?;
        if status.state != cloudpos_domain::ports::ApprovalState::Approved {
            // Pending, or the error finish_qr_login words for expired / used codes.
            return self.finish_qr_login(token).await.map(|s| {
                s.map(|session| Relogin {
                    session,
                    handover: None,
                    resumed: false,
                })
            });
        }
        // Hand over only for an approver who maps to a clerk here.
        let approver = match status.staff_id.as_deref().filter(|s| !s.is_empty()) {
            Some(staff) => self
                .inner
                .ports
                .accounts
                .clerks(&ClerkQuery::default())
                .await?
                .into_iter()
                .find(|c| c.cloud_staff_id.as_deref() == Some(staff)),
            None => None,
        };
        let mut handover = None;
        if let Some(next) = &approver
            && let Ok((_, current)) = self.current_clerk().await
            && current.id != next.id
        {
            handover = Some(self.handover().await?);
        }
        let session = self.finish_qr_login(token).await?;
        Ok(session.map(|session| Relogin {
            session,
            handover,
            resumed: false,
        }))
    }
}
