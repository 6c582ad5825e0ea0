//! Where each screen's events go: the screen performs its own (its `perform`: a terminal
//! call whose answer comes back as its message); the app keeps the few that change the
//! session, a window, the screen shown or the shared state every screen reads.

use iced::Task;

use super::{App, DeviceCommand, Message};
use crate::screen::{
    Screen, basic, checkout, clerks, commodities, deposits, hotkeys, members, notices, one_code,
    orders, printer, refund, update, voice,
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
        match event {
            Some(basic::Event::PickRegion(target)) => self.open_region(target),
            Some(basic::Event::Relogin) => self.navigate(Screen::Login),
            Some(basic::Event::SoftwareUpdate) => {
                self.update(Message::Update(update::Message::Open))
            }
            // Saving and reconfiguring change what every screen reads: reload it after.
            Some(e) => self
                .effect(|t| self.basic.perform(e, t), Message::Basic)
                .chain(self.load_ctx(false)),
            None => Task::none(),
        }
    }

    pub(super) fn printer_event(&self, event: Option<printer::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.printer.perform(e, t), Message::Printer)
    }

    pub(super) fn hotkeys_event(&self, event: Option<hotkeys::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        let hotkeys::Event::Save(keys) = &e;
        if let Some(tx) = &self.devices {
            let _ = tx.send(DeviceCommand::ApplyKeys(Box::new(keys.clone())));
        }
        self.effect(|t| self.hotkeys.perform(e, t), Message::Hotkeys)
            .chain(self.load_ctx(false))
    }

    pub(super) fn update_event(&self, event: Option<update::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        let (home, program_dir) = (&self.options.home, self.options.program_dir.as_deref());
        self.effect(
            |t| self.updates.perform(e, t, home, program_dir),
            Message::Update,
        )
    }

    pub(super) fn notices_event(&self, event: Option<notices::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.notices.perform(e, t), Message::Notices)
    }

    pub(super) fn voice_event(&self, event: Option<voice::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.voice.perform(e, t), Message::Voice)
    }

    pub(super) fn deposits_event(&self, event: Option<deposits::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.deposits.perform(e, t), Message::Deposits)
    }

    pub(super) fn one_code_event(&self, event: Option<one_code::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.one_code.perform(e, t), Message::OneCode)
    }

    pub(super) fn members_event(&self, event: Option<members::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.members.perform(e, t), Message::Members)
    }

    pub(super) fn clerks_event(&self, event: Option<clerks::Event>) -> Task<Message> {
        let Some(e) = event else {
            return Task::none();
        };
        self.effect(|t| self.clerks.perform(e, t), Message::Clerks)
    }
}
