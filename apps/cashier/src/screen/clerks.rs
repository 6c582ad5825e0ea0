//! 店员管理 Clerks (M, for a clerk who may manage clerks): search by ID, name or phone; a
//! list; N 新增店员, E 编辑, W 重置密码, D 删除 (with confirmation). Only roles below the
//! manager's own can be given; the terminal checks it again, and audits every change.

use cloudpos_domain::clerk::{Clerk, ClerkId, Role};
use cloudpos_domain::ports::ClerkQuery;
use cloudpos_terminal::{ClerkChanges, NewClerk, Terminal, TerminalError};
use iced::widget::{Space, button, checkbox, column, container, pick_list, row, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::ctx::Ctx;
use crate::focus;
use crate::i18n::{error_text, role_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// Id of the search field.
pub const SEARCH_FIELD: &str = "clerks-search";
/// Id of the editor's first field (ID for a new clerk, name when editing).
pub const ID_FIELD: &str = "clerk-id";
/// Id of the editor's name field.
pub const NAME_FIELD: &str = "clerk-name";
/// Id of the new password field of the reset dialog.
pub const RESET_FIELD: &str = "clerk-reset-password";

/// Shortest password (as the terminal requires).
const MIN_PASSWORD: usize = cloudpos_terminal::MIN_PASSWORD_LEN;

/// A field of the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// 店员 ID.
    Id,
    /// 姓名.
    Name,
    /// 电话.
    Phone,
    /// 云支付员工号.
    StaffId,
    /// 密码.
    Password,
    /// 确认密码.
    Confirm,
}

/// A role in the editor's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleChoice(pub Role);

impl std::fmt::Display for RoleChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(role_text(self.0))
    }
}

/// The add/edit dialog.
#[derive(Debug, Clone)]
pub struct Editor {
    /// The clerk being edited (`None`: a new one).
    pub original: Option<Clerk>,
    /// 店员 ID.
    pub id: String,
    /// 姓名.
    pub name: String,
    /// 电话.
    pub phone: String,
    /// 角色.
    pub role: Role,
    /// 可直接退款.
    pub can_refund: bool,
    /// 云支付员工号.
    pub staff_id: String,
    /// 密码 (new clerks).
    pub password: String,
    /// 确认密码.
    pub confirm: String,
    /// Inline problem.
    pub error: Option<String>,
    /// Saving.
    pub busy: bool,
}

/// The reset-password dialog.
#[derive(Debug, Clone)]
pub struct Reset {
    /// Whose.
    pub clerk: Clerk,
    /// 新密码.
    pub password: String,
    /// 确认密码.
    pub confirm: String,
    /// Inline problem.
    pub error: Option<String>,
    /// Saving.
    pub busy: bool,
}

/// The clerks screen.
#[derive(Debug, Clone, Default)]
pub struct Clerks {
    /// The search text.
    pub query: String,
    /// The clerks found.
    pub list: Vec<Clerk>,
    /// The selected row.
    pub selected: Option<usize>,
    /// The add/edit dialog.
    pub editor: Option<Editor>,
    /// The reset-password dialog.
    pub reset: Option<Reset>,
    /// The removal confirmation.
    pub confirm_remove: Option<Clerk>,
    /// Inline problem.
    pub error: Option<String>,
    /// What was just done.
    pub notice: Option<String>,
    /// A list is on its way: keys that act on a row wait for it.
    loading: bool,
    /// A key that came while the list was loading (E, W, D, ↑, ↓).
    pending: Option<Box<Message>>,
}

