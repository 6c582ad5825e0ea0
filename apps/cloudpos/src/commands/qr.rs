//! Showing a one-time approval as a QR code on the terminal and waiting for it.

use std::time::Duration;

use anyhow::bail;
use cloudpos_domain::ports::{ApprovalState, ApprovalTicket};
use cloudpos_terminal::Terminal;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// Prints the ticket's URL and a QR code of it on stderr (stdout stays for results).
pub fn show(ticket: &ApprovalTicket, what: &str, t: &Terminal) {
    eprintln!("{what}: scan the QR code with the manager's phone, or open");
    eprintln!("  {}", ticket.approve_url);
    if let Ok(code) = QrCode::new(ticket.approve_url.as_bytes()) {
        let art = code
            .render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build();
        eprintln!("{art}");
    }
    eprintln!(
        "  (token {}, valid until {})",
        ticket.token,
        ticket.expires_at.format(t.offset_seconds())
    );
}

/// Waits until the challenge is approved (or expires, or is used elsewhere).
pub async fn wait_approved(t: &Terminal, token: &str) -> anyhow::Result<()> {
    loop {
        let a = t.approval(token).await?;
        match a.state {
            ApprovalState::Approved => return Ok(()),
            ApprovalState::Pending => tokio::time::sleep(Duration::from_millis(500)).await,
            ApprovalState::Expired => bail!("the approval expired before anyone approved it"),
            ApprovalState::Used => bail!("the approval was already used"),
        }
    }
}
