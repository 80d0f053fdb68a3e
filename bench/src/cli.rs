//! The command line, in two stages: raw flags ([`Args`]), then checked [`Settings`].
//!
//! Every default is stated in the flag's help, which is what `--help` shows.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::runner::Budget;
use crate::workload::{self, Workload};

/// Seconds per round that `--vs` aims for when `--rounds` is not given.
const VS_ROUND_SECS: f64 = 3.0;
/// Fewest rounds `--vs` runs by default, so the median has something to choose from.
const VS_MIN_ROUNDS: usize = 3;

/// Benchmark an OCI distribution registry, alone or against another one.
#[derive(Debug, Parser)]
#[command(name = "cairn-bench", version, about, long_about = None)]
pub struct Args {
    /// Base URL of the registry under test, e.g. http://127.0.0.1:5000 (plain http only).
    #[arg(long, required_unless_present = "list")]
    pub url: Option<String>,
    /// A second registry to compare with: rounds alternate between the two and the
    /// report adds ratios (first / second).
    #[arg(long, value_name = "URL2")]
    pub vs: Option<String>,
    /// Operations in flight at once (one worker each); also the connection pool size.
    #[arg(long, short = 'c', value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// Timed seconds per workload and registry (default 10), split into rounds.
    #[arg(long, value_name = "SECS", conflicts_with = "requests")]
    pub duration: Option<f64>,
    /// Operations per workload and registry instead of a duration, split into rounds.
    #[arg(long, value_name = "N")]
    pub requests: Option<u64>,
    /// Rounds per workload and registry; default 1 alone, and with --vs one per 3
    /// seconds of --duration (at least 3; 5 with --requests).
    #[arg(long, value_name = "N")]
    pub rounds: Option<usize>,
    /// Untimed seconds of load per workload and registry before the rounds start.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub warmup: f64,
    /// Comma-separated workloads to run; a name also selects the names that continue it
    /// after a dash (`push` is every push). Default: all; see --list.
    #[arg(long, value_delimiter = ',', value_name = "WORKLOADS")]
    pub only: Vec<String>,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Push nothing to A, B or both (`all`, the default when the flag has no value):
    /// read the existing --repo and --tag there, and skip the workloads that need
    /// content of their own. For the ceiling server or a pre-filled registry.
    #[arg(
        long,
        value_name = "WHICH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all",
        value_parser = ["all", "a", "b", "A", "B"]
    )]
    pub no_setup: Option<String>,
    /// Repository read under --no-setup.
    #[arg(long, default_value = "library/bench")]
    pub repo: String,
    /// Tag read under --no-setup.
    #[arg(long, default_value = "latest")]
    pub tag: String,
    /// Tags pushed for the tags-list workload.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub tags: u64,
    /// Referrers pushed for the referrers workload.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub referrers: u64,
    /// MiB per PATCH in chunked pushes.
    #[arg(long, value_name = "MIB", default_value_t = 4)]
    pub chunk_mib: u64,
    /// Requests in flight while pushing tags and referrers during setup.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub setup_concurrency: usize,
    /// Seconds after which one operation counts as failed.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub timeout: f64,
    /// Runtime worker threads for the load (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the workloads and what each one times, then exit.
    #[arg(long)]
    pub list: bool,
}

/// One registry under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetSpec {
    /// `A` for --url, `B` for --vs.
    pub label: &'static str,
    /// Base URL as given.
    pub url: String,
    /// Whether to push nothing there and read `--repo` and `--tag` instead.
    pub no_setup: bool,
}

/// Validated settings for a run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The registries, `A` first.
    pub targets: Vec<TargetSpec>,
    /// Workers per round.
    pub concurrency: usize,
    /// Work per workload and registry, across all rounds.
    pub budget: Budget,
    /// Rounds per workload and registry.
    pub rounds: usize,
    /// Untimed load before the rounds.
    pub warmup: Duration,
    /// Workloads to run, in order.
    pub workloads: Vec<Workload>,
    /// Where to write JSON results.
    pub json: Option<PathBuf>,
    /// Repository read where setup is off.
    pub repo: String,
    /// Tag read where setup is off.
    pub tag: String,
    /// Tags for tags-list.
    pub tags: u64,
    /// Referrers for referrers.
    pub referrers: u64,
    /// Bytes per PATCH in chunked pushes.
    pub chunk: u64,
    /// Setup concurrency.
    pub setup_concurrency: usize,
    /// Per-operation timeout.
    pub timeout: Duration,
    /// Runtime worker threads.
    pub threads: usize,
}