/// What the cashier did.
#[derive(Debug, Clone)]
pub enum Message {
    /// Search text typed.
    Query(String),
    /// 查询.
    Search,
    /// The list arrived.
    Loaded(Result<Vec<Clerk>, TerminalError>),
    /// Row clicked.
    Select(usize),
    /// ↑.
    Up,
    /// ↓.
    Down,
    /// N 新增店员.
    New,
    /// E 编辑.
    Edit,
    /// Editor field typed.
    Field(Field, String),
    /// Role picked.
    Role(RoleChoice),
    /// 可直接退款 toggled.
    CanRefund(bool),
    /// 保存.
    Save,
    /// Close a dialog.
    Cancel,
    /// Added or edited.
    Saved(Result<Clerk, TerminalError>),
    /// W 重置密码.
    OpenReset,
    /// Reset dialog typed (`true`: the confirmation).
    ResetField(bool, String),
    /// 确定 in the reset dialog.
    ResetSave,
    /// The password was reset.
    ResetDone(Result<(), TerminalError>),
    /// D 删除.
    Remove,
    /// 确认删除.
    RemoveConfirm,
    /// Removed.
    Removed(Result<(), TerminalError>),
    /// Esc.
    Escape,
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// List clerks.
    Load(ClerkQuery),
    /// Add a clerk with a password.
    Add(NewClerk, String),
    /// Change a clerk.
    Edit(ClerkId, ClerkChanges),
    /// Set a clerk's password.
    ResetPassword(ClerkId, String),
    /// Remove a clerk.
    Remove(ClerkId),
    /// Move the focus.
    Focus(&'static str),
}

impl Clerks {
    /// Runs an event's terminal call (or moves the focus).
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Load(q) => call(
                terminal,
                |t| async move { t.clerks(&q).await },
                Message::Loaded,
            ),
            Event::Add(new, password) => call(
                terminal,
                |t| async move { t.add_clerk(new, &password).await },
                Message::Saved,
            ),
            Event::Edit(id, changes) => call(
                terminal,
                |t| async move { t.edit_clerk(&id, changes).await },
                Message::Saved,
            ),
            Event::ResetPassword(id, password) => call(
                terminal,
                |t| async move { t.reset_password(&id, &password).await },
                Message::ResetDone,
            ),
            Event::Remove(id) => call(
                terminal,
                |t| async move { t.remove_clerk(&id).await },
                Message::Removed,
            ),
            Event::Focus(id) => focus::select(id),
        }
    }

    /// The screen's keys: Esc; over the list N 新增, E 编辑, W 重置密码, D 删除 and the
    /// arrows; while a dialog is open it takes the keys (Enter confirms a removal).
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        let sc = shortcut(press);
        let m = match sc {
            Shortcut::Escape => Message::Escape,
            Shortcut::Function(_) => return None,
            _ if self.dialog_open() => {
                return Some(if sc == Shortcut::Enter && self.confirm_remove.is_some() {
                    KeyAction::Send(Message::RemoveConfirm)
                } else {
                    KeyAction::Swallow
                });
            }
            Shortcut::Letter('N') => Message::New,
            Shortcut::Letter('E') => Message::Edit,
            Shortcut::Letter('W') => Message::OpenReset,
            Shortcut::Letter('D') => Message::Remove,
            Shortcut::Up => Message::Up,
            Shortcut::Down => Message::Down,
            _ => return None,
        };
        Some(KeyAction::Send(m))
    }

    /// The query of the list to show.
    #[must_use]
    pub fn query(&self) -> ClerkQuery {
        ClerkQuery {
            text: Some(self.query.trim().to_owned()).filter(|t| !t.is_empty()),
            role: None,
        }
    }

    /// Loads the list.
    pub fn reload(&mut self) -> Option<Event> {
        self.loading = true;
        Some(Event::Load(self.query()))
    }

    /// Whether the screen is waiting for an answer that decides where the next keys go.
    #[must_use]
    pub fn settling(&self) -> bool {
        (self.loading && self.pending.is_some())
            || self.editor.as_ref().is_some_and(|e| e.busy)
            || self.reset.as_ref().is_some_and(|r| r.busy)
    }

    /// Whether a dialog is open (letters then belong to it).
    #[must_use]
    pub fn dialog_open(&self) -> bool {
        self.editor.is_some() || self.reset.is_some() || self.confirm_remove.is_some()
    }

    /// The title of the open dialog, if any.
    #[must_use]
    pub fn dialog_title(&self) -> Option<&'static str> {
        if let Some(e) = &self.editor {
            return Some(if e.original.is_some() {
                tr("编辑店员", "Edit clerk")
            } else {
                tr("新增店员", "New clerk")
            });
        }
        if self.reset.is_some() {
            return Some(tr("重置密码", "Reset password"));
        }
        self.confirm_remove
            .as_ref()
            .map(|_| tr("删除店员", "Remove clerk"))
    }

    fn selected_clerk(&self) -> Option<&Clerk> {
        self.list.get(self.selected?)
    }

    /// Roles the logged-in clerk may give.
    fn roles(ctx: &Ctx) -> Vec<RoleChoice> {
        Role::ALL
            .into_iter()
            .filter(|r| ctx.clerk.as_ref().is_some_and(|me| me.may_manage(*r)))
            .map(RoleChoice)
            .collect()
    }

    /// Handles a message.
    #[allow(clippy::too_many_lines)]
    pub fn update(&mut self, message: Message, ctx: &Ctx) -> Option<Event> {
        if self.loading
            && matches!(
                message,
                Message::Edit | Message::OpenReset | Message::Remove | Message::Up | Message::Down
            )
        {
            // Typed right after a search: it means the row of the list being loaded.
            self.pending = Some(Box::new(message));
            return None;
        }
        match message {
            Message::Query(q) => {
                self.query = q;
                None
            }
            Message::Search => {
                self.selected = None;
                self.reload()
            }
            Message::Loaded(result) => {
                self.loading = false;
                match result {
                    Ok(list) => {
                        self.selected = match self.selected {
                            _ if list.is_empty() => None,
                            Some(i) => Some(i.min(list.len() - 1)),
                            None => Some(0),
                        };
                        self.list = list;
                        self.error = None;
                    }
                    Err(e) => self.error = Some(error_text(&e)),
                }
                match self.pending.take() {
                    Some(m) => self.update(*m, ctx),
                    None => None,
                }
            }
            Message::Select(i) => {
                self.selected = Some(i);
                None
            }
            Message::Up => {
                self.selected = Some(self.selected.map_or(0, |i| i.saturating_sub(1)));
                None
            }
            Message::Down => {
                let n = self.list.len();
                if n > 0 {
                    self.selected = Some(self.selected.map_or(0, |i| (i + 1).min(n - 1)));
                }
                None
            }
            Message::New => {
                let role = Self::roles(ctx).last().map_or(Role::Clerk, |r| r.0);
                self.editor = Some(Editor {
                    original: None,
                    id: String::new(),
                    name: String::new(),
                    phone: String::new(),
                    role,
                    can_refund: false,
                    staff_id: String::new(),
                    password: String::new(),
                    confirm: String::new(),
                    error: None,
                    busy: false,
                });
                self.notice = None;
                Some(Event::Focus(ID_FIELD))
            }
            Message::Edit => {
                let c = self.selected_clerk()?.clone();
                self.editor = Some(Editor {
                    id: c.id.to_string(),
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    role: c.role,
                    can_refund: c.can_refund,
                    staff_id: c.cloud_staff_id.clone().unwrap_or_default(),
                    password: String::new(),
                    confirm: String::new(),
                    error: None,
                    busy: false,
                    original: Some(c),
                });
                self.notice = None;
                Some(Event::Focus(NAME_FIELD))
            }
            Message::Field(field, v) => {
                let e = self.editor.as_mut()?;
                let slot = match field {
                    Field::Id => &mut e.id,
                    Field::Name => &mut e.name,
                    Field::Phone => &mut e.phone,
                    Field::StaffId => &mut e.staff_id,
                    Field::Password => &mut e.password,
                    Field::Confirm => &mut e.confirm,
                };
                *slot = v;
                e.error = None;
                None
            }
            Message::Role(RoleChoice(r)) => {
                if let Some(e) = &mut self.editor {
                    e.role = r;
                }
                None
            }
            Message::CanRefund(on) => {
                if let Some(e) = &mut self.editor {
                    e.can_refund = on;
                }
                None
            }
            Message::Save => {
                let e = self.editor.as_mut()?;
                if e.busy {
                    return None;
                }
                match editor_event(e) {
                    Ok(event) => {
                        e.busy = true;
                        e.error = None;
                        Some(event)
                    }
                    Err((message, field)) => {
                        e.error = Some(message);
                        Some(Event::Focus(field))
                    }
                }
            }
            Message::Cancel => {
                if !self.editor.as_ref().is_some_and(|e| e.busy) {
                    self.editor = None;
                }
                if !self.reset.as_ref().is_some_and(|r| r.busy) {
                    self.reset = None;
                }
                self.confirm_remove = None;
                None
            }
            Message::Saved(Ok(clerk)) => {
                self.editor = None;
                self.notice = Some(trs(
                    format!("已保存店员 {} {}", clerk.id, clerk.name),
                    format!("Saved clerk {} {}", clerk.id, clerk.name),
                ));
                self.reload()
            }
            Message::Saved(Err(err)) => {
                match &mut self.editor {
                    Some(e) => {
                        e.busy = false;
                        e.error = Some(error_text(&err));
                    }
                    None => self.error = Some(error_text(&err)),
                }
                None
            }
            Message::OpenReset => {
                let clerk = self.selected_clerk()?.clone();
                self.reset = Some(Reset {
                    clerk,
                    password: String::new(),
                    confirm: String::new(),
                    error: None,
                    busy: false,
                });
                self.notice = None;
                Some(Event::Focus(RESET_FIELD))
            }
            Message::ResetField(second, v) => {
                let r = self.reset.as_mut()?;
                if second {
                    r.confirm = v;
                } else {
                    r.password = v;
                }
                r.error = None;
                None
            }
            Message::ResetSave => {
                let r = self.reset.as_mut()?;
                if r.busy {
                    return None;
                }
                if let Err(message) = check_passwords(&r.password, &r.confirm) {
                    r.error = Some(message);
                    return Some(Event::Focus(RESET_FIELD));
                }
                r.busy = true;
                Some(Event::ResetPassword(r.clerk.id.clone(), r.password.clone()))
            }
            Message::ResetDone(Ok(())) => {
                if let Some(r) = self.reset.take() {
                    self.notice = Some(trs(
                        format!("店员 {} 的密码已重置", r.clerk.id),
                        format!("The password of clerk {} was reset", r.clerk.id),
                    ));
                }
                None
            }
            Message::ResetDone(Err(e)) => {
                if let Some(r) = &mut self.reset {
                    r.busy = false;
                    r.error = Some(error_text(&e));
                }
                None
            }
            Message::Remove => {
                self.confirm_remove = Some(self.selected_clerk()?.clone());
                self.notice = None;
                None
            }
            Message::RemoveConfirm => {
                let c = self.confirm_remove.take()?;
                Some(Event::Remove(c.id))
            }
            Message::Removed(Ok(())) => {
                self.notice = Some(tr("店员已删除", "Clerk removed").to_owned());
                self.reload()
            }
            Message::Removed(Err(e)) => {
                self.error = Some(error_text(&e));
                None
            }
            Message::Escape => self.update(Message::Cancel, ctx),
        }
    }

    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let has_row = self.selected.is_some();
        let toolbar = row![
            text_input(
                tr(
                    "店员 ID、姓名或电话（空：全部）",
                    "ID, name or phone (empty: all)"
                ),
                &self.query
            )
            .id(SEARCH_FIELD)
            .on_input(Message::Query)
            .on_submit(Message::Search)
            .width(Length::Fixed(280.0)),
            button(text(tr("查询", "Search"))).on_press(Message::Search),
            Space::new().width(Length::Fixed(12.0)),
            button(text(tr("新增店员 (N)", "New (N)")))
                .style(button::success)
                .on_press(Message::New),
            button(text(tr("编辑 (E)", "Edit (E)")))
                .style(button::secondary)
                .on_press_maybe(has_row.then_some(Message::Edit)),
            button(text(tr("重置密码 (W)", "Reset password (W)")))
                .style(button::secondary)
                .on_press_maybe(has_row.then_some(Message::OpenReset)),
            button(text(tr("删除 (D)", "Remove (D)")))
                .style(button::danger)
                .on_press_maybe(has_row.then_some(Message::Remove)),
        ]
        .spacing(8)
        .align_y(Alignment::Center)
        .wrap()
        .vertical_spacing(8);

        let header = container(
            row![
                style::cell(text(tr("店员 ID", "ID")), 2),
                style::cell(text(tr("姓名", "Name")), 3),
                style::cell(text(tr("电话", "Phone")), 3),
                style::cell(text(tr("角色", "Role")), 3),
                style::cell(text(tr("直接退款", "Refunds")), 2),
                style::cell(text(tr("云支付员工号", "Cloud staff id")), 3),
            ]
            .spacing(8)
            .padding([6, 10]),
        )
        .style(style::header_row);
        let mut rows = column![];
        for (i, c) in self.list.iter().enumerate() {
            let r = row![
                style::cell(style::mono(&c.id, 15.0), 2),
                style::cell(text(c.name.clone()).size(15), 3),
                style::cell(style::mono(&c.phone, 15.0), 3),
                style::cell(text(role_text(c.role)).size(15), 3),
                style::cell(
                    text(if c.may(cloudpos_domain::clerk::Permission::Refund) {
                        tr("可以", "yes")
                    } else {
                        tr("需授权", "needs a manager")
                    })
                    .size(15),
                    2
                ),
                style::cell(
                    style::mono(c.cloud_staff_id.as_deref().unwrap_or("-"), 15.0),
                    3
                ),
            ]
            .spacing(8)
            .padding([0, 10])
            .height(Length::Fixed(style::ROW_HEIGHT))
            .align_y(Alignment::Center);
            rows = rows.push(
                button(container(r).style(style::row_style(i, self.selected == Some(i))))
                    .padding(0)
                    .style(style::row_button)
                    .on_press(Message::Select(i)),
            );
        }
        if self.list.is_empty() && !self.loading {
            rows = rows.push(container(style::hint(tr("没有店员", "No clerks"))).padding(12));
        }
        let mut col = column![toolbar].spacing(10);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        col = col.push(
            container(column![header, widgets::scroll(rows).height(Length::Fill)])
                .style(style::card)
                .height(Length::Fill),
        );
        let base: Element<'_, Message> = container(col).padding(14).into();

        if let Some(e) = &self.editor {
            return widgets::modal(base, self.editor_view(ctx, e), Message::Cancel);
        }
        if let Some(r) = &self.reset {
            return widgets::modal(base, reset_view(ctx, r), Message::Cancel);
        }
        if let Some(c) = &self.confirm_remove {
            let body = column![
                text(trs(
                    format!("确定删除店员 {} {}？此操作不能撤销。", c.id, c.name),
                    format!("Remove clerk {} {}? This cannot be undone.", c.id, c.name),
                ))
                .size(16),
                row![
                    button(text(tr("确认删除 (Enter)", "Remove (Enter)")))
                        .style(button::danger)
                        .on_press(Message::RemoveConfirm),
                    button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                        .style(button::secondary)
                        .on_press(Message::Cancel),
                ]
                .spacing(10),
            ]
            .spacing(16);
            return widgets::modal(
                base,
                widgets::dialog(ctx, tr("删除店员", "Remove clerk"), body, 420.0),
                Message::Cancel,
            );
        }
        base
    }

    fn editor_view<'a>(&'a self, ctx: &Ctx, e: &'a Editor) -> Element<'a, Message> {
        let input = |value: &'a str, field: Field, id: Option<&'static str>| {
            let mut ti = text_input("", value)
                .on_input(move |v| Message::Field(field, v))
                .on_submit(Message::Save)
                .size(16);
            if let Some(id) = id {
                ti = ti.id(id);
            }
            ti
        };
        let mut body = column![].spacing(10);
        if e.original.is_none() {
            body = body.push(widgets::inline(
                tr("店员 ID", "Clerk ID"),
                110.0,
                input(&e.id, Field::Id, Some(ID_FIELD)).font(style::MONO),
            ));
        } else {
            body = body.push(widgets::inline(
                tr("店员 ID", "Clerk ID"),
                110.0,
                style::mono(&e.id, 16.0),
            ));
        }
        body = body
            .push(widgets::inline(
                tr("姓名", "Name"),
                110.0,
                input(&e.name, Field::Name, Some(NAME_FIELD)),
            ))
            .push(widgets::inline(
                tr("电话", "Phone"),
                110.0,
                input(&e.phone, Field::Phone, None).font(style::MONO),
            ))
            .push(widgets::inline(
                tr("云支付员工号", "Cloud staff id"),
                110.0,
                input(&e.staff_id, Field::StaffId, None).font(style::MONO),
            ));
        if e.original.is_none() {
            body = body
                .push(widgets::inline(
                    tr("密码", "Password"),
                    110.0,
                    input(&e.password, Field::Password, None).secure(true),
                ))
                .push(widgets::inline(
                    tr("确认密码", "Again"),
                    110.0,
                    input(&e.confirm, Field::Confirm, None).secure(true),
                ));
        }
        let roles = Self::roles(ctx);
        let own = ctx
            .clerk
            .as_ref()
            .zip(e.original.as_ref())
            .is_some_and(|(me, c)| me.id == c.id);
        body = body.push(widgets::inline(
            tr("角色", "Role"),
            110.0,
            row![
                pick_list(roles, Some(RoleChoice(e.role)), Message::Role)
                    .text_size(15)
                    .width(Length::Fixed(160.0)),
                checkbox(e.can_refund)
                    .label(tr(
                        "可直接退款（不需店长授权）",
                        "May refund without a manager"
                    ))
                    .on_toggle_maybe((!own).then_some(Message::CanRefund)),
            ]
            .spacing(14)
            .align_y(Alignment::Center),
        ));
        if let Some(err) = &e.error {
            body = body.push(widgets::notice(err, style::FAILED));
        }
        body = body.push(
            row![
                button(text(if e.busy {
                    tr("正在保存…", "Saving…")
                } else {
                    tr("保存 (Enter)", "Save (Enter)")
                }))
                .style(button::success)
                .on_press_maybe((!e.busy).then_some(Message::Save)),
                button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                    .style(button::secondary)
                    .on_press(Message::Cancel),
            ]
            .spacing(10),
        );
        let title = if e.original.is_some() {
            tr("编辑店员", "Edit clerk")
        } else {
            tr("新增店员", "New clerk")
        };
        widgets::dialog(ctx, title, body, 520.0)
    }
}

