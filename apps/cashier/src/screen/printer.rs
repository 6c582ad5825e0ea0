//! 打印机配置 Printer settings (Y/F7, plug-in Y/F5): enable, copies, interval, width
//! 58/80/custom, margins, font size, 驱动打印 (printer name) / 无驱动打印 (port type, port,
//! baud, data bits, parity, stop bits, flow control), closing line, a live receipt preview
//! and 测试打印.

use cloudpos_terminal::{FontSize, PaperWidth, PrinterSettings, Terminal, TerminalError};
use iced::widget::image::Handle;
use iced::widget::{
    Space, button, checkbox, column, container, image, pick_list, radio, row, text, text_input,
};
use iced::{Alignment, ContentFit, Element, Length, Task};

use crate::ctx::Ctx;
use crate::i18n::{error_text, tr};
use crate::keys::{KeyAction, KeyPress, Shortcut, shortcut};
use crate::screen::call;
use crate::style;
use crate::widgets;

/// How the printer is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    /// 驱动打印: the OS printer queue by name.
    Driver,
    /// 串口.
    Serial,
    /// 并口 / USB device file.
    Device,
    /// 网络 (raw TCP 9100).
    Network,
}

impl std::fmt::Display for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Driver => tr("驱动打印（打印机名称）", "Driver (printer name)"),
            Conn::Serial => tr("无驱动 · 串口", "Raw · serial port"),
            Conn::Device => tr("无驱动 · 并口 / USB", "Raw · parallel / USB"),
            Conn::Network => tr("无驱动 · 网络", "Raw · network"),
        })
    }
}

/// Paper width choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// 58 mm.
    Mm58,
    /// 80 mm.
    Mm80,
    /// Custom columns.
    Custom,
}

impl std::fmt::Display for Width {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Width::Mm58 => "58 mm",
            Width::Mm80 => "80 mm",
            Width::Custom => tr("自定义列数", "Custom columns"),
        })
    }
}

/// Font size choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Font(pub FontSize);

impl std::fmt::Display for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            FontSize::Normal => tr("正常", "Normal"),
            FontSize::DoubleHeight => tr("倍高", "Double height"),
            FontSize::DoubleWidthHeight => tr("倍宽倍高", "Double size"),
        })
    }
}

/// A text choice for the serial line options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt(pub &'static str, pub &'static str);

impl std::fmt::Display for Opt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.1)
    }
}

const BAUDS: [&str; 6] = ["9600", "19200", "38400", "57600", "115200", "4800"];

/// The form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// 小票份数.
    Copies,
    /// 小票时间间隔.
    Interval,
    /// Custom columns.
    Columns,
    /// 头部空白.
    Top,
    /// 底部空白.
    Bottom,
    /// 惠顾语.
    Closing,
    /// Printer name (driver).
    Name,
    /// Serial port.
    Port,
    /// Device file.
    Path,
    /// Host.
    Host,
    /// TCP port.
    TcpPort,
}