impl Args {
    /// Checks the flags and settles the defaults that depend on other flags.
    pub fn validate(self) -> Result<Settings, String> {
        let url = self.url.ok_or("--url is required")?;
        let which = self.no_setup.map(|w| w.to_ascii_lowercase());
        let off = |label: &str| matches!(&which, Some(w) if w == "all" || *w == label);
        let mut targets = vec![TargetSpec {
            label: "A",
            url,
            no_setup: off("a"),
        }];
        if let Some(url) = self.vs {
            let no_setup = off("b");
            targets.push(TargetSpec {
                label: "B",
                url,
                no_setup,
            });
        } else if which.as_deref() == Some("b") {
            return Err("--no-setup=b needs --vs".into());
        }
        if self.concurrency == 0 || self.setup_concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        let budget = match (self.requests, self.duration) {
            (Some(0), _) => return Err("--requests must be at least 1".into()),
            (Some(n), _) => Budget::Requests(n),
            (None, secs) => Budget::Duration(seconds("--duration", secs.unwrap_or(10.0))?),
        };
        let rounds = match self.rounds {
            Some(0) => return Err("--rounds must be at least 1".into()),
            Some(n) => n,
            None => default_rounds(targets.len() > 1, budget),
        };
        let warmup = if self.warmup == 0.0 {
            Duration::ZERO
        } else {
            seconds("--warmup", self.warmup)?
        };
        if self.tags == 0 || self.referrers == 0 || self.chunk_mib == 0 {
            return Err("--tags, --referrers and --chunk-mib must be at least 1".into());
        }
        let threads = self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        });

        Ok(Settings {
            targets,
            concurrency: self.concurrency,
            budget,
            rounds,
            warmup,
            workloads: workload::select(&self.only)?,
            json: self.json,
            repo: self.repo,
            tag: self.tag,
            tags: self.tags,
            referrers: self.referrers,
            chunk: self.chunk_mib << 20,
            setup_concurrency: self.setup_concurrency,
            timeout: seconds("--timeout", self.timeout)?,
            threads: threads.max(1),
        })
    }
}

/// Rounds when `--rounds` is not given: one alone; with a second registry, one per
/// [`VS_ROUND_SECS`] of duration, at least [`VS_MIN_ROUNDS`], or 5 for a request count.
pub fn default_rounds(compare: bool, budget: Budget) -> usize {
    match (compare, budget) {
        (false, _) => 1,
        (true, Budget::Requests(_)) => 5,
        (true, Budget::Duration(d)) => {
            let per_round = (d.as_secs_f64() / VS_ROUND_SECS).round() as usize;
            per_round.max(VS_MIN_ROUNDS)
        }
    }
}

fn seconds(flag: &str, secs: f64) -> Result<Duration, String> {
    if secs.is_finite() && secs > 0.0 && secs < 1e9 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(format!("{flag} must be a positive number of seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, String> {
        let argv = std::iter::once("cairn-bench").chain(args.iter().copied());
        Args::try_parse_from(argv)
            .map_err(|e| e.to_string())
            .and_then(Args::validate)
    }

    #[test]
    fn a_single_registry_runs_one_round_of_ten_seconds() -> Result<(), String> {
        let settings = parse(&["--url", "http://127.0.0.1:5000"])?;
        assert_eq!(settings.rounds, 1);
        assert_eq!(settings.budget, Budget::Duration(Duration::from_secs(10)));
        assert_eq!(settings.targets.len(), 1);
        Ok(())
    }

    #[test]
    fn comparisons_split_the_duration_into_rounds_of_about_three_seconds() {
        let d = |secs| Budget::Duration(Duration::from_secs(secs));
        assert_eq!(default_rounds(true, d(30)), 10);
        assert_eq!(default_rounds(true, d(10)), 3);
        assert_eq!(default_rounds(true, d(2)), 3);
        assert_eq!(default_rounds(true, Budget::Requests(100)), 5);
        assert_eq!(default_rounds(false, d(30)), 1);
    }

    #[test]
    fn duration_and_requests_exclude_each_other() {
        let both = ["--url", "http://a:1", "--duration", "3", "--requests", "9"];
        assert!(parse(&both).is_err());
    }

    #[test]
    fn setup_can_be_turned_off_per_target() -> Result<(), String> {
        let no_setup = |args: &[&str]| {
            let base = ["--url", "http://a:1", "--vs", "http://b:2"];
            let all: Vec<&str> = base.iter().chain(args).copied().collect();
            parse(&all).map(|s| s.targets.iter().map(|t| t.no_setup).collect::<Vec<_>>())
        };
        assert_eq!(no_setup(&[])?, vec![false, false]);
        assert_eq!(no_setup(&["--no-setup"])?, vec![true, true]);
        assert_eq!(no_setup(&["--no-setup=B"])?, vec![false, true]);
        assert_eq!(no_setup(&["--no-setup=a", "-c", "2"])?, vec![true, false]);
        assert!(parse(&["--url", "http://a:1", "--no-setup=b"]).is_err());
        Ok(())
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert!(parse(&["--url", "http://a:1", "--concurrency", "0"]).is_err());
        assert!(parse(&["--url", "http://a:1", "--duration", "-1"]).is_err());
        assert!(parse(&["--url", "http://a:1", "--only", "nope"]).is_err());
    }
}
