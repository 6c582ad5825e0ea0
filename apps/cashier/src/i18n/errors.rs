//! A lower layer's error in words for the cashier, by its kind: the terminal's, and the
//! domain's (money, codes, refunds, logins, Cloud Pay, the ledger, commodities, carts).

use cloudpos_domain::catalog::{CartError, CommodityError};
use cloudpos_domain::clerk::BadClerkId;
use cloudpos_domain::code::{CodeError, Wallet};
use cloudpos_domain::deposit::DepositError;
use cloudpos_domain::money::{MoneyError, MoneyErrorKind};
use cloudpos_domain::ports::{DeviceError, GatewayError, StoreError};
use cloudpos_domain::refund::RefundError;
use cloudpos_terminal::{AmountLimit, LoginError, RowProblem, TerminalError};

use super::{logged, outside_text, thing, tr, trs, wallet_text};

/// A software-update error in words for the cashier. Kinds whose detail is a lower layer's
/// English text (a network error, a parse error) get a fixed sentence; the detail is logged.
fn update_error_text(u: &cloudpos_terminal::UpdateError) -> String {
    use cloudpos_terminal::UpdateError as U;
    let fixed = match u {
        U::BadFeedUrl(_) => Some((
            "更新源地址无效：请在配置中检查",
            "The update feed URL is not valid",
        )),
        U::BadPublicKey(_) => Some((
            "更新公钥无效：请在配置中检查",
            "The update public key is not valid",
        )),
        U::Unreachable(_) => Some((
            "无法连接更新服务器：请检查网络后重试",
            "The update server cannot be reached",
        )),
        U::BadManifest(_) => Some((
            "更新清单有误，未安装任何文件",
            "The update manifest is not valid; nothing was installed",
        )),
        U::BadArchive(_) => Some((
            "更新包损坏，未安装任何文件",
            "The update package is damaged; nothing was installed",
        )),
        U::CannotInstall { .. } => Some((
            "无法写入程序目录，未替换任何文件：请以管理员身份运行后重试",
            "The program folder cannot be written; nothing was replaced",
        )),
        _ => None,
    };
    match fixed {
        Some((zh, en)) => {
            logged("update", &u.to_string());
            tr(zh, en).to_owned()
        }
        None => trs(u.chinese(), u.to_string()),
    }
}

/// Why binding by configuration QR failed, in words for the cashier.
fn bind_failure_text(b: &cloudpos_terminal::BindFailure) -> String {
    use cloudpos_terminal::BindFailure as B;
    match b {
        B::NotAConfigQr(why) => {
            logged("bind", why);
            tr(
                "这不是云支付配置二维码：请扫描商户后台「配置设备」生成的二维码",
                "This is not a Cloud Pay configuration QR: scan the one the back office shows (配置设备)",
            )
            .to_owned()
        }
        B::BoundElsewhere { device_id } => trs(
            format!(
                "设备 {device_id} 已绑定其他收银机（3214）：请在原设备上重新生成二维码绑定，或先在原设备解绑"
            ),
            format!(
                "Device {device_id} is bound to another till (3214): bind it on that till, or unbind it there first"
            ),
        ),
        B::QrSpent(why) => {
            logged("bind", why);
            tr(
                "配置二维码已过期或已使用：请在商户后台重新生成",
                "The configuration QR has expired or was used: generate a new one in the back office",
            )
            .to_owned()
        }
        B::Refused {
            status,
            description,
        } => trs(
            format!("云支付拒绝绑定（{status}）：{description}"),
            format!("Cloud Pay refused the binding ({status}): {description}"),
        ),
        B::Untrusted(why) => {
            logged("bind", why);
            tr(
                "绑定应答无法验证，未保存任何配置：请重新生成二维码再试",
                "The binding answer could not be verified; nothing was stored: try a new QR",
            )
            .to_owned()
        }
        B::Unreachable(why) => {
            logged("bind", why);
            tr(
                "无法连接云支付：请检查网络后重试",
                "Cloud Pay cannot be reached: check the network and try again",
            )
            .to_owned()
        }
        B::OtherDevice { expected, got } => trs(
            format!("密钥已重置：只能绑定原设备 {expected}，不能绑定 {got}"),
            format!("The key was reset: only device {expected} may be bound again, not {got}"),
        ),
    }
}

