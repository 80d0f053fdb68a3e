//! One timed round: `concurrency` workers running a plan until the budget is spent.
//!
//! Each worker is a task on the multi-threaded runtime that loops: take a slot from the
//! budget, run one operation under the per-operation timeout, record its latency in its
//! own buffer. Buffers are merged once at the end, so workers share nothing hot but
//! the budget counter and the plan's sequence counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::HttpClient;
use crate::error::BenchError;
use crate::plan::Plan;
use crate::stats::RoundStats;

/// How much work one registry gets for one workload: a wall time or an operation count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Budget {
    /// Workers start operations until this much time has passed.
    Duration(Duration),
    /// Workers run this many operations in all.
    Requests(u64),
}

impl Budget {
    /// This budget divided into `rounds` equal rounds (at least one operation each).
    pub fn split(self, rounds: usize) -> Self {
        let rounds = rounds.max(1);
        match self {
            Self::Duration(total) => Self::Duration(total / rounds as u32),
            Self::Requests(total) => Self::Requests(total.div_ceil(rounds as u64).max(1)),
        }
    }
}

/// A plan with the counter that numbers its operations across rounds.
pub struct Prepared {
    /// What each operation does.
    pub plan: Plan,
    /// The next operation's number.
    next_seq: AtomicU64,
}

impl Prepared {
    /// Wraps `plan`, numbering from zero.
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            next_seq: AtomicU64::new(0),
        }
    }
}

/// The shared state of a budget while a round runs.
enum Remaining {
    Until(Instant),
    Count(AtomicU64),
}

impl Remaining {
    /// Takes the right to start one more operation.
    fn take(&self) -> bool {
        match self {
            Self::Until(deadline) => Instant::now() < *deadline,
            Self::Count(left) => left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok(),
        }
    }
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    latencies_ns: Vec<u64>,
    errors: u64,
    bytes: u64,
    first_error: Option<String>,
}

/// How hard and how long one round pushes.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Workers, each with one operation in flight.
    pub concurrency: usize,
    /// When the round ends.
    pub budget: Budget,
    /// Time after which one operation counts as failed.
    pub timeout: Duration,
}

/// Runs one round of `prepared` on `client` and measures it; `done` counts finished
/// operations as they happen, for progress lines.
pub async fn run_round(
    client: &HttpClient,
    prepared: &Arc<Prepared>,
    load: Load,
    done: &Arc<AtomicU64>,
) -> RoundStats {
    let (concurrency, timeout) = (load.concurrency, load.timeout);
    let started = Instant::now();
    let remaining = Arc::new(match load.budget {
        Budget::Duration(d) => Remaining::Until(started + d),
        Budget::Requests(n) => Remaining::Count(AtomicU64::new(n)),
    });

    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (client, prepared) = (client.clone(), prepared.clone());
        let (remaining, done) = (remaining.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            work(&client, &prepared, &remaining, timeout, &done).await
        }));
    }

    let mut total = Tally::default();
    for worker in workers {
        let tally = worker.await.unwrap_or_else(|e| Tally {
            errors: 1,
            first_error: Some(format!("worker died: {e}")),
            ..Tally::default()
        });
        total.latencies_ns.extend(tally.latencies_ns);
        total.errors += tally.errors;
        total.bytes += tally.bytes;
        total.first_error = total.first_error.or(tally.first_error);
    }
    let elapsed = started.elapsed();
    RoundStats::from_samples(
        total.latencies_ns,
        total.errors,
        total.bytes,
        elapsed,
        total.first_error,
    )
}

/// One worker's loop.
async fn work(
    client: &HttpClient,
    prepared: &Prepared,
    remaining: &Remaining,
    timeout: Duration,
    done: &AtomicU64,
) -> Tally {
    let mut tally = Tally::default();
    while remaining.take() {
        let seq = prepared.next_seq.fetch_add(1, Ordering::Relaxed);
        let start = Instant::now();
        let outcome = tokio::time::timeout(timeout, prepared.plan.run_once(client, seq)).await;
        let latency = start.elapsed();
        done.fetch_add(1, Ordering::Relaxed);

        match outcome.unwrap_or(Err(BenchError::Timeout(timeout))) {
            Ok(bytes) => {
                tally.latencies_ns.push(latency.as_nanos() as u64);
                tally.bytes += bytes;
            }
            Err(error) => {
                tally.errors += 1;
                if tally.first_error.is_none() {
                    tally.first_error = Some(error.to_string());
                }
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_split_evenly_into_rounds() {
        let secs = Budget::Duration(Duration::from_secs(9)).split(3);
        assert_eq!(secs, Budget::Duration(Duration::from_secs(3)));
        assert_eq!(Budget::Requests(10).split(3), Budget::Requests(4));
        assert_eq!(Budget::Requests(1).split(5), Budget::Requests(1));
        assert_eq!(Budget::Requests(6).split(0), Budget::Requests(6));
    }

    #[test]
    fn a_count_budget_hands_out_exactly_its_count() {
        let remaining = Remaining::Count(AtomicU64::new(3));
        let taken = (0..10).filter(|_| remaining.take()).count();
        assert_eq!(taken, 3);
    }
}
