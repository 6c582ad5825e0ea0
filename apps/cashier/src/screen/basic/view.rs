//! Drawing the 基础配置 page and its re-configuration dialog.

use crate::ctx::Ctx;
use crate::i18n::tr;
use crate::screen::region::Target;
use crate::style;
use crate::widgets;
use cloudpos_domain::catalog::CheckoutMode;
use cloudpos_domain::ports::ScreenRegion;
use cloudpos_terminal::{CashierMode, Language, Mode, StartWindow};
use iced::widget::{
    Space, button, checkbox, column, container, pick_list, radio, row, text, text_input,
};
use iced::{Alignment, Element, Length};

use super::{AutoPay, Basic, CONFIG_QR_FIELD, Lang, Message, Secs};

impl Basic {
    /// Draws the page.
    pub fn view<'a>(&'a self, ctx: &'a Ctx) -> Element<'a, Message> {
        let s = &self.settings;
        let plug_in = s.mode == Mode::Plugin;
        let mode = row![
            radio(
                tr("插件模式", "Plug-in mode"),
                Mode::Plugin,
                Some(s.mode),
                Message::Mode
            ),
            radio(
                tr("完整模式", "Full mode"),
                Mode::Full,
                Some(s.mode),
                Message::Mode
            ),
        ]
        .spacing(24);
        let merchant = ctx.merchant.as_ref();
        let store = merchant.map_or_else(
            || tr("未配置商户", "No merchant").to_owned(),
            |m| {
                format!(
                    "{} ({}) · {} {}",
                    m.store_name,
                    m.out_shop_id,
                    tr("设备", "device"),
                    m.device_id
                )
            },
        );
        let mut general = column![
            style::heading(tr("基本", "General")),
            widgets::inline(tr("选择模式", "Mode"), 150.0, mode),
            widgets::inline(
                tr("收银 / 押金", "Payments / deposits"),
                150.0,
                row![
                    radio(
                        tr("收银模式", "Payments"),
                        CashierMode::Payments,
                        Some(self.cashier_mode),
                        Message::CashierMode
                    ),
                    radio(
                        tr("押金模式", "Deposits"),
                        CashierMode::Deposits,
                        Some(self.cashier_mode),
                        Message::CashierMode
                    ),
                    radio(
                        tr("收银 + 押金混合模式", "Both"),
                        CashierMode::Mixed,
                        Some(self.cashier_mode),
                        Message::CashierMode
                    ),
                ]
                .spacing(18),
            ),
            widgets::inline(
                tr("门店 / 设备", "Store / device"),
                150.0,
                text(store).size(15)
            ),
            widgets::inline(
                tr("认证密钥 / 签名私钥", "Keys"),
                150.0,
                text(tr(
                    "●●●●●●●●（已加密保存，不再显示）",
                    "●●●●●●●● (sealed; never shown again)"
                ))
                .size(15)
                .color(style::MUTED),
            ),
            widgets::inline(
                tr("启动时窗口", "Window at start-up"),
                150.0,
                row![
                    radio(
                        tr("适合屏幕", "Fit the screen"),
                        StartWindow::Normal,
                        Some(s.start_window),
                        Message::StartWindow
                    ),
                    radio(
                        tr("最大化", "Maximised"),
                        StartWindow::Maximized,
                        Some(s.start_window),
                        Message::StartWindow
                    ),
                    radio(
                        tr("全屏", "Full screen"),
                        StartWindow::Fullscreen,
                        Some(s.start_window),
                        Message::StartWindow
                    ),
                ]
                .spacing(18),
            ),
            widgets::inline(
                tr("语言", "Language"),
                150.0,
                pick_list(
                    [Lang(Language::Zh), Lang(Language::En)],
                    Some(Lang(s.language)),
                    Message::Language
                ),
            ),
        ]
        .spacing(12);
        if !plug_in {
            general = general.push(widgets::inline(
                tr("收银方式", "Checkout style"),
                150.0,
                row![
                    radio(
                        tr("全功能", "Full cart"),
                        CheckoutMode::Full,
                        Some(s.checkout_mode),
                        Message::Checkout
                    ),
                    radio(
                        tr("简单", "Single item"),
                        CheckoutMode::Simple,
                        Some(s.checkout_mode),
                        Message::Checkout
                    ),
                    radio(
                        tr("总额", "Total amount"),
                        CheckoutMode::TotalAmount,
                        Some(s.checkout_mode),
                        Message::Checkout
                    ),
                ]
                .spacing(18),
            ));
        }

        let mut capture = column![style::heading(tr(
            "收银小窗（插件模式）",
            "Payment window (plug-in mode)"
        ))]
        .spacing(12);
        if plug_in {
            let region_text = |r: Option<ScreenRegion>| match r {
                Some(r) => format!(
                    "{} {} · ({}, {}) {}×{} · {}%",
                    tr("屏幕", "screen"),
                    r.screen,
                    r.x,
                    r.y,
                    r.width,
                    r.height,
                    r.scale_percent
                ),
                None => tr("未设置", "not set").to_owned(),
            };
            let threshold = text_input("90", &self.threshold)
                .on_input(Message::Threshold)
                .on_submit(Message::Save)
                .font(style::MONO)
                .width(Length::Fixed(70.0));
            capture = capture
                .push(
                    row![
                        radio(
                            tr("自动抓取金额", "Read the amount off the screen"),
                            true,
                            Some(s.capture_amount),
                            Message::Capture
                        ),
                        radio(
                            tr("人工输入金额", "Type the amount"),
                            false,
                            Some(s.capture_amount),
                            Message::Capture
                        ),
                    ]
                    .spacing(24),
                )
                .push(
                    row![
                        checkbox(s.capture_serial)
                            .label(tr(
                                "抓取流水号（存为备注）",
                                "Read the serial number (saved as remark)"
                            ))
                            .on_toggle(Message::CaptureSerial),
                        checkbox(s.scan_opens_window)
                            .label(tr("扫码拉起收银窗口", "A scan opens the window"))
                            .on_toggle(Message::ScanOpens),
                    ]
                    .spacing(24),
                )
                .push(
                    row![
                        checkbox(s.preprocess)
                            .label(tr("对抓取图片进行预处理", "Preprocess the capture"))
                            .on_toggle(Message::Preprocess),
                        checkbox(s.zoom)
                            .label(tr("对抓取图片进行放大", "Zoom the capture"))
                            .on_toggle(Message::Zoom),
                        checkbox(s.touch)
                            .label(tr("支持触屏", "Touch screen"))
                            .on_toggle(Message::Touch),
                    ]
                    .spacing(24),
                )
                .push(widgets::inline(
                    tr("金额位置", "Amount region"),
                    150.0,
                    row![
                        text(region_text(s.amount_region))
                            .font(style::MONO)
                            .size(14),
                        button(text(tr("确定金额位置", "Choose region")).size(14))
                            .on_press(Message::PickRegion(Target::Amount)),
                        button(text(tr("清除", "Clear")).size(14))
                            .style(button::secondary)
                            .on_press(Message::ClearRegion(Target::Amount)),
                    ]
                    .spacing(8)
                    .align_y(Alignment::Center),
                ))
                .push(widgets::inline(
                    tr("流水号位置", "Serial no. region"),
                    150.0,
                    row![
                        text(region_text(s.serial_region))
                            .font(style::MONO)
                            .size(14),
                        button(text(tr("确定流水号位置", "Choose region")).size(14))
                            .on_press(Message::PickRegion(Target::Serial)),
                        button(text(tr("清除", "Clear")).size(14))
                            .style(button::secondary)
                            .on_press(Message::ClearRegion(Target::Serial)),
                    ]
                    .spacing(8)
                    .align_y(Alignment::Center),
                ))
                .push(widgets::inline(
                    tr("人工确认收银金额时间", "Auto-pay delay"),
                    150.0,
                    pick_list(
                        [
                            AutoPay(None),
                            AutoPay(Some(0)),
                            AutoPay(Some(1)),
                            AutoPay(Some(2)),
                            AutoPay(Some(3)),
                            AutoPay(Some(5)),
                            AutoPay(Some(10)),
                        ],
                        Some(AutoPay(s.auto_pay_secs)),
                        Message::AutoPay,
                    ),
                ))
                .push(widgets::inline(
                    tr("结果显示时间", "Show the result for"),
                    150.0,
                    pick_list(
                        [Secs(1), Secs(2), Secs(3), Secs(5), Secs(10)],
                        Some(Secs(s.result_display_secs)),
                        Message::ResultSecs,
                    ),
                ))
                .push(widgets::inline(
                    tr("识别可信度阈值", "Confidence threshold"),
                    150.0,
                    row![
                        threshold,
                        text("%  ").size(15),
                        style::hint(tr(
                            "低于此值需收银员确认金额",
                            "below it the cashier confirms the amount"
                        ))
                    ]
                    .align_y(Alignment::Center),
                ));
        } else {
            capture = capture.push(style::hint(tr(
                "完整模式不使用收银小窗和金额抓取",
                "Full mode uses no payment window or capture",
            )));
        }

        let network = column![
            style::heading(tr("代理网络", "Proxy")),
            widgets::inline(
                tr("代理地址", "Proxy URL"),
                150.0,
                text_input("http://10.0.0.1:3128", &self.proxy_url)
                    .on_input(Message::ProxyUrl)
                    .on_submit(Message::Save)
                    .font(style::MONO),
            ),
            widgets::inline(
                tr("用户名", "User"),
                150.0,
                text_input("", &self.proxy_user)
                    .on_input(Message::ProxyUser)
                    .on_submit(Message::Save)
            ),
            widgets::inline(
                tr("密码", "Password"),
                150.0,
                text_input(
                    if self.has_proxy_password {
                        tr("已设置（留空不变）", "set (leave empty to keep)")
                    } else {
                        ""
                    },
                    &self.proxy_password,
                )
                .secure(true)
                .on_input(Message::ProxyPassword)
                .on_submit(Message::Save),
            ),
        ]
        .spacing(12);

        let mut col = column![
            container(general)
                .padding(16)
                .width(Length::Fill)
                .style(style::card),
            container(capture)
                .padding(16)
                .width(Length::Fill)
                .style(style::card),
            container(network)
                .padding(16)
                .width(Length::Fill)
                .style(style::card),
        ]
        .spacing(12);
        if let Some(e) = &self.error {
            col = col.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            col = col.push(widgets::notice(n, style::PAID));
        }
        // The buttons stay in view below the settings, which scroll on a short screen.
        let buttons = row![
            button(text(if self.busy {
                tr("正在保存…", "Saving…")
            } else {
                tr("保存配置 (Enter)", "Save (Enter)")
            }))
            .padding(10)
            .on_press_maybe((!self.busy).then_some(Message::Save)),
            button(text(tr("重新登录", "Log in again")))
                .style(button::secondary)
                .padding(10)
                .on_press(Message::Relogin),
            button(text(tr("重新配置", "Reconfigure")))
                .style(button::secondary)
                .padding(10)
                .on_press(Message::OpenReconfigure),
            button(text(tr("软件更新 (U)", "Software update (U)")))
                .style(button::secondary)
                .padding(10)
                .on_press(Message::CheckUpdate),
            Space::new().width(Length::Fill),
        ]
        .spacing(10)
        .wrap()
        .vertical_spacing(8);
        let base: Element<'_, Message> = column![
            widgets::scroll(col.padding(14)).height(Length::Fill),
            container(buttons).padding([8, 14]),
        ]
        .into();
        if let Some(r) = &self.reconfigure {
            let mut body = column![
                style::hint(tr(
                    "输入管理员密码，再用扫码枪扫描商户后台「配置设备」生成的配置二维码（5 分钟内有效，只能使用一次）；或填写服务商提供的商户凭证文件（JSON）。",
                    "Type the admin password, then scan the configuration QR from the merchant back office (配置设备; valid 5 minutes, once); or give the credentials file (JSON) from your service provider.",
                )),
                widgets::field(
                    tr("管理员密码", "Admin password"),
                    text_input("", &r.password).secure(true).on_input(Message::ReconfigurePassword).on_submit(Message::ReconfigureSubmit),
                ),
                widgets::field(
                    tr("配置二维码（扫码）", "Configuration QR (scan)"),
                    text_input(tr("扫描配置二维码", "Scan the configuration QR"), &r.config_qr)
                        .id(CONFIG_QR_FIELD)
                        .on_input(Message::ReconfigureQr)
                        .on_submit(Message::ReconfigureSubmit),
                ),
                widgets::field(tr("凭证文件路径", "Credentials file"), text_input("", &r.path).on_input(Message::ReconfigurePath)),
            ]
            .spacing(12);
            if let Some(e) = &r.error {
                body = body.push(widgets::notice(e, style::FAILED));
            }
            body = body.push(
                row![
                    button(text(if r.busy {
                        tr("正在配置…", "Configuring…")
                    } else {
                        tr("确定", "Apply")
                    }))
                    .on_press_maybe((!r.busy).then_some(Message::ReconfigureSubmit)),
                    button(text(tr("取消 (Esc)", "Cancel (Esc)")))
                        .style(button::secondary)
                        .on_press(Message::CloseDialog),
                ]
                .spacing(10),
            );
            return widgets::modal(
                base,
                widgets::dialog(
                    ctx,
                    tr(
                        "重新配置商户 / 配置扫码",
                        "Reconfigure the merchant / bind by QR",
                    ),
                    body,
                    520.0,
                ),
                Message::CloseDialog,
            );
        }
        base
    }
}