/// A terminal error in words for the cashier, by its kind. Every kind has its own sentence;
/// English details of lower layers are logged, not shown.
#[must_use]
pub fn error_text(e: &TerminalError) -> String {
    match e {
        TerminalError::NotConfigured => tr(
            "尚未配置商户：请在基础配置中重新配置",
            "No merchant is configured: reconfigure it in Basic settings",
        )
        .to_owned(),
        TerminalError::NotLoggedIn => tr("请先登录", "Log in first").to_owned(),
        TerminalError::Halted(reason) => {
            logged("halted", reason);
            tr(
                "已停止收款和退款（对账发现不一致），需管理员核实后解除",
                "Payments and refunds are halted (reconciliation found a discrepancy); an admin must clear it",
            )
            .to_owned()
        }
        TerminalError::BadAmount(m) => money_error_text(m),
        TerminalError::AmountNotPositive => {
            tr("金额必须大于 0", "The amount must be more than 0").to_owned()
        }
        TerminalError::AmountAboveLimit { amount, max, limit } => match limit {
            AmountLimit::Payment => trs(
                format!("金额 ¥{amount} 超过单笔收款上限 ¥{max}：请核对金额（上限可在配置中修改）"),
                format!("¥{amount} is above the most one payment may be, ¥{max}: check the amount"),
            ),
            AmountLimit::Refund => trs(
                format!("退款 ¥{amount} 超过单笔退款上限 ¥{max}：请核对金额（上限可在配置中修改）"),
                format!("A refund of ¥{amount} is above the most one refund may be, ¥{max}"),
            ),
        },
        TerminalError::PaidNotRecorded { order, cause } => {
            logged("paid, not recorded", cause);
            trs(
                format!(
                    "订单 {}：已在云端收款，本地记录稍后补全（顾客已付款，可交付商品）",
                    order.no
                ),
                format!(
                    "Order {}: paid in the cloud; the local record will be completed (the customer has paid)",
                    order.no
                ),
            )
        }
        TerminalError::ResultUnknown { order, cause } => {
            logged("result unknown", cause);
            trs(
                format!("订单 {}：结果未知，正在查询…（请勿重复收款）", order.no),
                format!(
                    "Order {}: result unknown, checking… (do not charge again)",
                    order.no
                ),
            )
        }
        TerminalError::Update(u) => update_error_text(u),
        TerminalError::Unbound { key_reset: false } => tr(
            "本设备已解绑，不能收款、退款或押金：请在基础配置中扫描商户后台新生成的配置二维码重新绑定",
            "This till is unbound: no payments, refunds or deposits. Bind it again in Basic settings by scanning a new configuration QR from the merchant back office",
        )
        .to_owned(),
        TerminalError::Unbound { key_reset: true } => tr(
            "密钥已重置，不能收款、退款或押金：请在基础配置中扫描同一设备的配置二维码重新绑定",
            "The key was reset: no payments, refunds or deposits. Bind again in Basic settings by scanning a configuration QR of the same device",
        )
        .to_owned(),
        TerminalError::Bind(b) => bind_failure_text(b),
        TerminalError::Code(c) => code_error_text(c),
        TerminalError::DuplicateScan(ms) => trs(
            format!("该付款码 {ms} 毫秒前刚提交过，请等待上一笔结果"),
            format!("This code was submitted {ms} ms ago: wait for that payment's result"),
        ),
        TerminalError::PermissionDenied(detail) => {
            logged("permission denied", detail);
            tr(
                "无权限：当前店员不能执行此操作，请由店长或管理员操作",
                "Permission denied: ask a store manager or an admin",
            )
            .to_owned()
        }
        TerminalError::NeedsAuthorization(id) => trs(
            format!("店员 {id} 没有退款权限：需店长授权"),
            format!("Clerk {id} may not refund: a manager must authorise it"),
        ),
        TerminalError::AuthorizationRefused(detail) => match outside_text(detail) {
            Some(why) => trs(
                format!("授权未通过：{why}"),
                format!("Authorisation refused: {why}"),
            ),
            None => {
                logged("authorisation refused", detail);
                tr(
                    "授权未通过：店长账号、密码或授权码不对，或授权已过期",
                    "Authorisation refused: wrong manager, password or code, or it expired",
                )
                .to_owned()
            }
        },
        TerminalError::Refund(r) => refund_error_text(r),
        TerminalError::Deposit(d) => deposit_error_text(d),
        TerminalError::Login(l) => login_error_text(l),
        TerminalError::NotFound(what) => trs(
            format!("未找到{}", thing(what)),
            format!("Not found: {}", thing(what)),
        ),
        TerminalError::CloudUnreachable(detail) => {
            logged("cloud unreachable", detail);
            tr(
                "无法连接云支付，未扣款：请检查网络后重试",
                "Cloud Pay could not be reached; nothing was charged: check the network and try again",
            )
            .to_owned()
        }
        TerminalError::Gateway(g) => gateway_error_text(g),
        TerminalError::Store(s) => store_error_text(s),
        TerminalError::Invalid(detail) => {
            logged("invalid", detail);
            trs(
                "未能完成：输入或设置有误（详情已写入日志）".to_owned(),
                format!("Not done: {detail}"),
            )
        }
        TerminalError::NoPrinter => tr(
            "没有启用小票机：请在打印机配置中启用并保存",
            "No receipt printer is enabled: enable one on the Printer page",
        )
        .to_owned(),
        TerminalError::Printing(d) => printing_error_text(d),
    }
}

