//! Clerks, roles, permissions and the policy of who may do what.
//!
//! The policy is enforced by the use cases in `cloudpos-terminal`, never only by a screen:
//! the CLI and the GUI call the same checks.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// A local clerk's login id: 1–32 characters of letters, digits, `_`, `-`, `.` or `@`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClerkId(String);

/// An invalid clerk id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid clerk id \"{0}\": use 1–32 letters, digits, '_', '-', '.' or '@'")]
pub struct BadClerkId(pub String);

impl ClerkId {
    /// Validates and wraps an id.
    pub fn parse(text: &str) -> Result<Self, BadClerkId> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
        if ok {
            Ok(ClerkId(text.to_owned()))
        } else {
            Err(BadClerkId(text.to_owned()))
        }
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClerkId {
    type Error = BadClerkId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ClerkId::parse(&s)
    }
}

impl From<ClerkId> for String {
    fn from(id: ClerkId) -> String {
        id.0
    }
}

impl fmt::Display for ClerkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClerkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClerkId({})", self.0)
    }
}

impl FromStr for ClerkId {
    type Err = BadClerkId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClerkId::parse(s)
    }
}

/// A clerk's role, from most to least privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The service provider's administrator who installs and configures terminals (服务商管理员).
    ServiceProviderAdmin,
    /// The merchant's administrator (商户管理员).
    MerchantAdmin,
    /// Store manager (店长).
    StoreManager,
    /// Clerk (店员).
    Clerk,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::ServiceProviderAdmin,
        Role::MerchantAdmin,
        Role::StoreManager,
        Role::Clerk,
    ];

    /// Stable machine name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::ServiceProviderAdmin => "provider_admin",
            Role::MerchantAdmin => "admin",
            Role::StoreManager => "manager",
            Role::Clerk => "clerk",
        }
    }

    /// The name users see.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            Role::ServiceProviderAdmin => "服务商管理员",
            Role::MerchantAdmin => "商户管理员",
            Role::StoreManager => "店长",
            Role::Clerk => "店员",
        }
    }

    /// Privilege rank: higher may do more.
    #[must_use]
    pub const fn rank(self) -> u8 {
        match self {
            Role::ServiceProviderAdmin => 3,
            Role::MerchantAdmin => 2,
            Role::StoreManager => 1,
            Role::Clerk => 0,
        }
    }

    /// Whether the role itself carries `permission` (a clerk's personal refund flag is
    /// added by [`Clerk::may`]).
    #[must_use]
    pub const fn grants(self, permission: Permission) -> bool {
        use Permission::{
            AdjustBalance, AuthorizeRefund, ClearHalt, Configure, ExportOrders, ManageClerks, Pay,
            Refund, SeeAllSummaries, Void,
        };
        match permission {
            Pay | ExportOrders => true,
            Refund | Void | AuthorizeRefund | ManageClerks | SeeAllSummaries | Configure => {
                self.rank() >= Role::StoreManager.rank()
            }
            ClearHalt | AdjustBalance => self.rank() >= Role::MerchantAdmin.rank(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role \"{0}\" (expected clerk, manager, admin or provider_admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// Something a clerk may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Take payments.
    Pay,
    /// Refund a paid order.
    Refund,
    /// Void (撤销) a same-day payment.
    Void,
    /// Approve another clerk's refund or void.
    AuthorizeRefund,
    /// Change terminal, printer, hotkey and merchant configuration.
    Configure,
    /// Add, edit and remove clerks.
    ManageClerks,
    /// See every clerk's orders and summaries (others see only their own).
    SeeAllSummaries,
    /// Clear the reconciliation halt.
    ClearHalt,
    /// Export order lists.
    ExportOrders,
    /// Correct a member card's balance (an adjustment entry, with a reason, audited).
    AdjustBalance,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 10] = [
        Permission::Pay,
        Permission::Refund,
        Permission::Void,
        Permission::AuthorizeRefund,
        Permission::Configure,
        Permission::ManageClerks,
        Permission::SeeAllSummaries,
        Permission::ClearHalt,
        Permission::ExportOrders,
        Permission::AdjustBalance,
    ];
}

/// A clerk as the accounts store keeps it (the password hash lives beside it, not here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clerk {
    /// Login id.
    pub id: ClerkId,
    /// Display name.
    pub name: String,
    /// Phone (searchable).
    pub phone: String,
    /// Role.
    pub role: Role,
    /// A clerk-level grant of [`Permission::Refund`] (and void) without a manager.
    pub can_refund: bool,
    /// The Cloud Pay `staff_id` trade calls send for this clerk, if the cloud knows one.
    pub cloud_staff_id: Option<String>,
    /// Created.
    pub created_at: Timestamp,
}

