//! The screen regions the user draws over the host POS program (one for the total, one for
//! the receipt number), as the domain's [`ScreenRegion`]: a screen index, a rectangle in
//! **physical pixels relative to that screen's top-left corner**, and the screen's scale
//! factor when the region was drawn.
//!
//! A region is only valid for the scale it was drawn at: when the user changes the display
//! scaling (100 % → 150 %), the host program's layout moves and the rectangle would cover
//! something else — possibly another figure. [`validate`] therefore refuses a region whose
//! screen now has another scale, or which no longer fits the screen, and the message says to
//! draw it again.

use std::fmt;

use cloudpos_domain::ports::ScreenRegion;
use serde::{Deserialize, Serialize};

use crate::grab::ScreenInfo;

/// A rectangle in logical (scale-independent) pixels, as GUI toolkits measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogicalRect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// What is wrong with a region.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// The `X,Y,W,H` text does not parse.
    #[error("\"{text}\" is not a rectangle X,Y,W,H: {reason}")]
    Syntax {
        /// The text given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// Width or height is zero.
    #[error("the region is empty ({width} × {height} pixels)")]
    Empty {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The scale percentage is not a plausible display scale.
    #[error("{0} % is not a display scale (expected 50–500 %)")]
    BadScale(u32),
    /// The screen index does not exist.
    #[error("screen {index} does not exist: this machine has {count} screen(s) (0 = primary)")]
    NoSuchScreen {
        /// The index asked for.
        index: u32,
        /// How many screens there are.
        count: usize,
    },
    /// The rectangle is not inside its screen.
    #[error(
        "the region {x},{y},{width},{height} is not inside screen {screen} ({screen_width} × {screen_height} pixels); draw it again"
    )]
    OutsideScreen {
        /// Screen index.
        screen: u32,
        /// Left edge.
        x: i32,
        /// Top edge.
        y: i32,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Screen width.
        screen_width: u32,
        /// Screen height.
        screen_height: u32,
    },
    /// The screen's scale changed since the region was drawn.
    #[error(
        "screen {screen} is now scaled {now} % but the region was drawn at {drawn} %: the host program's layout has moved, draw the region again"
    )]
    ScaleChanged {
        /// Screen index.
        screen: u32,
        /// Scale when drawn.
        drawn: u32,
        /// Scale now.
        now: u32,
    },
}

