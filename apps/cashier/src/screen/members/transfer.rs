//! The member screen's Excel dialogs: 导入会员 (卡号, 姓名, 手机, 状态; bad rows reported by
//! number, as the commodity import) and 导出会员 (every card with its balance, in the import
//! layout). The path is typed, as on the commodity screen.

use std::path::PathBuf;

use cloudpos_terminal::{MemberImport, Terminal, TerminalError};
use iced::Task;

use crate::i18n::{error_text, tr, trs};
use crate::screen::call;

/// The import or export dialog.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// Import (else export).
    pub import: bool,
    /// The workbook path.
    pub path: String,
    /// Working.
    pub busy: bool,
    /// The import's report.
    pub report: Option<MemberImport>,
    /// The export's outcome, or a failure of either.
    pub result: Option<Result<String, String>>,
}

/// What happened in the dialog.
#[derive(Debug, Clone)]
pub enum Message {
    /// Open the import (`true`) or export dialog.
    Open(bool),
    /// Path typed.
    Path(String),
    /// 开始 (Enter in the path field).
    Start,
    /// The import finished.
    Imported(Result<MemberImport, TerminalError>),
    /// The export finished.
    Exported(Result<usize, TerminalError>),
    /// 关闭.
    Close,
}

/// What the dialog asks for.
#[derive(Debug, Clone)]
pub enum Event {
    /// Import a workbook.
    Import(PathBuf),
    /// Export every card.
    Export(PathBuf),
}

/// What the screen does after a dialog message.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing more.
    None,
    /// A terminal call.
    Event(Event),
    /// Close the dialog.
    Close,
    /// An import saved cards: what is shown is read again.
    Imported,
}

impl Transfer {
    /// A dialog whose path starts in `dir`.
    #[must_use]
    pub fn new(import: bool, dir: &std::path::Path) -> Transfer {
        let name = if import {
            "会员.xlsx"
        } else {
            "会员导出.xlsx"
        };
        Transfer {
            import,
            path: dir.join(name).display().to_string(),
            busy: false,
            report: None,
            result: None,
        }
    }

    /// The dialog's title.
    #[must_use]
    pub fn title(&self) -> &'static str {
        if self.import {
            tr("导入会员", "Import members")
        } else {
            tr("导出会员", "Export members")
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Outcome {
        match message {
            Message::Open(_) => Outcome::None,
            Message::Path(p) => {
                self.path = p;
                Outcome::None
            }
            Message::Start => {
                if self.busy || self.path.trim().is_empty() {
                    return Outcome::None;
                }
                self.busy = true;
                self.report = None;
                self.result = None;
                let path = PathBuf::from(self.path.trim());
                Outcome::Event(if self.import {
                    Event::Import(path)
                } else {
                    Event::Export(path)
                })
            }
            Message::Imported(r) => {
                self.busy = false;
                match r {
                    Ok(report) => {
                        let saved = report.imported > 0;
                        self.report = Some(report);
                        if saved {
                            return Outcome::Imported;
                        }
                    }
                    Err(e) => self.result = Some(Err(error_text(&e))),
                }
                Outcome::None
            }
            Message::Exported(r) => {
                self.busy = false;
                self.result = Some(match r {
                    Ok(n) => Ok(trs(
                        format!("已导出 {n} 位会员到 {}", self.path.trim()),
                        format!("Exported {n} members to {}", self.path.trim()),
                    )),
                    Err(e) => Err(error_text(&e)),
                });
                Outcome::None
            }
            Message::Close => {
                if self.busy {
                    Outcome::None
                } else {
                    Outcome::Close
                }
            }
        }
    }
}

/// Runs the dialog's terminal call.
pub fn perform(event: Event, terminal: &Terminal) -> Task<Message> {
    match event {
        Event::Import(path) => call(
            terminal,
            |t| async move { t.import_members(&path).await },
            Message::Imported,
        ),
        Event::Export(path) => call(
            terminal,
            |t| async move { t.export_members(&path).await },
            Message::Exported,
        ),
    }
}