/// A receipt printer's failure.
#[must_use]
pub fn printing_error_text(e: &DeviceError) -> String {
    match e {
        DeviceError::NotConfigured(detail) => {
            logged("printer", detail);
            tr(
                "小票机未配置：请在打印机配置中设置",
                "The printer is not configured",
            )
            .to_owned()
        }
        DeviceError::Unavailable(detail) => {
            logged("printer", detail);
            tr(
                "小票机不可用（未连接、忙或离线）：请检查连接后补打",
                "The printer is unavailable (unplugged, busy or offline): check it and print again",
            )
            .to_owned()
        }
        DeviceError::Fault(detail) => {
            logged("printer", detail);
            tr(
                "小票机报告故障（缺纸、开盖等）：处理后补打",
                "The printer reports a fault (paper out, cover open…): fix it and print again",
            )
            .to_owned()
        }
        DeviceError::Unreadable(detail) => {
            logged("printer", detail);
            tr("打印失败，请重试", "Printing failed: try again").to_owned()
        }
    }
}

/// An amount that did not parse.
#[must_use]
pub fn money_error_text(e: &MoneyError) -> String {
    let why = match &e.kind {
        MoneyErrorKind::Empty => trs("没有填写金额".into(), "the amount is empty".into()),
        MoneyErrorKind::SignNotAllowed(c) => {
            trs(format!("不能带符号 {c}"), format!("no sign ('{c}') here"))
        }
        MoneyErrorKind::Exponent => trs("不能用科学计数法".into(), "no exponent notation".into()),
        MoneyErrorKind::TooManyDecimals(n) => trs(
            format!("有 {n} 位小数，最多 2 位（1 分 = 0.01）"),
            format!("{n} decimal places; at most 2 (1 fen = 0.01)"),
        ),
        MoneyErrorKind::InvalidChar { ch, position } => trs(
            format!("第 {position} 个字符“{ch}”不是数字或小数点"),
            format!("character {position} ('{ch}') is not a digit or the decimal point"),
        ),
        MoneyErrorKind::MissingDigits => trs(
            "小数点两边都要有数字".into(),
            "digits are needed on both sides of the point".into(),
        ),
        MoneyErrorKind::Overflow => trs("金额太大".into(), "the amount is too large".into()),
    };
    trs(format!("金额有误：{why}"), format!("Bad amount: {why}"))
}

