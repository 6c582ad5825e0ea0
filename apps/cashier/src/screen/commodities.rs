//! 商品管理 Commodities (full mode, G/F3): search by 货号 / 条码 / 类别 / 名称, a paged
//! table (上一页 / 下一页 / 跳转), 新建商品, E 编辑, D 删除 (with confirmation), 导入商品
//! (Excel, with a progress bar and a per-row error report) and 导出库存.

mod view;

use std::path::PathBuf;

use cloudpos_domain::catalog::Commodity;
use cloudpos_domain::ports::{CommodityQuery, Page};
use cloudpos_terminal::{ImportReport, Terminal, TerminalError};
use iced::Task;
use iced::futures::SinkExt;

use crate::focus;
use crate::i18n::{commodity_error_text, error_text, money_error_text, tr, trs};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;

/// Id of the search field.
pub const SEARCH_FIELD: &str = "commodity-search";
/// Id of the editor's first field.
pub const EDITOR_FIELD: &str = "commodity-sku";
/// Id of the path field of the import and export dialogs.
pub const PATH_FIELD: &str = "commodity-path";

/// Rows per page.
pub const PAGE_SIZE: u32 = 12;

/// What the search field matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchBy {
    /// 货号.
    Sku,
    /// 条码.
    Barcode,
    /// 类别 (exact).
    Category,
    /// 名称.
    Name,
}

impl std::fmt::Display for SearchBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SearchBy::Sku => tr("货号", "SKU"),
            SearchBy::Barcode => tr("条码", "Barcode"),
            SearchBy::Category => tr("类别", "Category"),
            SearchBy::Name => tr("名称", "Name"),
        })
    }
}

/// A field of the commodity editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// 货号.
    Sku,
    /// 条码.
    Barcode,
    /// 名称.
    Name,
    /// 类别.
    Category,
    /// 单位.
    Unit,
    /// 单价.
    Price,
    /// 库存.
    Stock,
}

/// The add/edit dialog.
#[derive(Debug, Clone, Default)]
pub struct Editor {
    /// The SKU being edited (`None`: a new commodity).
    pub original: Option<String>,
    /// 货号.
    pub sku: String,
    /// 条码.
    pub barcode: String,
    /// 名称.
    pub name: String,
    /// 类别.
    pub category: String,
    /// 单位.
    pub unit: String,
    /// 单价 (yuan).
    pub price: String,
    /// 库存.
    pub stock: String,
    /// Inline problem.
    pub error: Option<String>,
    /// Being saved.
    pub saving: bool,
}

impl Editor {
    fn from(c: &Commodity) -> Editor {
        Editor {
            original: Some(c.sku.clone()),
            sku: c.sku.clone(),
            barcode: c.barcode.clone().unwrap_or_default(),
            name: c.name.clone(),
            category: c.category.clone(),
            unit: c.unit.clone(),
            price: c.price.to_string(),
            stock: c.stock.to_string(),
            error: None,
            saving: false,
        }
    }

    fn commodity(&self) -> Result<Commodity, String> {
        let price = crate::amount::parse(&self.price).map_err(|e| money_error_text(&e))?;
        let stock = if self.stock.trim().is_empty() {
            0
        } else {
            self.stock
                .trim()
                .parse::<i64>()
                .map_err(|_| tr("库存必须是整数", "Stock must be a whole number").to_owned())?
        };
        let c = Commodity {
            sku: self.sku.trim().to_owned(),
            barcode: Some(self.barcode.trim().to_owned()).filter(|b| !b.is_empty()),
            name: self.name.trim().to_owned(),
            category: self.category.trim().to_owned(),
            unit: self.unit.trim().to_owned(),
            price,
            stock,
        };
        c.validate().map_err(|e| commodity_error_text(&e))?;
        Ok(c)
    }
}

