//! Managing clerks: add, list/search, edit, remove, reset a password. Only a clerk with the
//! manage-clerks permission, and only for roles below their own; every change is audited.

use cloudpos_domain::clerk::{Clerk, ClerkId, Permission, Role};
use cloudpos_domain::ports::ClerkQuery;

use crate::{Result, Terminal, TerminalError};

/// Shortest password accepted (clerks often use numeric PINs).
pub const MIN_PASSWORD_LEN: usize = 4;

/// A clerk to create.
#[derive(Debug, Clone)]
pub struct NewClerk {
    /// Login id.
    pub id: ClerkId,
    /// Display name.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Role.
    pub role: Role,
    /// May refund without a manager.
    pub can_refund: bool,
    /// Cloud Pay staff id, if the cloud knows this clerk.
    pub cloud_staff_id: Option<String>,
}

/// Changes to a clerk; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ClerkChanges {
    /// New name.
    pub name: Option<String>,
    /// New phone.
    pub phone: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New refund permission.
    pub can_refund: Option<bool>,
    /// New Cloud Pay staff id (`Some("")` clears it).
    pub cloud_staff_id: Option<String>,
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(TerminalError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 32 {
        return Err(TerminalError::Invalid(
            "the clerk's name must have 1–32 characters".into(),
        ));
    }
    Ok(())
}

impl Terminal {
    /// The logged-in clerk, if they may manage clerks of `target` role.
    async fn clerk_manager_for(&self, target: Role) -> Result<Clerk> {
        let (_, me) = self.current_clerk().await?;
        if !me.may(Permission::ManageClerks) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not manage clerks",
                me.id,
                me.role.display_name()
            )));
        }
        if !me.may_manage(target) {
            return Err(TerminalError::PermissionDenied(format!(
                "{} ({}) may not manage a {} account",
                me.id,
                me.role.display_name(),
                target.display_name()
            )));
        }
        Ok(me)
    }

    /// Creates a clerk.
    pub async fn add_clerk(&self, new: NewClerk, password: &str) -> Result<Clerk> {
        let me = self.clerk_manager_for(new.role).await?;
        check_name(&new.name)?;
        check_password(password)?;
        let clerk = Clerk {
            id: new.id,
            name: new.name.trim().to_owned(),
            phone: new.phone.trim().to_owned(),
            role: new.role,
            can_refund: new.can_refund,
            cloud_staff_id: new.cloud_staff_id.filter(|s| !s.trim().is_empty()),
            created_at: self.now(),
        };
        self.inner
            .ports
            .accounts
            .create_clerk(&clerk, password)
            .await?;
        self.audit(
            me.id.as_str(),
            "clerk_added",
            serde_json::json!({"clerk": clerk.id.as_str(), "role": clerk.role.as_str(), "can_refund": clerk.can_refund}),
        )
        .await?;
        Ok(clerk)
    }

    /// Lists clerks matching `query` (id, name or phone), for a clerk who may manage clerks
    /// or see all summaries; others see only themselves.
    pub async fn clerks(&self, query: &ClerkQuery) -> Result<Vec<Clerk>> {
        let (_, me) = self.current_clerk().await?;
        let all = self.inner.ports.accounts.clerks(query).await?;
        if me.may(Permission::ManageClerks) || me.may(Permission::SeeAllSummaries) {
            Ok(all)
        } else {
            Ok(all.into_iter().filter(|c| c.id == me.id).collect())
        }
    }

    /// Edits a clerk. Changing the role needs the right to manage both the old and the new
    /// role; nobody may change their own role.
    pub async fn edit_clerk(&self, id: &ClerkId, changes: ClerkChanges) -> Result<Clerk> {
        let accounts = &self.inner.ports.accounts;
        let mut clerk = accounts
            .clerk(id)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("clerk {id}")))?;
        let me = self.clerk_manager_for(clerk.role).await?;
        if let Some(role) = changes.role {
            if me.id == clerk.id && role != clerk.role {
                return Err(TerminalError::PermissionDenied(
                    "you cannot change your own role".into(),
                ));
            }
            self.clerk_manager_for(role).await?;
            clerk.role = role;
        }
        if let Some(name) = changes.name {
            check_name(&name)?;
            clerk.name = name.trim().to_owned();
        }
        if let Some(phone) = changes.phone {
            clerk.phone = phone.trim().to_owned();
        }
        if let Some(can) = changes.can_refund {
            clerk.can_refund = can;
        }
        if let Some(staff) = changes.cloud_staff_id {
            clerk.cloud_staff_id = Some(staff.trim().to_owned()).filter(|s| !s.is_empty());
        }
        accounts.update_clerk(&clerk).await?;
        self.audit(
            me.id.as_str(),
            "clerk_edited",
            serde_json::json!({"clerk": clerk.id.as_str(), "role": clerk.role.as_str(), "can_refund": clerk.can_refund, "cloud_staff_id": clerk.cloud_staff_id}),
        )
        .await?;
        Ok(clerk)
    }

    /// Removes a clerk. Nobody removes themselves, and the last admin stays.
    pub async fn remove_clerk(&self, id: &ClerkId) -> Result<()> {
        let accounts = &self.inner.ports.accounts;
        let clerk = accounts
            .clerk(id)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("clerk {id}")))?;
        let me = self.clerk_manager_for(clerk.role).await?;
        if me.id == clerk.id {
            return Err(TerminalError::PermissionDenied(
                "you cannot remove your own account".into(),
            ));
        }
        if clerk.may(Permission::ClearHalt) {
            let admins = accounts
                .clerks(&ClerkQuery::default())
                .await?
                .into_iter()
                .filter(|c| c.may(Permission::ClearHalt))
                .count();
            if admins <= 1 {
                return Err(TerminalError::PermissionDenied(
                    "the last admin cannot be removed".into(),
                ));
            }
        }
        accounts.delete_clerk(id).await?;
        self.audit(
            me.id.as_str(),
            "clerk_removed",
            serde_json::json!({"clerk": id.as_str(), "role": clerk.role.as_str()}),
        )
        .await
    }

    /// Sets a new password for a clerk (and lifts a lockout). A clerk may always change
    /// their own password with the old one through [`Terminal::change_own_password`].
    pub async fn reset_password(&self, id: &ClerkId, new_password: &str) -> Result<()> {
        let accounts = &self.inner.ports.accounts;
        let clerk = accounts
            .clerk(id)
            .await?
            .ok_or_else(|| TerminalError::NotFound(format!("clerk {id}")))?;
        let me = self.clerk_manager_for(clerk.role).await?;
        check_password(new_password)?;
        accounts.set_password(id, new_password).await?;
        self.audit(
            me.id.as_str(),
            "password_reset",
            serde_json::json!({"clerk": id.as_str()}),
        )
        .await
    }

    /// The logged-in clerk changes their own password.
    pub async fn change_own_password(&self, old: &str, new_password: &str) -> Result<()> {
        let (_, me) = self.current_clerk().await?;
        self.authenticate(&me.id, old).await?;
        check_password(new_password)?;
        self.inner
            .ports
            .accounts
            .set_password(&me.id, new_password)
            .await?;
        self.audit(me.id.as_str(), "password_changed", serde_json::json!({}))
            .await
    }
}
