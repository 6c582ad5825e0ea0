//! Receipt layout: a [`Receipt`] becomes printed lines for a paper width.
//!
//! Architecture invariant: every [`Block::Text`] fits its line, i.e. its columns (see
//! [`crate::text`]) times its width magnification are at most the paper's columns. Long
//! names wrap, amounts are right-aligned, and nothing is ever cut off or left to the
//! printer's own wrapping.

use cloudpos_domain::money::Money;
use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::receipt::{Receipt, ReceiptKind};
use cloudpos_domain::shift::Summary;

use crate::code128;
use crate::settings::{CodePage, FontSize, PrinterSettings};
use crate::text::{columns, pad_left, pad_right, sanitize, wrap};

/// Horizontal alignment of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Align {
    /// Left.
    Left,
    /// Centred.
    Center,
    /// Right.
    Right,
}

/// Character style of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Style {
    /// Emphasised.
    pub bold: bool,
    /// Width magnification, 1 or 2.
    pub width: u8,
    /// Height magnification, 1 or 2.
    pub height: u8,
    /// White on black.
    pub reverse: bool,
}

impl Style {
    /// Normal text.
    pub const NORMAL: Style = Style {
        bold: false,
        width: 1,
        height: 1,
        reverse: false,
    };
}

/// One element of a laid-out receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// One printed line (already sanitized for the code page and fitted to the width).
    Text {
        /// The text.
        text: String,
        /// Alignment.
        align: Align,
        /// Style.
        style: Style,
    },
    /// Blank lines.
    Feed(u8),
    /// A centred QR code of the data.
    Qr(String),
    /// A centred CODE128 barcode: the `GS k 73` data and the module width in dots.
    Barcode {
        /// `GS k 73` data (see [`code128::escpos_data`]).
        data: Vec<u8>,
        /// Dots per module, 2 or 3.
        module: u8,
    },
}

/// QR module size in dots (6 dots = 0.75 mm, easy for phone and 2D scanners).
pub const QR_MODULE_DOTS: u8 = 6;
/// Barcode height in dots.
pub const BARCODE_HEIGHT: u8 = 64;

/// What the layout needs to know about the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutOptions {
    /// Columns of a normal-size line.
    pub columns: usize,
    /// Dot width of the print area.
    pub dots: u32,
    /// Body text size.
    pub font_size: FontSize,
    /// Code page (decides which characters print).
    pub code_page: CodePage,
    /// Closing line when the receipt has none.
    pub closing_line: String,
    /// Print the QR code and barcode of the order number.
    pub print_codes: bool,
}

impl LayoutOptions {
    /// The options a set of printer settings implies.
    #[must_use]
    pub fn from_settings(s: &PrinterSettings) -> LayoutOptions {
        LayoutOptions {
            columns: s.width.columns(),
            dots: s.width.dots(),
            font_size: s.font_size,
            code_page: s.code_page,
            closing_line: s.closing_line.clone(),
            print_codes: s.print_codes,
        }
    }
}

struct Builder<'a> {
    opts: &'a LayoutOptions,
    blocks: Vec<Block>,
    body: Style,
}