/// A scanned or typed code that cannot be charged.
#[must_use]
pub fn code_error_text(e: &CodeError) -> String {
    match e {
        CodeError::Empty => tr("请扫描顾客付款码", "Scan the customer's payment code").to_owned(),
        CodeError::NotDigits { ch, position } => trs(
            format!("付款码只能是数字：第 {position} 位是“{ch}”"),
            format!("A payment code is digits only: position {position} is '{ch}'"),
        ),
        CodeError::Unsupported { scheme } => {
            let name =
                outside_text(scheme).unwrap_or_else(|| tr("该类", "this kind of").to_owned());
            trs(
                format!("不支持{name}付款码：请顾客出示微信或支付宝付款码"),
                format!("{name} codes are not accepted: ask for a WeChat Pay or Alipay code"),
            )
        }
        CodeError::UnknownPrefix { prefix } => trs(
            format!(
                "无法识别的付款码（以 {prefix} 开头）：微信付款码以 10–15 开头，支付宝以 25–30 开头"
            ),
            format!(
                "Unrecognised payment code (starts with {prefix}): WeChat codes start with 10–15, Alipay with 25–30"
            ),
        ),
        CodeError::BadLength {
            wallet,
            len,
            min,
            max,
        } => {
            let name = wallet_by_name(wallet);
            let digits = if min == max {
                format!("{min}")
            } else {
                format!("{min}–{max}")
            };
            trs(
                format!("{name}付款码应为 {digits} 位，这个是 {len} 位：请重新扫描"),
                format!("A {name} code has {digits} digits; this one has {len}: scan it again"),
            )
        }
    }
}

/// A wallet named by the domain's display name (Chinese), in the screen language.
fn wallet_by_name(name: &str) -> String {
    [Wallet::WeChat, Wallet::Alipay, Wallet::MemberCard]
        .into_iter()
        .find(|w| w.display_name() == name)
        .map_or_else(
            || outside_text(name).unwrap_or_else(|| tr("该", "this").to_owned()),
            |w| wallet_text(w).to_owned(),
        )
}

/// A refund a rule refused.
#[must_use]
pub fn refund_error_text(e: &RefundError) -> String {
    match e {
        RefundError::NotPaid { order, .. } => trs(
            format!("订单 {order} 不是支付成功的订单，不能退款"),
            format!("Order {order} is not paid: only paid orders can be refunded"),
        ),
        RefundError::NotPositive => tr(
            "退款金额必须大于 0",
            "The refund amount must be more than 0",
        )
        .to_owned(),
        RefundError::ExceedsRemaining {
            order,
            requested,
            remaining,
            paid,
            held,
        } => trs(
            format!(
                "退款 ¥{requested} 超过订单 {order} 可退的 ¥{remaining}（实付 ¥{paid}，已退或退款中 ¥{held}）"
            ),
            format!(
                "A refund of ¥{requested} is above the ¥{remaining} left on order {order} (paid ¥{paid}, refunded or in progress ¥{held})"
            ),
        ),
        RefundError::TooMany { order, max } => trs(
            format!("订单 {order} 已有 {max} 笔退款，不能再退"),
            format!("Order {order} already has {max} refunds, the most allowed"),
        ),
        RefundError::NotRetryable(no, detail) => {
            logged("refund not retryable", detail);
            trs(
                format!("退款单 {no} 不能重试"),
                format!("Refund {no} cannot be retried: {detail}"),
            )
        }
    }
}

/// A deposit rule's refusal, or Cloud Pay's refusal of a consume or release.
#[must_use]
pub fn deposit_error_text(e: &DepositError) -> String {
    match e {
        DepositError::NotPositive => {
            tr("金额必须大于 0", "The amount must be more than 0").to_owned()
        }
        DepositError::ExceedsFrozen {
            deposit,
            requested,
            frozen,
        } => trs(
            format!("消费 ¥{requested} 超过押金 {deposit} 的冻结金额 ¥{frozen}"),
            format!("A consume of ¥{requested} is above the ¥{frozen} frozen on deposit {deposit}"),
        ),
        DepositError::AlreadyReleased { deposit } => trs(
            format!("押金 {deposit} 已解冻，没有冻结金额"),
            format!("Deposit {deposit} is already released"),
        ),
        DepositError::AlreadyConsumed { deposit } => trs(
            format!("押金 {deposit} 已消费，余额已解冻"),
            format!("Deposit {deposit} is already consumed; the rest was released"),
        ),
        DepositError::NeverFrozen { deposit } => trs(
            format!("押金 {deposit} 冻结失败，没有冻结金额"),
            format!("Deposit {deposit} failed: nothing was frozen"),
        ),
        DepositError::WalletCannotFreeze { wallet } => trs(
            format!(
                "{}不能冻结押金：请扫微信或支付宝付款码",
                wallet.display_name()
            ),
            format!(
                "{} cannot hold a deposit: scan a WeChat Pay or Alipay code",
                wallet.display_name()
            ),
        ),
        DepositError::Refused {
            deposit,
            action,
            reason,
        } => {
            logged("deposit refused", reason);
            if action == "consume" {
                trs(
                    format!("云支付拒绝了押金 {deposit} 的消费，未扣款"),
                    format!(
                        "Cloud Pay refused the consume of deposit {deposit}; nothing was taken"
                    ),
                )
            } else {
                trs(
                    format!("云支付拒绝了押金 {deposit} 的解冻，押金仍冻结"),
                    format!("Cloud Pay refused to release deposit {deposit}; it stays frozen"),
                )
            }
        }
        DepositError::InProgress { deposit, .. } => trs(
            format!("押金 {deposit} 正在处理中，请等待结果"),
            format!("Deposit {deposit} is being processed: wait for its result"),
        ),
    }
}