/// The outcome of a permission check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed,
    /// Allowed only with a manager's authorisation bound to this very action.
    NeedsAuthorization,
    /// Not allowed at all.
    Denied,
}

impl Clerk {
    /// Whether this clerk holds `permission` on their own.
    #[must_use]
    pub fn may(&self, permission: Permission) -> bool {
        self.role.grants(permission)
            || (self.can_refund && matches!(permission, Permission::Refund | Permission::Void))
    }

    /// Decides an action: allowed, allowed with a manager's authorisation (refund and
    /// void), or denied.
    #[must_use]
    pub fn decide(&self, permission: Permission) -> Decision {
        if self.may(permission) {
            Decision::Allowed
        } else if matches!(permission, Permission::Refund | Permission::Void) {
            Decision::NeedsAuthorization
        } else {
            Decision::Denied
        }
    }

    /// Whether this clerk may create, edit or remove an account with role `target`:
    /// only with [`Permission::ManageClerks`], and only for roles strictly below their own
    /// (the service-provider admin may manage everyone, themself included).
    #[must_use]
    pub fn may_manage(&self, target: Role) -> bool {
        self.may(Permission::ManageClerks)
            && (target.rank() < self.role.rank() || self.role == Role::ServiceProviderAdmin)
    }
}

/// Failed-login bookkeeping for one clerk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LoginRecord {
    /// Consecutive failures since the last success or lockout.
    pub failures: u32,
    /// Locked until this time.
    pub locked_until: Option<Timestamp>,
}

/// A login refused because the account is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed logins: the account is locked until {until:?}")]
pub struct Locked {
    /// When the lock ends.
    pub until: Timestamp,
}

/// The lockout rule: after `max_failures` consecutive failures, lock for `lock_for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginGuard {
    /// Failures that trigger the lock.
    pub max_failures: u32,
    /// How long the lock lasts.
    pub lock_for: Duration,
}

impl Default for LoginGuard {
    /// 10 failures, 30 minutes.
    fn default() -> Self {
        LoginGuard {
            max_failures: 10,
            lock_for: Duration::from_secs(30 * 60),
        }
    }
}

impl LoginGuard {
    /// Refuses while locked.
    pub fn check(&self, record: &LoginRecord, now: Timestamp) -> Result<(), Locked> {
        match record.locked_until {
            Some(until) if now < until => Err(Locked { until }),
            _ => Ok(()),
        }
    }

    /// The record after a failed attempt.
    #[must_use]
    pub fn after_failure(&self, record: &LoginRecord, now: Timestamp) -> LoginRecord {
        let expired = matches!(record.locked_until, Some(until) if now >= until);
        let failures = if expired { 1 } else { record.failures + 1 };
        if failures >= self.max_failures {
            LoginRecord {
                failures: 0,
                locked_until: Some(now.plus(self.lock_for)),
            }
        } else {
            LoginRecord {
                failures,
                locked_until: if expired { None } else { record.locked_until },
            }
        }
    }