/// The import dialog.
#[derive(Debug, Clone, Default)]
pub struct ImportDialog {
    /// The workbook path.
    pub path: String,
    /// Rows done / rows in all.
    pub progress: Option<(usize, usize)>,
    /// The report once finished.
    pub report: Option<ImportReport>,
    /// Failure.
    pub error: Option<String>,
    /// Running.
    pub busy: bool,
}

/// The export dialog.
#[derive(Debug, Clone, Default)]
pub struct ExportDialog {
    /// The workbook path.
    pub path: String,
    /// What happened.
    pub result: Option<Result<String, String>>,
    /// Running.
    pub busy: bool,
}

/// The commodities screen.
#[derive(Debug, Clone)]
pub struct Commodities {
    /// What the search matches.
    pub search_by: SearchBy,
    /// The search text.
    pub query: String,
    /// The page shown.
    pub page: Option<Page<Commodity>>,
    /// The page asked for.
    pub page_index: u32,
    /// 跳转 page number.
    pub jump: String,
    /// The selected row.
    pub selected: Option<usize>,
    /// The add/edit dialog.
    pub editor: Option<Editor>,
    /// The delete confirmation.
    pub confirm_delete: Option<Commodity>,
    /// The import dialog.
    pub import: Option<ImportDialog>,
    /// The export dialog.
    pub export: Option<ExportDialog>,
    /// Inline problem.
    pub error: Option<String>,
    /// Where import and export dialogs start.
    pub default_dir: PathBuf,
    /// A page is on its way: keys that act on a row wait for it.
    loading: bool,
    /// A key that came while the page was loading (E, D, ↑, ↓): it means that page's row.
    pending: Option<Box<Message>>,
    /// A deletion is on its way.
    deleting: bool,
}

/// What the cashier did.
#[derive(Debug, Clone)]
pub enum Message {
    /// Search criterion.
    SearchBy(SearchBy),
    /// Search text typed.
    Query(String),
    /// 查询.
    Search,
    /// A page arrived.
    Loaded(Result<Page<Commodity>, TerminalError>),
    /// 上一页.
    Prev,
    /// 下一页.
    Next,
    /// Page number typed.
    JumpInput(String),
    /// 跳转.
    Jump,
    /// Row clicked.
    Select(usize),
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// 新建商品.
    New,
    /// E.
    Edit,
    /// Editor field typed.
    EditorField(Field, String),
    /// 保存.
    EditorSave,
    /// Close the editor.
    EditorCancel,
    /// Saved.
    Saved(Result<(), TerminalError>),
    /// D.
    Delete,
    /// 确认删除.
    DeleteConfirm,
    /// 取消.
    DeleteCancel,
    /// Deleted.
    Deleted(Result<(), TerminalError>),
    /// 导入商品.
    OpenImport,
    /// Import path typed.
    ImportPath(String),
    /// Start the import.
    ImportStart,
    /// Import progress.
    ImportProgress(usize, usize),
    /// Import finished.
    ImportDone(Result<ImportReport, TerminalError>),
    /// 导出库存.
    OpenExport,
    /// Export path typed.
    ExportPath(String),
    /// Start the export.
    ExportStart,
    /// Export finished.
    ExportDone(Result<usize, TerminalError>),
    /// Close the import or export dialog.
    CloseDialog,
    /// Esc.
    Escape,
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Load a page.
    Load(CommodityQuery),
    /// Save a commodity.
    Save(Commodity),
    /// Delete a commodity.
    Delete(String),
    /// Import a workbook.
    Import(PathBuf),
    /// Export the inventory.
    Export(PathBuf),
    /// Move the focus.
    Focus(&'static str),
}

impl Commodities {
    /// The screen, with import/export dialogs starting in `default_dir`.
    #[must_use]
    pub fn new(default_dir: PathBuf) -> Commodities {
        Commodities {
            search_by: SearchBy::Name,
            query: String::new(),
            page: None,
            page_index: 0,
            jump: String::new(),
            selected: None,
            editor: None,
            confirm_delete: None,
            import: None,
            export: None,
            error: None,
            default_dir,
            loading: false,
            pending: None,
            deleting: false,
        }
    }