/// Parses `X,Y,W,H` (integers, spaces allowed around the commas; `W` and `H` > 0).
///
/// # Errors
///
/// [`RegionError::Syntax`] or [`RegionError::Empty`].
pub fn parse_rect(text: &str) -> Result<(i32, i32, u32, u32), RegionError> {
    let syntax = |reason: &str| RegionError::Syntax {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [x, y, w, h] = parts[..] else {
        return Err(syntax(&format!(
            "{} numbers given, 4 expected",
            parts.len()
        )));
    };
    let int = |name: &str, v: &str| {
        v.parse::<i32>()
            .map_err(|_| syntax(&format!("{name} \"{v}\" is not an integer")))
    };
    let size = |name: &str, v: &str| {
        v.parse::<u32>()
            .map_err(|_| syntax(&format!("{name} \"{v}\" is not a positive integer")))
    };
    let (x, y, w, h) = (int("X", x)?, int("Y", y)?, size("W", w)?, size("H", h)?);
    if w == 0 || h == 0 {
        return Err(RegionError::Empty {
            width: w,
            height: h,
        });
    }
    Ok((x, y, w, h))
}

/// Builds a region from `X,Y,W,H` text (physical pixels of screen `screen`) and the scale
/// the screen has now (from [`ScreenInfo::scale_percent`]; 100 when unknown).
///
/// # Errors
///
/// As [`parse_rect`], and [`RegionError::BadScale`].
pub fn parse_region(
    screen: u32,
    rect: &str,
    scale_percent: u32,
) -> Result<ScreenRegion, RegionError> {
    let (x, y, width, height) = parse_rect(rect)?;
    check_scale(scale_percent)?;
    Ok(ScreenRegion {
        screen,
        x,
        y,
        width,
        height,
        scale_percent,
    })
}

fn check_scale(scale_percent: u32) -> Result<(), RegionError> {
    if (50..=500).contains(&scale_percent) {
        Ok(())
    } else {
        Err(RegionError::BadScale(scale_percent))
    }
}

/// Checks a region against the screens as they are now: the screen exists, has the scale
/// the region was drawn at, and contains the rectangle. Returns that screen.
///
/// # Errors
///
/// [`RegionError`] naming the problem.
pub fn validate<'a>(
    region: &ScreenRegion,
    screens: &'a [ScreenInfo],
) -> Result<&'a ScreenInfo, RegionError> {
    if region.width == 0 || region.height == 0 {
        return Err(RegionError::Empty {
            width: region.width,
            height: region.height,
        });
    }
    check_scale(region.scale_percent)?;
    let screen = usize::try_from(region.screen)
        .ok()
        .and_then(|i| screens.get(i))
        .ok_or(RegionError::NoSuchScreen {
            index: region.screen,
            count: screens.len(),
        })?;
    if screen.scale_percent != region.scale_percent {
        return Err(RegionError::ScaleChanged {
            screen: region.screen,
            drawn: region.scale_percent,
            now: screen.scale_percent,
        });
    }
    let right = i64::from(region.x) + i64::from(region.width);
    let bottom = i64::from(region.y) + i64::from(region.height);
    if region.x < 0
        || region.y < 0
        || right > i64::from(screen.width)
        || bottom > i64::from(screen.height)
    {
        return Err(RegionError::OutsideScreen {
            screen: region.screen,
            x: region.x,
            y: region.y,
            width: region.width,
            height: region.height,
            screen_width: screen.width,
            screen_height: screen.height,
        });
    }
    Ok(screen)
}

/// `round(v × num / den)` in integers (halves away from −∞), saturated to `i32`.
fn scale_round(v: i64, num: i64, den: i64) -> i64 {
    (v * num + den / 2).div_euclid(den)
}

fn sat_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn sat_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// The physical region of a logical rectangle on a screen scaled `scale_percent` %. Edges
/// are rounded (not the width), so adjacent rectangles stay adjacent; a non-empty rectangle
/// stays at least 1 × 1.
#[must_use]
pub fn from_logical(screen: u32, rect: LogicalRect, scale_percent: u32) -> ScreenRegion {
    let s = i64::from(scale_percent.max(1));
    let x0 = scale_round(i64::from(rect.x), s, 100);
    let y0 = scale_round(i64::from(rect.y), s, 100);
    let x1 = scale_round(i64::from(rect.x) + i64::from(rect.width), s, 100);
    let y1 = scale_round(i64::from(rect.y) + i64::from(rect.height), s, 100);
    let min1 = |len: i64, logical: u32| if logical > 0 { len.max(1) } else { len };
    ScreenRegion {
        screen,
        x: sat_i32(x0),
        y: sat_i32(y0),
        width: sat_u32(min1(x1 - x0, rect.width)),
        height: sat_u32(min1(y1 - y0, rect.height)),
        scale_percent,
    }
}

/// The logical rectangle of a region (inverse of [`from_logical`] up to rounding).
#[must_use]
pub fn to_logical(region: &ScreenRegion) -> LogicalRect {
    let s = i64::from(region.scale_percent.max(1));
    let x0 = scale_round(i64::from(region.x), 100, s);
    let y0 = scale_round(i64::from(region.y), 100, s);
    let x1 = scale_round(i64::from(region.x) + i64::from(region.width), 100, s);
    let y1 = scale_round(i64::from(region.y) + i64::from(region.height), 100, s);
    LogicalRect {
        x: sat_i32(x0),
        y: sat_i32(y0),
        width: sat_u32((x1 - x0).max(i64::from(region.width > 0))),
        height: sat_u32((y1 - y0).max(i64::from(region.height > 0))),
    }
}