    /// The record after a successful login.
    #[must_use]
    pub fn after_success(&self) -> LoginRecord {
        LoginRecord::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn clerk(role: Role, can_refund: bool) -> Clerk {
        Clerk {
            id: ClerkId::parse("c1").unwrap(),
            name: "n".into(),
            phone: String::new(),
            role,
            can_refund,
            cloud_staff_id: None,
            created_at: Timestamp::EPOCH,
        }
    }

    #[test]
    fn ids() {
        assert!(ClerkId::parse("01").is_ok());
        assert!(ClerkId::parse("a.b-c_d@e").is_ok());
        assert!(ClerkId::parse("").is_err());
        assert!(ClerkId::parse("a b").is_err());
        assert!(ClerkId::parse(&"x".repeat(33)).is_err());
    }

    /// Every action × role × refund flag, against the policy table written out by hand.
    #[test]
    fn policy_table() {
        use Decision::*;
        use Permission::*;
        for role in Role::ALL {
            for flag in [false, true] {
                let c = clerk(role, flag);
                for p in Permission::ALL {
                    let manager_or_above = role.rank() >= 1;
                    let expected = match p {
                        Pay | ExportOrders => Allowed,
                        Refund | Void if manager_or_above || flag => Allowed,
                        Refund | Void => NeedsAuthorization,
                        AuthorizeRefund | ManageClerks | SeeAllSummaries | Configure
                            if manager_or_above =>
                        {
                            Allowed
                        }
                        ClearHalt | AdjustBalance if role.rank() >= 2 => Allowed,
                        _ => Denied,
                    };
                    assert_eq!(c.decide(p), expected, "{role} flag={flag} {p:?}");
                }
            }
        }
    }

    #[test]
    fn managing_clerks_goes_downwards_only() {
        let manager = clerk(Role::StoreManager, false);
        assert!(manager.may_manage(Role::Clerk));
        assert!(!manager.may_manage(Role::StoreManager));
        assert!(!manager.may_manage(Role::MerchantAdmin));
        let admin = clerk(Role::MerchantAdmin, false);
        assert!(admin.may_manage(Role::StoreManager));
        assert!(!admin.may_manage(Role::ServiceProviderAdmin));
        let provider = clerk(Role::ServiceProviderAdmin, false);
        assert!(Role::ALL.iter().all(|r| provider.may_manage(*r)));
        assert!(!clerk(Role::Clerk, true).may_manage(Role::Clerk));
    }

    #[test]
    fn ten_failures_lock_for_thirty_minutes() {
        let guard = LoginGuard::default();
        let t0 = Timestamp::from_unix_seconds(1_000);
        let mut rec = LoginRecord::default();
        for i in 0..9 {
            rec = guard.after_failure(&rec, t0);
            assert_eq!(rec.failures, i + 1);
            assert!(guard.check(&rec, t0).is_ok());
        }
        rec = guard.after_failure(&rec, t0);
        let until = t0.plus(Duration::from_secs(1800));
        assert_eq!(guard.check(&rec, t0), Err(Locked { until }));
        assert!(
            guard
                .check(&rec, until.minus(Duration::from_secs(1)))
                .is_err()
        );
        assert!(guard.check(&rec, until).is_ok());
        // After the lock expires, a single failure does not re-lock.
        let rec2 = guard.after_failure(&rec, until);
        assert_eq!(
            rec2,
            LoginRecord {
                failures: 1,
                locked_until: None
            }
        );
        assert_eq!(guard.after_success(), LoginRecord::default());
    }

    proptest! {
        /// No sequence of attempts gets more than 10 consecutive failures through without a lock.
        #[test]
        fn lockout_cannot_be_bypassed(attempts in proptest::collection::vec((any::<bool>(), 0u64..400), 1..200)) {
            let guard = LoginGuard::default();
            let mut now = Timestamp::from_unix_seconds(0);
            let mut rec = LoginRecord::default();
            let mut consecutive_failures_checked = 0;
            for (success, advance) in attempts {
                now = now.plus(Duration::from_secs(advance));
                if guard.check(&rec, now).is_err() {
                    continue;
                }
                if success {
                    rec = guard.after_success();
                    consecutive_failures_checked = 0;
                } else {
                    rec = guard.after_failure(&rec, now);
                    consecutive_failures_checked += 1;
                    if rec.locked_until.is_some_and(|u| u > now) {
                        consecutive_failures_checked = 0;
                    }
                }
                prop_assert!(consecutive_failures_checked < 10);
            }
        }
    }
}