fn reset_view<'a>(ctx: &Ctx, r: &'a Reset) -> Element<'a, Message> {
    let mut body = column![
        text(trs(
            format!(
                "为店员 {} {} 设置新密码（同时解除锁定）",
                r.clerk.id, r.clerk.name
            ),
            format!(
                "A new password for clerk {} {} (also lifts a lockout)",
                r.clerk.id, r.clerk.name
            ),
        ))
        .size(15),
        widgets::inline(
            tr("新密码", "New password"),
            110.0,
            text_input("", &r.password)
                .id(RESET_FIELD)
                .secure(true)
                .on_input(|v| Message::ResetField(false, v))
                .on_submit(Message::ResetSave),
        ),
        widgets::inline(
            tr("确认密码", "Again"),
            110.0,
            text_input("", &r.confirm)
                .secure(true)
                .on_input(|v| Message::ResetField(true, v))
                .on_submit(Message::ResetSave),
        ),
    ]
    .spacing(10);
    if let Some(err) = &r.error {
        body = body.push(widgets::notice(err, style::FAILED));
    }
    body = body.push(
        row![
            button(text(tr("确定 (Enter)", "OK (Enter)")))
                .style(button::success)
                .on_press_maybe((!r.busy).then_some(Message::ResetSave)),
            button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                .style(button::secondary)
                .on_press(Message::Cancel),
        ]
        .spacing(10),
    );
    widgets::dialog(ctx, tr("重置密码", "Reset password"), body, 480.0)
}