/// `X,Y,W,H` text of a region (what [`parse_rect`] reads).
#[must_use]
pub fn rect_text(region: &ScreenRegion) -> String {
    RectText(region).to_string()
}

struct RectText<'a>(&'a ScreenRegion);

impl fmt::Display for RectText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        write!(f, "{},{},{},{}", r.x, r.y, r.width, r.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(index: u32, width: u32, height: u32, scale: u32) -> ScreenInfo {
        ScreenInfo {
            index,
            name: format!("S{index}"),
            x: 0,
            y: 0,
            width,
            height,
            primary: index == 0,
            scale_percent: scale,
        }
    }

    #[test]
    fn parses_rectangles() {
        assert_eq!(parse_rect("10,20,300,40"), Ok((10, 20, 300, 40)));
        assert_eq!(parse_rect(" 10 , 20 ,300, 40 "), Ok((10, 20, 300, 40)));
        assert!(matches!(
            parse_rect("10,20,300"),
            Err(RegionError::Syntax { .. })
        ));
        assert!(matches!(
            parse_rect("10,20,-3,40"),
            Err(RegionError::Syntax { .. })
        ));
        assert!(matches!(
            parse_rect("a,20,3,40"),
            Err(RegionError::Syntax { .. })
        ));
        assert_eq!(
            parse_rect("1,2,0,4"),
            Err(RegionError::Empty {
                width: 0,
                height: 4
            })
        );
        let r = parse_region(1, "5,6,7,8", 125).unwrap();
        assert_eq!(rect_text(&r), "5,6,7,8");
        assert_eq!(
            parse_region(0, "5,6,7,8", 20),
            Err(RegionError::BadScale(20))
        );
    }

    #[test]
    fn validates_against_the_screens() {
        let screens = [screen(0, 1920, 1080, 100), screen(1, 1280, 1024, 150)];
        let ok = parse_region(1, "1000,1000,280,24", 150).unwrap();
        assert_eq!(validate(&ok, &screens).unwrap().index, 1);
        let outside = parse_region(1, "1000,1000,281,24", 150).unwrap();
        let e = validate(&outside, &screens).unwrap_err();
        assert!(matches!(e, RegionError::OutsideScreen { .. }));
        assert!(e.to_string().contains("1280 × 1024"), "{e}");
        let missing = parse_region(2, "0,0,1,1", 100).unwrap();
        assert_eq!(
            validate(&missing, &screens),
            Err(RegionError::NoSuchScreen { index: 2, count: 2 })
        );
        let rescaled = parse_region(0, "0,0,10,10", 125).unwrap();
        assert_eq!(
            validate(&rescaled, &screens),
            Err(RegionError::ScaleChanged {
                screen: 0,
                drawn: 125,
                now: 100
            })
        );
        let negative = parse_region(0, "-1,0,10,10", 100).unwrap();
        assert!(matches!(
            validate(&negative, &screens),
            Err(RegionError::OutsideScreen { .. })
        ));
    }

    #[test]
    fn logical_and_physical() {
        let l = LogicalRect {
            x: 101,
            y: 33,
            width: 201,
            height: 21,
        };
        let p = from_logical(0, l, 150);
        assert_eq!((p.x, p.y, p.width, p.height), (152, 50, 301, 31));
        assert_eq!(to_logical(&p), l);
        let same = from_logical(0, l, 100);
        assert_eq!(
            (same.x, same.y, same.width, same.height),
            (101, 33, 201, 21)
        );
        let tiny = from_logical(
            0,
            LogicalRect {
                x: 0,
                y: 0,
                width: 1,
                height: 1,
            },
            50,
        );
        assert_eq!((tiny.width, tiny.height), (1, 1));
        for scale in [100, 125, 150, 175, 200, 250] {
            for x in -50..50 {
                let l = LogicalRect {
                    x,
                    y: x * 3,
                    width: 40,
                    height: 12,
                };
                assert_eq!(to_logical(&from_logical(0, l, scale)), l, "{scale} {x}");
            }
        }
    }
}
