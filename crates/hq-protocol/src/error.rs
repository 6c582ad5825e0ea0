//! The error shape of every endpoint, and what a till does on each code.

use serde::{Deserialize, Serialize};

use crate::PROTOCOL_VERSION;

/// A machine-readable reason. Serialised in snake case (`gap`, `conflict`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body's `v` is not one the head office speaks (HTTP 400).
    UnsupportedVersion,
    /// Malformed JSON, an invalid record or a non-contiguous batch; the body's `seq` names
    /// the change when there is one (HTTP 400).
    BadRequest,
    /// No credential, or not a valid one (HTTP 401): the till must be enrolled again.
    Unauthorized,
    /// The credential is valid but not for this (a till on an owner endpoint) (HTTP 403).
    Forbidden,
    /// The enrolment token is unknown, used or expired (HTTP 401).
    EnrolmentInvalid,
    /// No such thing (HTTP 404).
    NotFound,
    /// The push does not continue the stream: `applied_through` and `expected_seq` say where
    /// to resume (HTTP 409). Nothing was applied.
    Gap,
    /// A change under a number the head office already holds differs from the one it applied
    /// (a restored or copied data directory?); `seq` names it (HTTP 409). Nothing applied.
    Conflict,
    /// The body is too large or holds too many changes (HTTP 413).
    TooLarge,
    /// The database is unreachable or overloaded: retry later (HTTP 503).
    Unavailable,
    /// A fault of the head office (HTTP 500): retry later.
    Internal,
}

/// What a till does after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Retry the same request later, with backoff (nothing was applied).
    Later,
    /// Send again from `expected_seq`.
    Resume,
    /// Stop this stream and show the error: a person must act (enrol again, upgrade, fix).
    Stop,
}

impl ErrorCode {
    /// The HTTP status that carries this code.
    #[must_use]
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::UnsupportedVersion | ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized | ErrorCode::EnrolmentInvalid => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Gap | ErrorCode::Conflict => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// What the till does next.
    #[must_use]
    pub const fn retry(self) -> Retry {
        match self {
            ErrorCode::Unavailable | ErrorCode::Internal => Retry::Later,
            ErrorCode::Gap => Retry::Resume,
            ErrorCode::UnsupportedVersion
            | ErrorCode::BadRequest
            | ErrorCode::Unauthorized
            | ErrorCode::Forbidden
            | ErrorCode::EnrolmentInvalid
            | ErrorCode::NotFound
            | ErrorCode::Conflict
            | ErrorCode::TooLarge => Retry::Stop,
        }
    }
}

/// The body of every error answer.
///
/// ```json
/// {"v": 1, "error": "gap", "message": "…", "applied_through": 41, "expected_seq": 42}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error:?}: {message}")]
pub struct ErrorBody {
    /// Contract version.
    pub v: u32,
    /// The reason.
    pub error: ErrorCode,
    /// Words for a person, naming the problem.
    pub message: String,
    /// The change concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// For `gap` (and `conflict`): what the head office has applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_through: Option<i64>,
    /// For `gap`: the seq to send next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<i64>,
}

impl ErrorBody {
    /// An error with a message.
    #[must_use]
    pub fn new(error: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            v: PROTOCOL_VERSION,
            error,
            message: message.into(),
            seq: None,
            applied_through: None,
            expected_seq: None,
        }
    }
}
