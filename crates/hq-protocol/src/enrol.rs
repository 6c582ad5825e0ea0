//! `POST /api/v1/enrol`: a one-time token exchanged for the till's credential.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The till presents the token `cloudpos-hq enrol` printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// Contract version.
    pub v: u32,
    /// The enrolment token.
    pub token: String,
}

impl fmt::Debug for EnrolRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolRequest")
            .field("v", &self.v)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The till's identity and credential. The credential is shown only in this answer: the
/// head office keeps a hash of it, so the till must seal it before anything else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// Contract version.
    pub v: u32,
    /// The head office's number for this till.
    pub terminal_id: i64,
    /// Store it was enrolled for.
    pub store: String,
    /// Device id it was enrolled for.
    pub device: String,
    /// `Authorization: Bearer <credential>` for every later request.
    pub credential: String,
    /// What the head office already holds of this till's stream (non-zero after a
    /// re-enrolment): the next push starts at `applied_through + 1`.
    pub applied_through: i64,
    /// The catalogue version the head office has now.
    pub catalog_version: i64,
}

impl fmt::Debug for EnrolResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolResponse")
            .field("terminal_id", &self.terminal_id)
            .field("store", &self.store)
            .field("device", &self.device)
            .field("credential", &"<redacted>")
            .field("applied_through", &self.applied_through)
            .finish_non_exhaustive()
    }
}