/// Checks a password and its confirmation (the terminal checks the length again).
fn check_passwords(password: &str, confirm: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(trs(
            format!("密码至少 {MIN_PASSWORD} 位"),
            format!("The password needs at least {MIN_PASSWORD} characters"),
        ));
    }
    if password != confirm {
        return Err(tr("两次输入的密码不一致", "The two passwords differ").to_owned());
    }
    Ok(())
}

/// The terminal call for the editor, or what is wrong (and the field to fix).
fn editor_event(e: &Editor) -> Result<Event, (String, &'static str)> {
    let name = e.name.trim();
    if name.is_empty() || name.chars().count() > 32 {
        return Err((
            tr("姓名须为 1–32 个字", "The name must have 1–32 characters").to_owned(),
            NAME_FIELD,
        ));
    }
    match &e.original {
        None => {
            let id = ClerkId::parse(e.id.trim()).map_err(|_| {
                (
                    tr(
                        "店员 ID 须为 1–32 位字母、数字或 _ - . @",
                        "The clerk ID must be 1–32 letters, digits, '_', '-', '.' or '@'",
                    )
                    .to_owned(),
                    ID_FIELD,
                )
            })?;
            check_passwords(&e.password, &e.confirm).map_err(|m| (m, ID_FIELD))?;
            Ok(Event::Add(
                NewClerk {
                    id,
                    name: name.to_owned(),
                    phone: e.phone.trim().to_owned(),
                    role: e.role,
                    can_refund: e.can_refund,
                    cloud_staff_id: Some(e.staff_id.trim().to_owned()).filter(|s| !s.is_empty()),
                },
                e.password.clone(),
            ))
        }
        Some(c) => Ok(Event::Edit(
            c.id.clone(),
            ClerkChanges {
                name: Some(name.to_owned()),
                phone: Some(e.phone.trim().to_owned()),
                role: (e.role != c.role).then_some(e.role),
                can_refund: (e.can_refund != c.can_refund).then_some(e.can_refund),
                cloud_staff_id: Some(e.staff_id.trim().to_owned()),
            },
        )),
    }
}
