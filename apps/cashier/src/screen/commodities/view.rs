//! Drawing the commodities screen: the search, the table and its pages, the editor and
//! the import and export dialogs.

use iced::widget::{
    Space, button, column, container, pick_list, progress_bar, row, text, text_input,
};
use iced::{Alignment, Element, Length};

use super::{
    Commodities, EDITOR_FIELD, Editor, ExportDialog, Field, ImportDialog, Message, PATH_FIELD,
    SEARCH_FIELD, SearchBy,
};
use crate::ctx::Ctx;
use crate::i18n::{tr, trs};
use crate::style;
use crate::widgets;

impl Commodities {
    /// Draws the screen.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let toolbar = row![
            pick_list(
                [
                    SearchBy::Sku,
                    SearchBy::Barcode,
                    SearchBy::Category,
                    SearchBy::Name
                ],
                Some(self.search_by),
                Message::SearchBy
            )
            .text_size(15),
            text_input(
                tr("查询内容（空：全部商品）", "Search (empty: all)"),
                &self.query
            )
            .id(SEARCH_FIELD)
            .on_input(Message::Query)
            .on_submit(Message::Search)
            .width(Length::Fixed(260.0)),
            button(text(tr("查询", "Search"))).on_press(Message::Search),
            Space::new().width(Length::Fixed(12.0)),
            button(text(tr("新建商品 (N)", "New (N)")))
                .style(button::success)
                .on_press(Message::New),
            button(text(tr("编辑 (E)", "Edit (E)")))
                .style(button::secondary)
                .on_press_maybe(self.selected.map(|_| Message::Edit)),
            button(text(tr("删除 (D)", "Delete (D)")))
                .style(button::danger)
                .on_press_maybe(self.selected.map(|_| Message::Delete)),
            button(text(tr("导入商品", "Import")))
                .style(button::secondary)
                .on_press(Message::OpenImport),
            button(text(tr("导出库存", "Export")))
                .style(button::secondary)
                .on_press(Message::OpenExport),
        ]
        .spacing(8)
        .align_y(Alignment::Center)
        // On a narrow window the buttons go to a second line instead of being squeezed.
        .wrap()
        .vertical_spacing(8);

        let header = container(
            row![
                style::cell(text(tr("货号", "SKU")), 2),
                style::cell(text(tr("条码", "Barcode")), 3),
                style::cell(text(tr("名称", "Name")), 4),
                style::cell(text(tr("类别", "Category")), 2),
                style::cell(text(tr("单位", "Unit")), 1),
                style::cell(
                    text(tr("单价", "Price"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    2
                ),
                style::cell(
                    text(tr("库存", "Stock"))
                        .width(Length::Fill)
                        .align_x(Alignment::End),
                    2
                ),
            ]
            .spacing(8)
            .padding([6, 10]),
        )
        .style(style::header_row);
        let mut rows = column![];
        if let Some(page) = &self.page {
            for (i, c) in page.items.iter().enumerate() {
                let selected = self.selected == Some(i);
                let r = row![
                    style::cell(style::mono(&c.sku, 15.0), 2),
                    style::cell(style::mono(c.barcode.as_deref().unwrap_or("-"), 15.0), 3),
                    style::cell(text(c.name.clone()).size(15), 4),
                    style::cell(text(c.category.clone()).size(15), 2),
                    style::cell(text(c.unit.clone()).size(15), 1),
                    style::cell(style::money(c.price, 15.0), 2),
                    style::cell(
                        style::mono(c.stock, 15.0)
                            .width(Length::Fill)
                            .align_x(Alignment::End),
                        2
                    ),
                ]
                .spacing(8)
                .padding([0, 10])
                .height(Length::Fixed(style::ROW_HEIGHT))
                .align_y(Alignment::Center);
                rows = rows.push(
                    button(container(r).style(style::row_style(i, selected)))
                        .padding(0)
                        .style(style::row_button)
                        .on_press(Message::Select(i)),
                );
            }
            if page.items.is_empty() {
                rows =
                    rows.push(container(style::hint(tr("没有商品", "No commodities"))).padding(12));
            }
        }
        let pager = self.page.as_ref().map(|p| {
            widgets::pager(
                self.page_index,
                p.page_count(),
                p.total,
                &self.jump,
                Message::Prev,
                Message::Next,
                Message::JumpInput,
                Message::Jump,
            )
        });
        let mut col = column![toolbar].spacing(10);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        col = col.push(
            container(column![header, widgets::scroll(rows).height(Length::Fill)])
                .style(style::card)
                .height(Length::Fill),
        );
        if let Some(p) = pager {
            col = col.push(p);
        }
        let base: Element<'_, Message> = container(col).padding(14).into();

        if let Some(e) = &self.editor {
            return widgets::modal(base, self.editor_view(ctx, e), Message::EditorCancel);
        }
        if let Some(c) = &self.confirm_delete {
            let body = column![
                text(trs(
                    format!("确定删除商品 {} {}？此操作不能撤销。", c.sku, c.name),
                    format!("Delete {} {}? This cannot be undone.", c.sku, c.name),
                ))
                .size(16),
                row![
                    button(text(tr("确认删除 (Enter)", "Delete (Enter)")))
                        .style(button::danger)
                        .on_press(Message::DeleteConfirm),
                    button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                        .style(button::secondary)
                        .on_press(Message::DeleteCancel),
                ]
                .spacing(10),
            ]
            .spacing(16);
            return widgets::modal(
                base,
                widgets::dialog(ctx, tr("删除商品", "Delete commodity"), body, 420.0),
                Message::DeleteCancel,
            );
        }
        if let Some(d) = &self.import {
            return widgets::modal(base, self.import_view(ctx, d), Message::CloseDialog);
        }
        if let Some(d) = &self.export {
            return widgets::modal(base, self.export_view(ctx, d), Message::CloseDialog);
        }
        base
    }

    fn editor_view<'a>(&'a self, ctx: &Ctx, e: &'a Editor) -> Element<'a, Message> {
        let input =
            |label: &str, value: &'a str, field: Field, id: Option<&'static str>, mono: bool| {
                let mut ti = text_input("", value)
                    .on_input(move |v| Message::EditorField(field, v))
                    .on_submit(Message::EditorSave)
                    .size(16);
                if let Some(id) = id {
                    ti = ti.id(id);
                }
                if mono {
                    ti = ti.font(style::MONO);
                }
                widgets::inline(label, 80.0, ti)
            };
        let mut body = column![
            input(
                tr("货号", "SKU"),
                &e.sku,
                Field::Sku,
                Some(EDITOR_FIELD),
                true
            ),
            input(
                tr("条码", "Barcode"),
                &e.barcode,
                Field::Barcode,
                None,
                true
            ),
            input(tr("名称", "Name"), &e.name, Field::Name, None, false),
            input(
                tr("类别", "Category"),
                &e.category,
                Field::Category,
                None,
                false
            ),
            input(tr("单位", "Unit"), &e.unit, Field::Unit, None, false),
            input(tr("单价(元)", "Price"), &e.price, Field::Price, None, true),
            input(tr("库存", "Stock"), &e.stock, Field::Stock, None, true),
        ]
        .spacing(10);
        if let Some(err) = &e.error {
            body = body.push(widgets::notice(err, style::FAILED));
        }
        body = body.push(
            row![
                button(text(tr("保存 (Enter)", "Save (Enter)")))
                    .style(button::success)
                    .on_press(Message::EditorSave),
                button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                    .style(button::secondary)
                    .on_press(Message::EditorCancel),
            ]
            .spacing(10),
        );
        let title = if e.original.is_some() {
            tr("编辑商品", "Edit commodity")
        } else {
            tr("新建商品", "New commodity")
        };
        widgets::dialog(ctx, title, body, 460.0)
    }

    fn import_view<'a>(&'a self, ctx: &Ctx, d: &'a ImportDialog) -> Element<'a, Message> {
        let mut body = column![
            style::hint(tr(
                "Excel 表头：货号 条码 名称 类别 单位 单价 库存；每行一种商品，货号相同则覆盖",
                "Excel header: SKU, barcode, name, category, unit, price, stock; one commodity per row, same SKU replaces",
            )),
            widgets::field(
                tr("Excel 文件路径", "Workbook path"),
                text_input("", &d.path)
                    .id(PATH_FIELD)
                    .on_input(Message::ImportPath)
                    .on_submit(Message::ImportStart),
            ),
        ]
        .spacing(12);
        if let Some((done, total)) = d.progress {
            let value = if total == 0 {
                0.0
            } else {
                done as f32 / total as f32
            };
            body = body.push(progress_bar(
                0.0..=1.0,
                if d.busy && total == 0 { 0.05 } else { value },
            ));
        }
        if let Some(r) = &d.report {
            body = body.push(
                text(trs(
                    format!(
                        "读取 {} 行，导入 {} 种，{} 行有错误",
                        r.rows,
                        r.imported,
                        r.errors.len()
                    ),
                    format!(
                        "{} rows read, {} imported, {} rows with errors",
                        r.rows,
                        r.imported,
                        r.errors.len()
                    ),
                ))
                .color(if r.errors.is_empty() {
                    style::PAID
                } else {
                    style::PENDING
                }),
            );
            if !r.errors.is_empty() {
                let mut list = column![].spacing(2);
                for e in &r.errors {
                    list = list.push(
                        row![
                            style::mono(format!("{} {}", tr("第", "row"), e.row), 14.0)
                                .width(Length::Fixed(80.0)),
                            text(crate::i18n::row_problem_text(&e.problem))
                                .size(14)
                                .color(style::FAILED),
                        ]
                        .spacing(8),
                    );
                }
                body = body.push(widgets::scroll(list).height(Length::Fixed(160.0)));
            }
        }
        if let Some(e) = &d.error {
            body = body.push(widgets::notice(e, style::FAILED));
        }
        body = body.push(
            row![
                button(text(if d.busy {
                    tr("正在导入…", "Importing…")
                } else {
                    tr("开始导入", "Import")
                }))
                .on_press_maybe((!d.busy).then_some(Message::ImportStart)),
                button(text(tr("关闭 (Esc)", "Close (Esc)")))
                    .style(button::secondary)
                    .on_press_maybe((!d.busy).then_some(Message::CloseDialog)),
            ]
            .spacing(10),
        );
        widgets::dialog(ctx, tr("导入商品", "Import commodities"), body, 560.0)
    }

    fn export_view<'a>(&'a self, ctx: &Ctx, d: &'a ExportDialog) -> Element<'a, Message> {
        let mut body = column![widgets::field(
            tr("保存到（Excel）", "Save to (Excel)"),
            text_input("", &d.path)
                .id(PATH_FIELD)
                .on_input(Message::ExportPath)
                .on_submit(Message::ExportStart),
        )]
        .spacing(12);
        match &d.result {
            Some(Ok(m)) => body = body.push(widgets::notice(m, style::PAID)),
            Some(Err(m)) => body = body.push(widgets::notice(m, style::FAILED)),
            None => {}
        }
        body = body.push(
            row![
                button(text(if d.busy {
                    tr("正在导出…", "Exporting…")
                } else {
                    tr("导出", "Export")
                }))
                .on_press_maybe((!d.busy).then_some(Message::ExportStart)),
                button(text(tr("关闭 (Esc)", "Close (Esc)")))
                    .style(button::secondary)
                    .on_press(Message::CloseDialog),
            ]
            .spacing(10),
        );
        widgets::dialog(ctx, tr("导出库存", "Export inventory"), body, 520.0)
    }
}