    /// Whether the screen is waiting for an answer that decides where the next keys go (a
    /// row action waiting for its page, a commodity being saved, one being deleted).
    #[must_use]
    pub fn settling(&self) -> bool {
        (self.loading && self.pending.is_some())
            || self.editor.as_ref().is_some_and(|e| e.saving)
            || self.deleting
    }

    /// Whether a dialog is open (letters then belong to it).
    #[must_use]
    pub fn dialog_open(&self) -> bool {
        self.editor.is_some()
            || self.confirm_delete.is_some()
            || self.import.is_some()
            || self.export.is_some()
    }

    /// The title of the open dialog, if any (the window title names it).
    #[must_use]
    pub fn dialog_title(&self) -> Option<&'static str> {
        if let Some(e) = &self.editor {
            return Some(if e.original.is_some() {
                tr("编辑商品", "Edit commodity")
            } else {
                tr("新建商品", "New commodity")
            });
        }
        if self.confirm_delete.is_some() {
            return Some(tr("删除商品", "Delete commodity"));
        }
        if self.import.is_some() {
            return Some(tr("导入商品", "Import commodities"));
        }
        self.export
            .as_ref()
            .map(|_| tr("导出库存", "Export inventory"))
    }

    /// The query of the page to show.
    #[must_use]
    pub fn query(&self) -> CommodityQuery {
        let text = Some(self.query.trim().to_owned()).filter(|t| !t.is_empty());
        let (text, category) = match self.search_by {
            SearchBy::Category => (None, text),
            _ => (text, None),
        };
        CommodityQuery {
            text,
            category,
            page: self.page_index,
            page_size: PAGE_SIZE,
        }
    }

    fn reload(&mut self) -> Option<Event> {
        self.loading = true;
        Some(Event::Load(self.query()))
    }

    /// Asks for the page to show (the screen was opened).
    pub fn load(&mut self) -> Event {
        self.loading = true;
        Event::Load(self.query())
    }

    fn selected_commodity(&self) -> Option<&Commodity> {
        self.page.as_ref()?.items.get(self.selected?)
    }