/// The printer page.
#[derive(Debug, Clone)]
pub struct Printer {
    /// 启用小票机.
    pub enabled: bool,
    /// Copies.
    pub copies: String,
    /// Interval.
    pub interval: String,
    /// Width.
    pub width: Width,
    /// Custom columns.
    pub columns: String,
    /// Top margin.
    pub top: String,
    /// Bottom margin.
    pub bottom: String,
    /// Font size.
    pub font: FontSize,
    /// Closing line.
    pub closing: String,
    /// Connection.
    pub conn: Conn,
    /// Printer name.
    pub name: String,
    /// Serial port.
    pub port: String,
    /// Baud.
    pub baud: String,
    /// Data bits.
    pub data: String,
    /// Parity.
    pub parity: String,
    /// Stop bits.
    pub stop: String,
    /// Flow control.
    pub flow: String,
    /// Device file.
    pub path: String,
    /// Network host.
    pub host: String,
    /// Network port.
    pub tcp_port: String,
    /// Print the order number as codes.
    pub print_codes: bool,
    /// Serial ports found.
    pub ports: Vec<String>,
    /// The rest of the settings, as loaded.
    pub base: PrinterSettings,
    preview: Option<Handle>,
    /// Inline problem.
    pub error: Option<String>,
    /// Inline success.
    pub notice: Option<String>,
    /// Saving or printing.
    pub busy: bool,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Message {
    /// The stored settings arrived.
    Loaded(Result<PrinterSettings, TerminalError>),
    /// Serial ports found.
    Ports(Vec<String>),
    /// 启用小票机.
    Enabled(bool),
    /// A text field.
    Text(Field, String),
    /// Width.
    Width(Width),
    /// Font size.
    Font(Font),
    /// Connection.
    Conn(Conn),
    /// Serial port picked from the list.
    PickPort(String),
    /// Baud.
    Baud(Opt),
    /// Data bits.
    Data(Opt),
    /// Parity.
    Parity(Opt),
    /// Stop bits.
    Stop(Opt),
    /// Flow control.
    Flow(Opt),
    /// 打印订单二维码和条码.
    PrintCodes(bool),
    /// The preview arrived.
    Preview(Result<Vec<u8>, TerminalError>),
    /// 保存配置.
    Save,
    /// Saved.
    Saved(Result<(), TerminalError>),
    /// 测试打印.
    Test,
    /// Printed.
    Tested(Result<(), TerminalError>),
}

/// What the app must do.
#[derive(Debug, Clone)]
pub enum Event {
    /// Render a test receipt with these settings.
    Preview(PrinterSettings),
    /// Store the settings.
    Save(PrinterSettings),
    /// Print a test receipt with these settings.
    Test(PrinterSettings),
}

fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
    })
}

impl Printer {
    /// Loads the settings the page edits and the serial ports there are (it was opened).
    pub fn load(terminal: &Terminal) -> Task<Message> {
        Task::batch([
            call(
                terminal,
                |t| async move { t.setting::<cloudpos_terminal::PrinterSettings>().await },
                Message::Loaded,
            ),
            Task::perform(
                async {
                    tokio::task::spawn_blocking(cloudpos_terminal::list_ports)
                        .await
                        .unwrap_or_default()
                },
                Message::Ports,
            ),
        ])
    }

    /// Runs an event's terminal call: a preview, saving, or a test print.
    pub fn perform(&self, event: Event, terminal: &Terminal) -> Task<Message> {
        match event {
            Event::Preview(settings) => call(
                terminal,
                |t| async move {
                    let receipt = t.test_receipt(&settings).await?;
                    Ok(t.receipt_preview_with(&receipt, &settings))
                },
                Message::Preview,
            ),
            Event::Save(settings) => call(
                terminal,
                |t| async move { t.set_setting(&settings).await },
                Message::Saved,
            ),
            Event::Test(settings) => call(
                terminal,
                |t| async move {
                    let receipt = t.test_receipt(&settings).await?;
                    t.print_receipt(&receipt, Some(settings)).await
                },
                Message::Tested,
            ),
        }
    }

    /// The page's keys: Enter saves.
    #[must_use]
    pub fn shortcut(&self, press: &KeyPress) -> Option<KeyAction<Message>> {
        (shortcut(press) == Shortcut::Enter).then_some(KeyAction::Send(Message::Save))
    }

