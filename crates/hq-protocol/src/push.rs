//! `POST /api/v1/push`: a batch of a till's changes, and what the head office applied.

use serde::{Deserialize, Serialize};

use crate::change::{Change, RecordError};
use crate::error::{ErrorBody, ErrorCode};
use crate::{MAX_BATCH, PROTOCOL_VERSION};

/// A batch of changes from one till (the till is known from its credential).
///
/// An empty `changes` is allowed: it reports the till alive with its backlog and returns
/// `applied_through`, which a till that lost track (a restored data directory) asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    /// Contract version, [`PROTOCOL_VERSION`].
    pub v: u32,
    /// Ascending, contiguous changes; at most [`MAX_BATCH`].
    pub changes: Vec<Change>,
    /// Changes still in the till's outbox *after* this batch (not counting it).
    #[serde(default)]
    pub backlog: u64,
    /// When the oldest of those was committed (Unix ms), if any.
    #[serde(default)]
    pub oldest_backlog_at: Option<i64>,
}

/// Why a batch is malformed (the whole batch is refused, nothing applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// More than [`MAX_BATCH`] changes.
    #[error("a push holds at most {max} changes, this one {got}")]
    TooMany {
        /// The limit.
        max: usize,
        /// Changes sent.
        got: usize,
    },
    /// Numbers not ascending by one.
    #[error("change seq {got} follows seq {prev}; a push's changes must be contiguous (expected {})", prev + 1)]
    NotContiguous {
        /// The previous change's number.
        prev: i64,
        /// This change's number.
        got: i64,
    },
    /// A change breaks a record rule.
    #[error("change seq {seq} ({kind}): {error}")]
    Invalid {
        /// The change's number.
        seq: i64,
        /// Its kind.
        kind: &'static str,
        /// The rule broken.
        error: RecordError,
    },
}

impl BatchError {
    /// The error body the head office answers with.
    #[must_use]
    pub fn to_body(&self) -> ErrorBody {
        let code = match self {
            BatchError::TooMany { .. } => ErrorCode::TooLarge,
            BatchError::NotContiguous { .. } | BatchError::Invalid { .. } => ErrorCode::BadRequest,
        };
        let mut body = ErrorBody::new(code, self.to_string());
        if let BatchError::Invalid { seq, .. } | BatchError::NotContiguous { got: seq, .. } = self {
            body.seq = Some(*seq);
        }
        body
    }
}

impl PushRequest {
    /// A batch of `changes` (version 1).
    #[must_use]
    pub fn new(changes: Vec<Change>, backlog: u64, oldest_backlog_at: Option<i64>) -> PushRequest {
        PushRequest {
            v: PROTOCOL_VERSION,
            changes,
            backlog,
            oldest_backlog_at,
        }
    }

    /// Checks the batch's shape: at most [`MAX_BATCH`] changes, ascending by exactly one,
    /// every change valid. (Whether it continues what the head office holds is the head
    /// office's check: [`PushRequest::split_at`].)
    pub fn validate(&self) -> Result<(), BatchError> {
        if self.changes.len() > MAX_BATCH {
            return Err(BatchError::TooMany {
                max: MAX_BATCH,
                got: self.changes.len(),
            });
        }
        let mut prev: Option<i64> = None;
        for c in &self.changes {
            if let Some(p) = prev
                && c.seq != p.saturating_add(1)
            {
                return Err(BatchError::NotContiguous {
                    prev: p,
                    got: c.seq,
                });
            }
            c.validate().map_err(|error| BatchError::Invalid {
                seq: c.seq,
                kind: c.record.kind(),
                error,
            })?;
            prev = Some(c.seq);
        }
        Ok(())
    }

    /// Splits a valid batch against the head office's `applied_through`: the duplicates
    /// (already applied, to be checked and skipped) and the new changes. `Err` when the new
    /// changes do not start at `applied_through + 1` (a gap: nothing may be applied).
    pub fn split_at(&self, applied_through: i64) -> Result<(&[Change], &[Change]), ErrorBody> {
        let dup = self.changes.partition_point(|c| c.seq <= applied_through);
        let (old, new) = self.changes.split_at(dup);
        if let Some(first) = new.first()
            && first.seq != applied_through + 1
        {
            let mut body = ErrorBody::new(
                ErrorCode::Gap,
                format!(
                    "the head office has applied this till's changes through seq {applied_through}; this push starts at seq {}: send again from seq {}",
                    first.seq,
                    applied_through + 1
                ),
            );
            body.applied_through = Some(applied_through);
            body.expected_seq = Some(applied_through + 1);
            return Err(body);
        }
        Ok((old, new))
    }
}

/// What the head office applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Contract version.
    pub v: u32,
    /// The highest seq of this till the head office has applied (committed). The till may
    /// delete its outbox rows up to here, and sends the next push from here + 1.
    pub applied_through: i64,
    /// Changes of this push applied now.
    pub applied: u32,
    /// Changes of this push that were already applied (redelivery), checked and skipped.
    pub duplicates: u32,
    /// The head office's clock at commit (Unix ms).
    pub server_time: i64,
}
