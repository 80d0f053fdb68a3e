//! Numbers from samples: percentiles of one round, medians across rounds, ratios A/B.
//!
//! Latencies are kept exactly (nanoseconds, one `u64` per successful operation) and
//! sorted once per round; percentiles use the nearest-rank method. Failed operations
//! count as errors only: they are often much faster than real answers and would flatter
//! the latency. Throughput counts successes over the wall time of the round.

use std::time::Duration;

/// Megabyte used for MB/s: 10^6 bytes, as network throughput is usually quoted.
const MB: f64 = 1_000_000.0;

/// The outcome of one timed round on one target.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundStats {
    /// Operations that succeeded.
    pub ok: u64,
    /// Operations that failed.
    pub errors: u64,
    /// Payload bytes moved by successful operations.
    pub bytes: u64,
    /// Wall time from the first operation's start to the last one's end.
    pub elapsed: Duration,
    /// Median latency of successful operations.
    pub p50: Option<Duration>,
    /// 90th percentile latency.
    pub p90: Option<Duration>,
    /// 99th percentile latency.
    pub p99: Option<Duration>,
    /// The first error message of the round, if any.
    pub first_error: Option<String>,
}

impl RoundStats {
    /// Computes a round's numbers from its latencies (nanoseconds, any order).
    pub fn from_samples(
        mut latencies_ns: Vec<u64>,
        errors: u64,
        bytes: u64,
        elapsed: Duration,
        first_error: Option<String>,
    ) -> Self {
        latencies_ns.sort_unstable();
        let at = |pct| percentile(&latencies_ns, pct).map(Duration::from_nanos);
        Self {
            ok: latencies_ns.len() as u64,
            errors,
            bytes,
            elapsed,
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            first_error,
        }
    }

    /// Successful operations per second.
    pub fn requests_per_sec(&self) -> f64 {
        per_second(self.ok as f64, self.elapsed)
    }

    /// Payload megabytes (10^6 bytes) per second.
    pub fn mb_per_sec(&self) -> f64 {
        per_second(self.bytes as f64 / MB, self.elapsed)
    }
}

/// The numbers reported for one workload on one target: medians over its rounds.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Rounds measured.
    pub rounds: usize,
    /// Successful operations in all rounds.
    pub requests: u64,
    /// Failed operations in all rounds.
    pub errors: u64,
    /// Payload bytes in all rounds.
    pub bytes: u64,
    /// Median over rounds of successful operations per second.
    pub requests_per_sec: f64,
    /// Median over rounds of MB/s.
    pub mb_per_sec: f64,
    /// Median over rounds of the round's median latency, in milliseconds.
    pub p50_ms: Option<f64>,
    /// Median over rounds of the round's 90th percentile, in milliseconds.
    pub p90_ms: Option<f64>,
    /// Median over rounds of the round's 99th percentile, in milliseconds.
    pub p99_ms: Option<f64>,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

impl Summary {
    /// Medians of `rounds`; `None` when there are no rounds.
    pub fn from_rounds(rounds: &[RoundStats]) -> Option<Self> {
        let ms = |pick: fn(&RoundStats) -> Option<Duration>| {
            let values: Vec<f64> = rounds.iter().filter_map(pick).map(to_ms).collect();
            median(&values)
        };
        let rates: Vec<f64> = rounds.iter().map(RoundStats::requests_per_sec).collect();
        let throughputs: Vec<f64> = rounds.iter().map(RoundStats::mb_per_sec).collect();
        Some(Self {
            rounds: rounds.len(),
            requests: rounds.iter().map(|r| r.ok).sum(),
            errors: rounds.iter().map(|r| r.errors).sum(),
            bytes: rounds.iter().map(|r| r.bytes).sum(),
            requests_per_sec: median(&rates)?,
            mb_per_sec: median(&throughputs)?,
            p50_ms: ms(|r| r.p50),
            p90_ms: ms(|r| r.p90),
            p99_ms: ms(|r| r.p99),
            first_error: rounds.iter().find_map(|r| r.first_error.clone()),
        })
    }
}

/// The nearest-rank percentile `pct` (0 to 100) of `sorted`; `None` when empty.
pub fn percentile(sorted: &[u64], pct: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}

/// `a / b`, or `None` when either is missing or `b` is zero (nothing to compare with).
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a.is_finite() => Some(a / b),
        _ => None,
    }
}

fn per_second(amount: f64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        amount / secs
    } else {
        0.0
    }
}

fn to_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50));
        assert_eq!(percentile(&sorted, 90.0), Some(90));
        assert_eq!(percentile(&sorted, 99.0), Some(99));
        assert_eq!(percentile(&sorted, 100.0), Some(100));
        assert_eq!(percentile(&sorted, 0.0), Some(1));
    }

    #[test]
    fn percentiles_of_few_samples_pick_real_samples() {
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 90.0), Some(3));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn ratios_need_a_positive_denominator() {
        assert_eq!(ratio(Some(3.0), Some(2.0)), Some(1.5));
        assert_eq!(ratio(Some(3.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(2.0)), None);
        assert_eq!(ratio(Some(0.0), Some(2.0)), Some(0.0));
    }

    #[test]
    fn rounds_report_rates_over_wall_time() {
        let round = RoundStats::from_samples(
            vec![3_000_000, 1_000_000, 2_000_000, 4_000_000],
            1,
            8_000_000,
            Duration::from_secs(2),
            Some("boom".into()),
        );
        assert_eq!(round.ok, 4);
        assert_eq!(round.requests_per_sec(), 2.0);
        assert_eq!(round.mb_per_sec(), 4.0);
        assert_eq!(round.p50, Some(Duration::from_millis(2)));
        assert_eq!(round.p99, Some(Duration::from_millis(4)));
    }

    #[test]
    fn summaries_take_medians_and_sum_counts() {
        let round = |ok: u64, secs: u64, err: Option<&str>| {
            let latencies = vec![1_000_000 * secs; ok as usize];
            RoundStats::from_samples(
                latencies,
                1,
                0,
                Duration::from_secs(secs),
                err.map(Into::into),
            )
        };
        let rounds = [
            round(10, 1, None),
            round(30, 1, Some("x")),
            round(40, 2, None),
        ];
        let summary = Summary::from_rounds(&rounds).expect("three rounds");
        assert_eq!(summary.requests, 80);
        assert_eq!(summary.errors, 3);
        assert_eq!(summary.requests_per_sec, 20.0);
        assert_eq!(summary.p50_ms, Some(1.0));
        assert_eq!(summary.first_error.as_deref(), Some("x"));
        assert_eq!(Summary::from_rounds(&[]), None);
    }
}