    /// The page over `settings`.
    #[must_use]
    pub fn new(settings: &PrinterSettings) -> Printer {
        let device = settings.device.trim().to_owned();
        let (scheme, rest) = device.split_once(':').unwrap_or(("", ""));
        let mut p = Printer {
            enabled: settings.enabled,
            copies: settings.copies.to_string(),
            interval: settings.copy_interval_secs.to_string(),
            width: match settings.width {
                PaperWidth::Mm58 => Width::Mm58,
                PaperWidth::Mm80 => Width::Mm80,
                PaperWidth::Columns(_) => Width::Custom,
            },
            columns: match settings.width {
                PaperWidth::Columns(n) => n.to_string(),
                _ => "42".into(),
            },
            top: settings.top_margin.to_string(),
            bottom: settings.bottom_margin.to_string(),
            font: settings.font_size,
            closing: settings.closing_line.clone(),
            conn: Conn::Driver,
            name: String::new(),
            port: String::new(),
            baud: "9600".into(),
            data: "8".into(),
            parity: "none".into(),
            stop: "1".into(),
            flow: "none".into(),
            path: String::new(),
            host: String::new(),
            tcp_port: "9100".into(),
            print_codes: settings.print_codes,
            ports: Vec::new(),
            base: settings.clone(),
            preview: None,
            error: None,
            notice: None,
            busy: false,
        };
        match scheme.to_ascii_lowercase().as_str() {
            "cups" | "spooler" => {
                p.conn = Conn::Driver;
                p.name = rest.to_owned();
            }
            "serial" => {
                p.conn = Conn::Serial;
                let (port, query) = rest.split_once('?').unwrap_or((rest, ""));
                p.port = port.to_owned();
                for (key, slot) in [
                    ("baud", &mut p.baud),
                    ("data", &mut p.data),
                    ("parity", &mut p.parity),
                    ("stop", &mut p.stop),
                    ("flow", &mut p.flow),
                ] {
                    if let Some(v) = query_param(query, key) {
                        *slot = v.to_owned();
                    }
                }
            }
            "file" => {
                p.conn = Conn::Device;
                p.path = rest.trim_start_matches("//").to_owned();
            }
            "tcp" => {
                p.conn = Conn::Network;
                let hostport = rest.split('?').next().unwrap_or_default();
                if let Some((h, port)) = hostport.rsplit_once(':') {
                    p.host = h.to_owned();
                    p.tcp_port = port.to_owned();
                } else {
                    p.host = hostport.to_owned();
                }
            }
            _ => {}
        }
        p
    }

    /// The device URI of the connection fields (empty when nothing is filled in).
    #[must_use]
    pub fn device(&self) -> String {
        match self.conn {
            Conn::Driver if self.name.trim().is_empty() => String::new(),
            Conn::Driver if cfg!(windows) => format!("spooler:{}", self.name.trim()),
            Conn::Driver => format!("cups:{}", self.name.trim()),
            Conn::Serial if self.port.trim().is_empty() => String::new(),
            Conn::Serial => format!(
                "serial:{}?baud={}&data={}&parity={}&stop={}&flow={}",
                self.port.trim(),
                self.baud,
                self.data,
                self.parity,
                self.stop,
                self.flow
            ),
            Conn::Device if self.path.trim().is_empty() => String::new(),
            Conn::Device => format!("file:{}", self.path.trim()),
            Conn::Network if self.host.trim().is_empty() => String::new(),
            Conn::Network => format!("tcp:{}:{}", self.host.trim(), self.tcp_port.trim()),
        }
    }

