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
