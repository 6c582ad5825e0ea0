//! Where each screen's events go: the screen performs its own (its `perform`: a terminal
//! call whose answer comes back as its message); the app keeps the few that change the
//! session, a window, the screen shown or the shared state every screen reads.

use cloudpos_terminal::TerminalError;
use iced::Task;

use super::{App, DeviceCommand, Message};
use crate::focus;
use crate::screen::{
    Screen, basic, checkout, clerks, commodities, hotkeys, orders, printer, refund, update, voice,
};

impl App {
    pub(super) fn checkout_event(&self, event: Option<checkout::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.checkout.perform(e, t), Message::Checkout)
    }

    pub(super) fn commodities_event(&self, event: Option<commodities::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.commodities.perform(e, t), Message::Commodities)
    }

    pub(super) fn orders_event(&mut self, event: Option<orders::Event>) -> Task<Message> {
        match event {
            Some(orders::Event::Copy(text)) => {
                self.copied.push(text.clone());
                iced::clipboard::write(text)
            }
            Some(orders::Event::Summary) => self.show_summary(),
            Some(orders::Event::Refund(refund::Event::Print(no))) => {
                self.effect(|t| refund::print(t, no), Message::Done)
            }
            Some(e) => self.effect(|t| self.orders.perform(e, t), Message::Orders),
            None => Task::none(),
        }
    }

    pub(super) fn refund_event(&mut self, event: Option<refund::Event>) -> Task<Message> {
        match event {
            Some(refund::Event::ViewRefunds(no)) => {
                self.screen = Screen::Orders;
                let e = self.orders.show_refunds_of(&no, &self.ctx);
                self.orders_event(e)
            }
            Some(refund::Event::Print(no)) => self.effect(|t| refund::print(t, no), Message::Done),
            Some(e) => self.effect(|t| self.refund.perform(e, t), Message::Refund),
            None => Task::none(),
        }
    }

    pub(super) fn basic_event(&mut self, event: Option<basic::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            basic::Event::Save {
                basic,
                network,
                proxy_password,
            } => {
                let network_changed = proxy_password.is_some() || network != self.basic.network;
                self.perform(
                    move |t| async move {
                        t.set_setting(&basic).await?;
                        if network_changed {
                            t.set_network_settings(&network, proxy_password.as_deref())
                                .await?;
                        }
                        Ok(())
                    },
                    |r| Message::Basic(basic::Message::Saved(r)),
                )
                .chain(self.load_ctx(false))
            }
            basic::Event::PickRegion(target) => self.open_region(target),
            basic::Event::Reconfigure { path, password } => self
                .perform(
                    |t| async move {
                        let text = tokio::fs::read_to_string(&path).await.map_err(|e| {
                            TerminalError::Invalid(format!("{}: {e}", path.display()))
                        })?;
                        let creds: cloudpos_terminal::MerchantCredentials =
                            serde_json::from_str(&text).map_err(|e| {
                                TerminalError::Invalid(format!("{}: {e}", path.display()))
                            })?;
                        let sandbox = creds.base_url.contains("127.0.0.1")
                            || creds.base_url.contains("localhost");
                        t.configure_merchant(&creds, &password, sandbox).await
                    },
                    |r| Message::Basic(basic::Message::Reconfigured(r)),
                )
                .chain(self.load_ctx(false)),
            basic::Event::Relogin => self.navigate(Screen::Login),
            basic::Event::SoftwareUpdate => self.update(Message::Update(update::Message::Open)),
        }
    }

    pub(super) fn printer_event(&mut self, event: Option<printer::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            printer::Event::Preview(settings) => self.perform(
                |t| async move {
                    let receipt = t.test_receipt(&settings).await?;
                    Ok(t.receipt_preview_with(&receipt, &settings))
                },
                |r| Message::Printer(printer::Message::Preview(r)),
            ),
            printer::Event::Save(settings) => self.perform(
                |t| async move { t.set_setting(&settings).await },
                |r| Message::Printer(printer::Message::Saved(r)),
            ),
            printer::Event::Test(settings) => self.perform(
                |t| async move {
                    let receipt = t.test_receipt(&settings).await?;
                    t.print_receipt(&receipt, Some(settings)).await
                },
                |r| Message::Printer(printer::Message::Tested(r)),
            ),
        }
    }

    pub(super) fn hotkeys_event(&mut self, event: Option<hotkeys::Event>) -> Task<Message> {
        let Some(hotkeys::Event::Save(keys)) = event else {
            return Task::none();
        };
        if let Some(tx) = &self.devices {
            let _ = tx.send(DeviceCommand::ApplyKeys(Box::new(keys.clone())));
        }
        self.perform(
            |t| async move { t.set_setting(&keys).await },
            |r| Message::Hotkeys(hotkeys::Message::Saved(r)),
        )
        .chain(self.load_ctx(false))
    }

    pub(super) fn update_event(&mut self, event: Option<update::Event>) -> Task<Message> {
        match event {
            Some(update::Event::Check) => self.perform(
                |t| async move { t.check_update().await },
                |r| Message::Update(update::Message::Checked(r)),
            ),
            Some(update::Event::Apply { password }) => {
                let home = self.options.home.clone();
                let program_dir = self.options.program_dir.clone();
                self.perform(
                    move |t| async move {
                        let target = match program_dir {
                            Some(program_dir) => cloudpos_terminal::UpdateTarget {
                                program_dir,
                                data_dir: home,
                            },
                            None => cloudpos_terminal::UpdateTarget::running(&home)?,
                        };
                        t.apply_update(&password, &target).await
                    },
                    |r| Message::Update(update::Message::Applied(r)),
                )
            }
            Some(update::Event::Focus(id)) => focus::select(id),
            Some(update::Event::Unfocus) => focus::release(),
            None => Task::none(),
        }
    }

    pub(super) fn voice_event(&mut self, event: Option<voice::Event>) -> Task<Message> {
        match event {
            Some(voice::Event::Save(settings)) => self.perform(
                |t| async move { t.set_setting(&settings).await },
                |r| Message::Voice(voice::Message::Saved(r)),
            ),
            Some(voice::Event::Try {
                announcement,
                volume,
            }) => self.perform(
                move |t| async move { t.say_now(&announcement, Some(volume)).await },
                |r| Message::Voice(voice::Message::Tried(r)),
            ),
            None => Task::none(),
        }
    }

    pub(super) fn clerks_event(&mut self, event: Option<clerks::Event>) -> Task<Message> {
        let Some(event) = event else {
            return Task::none();
        };
        match event {
            clerks::Event::Load(q) => self.perform(
                |t| async move { t.clerks(&q).await },
                |r| Message::Clerks(clerks::Message::Loaded(r)),
            ),
            clerks::Event::Add(new, password) => self.perform(
                |t| async move { t.add_clerk(new, &password).await },
                |r| Message::Clerks(clerks::Message::Saved(r)),
            ),
            clerks::Event::Edit(id, changes) => self.perform(
                |t| async move { t.edit_clerk(&id, changes).await },
                |r| Message::Clerks(clerks::Message::Saved(r)),
            ),
            clerks::Event::ResetPassword(id, password) => self.perform(
                |t| async move { t.reset_password(&id, &password).await },
                |r| Message::Clerks(clerks::Message::ResetDone(r)),
            ),
            clerks::Event::Remove(id) => self.perform(
                |t| async move { t.remove_clerk(&id).await },
                |r| Message::Clerks(clerks::Message::Removed(r)),
            ),
            clerks::Event::Focus(id) => focus::select(id),
        }
    }
}
