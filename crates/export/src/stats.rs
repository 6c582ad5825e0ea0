//! The statistics picture: amount taken per hour of the day, stacked per payment method.
//!
//! Drawn pixel by pixel with integer arithmetic and the embedded bitmap font of
//! `cloudpos-fonts`, so the same input gives the same pixels on every machine.

use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState, PaymentMethod};
use cloudpos_domain::refund::{Refund, RefundState};
use cloudpos_domain::timestamp::Timestamp;
use image::{ImageEncoder, Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use crate::columns::method_name;
use crate::{ExportError, Lang, yuan_grouped};

/// What the picture shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsInput {
    /// The store's name, in the title.
    pub store_name: String,
    /// Start of the period (inclusive).
    pub from: Timestamp,
    /// End of the period (exclusive).
    pub to: Timestamp,
    /// The shop's UTC offset: hours of the day are shop hours.
    pub offset_seconds: i32,
    /// Language of the words.
    pub lang: Lang,
    /// Amount paid per hour of the day (0–23, shop time) and payment method (in
    /// [`PaymentMethod::ALL`] order: WeChat, Alipay, member card, cash).
    pub hourly: [[Money; 4]; 24],
    /// Paid orders counted.
    pub pay_count: u64,
    /// Succeeded refunds in the period.
    pub refund_count: u64,
    /// Their sum.
    pub refunded: Money,
}

impl StatsInput {
    /// An empty picture of a period.
    #[must_use]
    pub fn new(
        store_name: &str,
        from: Timestamp,
        to: Timestamp,
        offset_seconds: i32,
        lang: Lang,
    ) -> Self {
        StatsInput {
            store_name: store_name.to_owned(),
            from,
            to,
            offset_seconds,
            lang,
            hourly: [[Money::ZERO; 4]; 24],
            pay_count: 0,
            refund_count: 0,
            refunded: Money::ZERO,
        }
    }

    /// Computes the input from any superset of the period's records, with the rules of the
    /// shift summary (`cloudpos_domain::shift::Summary`): an order counts in the hour it was
    /// **paid**, if it is still paid (a voided order returned its money); a refund counts in
    /// the period it **succeeded**. The bars show what was paid (gross, never negative: a
    /// refund today of yesterday's sale would make an hour negative); refunds and the net
    /// are totals in the subtitle.
    #[must_use]
    pub fn from_records<'a>(
        store_name: &str,
        (from, to): (Timestamp, Timestamp),
        offset_seconds: i32,
        lang: Lang,
        orders: impl IntoIterator<Item = &'a Order>,
        refunds: impl IntoIterator<Item = &'a Refund>,
    ) -> Self {
        let mut s = StatsInput::new(store_name, from, to, offset_seconds, lang);
        let in_period = |t: Timestamp| from <= t && t < to;
        for o in orders {
            let Some(paid_at) = o.paid_at else { continue };
            if o.state != OrderState::Paid || !in_period(paid_at) {
                continue;
            }
            s.add_payment(o.method, paid_at, o.amount);
        }
        for r in refunds {
            let Some(done) = r.succeeded_at else { continue };
            if r.state != RefundState::Succeeded || !in_period(done) {
                continue;
            }
            s.refund_count += 1;
            s.refunded = s.refunded + r.amount;
        }
        s
    }

    /// Counts one payment of `amount` by `method` paid at `at`.
    pub fn add_payment(&mut self, method: PaymentMethod, at: Timestamp, amount: Money) {
        let local = at.unix_seconds() + i64::from(self.offset_seconds);
        let hour = usize::try_from(local.rem_euclid(86_400) / 3600).unwrap_or(0);
        let m = method_index(method);
        self.hourly[hour][m] = self.hourly[hour][m] + amount;
        self.pay_count += 1;
    }

    /// Sum of every bar.
    #[must_use]
    pub fn total_paid(&self) -> Money {
        self.hourly.iter().flatten().copied().sum()
    }

    /// Paid amount of one method.
    #[must_use]
    pub fn method_total(&self, method: PaymentMethod) -> Money {
        let m = method_index(method);
        self.hourly.iter().map(|h| h[m]).sum()
    }

    /// Paid minus refunded.
    #[must_use]
    pub fn net(&self) -> Money {
        self.total_paid() - self.refunded
    }
}

