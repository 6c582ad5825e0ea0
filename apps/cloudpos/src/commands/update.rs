//! `cloudpos update [check|apply]` and `config update`: signed software updates.

use anyhow::Context;
use cloudpos_terminal::{Terminal, UpdateStatus, UpdateTarget};
use serde_json::json;

use crate::cli::{UpdateArgs, UpdateCommand, UpdateConfigArgs};
use crate::exit;
use crate::input::read_password;

/// Runs `update`, `update check` or `update apply`.
pub async fn run(t: &Terminal, args: UpdateArgs, home: &std::path::Path) -> anyhow::Result<u8> {
    match args.command {
        None => {
            show(&t.update_status().await?, args.json);
            Ok(exit::OK)
        }
        Some(UpdateCommand::Check { json }) => {
            let c = t.check_update().await?;
            if json || args.json {
                println!("{}", serde_json::to_value(&c)?);
            } else if c.available {
                println!("update available: {} → {}", c.current, c.latest);
                if !c.notes.is_empty() {
                    println!("{}", c.notes);
                }
                match &c.blocked {
                    Some(why) => println!("it cannot be applied here: {why}"),
                    None => println!("apply it with `cloudpos update apply` (an admin)"),
                }
            } else {
                println!("up to date: {} (the feed offers {})", c.current, c.latest);
            }
            Ok(exit::OK)
        }
        Some(UpdateCommand::Apply { program_dir, json }) => {
            let (_, me) = t.current_clerk().await?;
            let data_dir = home.to_path_buf();
            let target = match program_dir {
                Some(dir) => UpdateTarget {
                    program_dir: dir,
                    data_dir,
                },
                None => UpdateTarget::running(&data_dir)?,
            };
            let password = read_password(&format!("Password of {}: ", me.id))?;
            let applied = t.apply_update(&password, &target).await?;
            if json || args.json {
                println!("{}", serde_json::to_value(&applied)?);
            } else {
                println!(
                    "updated {} → {} in {} ({} files); restart the cashier to run the new version",
                    applied.from,
                    applied.to,
                    applied.program_dir.display(),
                    applied.files.len()
                );
                if applied.leftovers > 0 {
                    println!(
                        "{} old program file(s) are still in use and will be deleted at the next start",
                        applied.leftovers
                    );
                }
            }
            Ok(exit::OK)
        }
    }
}

/// `config update`: changes what the options name, then shows the settings.
pub async fn config(t: &Terminal, args: &UpdateConfigArgs) -> anyhow::Result<u8> {
    let key_text = match &args.public_key {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the public key {}", path.display()))?,
        ),
        None if args.builtin_key => Some(String::new()),
        None => None,
    };
    let status = if args.feed.is_some() || key_text.is_some() {
        t.set_update_settings(args.feed.as_deref(), key_text.as_deref())
            .await
            .map_err(|e| match &args.public_key {
                Some(path) => anyhow::Error::new(e).context(path.display().to_string()),
                None => e.into(),
            })?
    } else {
        t.update_status().await?
    };
    show(&status, args.json);
    Ok(exit::OK)
}

fn show(status: &UpdateStatus, json: bool) {
    if json {
        println!(
            "{}",
            json!({
                "current": status.current,
                "target": cloudpos_terminal::update_target(),
                "feed": status.feed_url,
                "key_id": status.key_id,
                "builtin_key": status.builtin_key,
            })
        );
    } else {
        println!(
            "CloudPOS {} ({})",
            status.current,
            cloudpos_terminal::update_target()
        );
        println!(
            "update feed   {}",
            status
                .feed_url
                .as_deref()
                .unwrap_or("not configured (cloudpos config update --feed URL)")
        );
        println!(
            "trusted key   {} ({})",
            status.key_id,
            if status.builtin_key {
                "built in"
            } else {
                "configured"
            }
        );
    }
}