/// A refused login.
#[must_use]
pub fn login_error_text(e: &LoginError) -> String {
    match e {
        LoginError::Locked { clerk, until } => trs(
            format!("店员 {clerk} 登录失败次数过多，已锁定至 {until}"),
            format!("Clerk {clerk} is locked after too many failed logins until {until}"),
        ),
        LoginError::WrongPasswordLocked { clerk, until } => trs(
            format!("店员 {clerk} 密码错误，账号已锁定至 {until}"),
            format!("Wrong password for clerk {clerk}: locked until {until}"),
        ),
        LoginError::WrongPassword {
            clerk,
            failures,
            max,
        } => trs(
            format!("店员 {clerk} 密码错误（第 {failures} 次，连续 {max} 次将锁定 30 分钟）"),
            format!(
                "Wrong password for clerk {clerk} ({failures} of {max} before a 30-minute lock)"
            ),
        ),
        LoginError::UnknownClerk(clerk) => trs(
            format!("店员 {clerk} 不存在或密码错误"),
            format!("Unknown clerk {clerk} or wrong password"),
        ),
        LoginError::QrExpired => tr(
            "登录二维码已过期，请刷新",
            "The login QR code expired: show a new one",
        )
        .to_owned(),
        LoginError::QrUsed => tr(
            "此登录二维码已使用过",
            "This login QR code was already used",
        )
        .to_owned(),
        LoginError::QrUnusable(detail) => {
            logged("qr login", detail);
            tr(
                "扫码登录未能完成，请刷新二维码重试",
                "The QR login could not be completed: try a new code",
            )
            .to_owned()
        }
        LoginError::NotALoginQr => tr(
            "这个二维码不是登录二维码",
            "That QR code does not approve a login",
        )
        .to_owned(),
        LoginError::NoLinkedClerk(staff) => trs(
            format!("云支付员工 {staff} 已确认，但本机没有对应的店员账号"),
            format!(
                "Staff {staff} approved, but no clerk here is linked to that Cloud Pay staff id"
            ),
        ),
    }
}

/// A Cloud Pay failure.
#[must_use]
pub fn gateway_error_text(e: &GatewayError) -> String {
    match e {
        GatewayError::Unreachable(detail) => {
            logged("cloud unreachable", detail);
            tr(
                "无法连接云支付：请检查网络后重试",
                "Cloud Pay could not be reached: check the network",
            )
            .to_owned()
        }
        GatewayError::Forged(detail) => {
            logged("forged response", detail);
            tr(
                "云支付的应答未通过校验，已拒绝（可能被篡改）：结果以查询为准",
                "Cloud Pay's answer failed its check and was rejected: query the order for its outcome",
            )
            .to_owned()
        }
        GatewayError::Refused {
            status,
            description,
        } => match outside_text(description) {
            Some(why) => trs(
                format!("云支付拒绝了请求（状态 {status}）：{why}"),
                format!("Cloud Pay refused the request (status {status}): {why}"),
            ),
            None => {
                logged("cloud refused", description);
                trs(
                    format!("云支付拒绝了请求（状态 {status}）"),
                    format!("Cloud Pay refused the request (status {status})"),
                )
            }
        },
        GatewayError::Busy {
            status,
            description,
        } => {
            logged("cloud busy", description);
            trs(
                format!("云支付暂时无法处理（状态 {status}），请稍后重试"),
                format!("Cloud Pay could not answer now (status {status}): try again shortly"),
            )
        }
        GatewayError::NotConfigured(detail) => {
            logged("cloud not configured", detail);
            tr(
                "尚未配置云支付：请在基础配置中重新配置商户",
                "Cloud Pay is not configured: reconfigure the merchant",
            )
            .to_owned()
        }
    }
}