fn method_index(m: PaymentMethod) -> usize {
    PaymentMethod::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

// ───────────────────────────── drawing ─────────────────────────────

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 600;
/// Plot area: 24 columns of 36 pixels.
const PLOT_X: i64 = 90;
const COL_W: i64 = 36;
const BAR_W: i64 = 24;
const PLOT_W: i64 = 24 * COL_W;
const PLOT_TOP: i64 = 150;
const PLOT_BOTTOM: i64 = 520;
const PLOT_H: i64 = PLOT_BOTTOM - PLOT_TOP;

const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const INK: Rgb<u8> = Rgb([38, 38, 38]);
const MUTED: Rgb<u8> = Rgb([110, 110, 110]);
const AXIS: Rgb<u8> = Rgb([89, 89, 89]);
const GRID: Rgb<u8> = Rgb([228, 228, 228]);
/// WeChat green, Alipay blue, member-card orange, cash grey.
const COLORS: [Rgb<u8>; 4] = [
    Rgb([7, 193, 96]),
    Rgb([22, 119, 255]),
    Rgb([250, 140, 22]),
    Rgb([140, 140, 140]),
];

/// The picture as pixels (for snapshot tests and GUIs that show it directly).
#[must_use]
pub fn stats_image(input: &StatsInput) -> RgbImage {
    let mut c = Canvas(RgbImage::from_pixel(WIDTH, HEIGHT, WHITE));
    let zh = input.lang == Lang::Zh;
    let w = i64::from(WIDTH);

    // Title and subtitle.
    let title = if zh {
        format!("{} 收款统计", input.store_name)
    } else {
        format!("{} takings by hour", input.store_name)
    };
    let tw = c.text_width(&title, 2);
    c.text((w - tw) / 2, 14, &title, 2, INK);
    let sub = subtitle(input);
    let sw = c.text_width(&sub, 1);
    c.text((w - sw) / 2, 58, &sub, 1, MUTED);

    // Legend: a swatch, the method and its total, centred.
    let items: Vec<String> = PaymentMethod::ALL
        .iter()
        .map(|&m| {
            format!(
                "{} ¥{}",
                method_name(m, input.lang),
                yuan_grouped(input.method_total(m))
            )
        })
        .collect();
    let gap = 32;
    let legend_w: i64 = items.iter().map(|t| 20 + c.text_width(t, 1)).sum::<i64>()
        + gap * i64::try_from(items.len() - 1).unwrap_or(0);
    let mut x = (w - legend_w) / 2;
    for (item, color) in items.iter().zip(COLORS) {
        c.rect(x, 93, 14, 14, color);
        x += 20;
        c.text(x, 92, item, 1, INK);
        x += c.text_width(item, 1) + gap;
    }

    // Scale and grid.
    let totals: Vec<i64> = input
        .hourly
        .iter()
        .map(|h| h.iter().map(|m| m.fen().max(0)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let (step, ticks) = nice_scale(max);
    let top = step * ticks;
    let y_of = |fen: i64| PLOT_BOTTOM - fen * PLOT_H / top;
    for k in 0..=ticks {
        let v = step * k;
        let y = y_of(v);
        if k > 0 {
            c.rect(PLOT_X, y, PLOT_W, 1, GRID);
        }
        let label = tick_label(v);
        let lw = c.text_width(&label, 1);
        c.text(PLOT_X - 8 - lw, y - 8, &label, 1, MUTED);
    }
    let y_label = if zh {
        "金额（元）"
    } else {
        "Amount (CNY)"
    };
    c.text(
        PLOT_X - c.text_width(y_label, 1) / 2,
        PLOT_TOP - 26,
        y_label,
        1,
        INK,
    );

    // Bars: each hour's methods stacked from the bottom, in legend order.
    for (hour, methods) in input.hourly.iter().enumerate() {
        let h = i64::try_from(hour).unwrap_or(0);
        let x = PLOT_X + h * COL_W + (COL_W - BAR_W) / 2;
        let mut cum = 0;
        for (m, color) in methods.iter().zip(COLORS) {
            let v = m.fen().max(0);
            if v == 0 {
                continue;
            }
            let (y_low, y_high) = (y_of(cum), y_of(cum + v));
            c.rect(x, y_high, BAR_W, (y_low - y_high).max(1), color);
            cum += v;
        }
        let label = hour.to_string();
        let lw = c.text_width(&label, 1);
        c.text(
            PLOT_X + h * COL_W + (COL_W - lw) / 2,
            PLOT_BOTTOM + 6,
            &label,
            1,
            MUTED,
        );
    }
    if max == 0 {
        let none = if zh {
            "本时段无收款"
        } else {
            "No payments in this period"
        };
        let nw = c.text_width(none, 1);
        c.text(
            PLOT_X + (PLOT_W - nw) / 2,
            PLOT_TOP + PLOT_H / 2 - 8,
            none,
            1,
            MUTED,
        );
    }

    // Axes.
    c.rect(PLOT_X, PLOT_TOP - 6, 1, PLOT_H + 6, AXIS);
    c.rect(PLOT_X, PLOT_BOTTOM, PLOT_W, 1, AXIS);
    let x_label = if zh {
        "支付时间（时）"
    } else {
        "Hour paid"
    };
    let xw = c.text_width(x_label, 1);
    c.text(
        PLOT_X + (PLOT_W - xw) / 2,
        PLOT_BOTTOM + 30,
        x_label,
        1,
        INK,
    );
    let note = if zh {
        "柱高为各小时收款额（按支付方式堆叠），退款不计入柱高"
    } else {
        "Bars: amount paid per hour, stacked by method; refunds are not subtracted"
    };
    c.text(PLOT_X, i64::from(HEIGHT) - 24, note, 1, MUTED);
    c.0
}

/// The picture as PNG bytes.
pub fn stats_png(input: &StatsInput) -> Result<Vec<u8>, ExportError> {
    let img = stats_image(input);
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn subtitle(input: &StatsInput) -> String {
    let zh = input.lang == Lang::Zh;
    let off = input.offset_seconds;
    let day = input.from.start_of_day(off);
    let whole_day =
        day == input.from && input.to.unix_millis() - input.from.unix_millis() == 86_400_000;
    let minutes = |t: Timestamp| t.format(off).chars().take(16).collect::<String>();
    let period = if whole_day {
        input.from.format(off).chars().take(10).collect()
    } else if zh {
        format!("{} 至 {}", minutes(input.from), minutes(input.to))
    } else {
        format!("{} to {}", minutes(input.from), minutes(input.to))
    };
    let (paid, refunded, net) = (
        yuan_grouped(input.total_paid()),
        yuan_grouped(input.refunded),
        yuan_grouped(input.net()),
    );
    if zh {
        format!(
            "{period}　收款 {} 笔 ¥{paid}　退款 {} 笔 ¥{refunded}　净额 ¥{net}",
            input.pay_count, input.refund_count
        )
    } else {
        format!(
            "{period}   paid {} × ¥{paid}   refunded {} × ¥{refunded}   net ¥{net}",
            input.pay_count, input.refund_count
        )
    }
}

/// A step of 1, 2 or 5 × 10ⁿ fen (at least 1 yuan) and a number of ticks (at most 5) whose
/// product covers `max` fen.
fn nice_scale(max: i64) -> (i64, i64) {
    if max <= 0 {
        return (100, 5);
    }
    let mut power = 100_i64;
    loop {
        for m in [1, 2, 5] {
            let step = m * power;
            let ticks = (max + step - 1) / step;
            if ticks <= 5 {
                return (step, ticks.max(1));
            }
        }
        power = power.saturating_mul(10);
    }
}

/// A tick value in whole yuan, grouped (`1,200`).
fn tick_label(fen: i64) -> String {
    let s = yuan_grouped(Money::from_fen(fen));
    s.trim_end_matches(".00").to_owned()
}

/// An image with integer drawing helpers that clip at the edges.
struct Canvas(RgbImage);

impl Canvas {
    fn put(&mut self, x: i64, y: i64, color: Rgb<u8>) {
        if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y))
            && x < self.0.width()
            && y < self.0.height()
        {
            self.0.put_pixel(x, y, color);
        }
    }

    fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, color: Rgb<u8>) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.put(xx, yy, color);
            }
        }
    }

    #[allow(clippy::unused_self)]
    fn text_width(&self, text: &str, scale: i64) -> i64 {
        i64::try_from(cloudpos_fonts::text_width(text)).unwrap_or(0) * scale
    }

    /// Draws `text` with its top-left corner at (x, y), each font pixel a `scale`-square.
    fn text(&mut self, x: i64, y: i64, text: &str, scale: i64, color: Rgb<u8>) {
        let mut pen = x;
        for ch in text.chars() {
            let adv = i64::try_from(cloudpos_fonts::char_width(ch)).unwrap_or(8);
            match cloudpos_fonts::glyph(ch) {
                Some(g) => {
                    for gy in 0..cloudpos_fonts::GLYPH_HEIGHT {
                        for gx in 0..g.width() {
                            if g.pixel(gx, gy) {
                                let px = pen + i64::try_from(gx).unwrap_or(0) * scale;
                                let py = y + i64::try_from(gy).unwrap_or(0) * scale;
                                self.rect(px, py, scale, scale, color);
                            }
                        }
                    }
                }
                None => {
                    // Missing glyph: an empty box.
                    let (bw, bh) = ((adv - 2) * scale, 14 * scale);
                    self.rect(pen + scale, y + scale, bw, scale, color);
                    self.rect(pen + scale, y + scale + bh - scale, bw, scale, color);
                    self.rect(pen + scale, y + scale, scale, bh, color);
                    self.rect(pen + scale + bw - scale, y + scale, scale, bh, color);
                }
            }
            pen += adv * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_nice_and_cover_the_maximum() {
        assert_eq!(nice_scale(0), (100, 5));
        assert_eq!(nice_scale(1), (100, 1));
        assert_eq!(nice_scale(450), (100, 5));
        assert_eq!(nice_scale(501), (200, 3));
        assert_eq!(nice_scale(123_456), (50_000, 3));
        for max in [1, 99, 100, 101, 999, 1_000_000, 987_654_321] {
            let (step, ticks) = nice_scale(max);
            assert!(step * ticks >= max && ticks <= 5, "{max}");
            let lead = step / 10_i64.pow(step.ilog10());
            assert!([1, 2, 5].contains(&lead), "{step}");
        }
        assert_eq!(tick_label(120_000), "1,200");
    }

    #[test]
    fn hours_are_shop_hours() {
        let mut s = StatsInput::new("s", Timestamp::EPOCH, Timestamp::EPOCH, 8 * 3600, Lang::Zh);
        // 1970-01-01 16:30 UTC is 00:30 the next day in China.
        s.add_payment(
            PaymentMethod::Cash,
            Timestamp::from_unix_seconds(16 * 3600 + 1800),
            Money::from_fen(5),
        );
        assert_eq!(s.hourly[0][3], Money::from_fen(5));
        assert_eq!(s.total_paid(), Money::from_fen(5));
    }
}
