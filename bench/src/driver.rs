//! The run: for each workload, setup on every target, warm-up, then alternating rounds.
//!
//! With two registries the rounds go A B, B A, A B, ... so that slow drifts of the
//! machine (another build, thermal limits, caches filling) fall on both sides alike, and
//! each side's numbers are medians over its rounds. Setup and progress are reported on
//! stderr as they happen; the rows come back for [`crate::report`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::Method;

use crate::cli::{Settings, TargetSpec};
use crate::client::HttpClient;
use crate::content::splitmix64;
use crate::error::BenchError;
use crate::progress::Progress;
use crate::registry::fetch;
use crate::report::{format_ms, format_rate, ResultRow, Status};
use crate::runner::{run_round, Budget, Load, Prepared};
use crate::setup::{prepare, SetupContext};
use crate::stats::{RoundStats, Summary};
use crate::workload::Workload;

/// A registry under test with its client.
pub struct Target {
    /// Label and URL.
    pub spec: TargetSpec,
    /// Pooled client for it.
    pub client: HttpClient,
}

/// Why a workload did not run on a target.
type NotRun = (Status, String);

/// Runs every selected workload on every target; returns one row per pair.
pub async fn run(settings: &Settings) -> Result<Vec<ResultRow>, BenchError> {
    let targets = connect(settings).await?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let prefix = format!("cairn-bench/r{nanos:x}");
    eprintln!("repositories of this run: {prefix}/<workload>");

    let mut rows = Vec::new();
    for (index, workload) in settings.workloads.iter().enumerate() {
        let mut seed = nanos ^ ((index as u64) << 32);
        let seed = splitmix64(&mut seed);
        rows.extend(run_workload(*workload, &targets, &prefix, seed, settings).await);
    }
    Ok(rows)
}

/// Builds the clients and checks that each registry answers HTTP at `/v2/`.
async fn connect(settings: &Settings) -> Result<Vec<Target>, BenchError> {
    let mut targets = Vec::new();
    for spec in &settings.targets {
        let pool = settings.concurrency.max(settings.setup_concurrency);
        let client = HttpClient::new(&spec.url, pool)?;
        match fetch(&client, &Method::GET, &client.uri("/v2/")?, None, false).await {
            Ok(_) => {}
            Err(BenchError::Status { status, .. }) => {
                eprintln!(
                    "{} {}: GET /v2/ answered {status}; continuing",
                    spec.label, spec.url
                )
            }
            Err(error) => return Err(error),
        }
        targets.push(Target {
            spec: spec.clone(),
            client,
        });
    }
    Ok(targets)
}

/// Sets up, warms up and times one workload on every target.
async fn run_workload(
    workload: Workload,
    targets: &[Target],
    prefix: &str,
    seed: u64,
    settings: &Settings,
) -> Vec<ResultRow> {
    let mut prepared: Vec<Result<Arc<Prepared>, NotRun>> = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        prepared.push(set_up(workload, target, prefix, seed ^ index as u64, settings).await);
    }

    let load = |budget| Load {
        concurrency: settings.concurrency,
        budget,
        timeout: settings.timeout,
    };
    if !settings.warmup.is_zero() {
        for (target, plan) in targets.iter().zip(&prepared) {
            if let Ok(plan) = plan {
                let label = format!("{} {workload} warm-up", target.spec.label);
                let warmup = load(Budget::Duration(settings.warmup));
                timed_round(target, plan, warmup, label).await;
            }
        }
    }

    let budget = settings.budget.split(settings.rounds);
    let mut rounds: Vec<Vec<RoundStats>> = vec![Vec::new(); targets.len()];
    for round in 0..settings.rounds {
        for index in round_order(round, targets.len()) {
            let (target, Ok(plan)) = (&targets[index], &prepared[index]) else {
                continue;
            };
            let label = format!(
                "{} {workload} round {}/{}",
                target.spec.label,
                round + 1,
                settings.rounds
            );
            let stats = timed_round(target, plan, load(budget), label.clone()).await;
            eprintln!(
                "{label}: {} req/s, p50 {} ms, {} errors",
                format_rate(stats.requests_per_sec()),
                format_ms(stats.p50.map(|d| d.as_secs_f64() * 1000.0)),
                stats.errors,
            );
            rounds[index].push(stats);
        }
    }

    let outcomes = prepared.into_iter().zip(rounds);
    let rows = targets
        .iter()
        .zip(outcomes)
        .map(|(target, (plan, rounds))| {
            let (status, note, summary) = match plan {
                Err((status, why)) => (status, Some(why), None),
                Ok(_) => (Status::Measured, None, Summary::from_rounds(&rounds)),
            };
            ResultRow {
                workload: workload.name(),
                target: target.spec.label,
                url: target.spec.url.clone(),
                status,
                note,
                summary,
            }
        });
    rows.collect()
}

/// One round with a progress line while it runs (useful for long rounds).
async fn timed_round(
    target: &Target,
    plan: &Arc<Prepared>,
    load: Load,
    label: String,
) -> RoundStats {
    let total = match load.budget {
        Budget::Requests(n) => Some(n),
        Budget::Duration(_) => None,
    };
    let progress = Progress::start(label, total);
    let stats = run_round(&target.client, plan, load, &progress.counter()).await;
    progress.cancel();
    stats
}

/// Runs the setup of `workload` on one target, or says why it cannot run.
async fn set_up(
    workload: Workload,
    target: &Target,
    prefix: &str,
    seed: u64,
    settings: &Settings,
) -> Result<Arc<Prepared>, NotRun> {
    let label = format!("{} {workload}", target.spec.label);
    if target.spec.no_setup && workload.needs_own_content() {
        eprintln!("{label}: skipped, it needs content of its own and --no-setup is set");
        let why = "needs its own content; not run with --no-setup";
        return Err((Status::Skipped, why.into()));
    }

    eprintln!("{label}: setup");
    let cx = SetupContext {
        client: &target.client,
        label: label.clone(),
        repo_prefix: prefix,
        seed,
        no_setup: target.spec.no_setup,
        settings,
    };
    match prepare(workload, &cx).await {
        Ok(plan) => Ok(Arc::new(Prepared::new(plan))),
        Err(error) => {
            eprintln!("{label}: setup failed: {error}");
            Err((Status::SetupFailed, format!("setup failed: {error}")))
        }
    }
}

/// The order of targets in round `round`: forward in even rounds, backward in odd ones.
pub fn round_order(round: usize, targets: usize) -> Vec<usize> {
    if round.is_multiple_of(2) {
        (0..targets).collect()
    } else {
        (0..targets).rev().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_alternate_which_target_goes_first() {
        let order: Vec<Vec<usize>> = (0..4).map(|r| round_order(r, 2)).collect();
        assert_eq!(order, vec![vec![0, 1], vec![1, 0], vec![0, 1], vec![1, 0]]);
        assert_eq!(round_order(1, 1), vec![0]);
    }
}