/// A local ledger failure.
#[must_use]
pub fn store_error_text(e: &StoreError) -> String {
    match e {
        StoreError::NotFound(what) => trs(
            format!("未找到{}", thing(what)),
            format!("Not found: {}", thing(what)),
        ),
        StoreError::Duplicate(what) => trs(
            format!("{}已存在", thing(what)),
            format!("{} already exists", thing(what)),
        ),
        StoreError::Refund(r) => refund_error_text(r),
        StoreError::Member(m) => super::member_error_text(m),
        StoreError::Conflict(detail) => {
            logged("store conflict", detail);
            tr(
                "记录已被更新，请刷新后重试",
                "The record changed meanwhile: refresh and try again",
            )
            .to_owned()
        }
        StoreError::Corrupt(detail) => {
            logged("store corrupt", detail);
            tr(
                "本地账本已损坏：已停止操作，请联系服务商",
                "The local ledger is damaged: stopped; call the service provider",
            )
            .to_owned()
        }
        StoreError::DiskFull(detail) => {
            logged("disk full", detail);
            tr(
                "磁盘已满，未写入任何数据：请清理磁盘后重试",
                "The disk is full; nothing was written: free some space",
            )
            .to_owned()
        }
        StoreError::Backend(detail) => {
            logged("store", detail);
            tr(
                "本地账本读写失败，请重试；仍然失败请联系服务商",
                "The local ledger failed: try again, or call the service provider",
            )
            .to_owned()
        }
    }
}

/// A commodity record with a bad field.
#[must_use]
pub fn commodity_error_text(e: &CommodityError) -> String {
    match e {
        CommodityError::BadSku => tr(
            "货号须为 1–32 个字符，不能有空格",
            "The SKU must be 1–32 characters without spaces",
        )
        .to_owned(),
        CommodityError::NoName(sku) => trs(
            format!("商品 {sku}：请填写名称"),
            format!("Commodity {sku}: the name is empty"),
        ),
        CommodityError::NameTooLong(sku) => trs(
            format!("商品 {sku}：名称最多 64 个字"),
            format!("Commodity {sku}: the name is longer than 64 characters"),
        ),
        CommodityError::NegativePrice(sku) => trs(
            format!("商品 {sku}：单价不能为负"),
            format!("Commodity {sku}: the price cannot be negative"),
        ),
        CommodityError::BadBarcode(sku) => trs(
            format!("商品 {sku}：条码须为 1–32 位字母或数字"),
            format!("Commodity {sku}: the barcode must be 1–32 letters or digits"),
        ),
    }
}

/// A cart that cannot change that way.
#[must_use]
pub fn cart_error_text(e: &CartError) -> String {
    match e {
        CartError::TooMany(n) => trs(
            format!("同一商品每单最多 {n} 件"),
            format!("At most {n} of one commodity per sale"),
        ),
        CartError::NotInCart(sku) => trs(
            format!("购物车里没有商品 {sku}"),
            format!("Commodity {sku} is not in the cart"),
        ),
        CartError::Overflow => tr("合计金额太大", "The cart total is too large").to_owned(),
        CartError::Empty => tr("购物车是空的", "The cart is empty").to_owned(),
    }
}

/// A clerk ID that is not one.
#[must_use]
pub fn clerk_id_error_text(_: &BadClerkId) -> String {
    tr(
        "店员 ID 须为 1–32 位字母、数字或 _ - . @",
        "A clerk ID is 1–32 letters, digits, '_', '-', '.' or '@'",
    )
    .to_owned()
}

/// Why an Excel row was not imported.
#[must_use]
pub fn row_problem_text(p: &RowProblem) -> String {
    match p {
        RowProblem::Price(e) => trs(
            format!("单价：{}", money_error_text(e)),
            format!("price: {}", money_error_text(e)),
        ),
        RowProblem::Stock(t) => trs(
            format!("库存“{t}”不是整数"),
            format!("stock \"{t}\" is not a whole number"),
        ),
        RowProblem::Commodity(e) => commodity_error_text(e),
        RowProblem::Member(e) => super::member_error_text(e),
    }
}