    /// The settings the form describes, or the first problem.
    pub fn settings(&self) -> Result<PrinterSettings, String> {
        let num = |v: &str, what: &str| -> Result<u32, String> {
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("{what}: {}", tr("请填写整数", "a whole number")))
        };
        let width = match self.width {
            Width::Mm58 => PaperWidth::Mm58,
            Width::Mm80 => PaperWidth::Mm80,
            Width::Custom => PaperWidth::Columns(
                u16::try_from(num(&self.columns, tr("列数", "Columns"))?).unwrap_or(u16::MAX),
            ),
        };
        let s = PrinterSettings {
            enabled: self.enabled,
            device: self.device(),
            copies: num(&self.copies, tr("小票份数", "Copies"))?,
            copy_interval_secs: num(&self.interval, tr("小票时间间隔", "Interval"))?,
            width,
            top_margin: u8::try_from(num(&self.top, tr("头部空白", "Top margin"))?)
                .unwrap_or(u8::MAX),
            bottom_margin: u8::try_from(num(&self.bottom, tr("底部空白", "Bottom margin"))?)
                .unwrap_or(u8::MAX),
            font_size: self.font,
            closing_line: self.closing.clone(),
            print_codes: self.print_codes,
            ..self.base.clone()
        };
        s.validate()
            .map_err(|e| crate::i18n::printer_settings_error_text(&e))?;
        Ok(s)
    }

    fn changed(&mut self) -> Option<Event> {
        self.notice = None;
        match self.settings() {
            Ok(s) => {
                self.error = None;
                Some(Event::Preview(PrinterSettings {
                    // The preview needs no device.
                    enabled: false,
                    ..s
                }))
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Loaded(Ok(s)) => {
                let ports = std::mem::take(&mut self.ports);
                *self = Printer::new(&s);
                self.ports = ports;
                return self.changed();
            }
            Message::Loaded(Err(e)) => {
                self.error = Some(error_text(&e));
                return None;
            }
            Message::Ports(p) => {
                if self.port.is_empty()
                    && let Some(first) = p.first()
                {
                    self.port = first.clone();
                }
                self.ports = p;
                return None;
            }
            Message::Enabled(on) => self.enabled = on,
            Message::Text(field, v) => {
                let slot = match field {
                    Field::Copies => &mut self.copies,
                    Field::Interval => &mut self.interval,
                    Field::Columns => &mut self.columns,
                    Field::Top => &mut self.top,
                    Field::Bottom => &mut self.bottom,
                    Field::Closing => &mut self.closing,
                    Field::Name => &mut self.name,
                    Field::Port => &mut self.port,
                    Field::Path => &mut self.path,
                    Field::Host => &mut self.host,
                    Field::TcpPort => &mut self.tcp_port,
                };
                *slot = v;
            }
            Message::Width(w) => self.width = w,
            Message::Font(Font(f)) => self.font = f,
            Message::Conn(c) => self.conn = c,
            Message::PickPort(p) => self.port = p,
            Message::Baud(o) => self.baud = o.0.to_owned(),
            Message::Data(o) => self.data = o.0.to_owned(),
            Message::Parity(o) => self.parity = o.0.to_owned(),
            Message::Stop(o) => self.stop = o.0.to_owned(),
            Message::Flow(o) => self.flow = o.0.to_owned(),
            Message::PrintCodes(on) => self.print_codes = on,
            Message::Preview(r) => {
                match r {
                    Ok(png) => self.preview = Some(Handle::from_bytes(png)),
                    Err(e) => self.error = Some(error_text(&e)),
                }
                return None;
            }
            Message::Save => {
                return match self.settings() {
                    Ok(s) => {
                        self.busy = true;
                        Some(Event::Save(s))
                    }
                    Err(e) => {
                        self.error = Some(e);
                        None
                    }
                };
            }
            Message::Test => {
                return match self.settings() {
                    Ok(s) if !s.device.is_empty() => {
                        self.busy = true;
                        self.notice = None;
                        Some(Event::Test(s))
                    }
                    Ok(_) => {
                        self.error = Some(
                            tr("请先选择打印机或端口", "Choose a printer or port first").to_owned(),
                        );
                        None
                    }
                    Err(e) => {
                        self.error = Some(e);
                        None
                    }
                };
            }
            Message::Saved(r) | Message::Tested(r) => {
                self.busy = false;
                match r {
                    Ok(()) => self.notice = Some(tr("完成", "Done").to_owned()),
                    Err(e) => self.error = Some(error_text(&e)),
                }
                return None;
            }
        }
        self.changed()
    }

    /// Draws the page.
    pub fn view<'a>(&'a self, _ctx: &'a Ctx) -> Element<'a, Message> {
        let num = |label: &str, field: Field, value: &'a str| {
            widgets::inline(
                label,
                110.0,
                text_input("", value)
                    .on_input(move |v| Message::Text(field, v))
                    .on_submit(Message::Save)
                    .font(style::MONO)
                    .width(Length::Fixed(90.0)),
            )
        };
        let mut form = column![
            checkbox(self.enabled)
                .label(tr(
                    "启用小票机（支付和退款完成后打印）",
                    "Print receipts after payments and refunds"
                ))
                .on_toggle(Message::Enabled),
            row![
                num(tr("小票份数", "Copies"), Field::Copies, &self.copies),
                num(
                    tr("间隔(秒)", "Interval (s)"),
                    Field::Interval,
                    &self.interval
                ),
            ]
            .spacing(20),
            row![
                widgets::inline(
                    tr("小票宽度", "Paper width"),
                    110.0,
                    pick_list(
                        [Width::Mm58, Width::Mm80, Width::Custom],
                        Some(self.width),
                        Message::Width
                    ),
                ),
                if self.width == Width::Custom {
                    Element::from(num(tr("列数", "Columns"), Field::Columns, &self.columns))
                } else {
                    Space::new().into()
                },
            ]
            .spacing(20),
            row![
                num(tr("头部空白", "Top lines"), Field::Top, &self.top),
                num(tr("底部空白", "Bottom lines"), Field::Bottom, &self.bottom),
            ]
            .spacing(20),
            widgets::inline(
                tr("字体大小", "Font size"),
                110.0,
                pick_list(
                    [
                        Font(FontSize::Normal),
                        Font(FontSize::DoubleHeight),
                        Font(FontSize::DoubleWidthHeight)
                    ],
                    Some(Font(self.font)),
                    Message::Font,
                ),
            ),
            widgets::inline(
                tr("惠顾语", "Closing line"),
                110.0,
                text_input("", &self.closing)
                    .on_input(|v| Message::Text(Field::Closing, v))
                    .on_submit(Message::Save),
            ),
            checkbox(self.print_codes)
                .label(tr(
                    "打印订单号二维码和条码",
                    "Print the order number as QR and barcode"
                ))
                .on_toggle(Message::PrintCodes),
            style::heading(tr("连接方式", "Connection")),
            column![
                radio(
                    Conn::Driver.to_string(),
                    Conn::Driver,
                    Some(self.conn),
                    Message::Conn
                ),
                radio(
                    Conn::Serial.to_string(),
                    Conn::Serial,
                    Some(self.conn),
                    Message::Conn
                ),
                radio(
                    Conn::Device.to_string(),
                    Conn::Device,
                    Some(self.conn),
                    Message::Conn
                ),
                radio(
                    Conn::Network.to_string(),
                    Conn::Network,
                    Some(self.conn),
                    Message::Conn
                ),
            ]
            .spacing(6),
        ]
        .spacing(12);
        form = form.push(match self.conn {
            Conn::Driver => Element::from(widgets::inline(
                tr("打印机名称", "Printer name"),
                110.0,
                text_input(if cfg!(windows) { "POS-58" } else { "POS58" }, &self.name)
                    .on_input(|v| Message::Text(Field::Name, v))
                    .on_submit(Message::Save),
            )),
            Conn::Serial => {
                let opts = |list: &[(&'static str, &'static str)]| -> Vec<Opt> {
                    list.iter().map(|(v, l)| Opt(v, l)).collect()
                };
                let find = |list: Vec<Opt>, v: &str| list.iter().find(|o| o.0 == v).cloned();
                let bauds: Vec<Opt> = BAUDS.iter().map(|b| Opt(b, b)).collect();
                let data = opts(&[("8", "8"), ("7", "7"), ("6", "6"), ("5", "5")]);
                let parity = opts(&[("none", "无 None"), ("odd", "奇 Odd"), ("even", "偶 Even")]);
                let stop = opts(&[("1", "1"), ("2", "2")]);
                let flow = opts(&[
                    ("none", "无 None"),
                    ("software", "XON/XOFF"),
                    ("hardware", "RTS/CTS"),
                ]);
                column![
                    row![
                        widgets::inline(
                            tr("端口", "Port"),
                            110.0,
                            text_input("COM3 / /dev/ttyUSB0", &self.port)
                                .on_input(|v| Message::Text(Field::Port, v))
                                .on_submit(Message::Save)
                                .width(Length::Fixed(180.0)),
                        ),
                        pick_list(self.ports.clone(), None::<String>, Message::PickPort)
                            .placeholder(tr("已发现的端口", "Ports found")),
                    ]
                    .spacing(10),
                    row![
                        widgets::inline(
                            tr("波特率", "Baud"),
                            110.0,
                            pick_list(bauds.clone(), find(bauds, &self.baud), Message::Baud)
                        ),
                        widgets::inline(
                            tr("数据位", "Data bits"),
                            70.0,
                            pick_list(data.clone(), find(data, &self.data), Message::Data)
                        ),
                    ]
                    .spacing(20),
                    row![
                        widgets::inline(
                            tr("奇偶校验", "Parity"),
                            110.0,
                            pick_list(parity.clone(), find(parity, &self.parity), Message::Parity)
                        ),
                        widgets::inline(
                            tr("停止位", "Stop bits"),
                            70.0,
                            pick_list(stop.clone(), find(stop, &self.stop), Message::Stop)
                        ),
                    ]
                    .spacing(20),
                    widgets::inline(
                        tr("流控制", "Flow control"),
                        110.0,
                        pick_list(flow.clone(), find(flow, &self.flow), Message::Flow)
                    ),
                ]
                .spacing(10)
                .into()
            }
            Conn::Device => widgets::inline(
                tr("设备", "Device"),
                110.0,
                text_input(
                    if cfg!(windows) {
                        "LPT1"
                    } else {
                        "/dev/usb/lp0"
                    },
                    &self.path,
                )
                .on_input(|v| Message::Text(Field::Path, v))
                .on_submit(Message::Save),
            ),
            Conn::Network => row![
                widgets::inline(
                    tr("地址", "Host"),
                    110.0,
                    text_input("192.168.1.50", &self.host)
                        .on_input(|v| Message::Text(Field::Host, v))
                        .on_submit(Message::Save)
                        .width(Length::Fixed(180.0))
                ),
                widgets::inline(
                    tr("端口", "Port"),
                    50.0,
                    text_input("9100", &self.tcp_port)
                        .on_input(|v| Message::Text(Field::TcpPort, v))
                        .on_submit(Message::Save)
                        .font(style::MONO)
                        .width(Length::Fixed(80.0))
                ),
            ]
            .spacing(20)
            .into(),
        });
        form = form.push(style::hint(format!(
            "{} {}",
            tr("设备地址：", "Device URI:"),
            self.device()
        )));
        if let Some(e) = &self.error {
            form = form.push(widgets::notice(e, style::FAILED));
        }
        if let Some(n) = &self.notice {
            form = form.push(widgets::notice(n, style::PAID));
        }
        form = form.push(
            row![
                button(text(tr("保存配置 (Enter)", "Save (Enter)")))
                    .padding(10)
                    .on_press_maybe((!self.busy).then_some(Message::Save)),
                button(text(tr("测试打印", "Test print")))
                    .style(button::secondary)
                    .padding(10)
                    .on_press_maybe((!self.busy).then_some(Message::Test)),
            ]
            .spacing(10),
        );
        let preview: Element<'_, Message> = match &self.preview {
            // The paper's width scaled down to the panel (never up): the whole line is seen.
            Some(h) => widgets::scroll(
                image(h.clone())
                    .width(Length::Fill)
                    .content_fit(ContentFit::ScaleDown),
            )
            .into(),
            None => style::hint(tr("正在生成预览…", "Rendering the preview…")).into(),
        };
        row![
            container(widgets::scroll(form))
                .padding(16)
                .width(Length::FillPortion(3))
                .height(Length::Fill)
                .style(style::card),
            container(
                column![style::heading(tr("小票预览", "Receipt preview")), preview]
                    .spacing(10)
                    .align_x(Alignment::Center)
            )
            .padding(16)
            .width(Length::FillPortion(2))
            .height(Length::Fill)
            .style(style::card),
        ]
        .spacing(14)
        .padding(14)
        .into()
    }
}
