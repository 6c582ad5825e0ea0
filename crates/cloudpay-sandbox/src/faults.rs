//! Fault injection: each `/cpay/` request rolls a seeded generator once per fault kind, so
//! a sequential run with the same seed injects the same faults at the same requests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Latency added before a request is processed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Share of requests delayed (0–1).
    pub rate: f64,
    /// Shortest delay, ms.
    pub min_ms: u64,
    /// Longest delay, ms.
    pub max_ms: u64,
}

/// Customers who take a while to confirm: a share of ordinary payments (codes whose
/// script is "paid at once") stays user-paying for a drawn time, then turns paid — or
/// failed, for `fail_rate` of them — at the first request after that time. The 45 s
/// auto-revoke still applies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UserPaying {
    /// Share of ordinary payments held (0–1).
    pub rate: f64,
    /// Shortest hold, ms.
    pub min_ms: u64,
    /// Longest hold, ms.
    pub max_ms: u64,
    /// Share of held payments the customer abandons (0–1).
    #[serde(default)]
    pub fail_rate: f64,
}

/// How one held payment ends (drawn by [`Faults::plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// How long the customer takes.
    pub for_: Duration,
    /// The customer abandons instead of confirming.
    pub fails: bool,
}

/// The fault-injection settings (`POST /control/faults`). Every rate is a share of
/// requests, 0–1. Pre-commit faults are exclusive, tried in this order: connection reset,
/// hang, HTTP 5xx, status 3, status 103; post-commit: response dropped, truncated body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Generator seed (same seed + same request sequence → same faults).
    pub seed: u64,
    /// Endpoint names affected (`micro_pay`, `query_order`, …); all when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Vec<String>>,
    /// Added latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// Hold the request without answering (until the hang timing, then drop).
    pub hang_rate: f64,
    /// Reset the TCP connection (RST) before the request is processed: nothing committed.
    pub reset_before_commit_rate: f64,
    /// Process (commit) the request, then close the connection without an answer.
    pub drop_after_commit_rate: f64,
    /// Process the request, then send only half of the answer body.
    pub truncate_rate: f64,
    /// Answer status 3 (no MAC) without processing.
    pub status3_rate: f64,
    /// Answer status 103 (with MAC) without processing.
    pub status103_rate: f64,
    /// Answer an HTTP 5xx without processing.
    pub http5xx_rate: f64,
    /// The 5xx status to send (503 by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http5xx_status: Option<u16>,
    /// Customers who confirm late (ordinary `micro_pay` codes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_paying: Option<UserPaying>,
}

impl FaultConfig {
    fn validate(&self) -> Result<(), String> {
        let rates = [
            ("hang_rate", self.hang_rate),
            ("reset_before_commit_rate", self.reset_before_commit_rate),
            ("drop_after_commit_rate", self.drop_after_commit_rate),
            ("truncate_rate", self.truncate_rate),
            ("status3_rate", self.status3_rate),
            ("status103_rate", self.status103_rate),
            ("http5xx_rate", self.http5xx_rate),
            ("latency.rate", self.latency.map_or(0.0, |l| l.rate)),
            ("user_paying.rate", self.user_paying.map_or(0.0, |u| u.rate)),
            (
                "user_paying.fail_rate",
                self.user_paying.map_or(0.0, |u| u.fail_rate),
            ),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        if let Some(l) = self.latency
            && l.min_ms > l.max_ms
        {
            return Err("latency.min_ms must not exceed latency.max_ms".to_owned());
        }
        if let Some(u) = self.user_paying
            && u.min_ms > u.max_ms
        {
            return Err("user_paying.min_ms must not exceed user_paying.max_ms".to_owned());
        }
        if let Some(s) = self.http5xx_status
            && !(500..=599).contains(&s)
        {
            return Err(format!("http5xx_status must be 500–599, got {s}"));
        }
        Ok(())
    }
}

/// What to do to one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Sleep first.
    pub latency: Option<Duration>,
    /// RST the connection before processing.
    pub reset_before_commit: bool,
    /// Hold the request, then drop the connection.
    pub hang: bool,
    /// Answer this HTTP status without processing.
    pub http5xx: Option<u16>,
    /// Answer status 3 without processing.
    pub status3: bool,
    /// Answer status 103 without processing.
    pub status103: bool,
    /// Drop the connection after processing.
    pub drop_after_commit: bool,
    /// Truncate the answer after processing.
    pub truncate: bool,
    /// Hold an ordinary payment in user-paying (`micro_pay` only).
    pub user_paying: Option<Hold>,
}

/// Counts of injected faults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultStats {
    /// Requests that rolled (matched the endpoint filter).
    pub requests: u64,
    /// Latency added.
    pub latency: u64,
    /// Hangs.
    pub hang: u64,
    /// Resets before commit.
    pub reset_before_commit: u64,
    /// Drops after commit.
    pub drop_after_commit: u64,
    /// Truncated bodies.
    pub truncate: u64,
    /// Status 3 answers.
    pub status3: u64,
    /// Status 103 answers.
    pub status103: u64,
    /// HTTP 5xx answers.
    pub http5xx: u64,
    /// Payments held in user-paying.
    #[serde(default)]
    pub user_paying: u64,
}

