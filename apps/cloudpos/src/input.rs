//! Reading secrets: from the terminal without echo, or the first line of piped stdin.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};

/// Reads a password: prompts without echo on a terminal, else reads one line of stdin.
pub fn read_password(prompt: &str) -> anyhow::Result<String> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).context("cannot read the password")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if text.is_empty() {
        bail!("no password given on stdin");
    }
    Ok(text)
}
