//! The member-card calls of the head office (chain-wide cards; the rules are in
//! `cloudpos_hq_protocol::members`): cards added or imported, looked up by number and by
//! phone, their entries, and the money movements under an idempotency key.
//!
//! A movement whose answer is lost is [`LinkError::Unreachable`]: the caller sends the
//! *same* request again (same key) until it has an answer; the head office applies it once
//! and answers every replay with the first outcome. A refusal (insufficient balance, frozen
//! card …) is an answer, not an error: [`MovementResponse::status`] says it.

use cloudpos_domain::hq_ports::{HeadOfficeAccess, LinkError};
use cloudpos_hq_protocol::{
    CardInput, CardView, CardsResponse, EntriesResponse, MovementRequest, MovementResponse,
    PutCards,
};

use cloudpos_domain::member::{CardNo, MemberAccount, MemberCard, MemberEntry};
use cloudpos_domain::member_hq::{MemberMovement, MovementKind, MovementOutcome};
use cloudpos_domain::money::Money;
use cloudpos_hq_protocol::{MovementStatus, PROTOCOL_VERSION};

use crate::HqClient;

impl HqClient {
    /// `POST /api/v1/members`: adds the cards (or, with `upsert`, adds and updates them),
    /// all or none; the cards after it.
    pub async fn put_member_cards(
        &self,
        to: &HeadOfficeAccess,
        cards: Vec<CardInput>,
        upsert: bool,
    ) -> Result<Vec<CardView>, LinkError> {
        let (endpoint, https) = Self::endpoint(&to.url, "/api/v1/members")?;
        let body = PutCards::new(cards, upsert);
        let r: CardsResponse = self
            .send(
                |h| h.post(&endpoint).bearer_auth(&to.credential).json(&body),
                https,
                "member cards",
            )
            .await?;
        Ok(r.cards)
    }