impl Builder<'_> {
    fn clean(&self, s: &str) -> String {
        sanitize(s, self.opts.code_page)
    }

    /// Columns available to a style.
    fn cols(&self, style: Style) -> usize {
        (self.opts.columns / usize::from(style.width.max(1))).max(1)
    }

    fn push_line(&mut self, text: impl AsRef<str>, align: Align, style: Style) {
        // Idempotent, so already-clean text is unchanged.
        let text = self.clean(text.as_ref());
        self.blocks.push(Block::Text { text, align, style });
    }

    /// Wrapped text.
    fn text(&mut self, s: &str, align: Align, style: Style) {
        let clean = self.clean(s);
        for line in wrap(&clean, self.cols(style)) {
            self.push_line(line, align, style);
        }
    }

    fn rule(&mut self, c: char) {
        let line = c.to_string().repeat(self.opts.columns);
        self.push_line(line, Align::Left, Style::NORMAL);
    }

    /// `label ……… value` on one line if it fits; otherwise the label, then the value
    /// right-aligned on the following line(s).
    fn pair_styled(&mut self, label: &str, value: &str, style: Style) {
        let cols = self.cols(style);
        let (l, v) = (self.clean(label), self.clean(value));
        let (lw, vw) = (columns(&l), columns(&v));
        if lw + 1 + vw <= cols {
            let line = format!("{}{}", pad_right(&l, cols - vw), v);
            self.push_line(line, Align::Left, style);
            return;
        }
        if !l.is_empty() {
            for line in wrap(&l, cols) {
                self.push_line(line, Align::Left, style);
            }
        }
        for line in wrap(&v, cols) {
            self.push_line(pad_left(&line, cols), Align::Left, style);
        }
    }

    fn pair(&mut self, label: &str, value: &str) {
        self.pair_styled(label, value, self.body);
    }

    fn opt_pair(&mut self, label: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            self.pair(label, v);
        }
    }

    /// The prominent amount line: bold, and double height when the body is normal.
    fn amount(&mut self, label: &str, value: Money) {
        let mut style = self.body;
        style.bold = true;
        style.height = 2;
        self.pair_styled(label, &format!("￥{value}"), style);
    }

    fn header(&mut self, r: &Receipt) {
        if !r.store_name.trim().is_empty() {
            let style = Style {
                bold: true,
                width: 2,
                height: 2,
                reverse: false,
            };
            self.text(&r.store_name, Align::Center, style);
        }
        if r.sandbox {
            self.sandbox_banner();
        }
        let title = match r.kind {
            ReceiptKind::Payment => "支付凭证",
            ReceiptKind::Refund => "退款凭证",
            ReceiptKind::Summary => "收款汇总",
            ReceiptKind::TestPage => "打印测试页",
            ReceiptKind::DepositFreeze => "押金冻结凭证",
            ReceiptKind::DepositConsume => "押金消费凭证",
            ReceiptKind::DepositRelease => "押金解冻凭证",
        };
        let style = Style {
            bold: true,
            width: 1,
            height: 2,
            reverse: false,
        };
        self.text(title, Align::Center, style);
        let (n, of) = r.copy;
        if of > 1 {
            self.text(&format!("第{n}联 / 共{of}联"), Align::Center, Style::NORMAL);
        }
        self.rule('-');
    }

    fn sandbox_banner(&mut self) {
        let style = Style {
            bold: true,
            width: 1,
            height: 1,
            reverse: true,
        };
        // Padded on both sides so the white-on-black band frames the words.
        if self.opts.columns >= 18 {
            self.push_line(" SANDBOX 沙箱测试 ", Align::Center, style);
        } else {
            self.text("SANDBOX 沙箱测试", Align::Center, style);
        }
        self.text("非真实交易，不作收款依据", Align::Center, Style::NORMAL);
    }

    fn common(&mut self, r: &Receipt) {
        self.pair("时间", &r.time.format(r.offset_seconds));
        self.opt_pair("收银员", Some(&r.clerk));
        self.opt_pair("设备", Some(&r.device_id));
        if let Some(m) = r.method {
            self.pair("支付方式", m.display_name());
        }
    }

    fn commodities(&mut self, r: &Receipt) {
        if r.lines.is_empty() {
            return;
        }
        let cols = self.cols(self.body);
        let table = cols >= 40;
        let (qty_w, price_w, total_w) = (6, 10, 10);
        if table {
            let name_w = cols - qty_w - price_w - total_w;
            let head = format!(
                "{}{}{}{}",
                pad_right("商品", name_w),
                pad_left("数量", qty_w),
                pad_left("单价", price_w),
                pad_left("金额", total_w)
            );
            self.push_line(head, Align::Left, self.body);
        } else {
            self.pair("商品", "数量×单价  金额");
        }
        for line in &r.lines {
            let name = self.clean(&line.name);
            let qty = format!("{}{}", line.quantity, self.clean(&line.unit));
            let price = line.unit_price.to_string();
            let total = line
                .total()
                .map_or_else(|| "--".to_owned(), |t| t.to_string());
            let name_w = cols.saturating_sub(qty_w + price_w + total_w);
            let fits = table
                && columns(&qty) < qty_w
                && columns(&price) < price_w
                && columns(&total) < total_w;
            if fits {
                let mut names = wrap(&name, name_w - 1).into_iter();
                let first = names.next().unwrap_or_default();
                let row = format!(
                    "{}{}{}{}",
                    pad_right(&first, name_w),
                    pad_left(&qty, qty_w),
                    pad_left(&price, price_w),
                    pad_left(&total, total_w)
                );
                self.push_line(row, Align::Left, self.body);
                for rest in names {
                    self.push_line(rest, Align::Left, self.body);
                }
            } else {
                for l in wrap(&name, cols) {
                    self.push_line(l, Align::Left, self.body);
                }
                self.pair(&format!("  {qty} × {price}"), &total);
            }
        }
        let count: u64 = r.lines.iter().map(|l| u64::from(l.quantity)).sum();
        self.pair("件数", &count.to_string());
        self.rule('-');
    }

    fn remark_and_extra(&mut self, r: &Receipt, label: &str) {
        if !r.remark.trim().is_empty() {
            self.text(
                &format!("{label}：{}", r.remark.trim()),
                Align::Left,
                self.body,
            );
        }
        for (k, v) in &r.extra {
            self.pair(k, v);
        }
    }

    fn codes(&mut self, r: &Receipt) {
        let Some(no) = r.order_no.as_deref().filter(|n| !n.is_empty()) else {
            return;
        };
        if !self.opts.print_codes {
            return;
        }
        self.blocks.push(Block::Feed(1));
        self.blocks.push(Block::Qr(no.to_owned()));
        if let Some(data) = code128::escpos_data(no)
            && let Some(sym) = code128::parse_escpos(&data)
        {
            // The barcode and its quiet zones (10 modules each side) must fit the paper.
            let need = |m: usize| (sym.module_count() + 20) * m;
            let dots = usize::try_from(self.opts.dots).unwrap_or(0);
            if let Some(module) = [3u8, 2].into_iter().find(|&m| need(usize::from(m)) <= dots) {
                self.blocks.push(Block::Barcode { data, module });
            }
        }
        if matches!(r.kind, ReceiptKind::Payment) {
            self.text("扫码可查询或发起退款", Align::Center, Style::NORMAL);
        }
    }

    fn footer(&mut self, r: &Receipt) {
        let closing = if r.closing_line.trim().is_empty() {
            self.opts.closing_line.clone()
        } else {
            r.closing_line.clone()
        };
        if !closing.trim().is_empty() {
            self.blocks.push(Block::Feed(1));
            self.text(closing.trim(), Align::Center, Style::NORMAL);
        }
        if r.sandbox {
            self.blocks.push(Block::Feed(1));
            self.sandbox_banner();
        }
    }

    fn payment(&mut self, r: &Receipt) {
        self.opt_pair("订单号", r.order_no.as_deref());
        self.opt_pair("交易单号", r.transaction_id.as_deref());
        self.common(r);
        self.rule('-');
        self.commodities(r);
        self.amount("金额", r.amount);
        if r.refunded.is_positive() {
            self.pair("已退款", &r.refunded.to_string());
        }
        if let Some((received, change)) = r.cash {
            self.pair("实收现金", &received.to_string());
            self.pair("找零", &change.to_string());
        }
        self.remark_and_extra(r, "备注");
        self.rule('-');
        self.codes(r);
    }

    fn refund(&mut self, r: &Receipt) {
        self.opt_pair("退款单号", r.refund_no.as_deref());
        self.opt_pair("原订单号", r.order_no.as_deref());
        self.opt_pair("交易单号", r.transaction_id.as_deref());
        self.common(r);
        self.rule('-');
        self.commodities(r);
        self.pair("订单金额", &r.amount.to_string());
        self.amount("本次退款", r.refund_amount.unwrap_or(Money::ZERO));
        self.pair("累计已退款", &r.refunded.to_string());
        self.remark_and_extra(r, "退款原因");
        self.rule('-');
        self.codes(r);
    }

    /// A deposit slip: its number, the wallet's authorisation, the frozen amount, then what
    /// the slip is about (the consume and the rest released, or the release) as labelled
    /// lines, the remark, and the deposit's number as codes.
    fn deposit(&mut self, r: &Receipt) {
        self.opt_pair("押金单号", r.order_no.as_deref());
        self.opt_pair("授权单号", r.transaction_id.as_deref());
        self.common(r);
        self.rule('-');
        self.amount("冻结金额", r.amount);
        for (k, v) in &r.extra {
            self.pair(k, v);
        }
        if !r.remark.trim().is_empty() {
            self.text(
                &format!("备注：{}", r.remark.trim()),
                Align::Left,
                self.body,
            );
        }
        self.rule('-');
        self.codes(r);
    }

    fn summary(&mut self, r: &Receipt) {
        if let Some(s) = &r.summary {
            self.pair("开始", &s.from.format(r.offset_seconds));
            self.pair("结束", &s.to.format(r.offset_seconds));
            let clerk = s.clerk.as_ref().map_or("全部店员", |c| c.as_str());
            self.pair("店员", clerk);
        }
        self.pair("打印时间", &r.time.format(r.offset_seconds));
        self.opt_pair("收银员", Some(&r.clerk));
        self.opt_pair("设备", Some(&r.device_id));
        self.rule('-');
        if let Some(s) = &r.summary {
            self.summary_table(s);
        }
        self.remark_and_extra(r, "备注");
    }

    fn summary_table(&mut self, s: &Summary) {
        let bold = Style {
            bold: true,
            ..self.body
        };
        for m in PaymentMethod::ALL {
            let t = s.methods.get(&m).copied().unwrap_or_default();
            self.text(m.display_name(), Align::Left, bold);
            self.pair(&format!("  收款 {} 笔", t.pay_count), &t.paid.to_string());
            self.pair(
                &format!("  退款 {} 笔", t.refund_count),
                &t.refunded.to_string(),
            );
            self.pair("  净收", &t.net.to_string());
        }
        self.rule('-');
        self.text("合计", Align::Left, bold);
        self.pair(
            &format!("  收款 {} 笔", s.total.pay_count),
            &s.total.paid.to_string(),
        );
        self.pair(
            &format!("  退款 {} 笔", s.total.refund_count),
            &s.total.refunded.to_string(),
        );
        self.amount("净收", s.total.net);
        self.pair("现金实收", &s.cash.tendered.to_string());
        self.pair("现金找零", &s.cash.change.to_string());
        self.rule('-');
    }

    fn test_page(&mut self, r: &Receipt) {
        self.common(r);
        for (k, v) in &r.extra {
            self.pair(k, v);
        }
        self.rule('-');
        let cols = self.opts.columns;
        let digits: String = (1..=cols)
            .map(|i| char::from(b'0' + (i % 10) as u8))
            .collect();
        self.push_line(digits, Align::Left, Style::NORMAL);
        let hanzi: String = "汉字宽度".chars().cycle().take(cols / 2).collect();
        self.text(&hanzi, Align::Left, Style::NORMAL);
        self.text("中文：云支付收银台 ￥·×", Align::Left, Style::NORMAL);
        self.text(
            "粗体 Bold",
            Align::Left,
            Style {
                bold: true,
                ..Style::NORMAL
            },
        );
        self.text(
            "倍高 Tall",
            Align::Left,
            Style {
                height: 2,
                ..Style::NORMAL
            },
        );
        self.text(
            "倍宽高 Big",
            Align::Left,
            Style {
                width: 2,
                height: 2,
                ..Style::NORMAL
            },
        );
        self.text("左 Left", Align::Left, Style::NORMAL);
        self.text("中 Center", Align::Center, Style::NORMAL);
        self.text("右 Right", Align::Right, Style::NORMAL);
        if !r.remark.trim().is_empty() {
            self.text(&r.remark, Align::Left, self.body);
        }
        self.rule('-');
        self.codes(r);
    }
}

/// Lays out one copy of a receipt (without margins, cut or drawer kick: see
/// [`crate::encode`]).
#[must_use]
pub fn layout(receipt: &Receipt, opts: &LayoutOptions) -> Vec<Block> {
    let mut b = Builder {
        opts,
        blocks: Vec::new(),
        body: Style {
            bold: false,
            width: opts.font_size.width_mult(),
            height: opts.font_size.height_mult(),
            reverse: false,
        },
    };
    b.header(receipt);
    match receipt.kind {
        ReceiptKind::Payment => b.payment(receipt),
        ReceiptKind::Refund => b.refund(receipt),
        ReceiptKind::Summary => b.summary(receipt),
        ReceiptKind::TestPage => b.test_page(receipt),
        ReceiptKind::DepositFreeze | ReceiptKind::DepositConsume | ReceiptKind::DepositRelease => {
            b.deposit(receipt);
        }
    }
    b.footer(receipt);
    b.blocks
}

/// The printed text lines of a layout, for tests and logs.
#[must_use]
pub fn text_lines(blocks: &[Block]) -> Vec<String> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}
