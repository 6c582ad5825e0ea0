//! Fakes of the head office ports: an in-memory outbox ([`FakeOutbox`]) and a scriptable
//! head office ([`FakeHeadOffice`]) that applies pushes by the contract's rules.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use cloudpos_domain::hq_ports::{
    CatalogPage, Enrolment, HeadOfficeAccess, HeadOfficeLink, HeadOfficeStore, LinkError,
    ManagedCommodity, OutboxEntry, OutboxState, PushReceipt,
};
use cloudpos_domain::member::{CardNo, MemberAccount, MemberCard, MemberEntry};
use cloudpos_domain::member_hq::{MemberMovement, MovementOutcome};
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::StoreError;
use cloudpos_domain::timestamp::Timestamp;

use super::hq_members::{MemberOffice, MovementScript};

#[derive(Default)]
struct Outbox {
    enabled: bool,
    starts: u32,
    entries: BTreeMap<i64, OutboxEntry>,
    last_seq: i64,
    acknowledged: i64,
    catalog: BTreeMap<String, ManagedCommodity>,
    catalog_version: i64,
}

/// An in-memory outbox and managed catalogue.
#[derive(Clone, Default)]
pub struct FakeOutbox {
    inner: Arc<Mutex<Outbox>>,
}

impl FakeOutbox {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a change (as the ledger would with a change of its own); returns its seq.
    pub fn record(&self, at: Timestamp, kind: &str, record_json: &str) -> i64 {
        let mut o = self.inner.lock().unwrap();
        o.last_seq += 1;
        let seq = o.last_seq;
        o.entries.insert(
            seq,
            OutboxEntry {
                seq,
                at,
                kind: kind.into(),
                record_json: record_json.into(),
            },
        );
        seq
    }