    /// `GET /api/v1/members/{card_no}`: the card, `None` when the head office does not know
    /// it.
    pub async fn member_card(
        &self,
        to: &HeadOfficeAccess,
        card_no: &str,
    ) -> Result<Option<CardView>, LinkError> {
        let (endpoint, https) = Self::endpoint(
            &to.url,
            &format!("/api/v1/members/{}", path_segment(card_no)?),
        )?;
        let r = self
            .send(
                |h| h.get(&endpoint).bearer_auth(&to.credential),
                https,
                "member card",
            )
            .await;
        match r {
            Ok(card) => Ok(Some(card)),
            Err(LinkError::Refused { code, .. }) if code == "not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /api/v1/members?phone=P` (every card when `phone` is `None`), by card number.
    pub async fn member_cards(
        &self,
        to: &HeadOfficeAccess,
        phone: Option<&str>,
    ) -> Result<Vec<CardView>, LinkError> {
        let path = match phone {
            Some(p) => format!("/api/v1/members?phone={}", phone_query(p)?),
            None => "/api/v1/members".to_owned(),
        };
        let (endpoint, https) = Self::endpoint(&to.url, &path)?;
        let r: CardsResponse = self
            .send(
                |h| h.get(&endpoint).bearer_auth(&to.credential),
                https,
                "member cards",
            )
            .await?;
        Ok(r.cards)
    }

    /// `GET /api/v1/members/{card_no}/entries`: the card's entries, oldest first.
    pub async fn member_entries(
        &self,
        to: &HeadOfficeAccess,
        card_no: &str,
    ) -> Result<EntriesResponse, LinkError> {
        let (endpoint, https) = Self::endpoint(
            &to.url,
            &format!("/api/v1/members/{}/entries", path_segment(card_no)?),
        )?;
        self.send(
            |h| h.get(&endpoint).bearer_auth(&to.credential),
            https,
            "member entries",
        )
        .await
    }

    /// `POST /api/v1/member-movements`: applies (or has refused) the movement once per
    /// key. On [`LinkError::Unreachable`] send the same request again.
    pub async fn member_movement(
        &self,
        to: &HeadOfficeAccess,
        request: &MovementRequest,
    ) -> Result<MovementResponse, LinkError> {
        let (endpoint, https) = Self::endpoint(&to.url, "/api/v1/member-movements")?;
        self.send(
            |h| h.post(&endpoint).bearer_auth(&to.credential).json(request),
            https,
            "member card movement",
        )
        .await
    }
}

/// An answer the till cannot use (a card or entry its own rules refuse).
fn bad_answer(what: &str, e: impl std::fmt::Display) -> LinkError {
    LinkError::Refused {
        code: "bad_response".into(),
        message: format!("the head office sent a {what} this till cannot read: {e}"),
    }
}

fn accounts(cards: &[CardView]) -> Result<Vec<MemberAccount>, LinkError> {
    cards
        .iter()
        .map(|c| c.to_account().map_err(|e| bad_answer("member card", e)))
        .collect()
}

/// The domain's movement as the contract's request.
#[must_use]
pub fn movement_request(m: &MemberMovement) -> MovementRequest {
    use cloudpos_hq_protocol::MovementKind as Wire;
    let kind = match m.kind {
        MovementKind::Recharge => Wire::Recharge,
        MovementKind::Payment => Wire::Payment,
        MovementKind::Refund => Wire::Refund,
        MovementKind::Adjustment => Wire::Adjustment,
    };
    MovementRequest {
        v: PROTOCOL_VERSION,
        key: m.key.clone(),
        card_no: m.card_no.as_str().to_owned(),
        kind,
        amount_fen: m.amount.fen(),
        bonus_fen: m.bonus.fen(),
        payment_key: m.payment_key.clone(),
        reason: m.reason.clone(),
        clerk: m.clerk_id.as_str().to_owned(),
        at: m.at.unix_millis(),
    }
}

/// The contract's answer as the domain's outcome. An answer for another key is no answer.
pub fn movement_outcome(
    m: &MemberMovement,
    r: &MovementResponse,
) -> Result<MovementOutcome, LinkError> {
    if r.key != m.key {
        return Err(LinkError::Unreachable(format!(
            "the head office answered movement {} for {}",
            r.key, m.key
        )));
    }
    let balance = Money::from_fen(r.balance_fen);
    Ok(match (r.status, &r.refusal) {
        (MovementStatus::Applied, _) => MovementOutcome::Applied {
            balance,
            replayed: r.replayed,
        },
        (MovementStatus::Refused, refusal) => MovementOutcome::Refused {
            code: refusal
                .as_ref()
                .and_then(|f| serde_json::to_value(f.code).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "refused".into()),
            message: refusal
                .as_ref()
                .map_or_else(|| "refused".into(), |f| f.message.clone()),
            balance,
        },
    })
}

impl HqClient {
    pub(crate) async fn link_put_member_cards(
        &self,
        to: &HeadOfficeAccess,
        cards: &[MemberCard],
        upsert: bool,
    ) -> Result<Vec<MemberAccount>, LinkError> {
        let input = cards.iter().map(CardInput::from_card).collect();
        accounts(&self.put_member_cards(to, input, upsert).await?)
    }

    pub(crate) async fn link_member_card(
        &self,
        to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Option<MemberAccount>, LinkError> {
        self.member_card(to, card.as_str())
            .await?
            .map(|c| c.to_account().map_err(|e| bad_answer("member card", e)))
            .transpose()
    }

    pub(crate) async fn link_member_cards(
        &self,
        to: &HeadOfficeAccess,
        phone: Option<&str>,
    ) -> Result<Vec<MemberAccount>, LinkError> {
        accounts(&self.member_cards(to, phone).await?)
    }

    pub(crate) async fn link_member_entries(
        &self,
        to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Vec<MemberEntry>, LinkError> {
        self.member_entries(to, card.as_str())
            .await?
            .entries
            .iter()
            .map(|e| e.to_entry(card).map_err(|e| bad_answer("member entry", e)))
            .collect()
    }

    pub(crate) async fn link_member_movement(
        &self,
        to: &HeadOfficeAccess,
        m: &MemberMovement,
    ) -> Result<MovementOutcome, LinkError> {
        let r = self.member_movement(to, &movement_request(m)).await?;
        movement_outcome(m, &r)
    }
}

/// A card number as one path segment: card numbers are ASCII letters and digits only, so
/// anything else is refused before it is sent.
fn path_segment(card_no: &str) -> Result<&str, LinkError> {
    let t = card_no.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(LinkError::Refused {
            code: "bad_request".into(),
            message: format!("invalid card number \"{t}\": use letters or digits"),
        });
    }
    Ok(t)
}

/// A phone number as a query value: digits with an optional leading `+` (sent as `%2B`).
fn phone_query(phone: &str) -> Result<String, LinkError> {
    let p = phone.trim();
    let digits = p.strip_prefix('+').unwrap_or(p);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LinkError::Refused {
            code: "bad_request".into(),
            message: format!("invalid phone number \"{p}\": digits, optionally after '+'"),
        });
    }
    Ok(p.replacen('+', "%2B", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_cannot_escape_their_path_segment() {
        assert_eq!(path_segment(" 99000001\n").unwrap(), "99000001");
        for bad in ["", "../push", "99 01", "99%2F01", "卡1"] {
            assert!(path_segment(bad).is_err(), "{bad:?}");
        }
        assert_eq!(phone_query("+8613800138000").unwrap(), "%2B8613800138000");
        assert!(phone_query("138&x=1").is_err());
    }
}
