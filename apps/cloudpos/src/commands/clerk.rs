//! `cloudpos clerk …`

use cloudpos_domain::clerk::{Clerk, ClerkId, Role};
use cloudpos_domain::ports::ClerkQuery;
use cloudpos_terminal::{ClerkChanges, NewClerk, Terminal};
use serde_json::json;

use crate::cli::ClerkCommand;
use crate::exit;
use crate::input::read_password;

fn role(text: &str) -> anyhow::Result<Role> {
    Ok(text.parse::<Role>()?)
}

fn clerk_json(c: &Clerk, offset: i32) -> serde_json::Value {
    json!({
        "id": c.id.as_str(),
        "name": c.name,
        "phone": c.phone,
        "role": c.role.as_str(),
        "can_refund": c.can_refund,
        "cloud_staff_id": c.cloud_staff_id,
        "created_at": c.created_at.rfc3339(offset),
    })
}

/// Runs a clerk command.
pub async fn run(t: &Terminal, cmd: ClerkCommand) -> anyhow::Result<u8> {
    match cmd {
        ClerkCommand::Add {
            id,
            name,
            role: r,
            phone,
            can_refund,
            cloud_staff_id,
        } => {
            let password = read_password("New clerk's password: ")?;
            let c = t
                .add_clerk(
                    NewClerk {
                        id: ClerkId::parse(&id)?,
                        name,
                        phone,
                        role: role(&r)?,
                        can_refund,
                        cloud_staff_id,
                    },
                    &password,
                )
                .await?;
            println!(
                "added clerk {} ({}, {})",
                c.id,
                c.name,
                c.role.display_name()
            );
        }
        ClerkCommand::List { search, json } => {
            let list = t
                .clerks(&ClerkQuery {
                    text: search,
                    role: None,
                })
                .await?;
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|c| clerk_json(c, t.offset_seconds()))
                    .collect();
                println!("{}", serde_json::Value::Array(items));
            } else {
                for c in &list {
                    println!(
                        "{:<10} {:<12} {:<10} {:<14} {}{}",
                        c.id,
                        c.name,
                        c.role.as_str(),
                        c.phone,
                        if c.can_refund { "can refund" } else { "" },
                        c.cloud_staff_id
                            .as_deref()
                            .map(|s| format!("  staff {s}"))
                            .unwrap_or_default()
                    );
                }
                println!("{} clerk(s)", list.len());
            }
        }
        ClerkCommand::Edit {
            id,
            name,
            phone,
            role: r,
            can_refund,
            cloud_staff_id,
        } => {
            let c = t
                .edit_clerk(
                    &ClerkId::parse(&id)?,
                    ClerkChanges {
                        name,
                        phone,
                        role: r.as_deref().map(role).transpose()?,
                        can_refund,
                        cloud_staff_id,
                    },
                )
                .await?;
            println!(
                "clerk {} is {} ({}){}",
                c.id,
                c.name,
                c.role.display_name(),
                if c.can_refund { ", can refund" } else { "" }
            );
        }
        ClerkCommand::Remove { id } => {
            t.remove_clerk(&ClerkId::parse(&id)?).await?;
            println!("removed clerk {id}");
        }
        ClerkCommand::ResetPassword { id } => {
            let password = read_password("New password: ")?;
            t.reset_password(&ClerkId::parse(&id)?, &password).await?;
            println!("password of clerk {id} reset");
        }
    }
    Ok(exit::OK)
}