/// SplitMix64: tiny, seedable, good enough to pick faults.
#[derive(Debug, Clone, Copy)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_unit(&mut self) -> f64 {
        // 53 random bits → exactly representable.
        #[expect(clippy::cast_precision_loss, reason = "53-bit value is exact in f64")]
        let v = (self.next_u64() >> 11) as f64;
        v / (1u64 << 53) as f64
    }
}

/// A duration in `[min_ms, max_ms]` picked by `unit` (in [0, 1)).
fn between(min_ms: u64, max_ms: u64, unit: f64) -> Duration {
    let span = max_ms - min_ms;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a fraction of a small span of milliseconds"
    )]
    let extra = (unit * (span as f64 + 1.0)) as u64;
    Duration::from_millis(min_ms + extra.min(span))
}

/// The live fault state.
#[derive(Debug)]
pub struct Faults {
    config: Option<FaultConfig>,
    rng: SplitMix64,
    stats: FaultStats,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            config: None,
            rng: SplitMix64(0),
            stats: FaultStats::default(),
        }
    }
}

impl Faults {
    /// Installs a configuration (resets the generator and the counts).
    pub fn set(&mut self, config: FaultConfig) -> Result<(), String> {
        config.validate()?;
        self.rng = SplitMix64(config.seed);
        self.stats = FaultStats::default();
        self.config = Some(config);
        Ok(())
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.config = None;
        self.stats = FaultStats::default();
    }

    /// The configuration and counts.
    #[must_use]
    pub fn snapshot(&self) -> (Option<FaultConfig>, FaultStats) {
        (self.config.clone(), self.stats)
    }

    /// Rolls the faults for one request to `endpoint`.
    pub fn plan(&mut self, endpoint: &str) -> FaultPlan {
        let Some(c) = &self.config else {
            return FaultPlan::default();
        };
        if c.endpoints
            .as_ref()
            .is_some_and(|list| !list.iter().any(|e| e == endpoint))
        {
            return FaultPlan::default();
        }
        // Always draw the same number of values per request, whatever the settings.
        let draws: [f64; 12] = std::array::from_fn(|_| self.rng.next_unit());
        let [
            lat,
            lat_value,
            reset,
            hang,
            http,
            s3,
            s103,
            drop,
            trunc,
            hold,
            hold_value,
            hold_fails,
        ] = draws;
        let mut plan = FaultPlan::default();
        let stats = &mut self.stats;
        stats.requests += 1;
        if let Some(l) = c.latency
            && lat < l.rate
        {
            plan.latency = Some(between(l.min_ms, l.max_ms, lat_value));
            stats.latency += 1;
        }
        if let Some(u) = c.user_paying
            && endpoint == "micro_pay"
            && hold < u.rate
        {
            plan.user_paying = Some(Hold {
                for_: between(u.min_ms, u.max_ms, hold_value),
                fails: hold_fails < u.fail_rate,
            });
            stats.user_paying += 1;
        }
        if reset < c.reset_before_commit_rate {
            plan.reset_before_commit = true;
            stats.reset_before_commit += 1;
        } else if hang < c.hang_rate {
            plan.hang = true;
            stats.hang += 1;
        } else if http < c.http5xx_rate {
            plan.http5xx = Some(c.http5xx_status.unwrap_or(503));
            stats.http5xx += 1;
        } else if s3 < c.status3_rate {
            plan.status3 = true;
            stats.status3 += 1;
        } else if s103 < c.status103_rate {
            plan.status103 = true;
            stats.status103 += 1;
        } else if drop < c.drop_after_commit_rate {
            plan.drop_after_commit = true;
            stats.drop_after_commit += 1;
        } else if trunc < c.truncate_rate {
            plan.truncate = true;
            stats.truncate += 1;
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults() {
        let config = FaultConfig {
            seed: 7,
            status3_rate: 0.3,
            drop_after_commit_rate: 0.3,
            latency: Some(Latency {
                rate: 0.5,
                min_ms: 1,
                max_ms: 9,
            }),
            ..FaultConfig::default()
        };
        let run = || {
            let mut f = Faults::default();
            f.set(config.clone()).unwrap();
            (0..50).map(|_| f.plan("micro_pay")).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert!(a.iter().any(|p| p.status3));
        assert!(a.iter().any(|p| p.drop_after_commit));
        assert!(a.iter().any(|p| p.latency.is_some()));
        assert!(
            a.iter()
                .filter_map(|p| p.latency)
                .all(|d| (1..=9).contains(&d.as_millis()))
        );
    }

    #[test]
    fn endpoint_filter_and_validation() {
        let mut f = Faults::default();
        assert!(
            f.set(FaultConfig {
                status3_rate: 1.5,
                ..FaultConfig::default()
            })
            .is_err()
        );
        f.set(FaultConfig {
            endpoints: Some(vec!["refund".into()]),
            http5xx_rate: 1.0,
            ..FaultConfig::default()
        })
        .unwrap();
        assert_eq!(f.plan("micro_pay"), FaultPlan::default());
        assert_eq!(f.plan("refund").http5xx, Some(503));
    }
}