    /// Runs an event's terminal call (or moves the focus). An import reports its progress
    /// as it goes.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Load(q) => call(
                terminal,
                |t| async move { t.commodities(&q).await },
                Message::Loaded,
            ),
            Event::Save(c) => call(
                terminal,
                |t| async move { t.save_commodity(&c).await },
                Message::Saved,
            ),
            Event::Delete(sku) => call(
                terminal,
                |t| async move { t.delete_commodity(&sku).await },
                Message::Deleted,
            ),
            Event::Export(path) => call(
                terminal,
                |t| async move { t.export_inventory(&path).await },
                Message::ExportDone,
            ),
            Event::Import(path) => import(terminal.clone(), path),
            Event::Focus(id) => focus::select(id),
        }
    }

    /// The screen's keys: Esc; over the list N 新建, E 编辑, D 删除 and the arrows; while a
    /// dialog is open it takes the keys (Enter confirms a deletion).
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        let sc = shortcut(press);
        let m = match sc {
            Shortcut::Escape => Message::Escape,
            Shortcut::Function(_) => return None,
            _ if self.dialog_open() => {
                return Some(if sc == Shortcut::Enter && self.confirm_delete.is_some() {
                    KeyAction::Send(Message::DeleteConfirm)
                } else {
                    KeyAction::Swallow
                });
            }
            Shortcut::Letter('E') => Message::Edit,
            Shortcut::Letter('D') => Message::Delete,
            Shortcut::Letter('N') => Message::New,
            Shortcut::Up => Message::Up,
            Shortcut::Down => Message::Down,
            _ => return None,
        };
        Some(KeyAction::Send(m))
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        if self.loading
            && matches!(
                message,
                Message::Edit | Message::Delete | Message::Up | Message::Down
            )
        {
            // Typed right after a search or a page change: it means a row of the page on
            // its way, not of the one still shown.
            self.pending = Some(Box::new(message));
            return None;
        }
        match message {
            Message::SearchBy(s) => {
                self.search_by = s;
                Some(Event::Focus(SEARCH_FIELD))
            }
            Message::Query(q) => {
                self.query = q;
                None
            }
            Message::Search => {
                self.page_index = 0;
                self.selected = None;
                self.reload()
            }
            Message::Loaded(Ok(page)) => {
                self.loading = false;
                let n = page.items.len();
                self.selected = match self.selected {
                    _ if n == 0 => None,
                    Some(i) => Some(i.min(n - 1)),
                    None => Some(0),
                };
                self.page = Some(page);
                self.error = None;
                self.pending.take().and_then(|m| self.update(*m))
            }
            Message::Loaded(Err(e)) => {
                self.loading = false;
                self.pending = None;
                self.error = Some(error_text(&e));
                None
            }
            Message::Deleted(Err(e)) => {
                self.deleting = false;
                self.error = Some(error_text(&e));
                self.confirm_delete = None;
                None
            }
            Message::Prev => {
                self.page_index = self.page_index.saturating_sub(1);
                self.selected = None;
                self.reload()
            }
            Message::Next => {
                let count = self.page.as_ref().map_or(1, Page::page_count);
                if self.page_index + 1 < count {
                    self.page_index += 1;
                    self.selected = None;
                }
                self.reload()
            }
            Message::JumpInput(v) => {
                self.jump = v.chars().filter(char::is_ascii_digit).collect();
                None
            }
            Message::Jump => {
                let count = self.page.as_ref().map_or(1, Page::page_count);
                if let Ok(n) = self.jump.parse::<u32>() {
                    self.page_index = n.clamp(1, count) - 1;
                    self.selected = None;
                }
                self.reload()
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
                let n = self.page.as_ref().map_or(0, |p| p.items.len());
                if n > 0 {
                    self.selected = Some(self.selected.map_or(0, |i| (i + 1).min(n - 1)));
                }
                None
            }
            Message::New => {
                self.editor = Some(Editor {
                    unit: tr("件", "pc").to_owned(),
                    stock: "0".into(),
                    ..Editor::default()
                });
                Some(Event::Focus(EDITOR_FIELD))
            }
            Message::Edit => {
                let c = self.selected_commodity()?.clone();
                self.editor = Some(Editor::from(&c));
                Some(Event::Focus(EDITOR_FIELD))
            }
            Message::EditorField(field, v) => {
                let e = self.editor.as_mut()?;
                let slot = match field {
                    Field::Sku => &mut e.sku,
                    Field::Barcode => &mut e.barcode,
                    Field::Name => &mut e.name,
                    Field::Category => &mut e.category,
                    Field::Unit => &mut e.unit,
                    Field::Price => &mut e.price,
                    Field::Stock => &mut e.stock,
                };
                *slot = v;
                e.error = None;
                None
            }
            Message::EditorSave => {
                let e = self.editor.as_mut()?;
                if e.saving {
                    return None;
                }
                match e.commodity() {
                    Ok(c) => {
                        e.saving = true;
                        Some(Event::Save(c))
                    }
                    Err(msg) => {
                        e.error = Some(msg);
                        None
                    }
                }
            }
            Message::EditorCancel => {
                self.editor = None;
                None
            }
            Message::Saved(Ok(())) => {
                self.editor = None;
                self.reload()
            }
            Message::Saved(Err(err)) => {
                match &mut self.editor {
                    Some(e) => {
                        e.saving = false;
                        e.error = Some(error_text(&err));
                    }
                    None => self.error = Some(error_text(&err)),
                }
                None
            }
            Message::Delete => {
                self.confirm_delete = Some(self.selected_commodity()?.clone());
                None
            }
            Message::DeleteConfirm => {
                let c = self.confirm_delete.take()?;
                self.deleting = true;
                Some(Event::Delete(c.sku))
            }
            Message::DeleteCancel => {
                self.confirm_delete = None;
                None
            }
            Message::Deleted(Ok(())) => {
                self.deleting = false;
                self.reload()
            }
            Message::OpenImport => {
                self.import = Some(ImportDialog {
                    path: self.default_dir.join("商品.xlsx").display().to_string(),
                    ..ImportDialog::default()
                });
                Some(Event::Focus(PATH_FIELD))
            }
            Message::ImportPath(p) => {
                if let Some(d) = &mut self.import {
                    d.path = p;
                }
                None
            }
            Message::ImportStart => {
                let d = self.import.as_mut()?;
                if d.busy || d.path.trim().is_empty() {
                    return None;
                }
                d.busy = true;
                d.error = None;
                d.report = None;
                d.progress = Some((0, 0));
                Some(Event::Import(PathBuf::from(d.path.trim())))
            }
            Message::ImportProgress(done, total) => {
                if let Some(d) = &mut self.import {
                    d.progress = Some((done, total));
                }
                None
            }
            Message::ImportDone(result) => {
                let d = self.import.as_mut()?;
                d.busy = false;
                match result {
                    Ok(r) => {
                        d.progress = Some((r.imported, r.imported));
                        d.report = Some(r);
                        self.page_index = 0;
                        return self.reload();
                    }
                    Err(e) => d.error = Some(error_text(&e)),
                }
                None
            }
            Message::OpenExport => {
                self.export = Some(ExportDialog {
                    path: self.default_dir.join("库存.xlsx").display().to_string(),
                    ..ExportDialog::default()
                });
                Some(Event::Focus(PATH_FIELD))
            }
            Message::ExportPath(p) => {
                if let Some(d) = &mut self.export {
                    d.path = p;
                }
                None
            }
            Message::ExportStart => {
                let d = self.export.as_mut()?;
                if d.busy || d.path.trim().is_empty() {
                    return None;
                }
                d.busy = true;
                d.result = None;
                Some(Event::Export(PathBuf::from(d.path.trim())))
            }
            Message::ExportDone(result) => {
                let d = self.export.as_mut()?;
                d.busy = false;
                d.result = Some(match result {
                    Ok(n) => Ok(trs(
                        format!("已导出 {n} 种商品到 {}", d.path),
                        format!("Exported {n} commodities to {}", d.path),
                    )),
                    Err(e) => Err(error_text(&e)),
                });
                None
            }
            Message::CloseDialog => {
                if !self.import.as_ref().is_some_and(|d| d.busy) {
                    self.import = None;
                }
                if !self.export.as_ref().is_some_and(|d| d.busy) {
                    self.export = None;
                }
                None
            }
            Message::Escape => {
                self.editor = None;
                self.confirm_delete = None;
                self.update(Message::CloseDialog)
            }
        }
    }
}

/// Imports a workbook, its progress reported row by row, then its report.
fn import(t: Terminal, path: PathBuf) -> Task<Message> {
    Task::run(
        iced::stream::channel(
            16,
            async move |mut out: iced::futures::channel::mpsc::Sender<Message>| {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let import = t.import_commodities(&path, move |done, total| {
                    let _ = tx.send((done, total));
                });
                tokio::pin!(import);
                let result = loop {
                    tokio::select! {
                        r = &mut import => break r,
                        Some((d, n)) = rx.recv() => {
                            let _ = out.send(Message::ImportProgress(d, n)).await;
                        }
                    }
                };
                while let Ok((d, n)) = rx.try_recv() {
                    let _ = out.send(Message::ImportProgress(d, n)).await;
                }
                let _ = out.send(Message::ImportDone(result)).await;
            },
        ),
        |m| m,
    )
}