    /// Appends `n` audit changes at `at`.
    pub fn record_many(&self, at: Timestamp, n: usize) {
        for i in 0..n {
            self.record(at, "audit", &format!(r#"{{"kind":"audit","n":{i}}}"#));
        }
    }

    /// The seqs still queued.
    #[must_use]
    pub fn pending(&self) -> Vec<i64> {
        self.inner.lock().unwrap().entries.keys().copied().collect()
    }

    #[must_use]
    pub fn acknowledged(&self) -> i64 {
        self.inner.lock().unwrap().acknowledged
    }

    #[must_use]
    pub fn enabled(&self) -> bool {
        self.inner.lock().unwrap().enabled
    }

    /// The catalogue as applied (tombstones removed).
    #[must_use]
    pub fn catalog(&self) -> BTreeMap<String, ManagedCommodity> {
        self.inner.lock().unwrap().catalog.clone()
    }
}

#[async_trait]
impl HeadOfficeStore for FakeOutbox {
    async fn start_outbox(&self) -> Result<u64, StoreError> {
        let mut o = self.inner.lock().unwrap();
        o.starts += 1;
        o.enabled = true;
        Ok(0)
    }

    async fn outbox_enabled(&self) -> Result<bool, StoreError> {
        Ok(self.inner.lock().unwrap().enabled)
    }

    async fn outbox_batch(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let o = self.inner.lock().unwrap();
        Ok(o.entries
            .range(after_seq + 1..)
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn acknowledge(&self, through_seq: i64) -> Result<(), StoreError> {
        let mut o = self.inner.lock().unwrap();
        if through_seq > o.acknowledged {
            o.acknowledged = through_seq;
            o.entries.retain(|s, _| *s > through_seq);
        }
        Ok(())
    }

    async fn outbox_state(&self) -> Result<OutboxState, StoreError> {
        let o = self.inner.lock().unwrap();
        Ok(OutboxState {
            pending: o.entries.len() as u64,
            oldest_at: o.entries.values().next().map(|e| e.at),
            last_seq: o.last_seq,
            acknowledged_through: o.acknowledged,
        })
    }

    async fn apply_catalog(
        &self,
        changes: &[ManagedCommodity],
        version: i64,
    ) -> Result<(), StoreError> {
        let mut o = self.inner.lock().unwrap();
        for c in changes {
            if c.commodity.is_some() {
                o.catalog.insert(c.sku.clone(), c.clone());
            } else {
                o.catalog.remove(&c.sku);
            }
        }
        o.catalog_version = version;
        Ok(())
    }

    async fn catalog_version(&self) -> Result<i64, StoreError> {
        Ok(self.inner.lock().unwrap().catalog_version)
    }
}

/// What the fake head office does with the next push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushScript {
    /// Never arrives: nothing applied, no answer.
    Unreachable,
    /// Applied and committed, but the answer is lost.
    LoseAnswer,
    /// Answers `unavailable` (503): nothing applied.
    Unavailable,
    /// Answers `gap` with this `applied_through`, applying nothing.
    Gap(i64),
    /// Refuses for good with this code (`unauthorized`, `bad_request`, …).
    Refuse(String),
    /// Applies only the first `n` new changes of the push (and answers so).
    ApplyOnly(usize),
}

#[derive(Default)]
struct Office {
    applied: BTreeMap<i64, String>,
    applied_through: i64,
    /// Times each seq was applied (a seq applied twice is a bug).
    applications: BTreeMap<i64, u32>,
    script: VecDeque<PushScript>,
    /// (first seq, last seq, count) of each push received (0, 0, 0 for an empty one).
    pushes: Vec<(i64, i64, usize)>,
    backlogs: Vec<u64>,
    catalog: Vec<ManagedCommodity>,
    catalog_page: usize,
    tokens: Vec<String>,
}

/// A scriptable head office that applies pushes by the contract's rules (contiguous,
/// duplicates skipped after comparison, a gap refused).
#[derive(Clone, Default)]
pub struct FakeHeadOffice {
    inner: Arc<Mutex<Office>>,
    members: Arc<Mutex<MemberOffice>>,
}

/// The one enrolment token the fake accepts (once).
pub const FAKE_ENROL_TOKEN: &str = "hqe_good-token";
/// The credential it hands out.
pub const FAKE_CREDENTIAL: &str = "hqt_fake-credential-0123456789";

impl FakeHeadOffice {
    #[must_use]
    pub fn new() -> Self {
        let f = Self::default();
        {
            let mut o = f.inner.lock().unwrap();
            o.tokens.push(FAKE_ENROL_TOKEN.into());
            o.catalog_page = 1000;
        }
        f
    }

    /// Accepts one more enrolment token (once), for another till.
    pub fn add_enrol_token(&self, token: &str) {
        self.inner.lock().unwrap().tokens.push(token.into());
    }

    /// What the next pushes meet, in order (then normal behaviour).
    pub fn script(&self, steps: impl IntoIterator<Item = PushScript>) {
        self.inner.lock().unwrap().script.extend(steps);
    }

    /// The head office already holds these changes (as if pushed before).
    pub fn preload(&self, entries: &[(i64, &str)]) {
        let mut o = self.inner.lock().unwrap();
        for (seq, json) in entries {
            o.applied.insert(*seq, (*json).to_owned());
            o.applied_through = o.applied_through.max(*seq);
        }
    }

    /// Adds catalogue changes; `page` is the most it sends per answer.
    pub fn set_catalog(&self, changes: Vec<ManagedCommodity>, page: usize) {
        let mut o = self.inner.lock().unwrap();
        o.catalog = changes;
        o.catalog_page = page;
    }

    #[must_use]
    pub fn applied(&self) -> BTreeMap<i64, String> {
        self.inner.lock().unwrap().applied.clone()
    }

    #[must_use]
    pub fn applied_through(&self) -> i64 {
        self.inner.lock().unwrap().applied_through
    }

    /// How often each seq was applied.
    #[must_use]
    pub fn applications(&self) -> BTreeMap<i64, u32> {
        self.inner.lock().unwrap().applications.clone()
    }

    /// (first seq, last seq, count) of each push received.
    #[must_use]
    pub fn pushes(&self) -> Vec<(i64, i64, usize)> {
        self.inner.lock().unwrap().pushes.clone()
    }

    /// The backlog each push reported.
    #[must_use]
    pub fn backlogs(&self) -> Vec<u64> {
        self.inner.lock().unwrap().backlogs.clone()
    }

    /// Cuts (or restores) the member-card calls: while offline each is unreachable.
    pub fn set_members_offline(&self, offline: bool) {
        self.members.lock().unwrap().offline = offline;
    }

    /// What the next member-card movements meet, in order (then normal behaviour).
    pub fn script_movements(&self, steps: impl IntoIterator<Item = MovementScript>) {
        self.members.lock().unwrap().script.extend(steps);
    }

    /// Freezes (or thaws) a card at the head office, as another till or the owner would.
    pub fn set_member_status(&self, card: &str, status: cloudpos_domain::member::MemberStatus) {
        self.members
            .lock()
            .unwrap()
            .set_status(&CardNo::parse(card).unwrap(), status);
    }

    /// A card's balance at the head office (the sum of its entries).
    #[must_use]
    pub fn member_balance(&self, card: &str) -> Money {
        self.members
            .lock()
            .unwrap()
            .balance(&CardNo::parse(card).unwrap())
    }

    /// How many times a movement under `key` reached the head office (replays included).
    #[must_use]
    pub fn movements_received(&self, key: &str) -> u32 {
        self.members
            .lock()
            .unwrap()
            .received
            .get(key)
            .copied()
            .unwrap_or(0)
    }

    /// How many entries the head office wrote under `key` (1, or 2 for a recharge with a
    /// bonus; more would be a double movement).
    #[must_use]
    pub fn entries_of_key(&self, key: &str) -> usize {
        self.members.lock().unwrap().entries_of_key(key)
    }
}

fn refused(code: &str, message: &str) -> LinkError {
    LinkError::Refused {
        code: code.into(),
        message: message.into(),
    }
}

impl Office {
    fn apply(
        &mut self,
        changes: &[OutboxEntry],
        only: Option<usize>,
    ) -> Result<PushReceipt, LinkError> {
        for w in changes.windows(2) {
            if w[1].seq != w[0].seq + 1 {
                return Err(refused("bad_request", "not contiguous"));
            }
        }
        let dup = changes.partition_point(|c| c.seq <= self.applied_through);
        let (old, new) = changes.split_at(dup);
        for c in old {
            if self.applied.get(&c.seq) != Some(&c.record_json) {
                return Err(refused("conflict", &format!("change {} differs", c.seq)));
            }
        }
        if let Some(first) = new.first()
            && first.seq != self.applied_through + 1
        {
            return Err(LinkError::Gap {
                applied_through: self.applied_through,
                message: format!("send again from {}", self.applied_through + 1),
            });
        }
        let take = only.unwrap_or(new.len()).min(new.len());
        for c in &new[..take] {
            self.applied.insert(c.seq, c.record_json.clone());
            *self.applications.entry(c.seq).or_default() += 1;
            self.applied_through = c.seq;
        }
        Ok(PushReceipt {
            applied_through: self.applied_through,
            applied: u32::try_from(take).unwrap_or(u32::MAX),
            duplicates: u32::try_from(old.len()).unwrap_or(u32::MAX),
        })
    }
}

#[async_trait]
impl HeadOfficeLink for FakeHeadOffice {
    async fn enrol(&self, url: &str, token: &str) -> Result<Enrolment, LinkError> {
        if url.contains("unreachable") {
            return Err(LinkError::Unreachable("connection refused".into()));
        }
        let mut o = self.inner.lock().unwrap();
        let Some(i) = o.tokens.iter().position(|t| t == token) else {
            return Err(refused(
                "enrolment_invalid",
                "the enrolment token is unknown, already used or expired",
            ));
        };
        o.tokens.remove(i);
        Ok(Enrolment {
            terminal_id: 7,
            store: "南山店".into(),
            device: "till-1".into(),
            credential: FAKE_CREDENTIAL.into(),
            applied_through: o.applied_through,
            catalog_version: o.catalog.last().map_or(0, |c| c.version),
        })
    }

    async fn push(
        &self,
        to: &HeadOfficeAccess,
        changes: &[OutboxEntry],
        backlog: u64,
        _oldest_backlog_at: Option<Timestamp>,
    ) -> Result<PushReceipt, LinkError> {
        let mut o = self.inner.lock().unwrap();
        if to.credential != FAKE_CREDENTIAL {
            return Err(refused("unauthorized", "unknown credential"));
        }
        o.pushes.push((
            changes.first().map_or(0, |c| c.seq),
            changes.last().map_or(0, |c| c.seq),
            changes.len(),
        ));
        o.backlogs.push(backlog);
        match o.script.pop_front() {
            None => o.apply(changes, None),
            Some(PushScript::Unreachable) => Err(LinkError::Unreachable("timed out".into())),
            Some(PushScript::LoseAnswer) => {
                o.apply(changes, None)?;
                Err(LinkError::Unreachable("connection reset".into()))
            }
            Some(PushScript::Unavailable) => Err(LinkError::Unavailable {
                code: "unavailable".into(),
                message: "the database is unreachable".into(),
            }),
            Some(PushScript::Gap(at)) => Err(LinkError::Gap {
                applied_through: at,
                message: format!("send again from {}", at + 1),
            }),
            Some(PushScript::Refuse(code)) => Err(refused(&code, "refused by the script")),
            Some(PushScript::ApplyOnly(n)) => o.apply(changes, Some(n)),
        }
    }

    async fn catalog(
        &self,
        to: &HeadOfficeAccess,
        since_version: i64,
        limit: u32,
    ) -> Result<CatalogPage, LinkError> {
        let o = self.inner.lock().unwrap();
        if to.credential != FAKE_CREDENTIAL {
            return Err(refused("unauthorized", "unknown credential"));
        }
        let newer: Vec<ManagedCommodity> = o
            .catalog
            .iter()
            .filter(|c| c.version > since_version)
            .cloned()
            .collect();
        let n = newer.len().min(o.catalog_page).min(limit as usize);
        Ok(CatalogPage {
            more: newer.len() > n,
            changes: newer[..n].to_vec(),
            latest_version: o.catalog.last().map_or(0, |c| c.version),
        })
    }

    async fn put_member_cards(
        &self,
        _to: &HeadOfficeAccess,
        cards: &[MemberCard],
        upsert: bool,
    ) -> Result<Vec<MemberAccount>, LinkError> {
        self.members.lock().unwrap().put(cards, upsert)
    }

    async fn member_card(
        &self,
        _to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Option<MemberAccount>, LinkError> {
        self.members.lock().unwrap().card(card)
    }

    async fn member_cards(
        &self,
        _to: &HeadOfficeAccess,
        phone: Option<&str>,
    ) -> Result<Vec<MemberAccount>, LinkError> {
        self.members.lock().unwrap().cards(phone)
    }

    async fn member_entries(
        &self,
        _to: &HeadOfficeAccess,
        card: &CardNo,
    ) -> Result<Vec<MemberEntry>, LinkError> {
        self.members.lock().unwrap().entries(card)
    }

    async fn member_movement(
        &self,
        _to: &HeadOfficeAccess,
        movement: &MemberMovement,
    ) -> Result<MovementOutcome, LinkError> {
        self.members.lock().unwrap().movement(movement)
    }
}
