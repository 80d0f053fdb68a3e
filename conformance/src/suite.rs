//! The check runner: what a check is, how its outcome is recorded and printed, and how a
//! check that needs an earlier one is skipped when that one did not pass.
//!
//! Groups own the HTTP conversations; this module owns only bookkeeping. Each outcome is
//! printed the moment it is known (`PASS id`, `FAIL id: reason`, `SKIP id: why`), so a
//! hanging registry shows where it hangs.

use std::future::Future;
use std::io::Write as _;
use std::time::{Duration, Instant};

use crate::client::Client;

/// One requirement of a specification, as the runner reports it.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Stable identifier, `group.topic[.case]`; reports and CI filters key on it.
    pub(crate) id: &'static str,
    /// The sentence of the specification the check tests, quoted or closely paraphrased.
    pub(crate) says: &'static str,
}

/// Why a check did not pass.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The registry broke the requirement; the text says how.
    Fail(String),
    /// The requirement could not be tested, or the registry used a freedom (MAY) it has.
    Skip(String),
}

/// The result of a check body: a value for later checks, or why it did not pass.
pub(crate) type Checked<T> = Result<T, Verdict>;

/// Ends the check as failed with a formatted reason.
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::suite::Verdict::Fail(format!($($arg)*)))
    };
}

/// Ends the check as skipped with a formatted reason.
macro_rules! skip {
    ($($arg:tt)*) => {
        return Err($crate::suite::Verdict::Skip(format!($($arg)*)))
    };
}

/// Fails the check with a formatted reason unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::suite::fail!($($arg)*);
        }
    };
}

pub(crate) use {ensure, fail, skip};

/// What became of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The registry met the requirement.
    Pass,
    /// The registry broke the requirement.
    Fail(String),
    /// The check did not run to a verdict.
    Skip(String),
}

/// One check's outcome with its requirement and how long it took.
#[derive(Debug)]
pub(crate) struct Record {
    /// The requirement checked.
    pub(crate) spec: &'static Spec,
    /// What became of it.
    pub(crate) outcome: Outcome,
    /// Wall time of the check body.
    pub(crate) elapsed: Duration,
}

/// Shared state of one run: the HTTP client, repository naming and the outcomes so far.
pub(crate) struct Suite {
    /// Client for the registry under test.
    pub(crate) client: Client,
    /// Repository namespace given by the user.
    namespace: String,
    /// Random token that makes this run's repository names unique.
    run_id: String,
    /// Outcomes in the order the checks ran.
    records: Vec<Record>,
}

impl Suite {
    /// Starts a run against `client`, naming repositories under `namespace`.
    pub(crate) fn new(client: Client, namespace: String, run_id: String) -> Self {
        Self {
            client,
            namespace,
            run_id,
            records: Vec::new(),
        }
    }

    /// The repository this run uses for `label`: `<namespace>/<run id>-<label>`.
    ///
    /// The run id makes names unique, so runs can repeat against the same registry.
    pub(crate) fn repo(&self, label: &str) -> String {
        format!("{}/{}-{}", self.namespace, self.run_id, label)
    }

    /// Runs one check body and records its outcome; yields its value when it passed.
    pub(crate) async fn run<T>(
        &mut self,
        spec: &'static Spec,
        body: impl Future<Output = Checked<T>>,
    ) -> Option<T> {
        let started = Instant::now();
        let result = body.await;
        let elapsed = started.elapsed();

        match result {
            Ok(value) => {
                self.record(spec, Outcome::Pass, elapsed);
                Some(value)
            }
            Err(Verdict::Fail(why)) => {
                self.record(spec, Outcome::Fail(why), elapsed);
                None
            }
            Err(Verdict::Skip(why)) => {
                self.record(spec, Outcome::Skip(why), elapsed);
                None
            }
        }
    }

    /// Records `spec` as skipped for a reason known before it ran.
    pub(crate) fn skip(&mut self, spec: &'static Spec, why: impl Into<String>) {
        self.record(spec, Outcome::Skip(why.into()), Duration::ZERO);
    }

    /// Lets `spec` run only when the value produced by `needs` is there.
    ///
    /// Otherwise `spec` is recorded as skipped, naming the check it depends on and what
    /// became of it.
    pub(crate) fn gate<'v, T>(
        &mut self,
        spec: &'static Spec,
        needs: &'static Spec,
        value: Option<&'v T>,
    ) -> Option<&'v T> {
        if value.is_some() {
            return value;
        }
        let fate = match self.outcome_of(needs) {
            Some(Outcome::Fail(_)) => "failed",
            Some(Outcome::Skip(_)) => "was skipped",
            Some(Outcome::Pass) => "passed without the needed result",
            None => "did not run",
        };
        self.skip(spec, format!("needs {}, which {fate}", needs.id));
        None
    }

    /// Records every one of `specs` as skipped because `needs` did not pass.
    pub(crate) fn skip_all(&mut self, specs: &[&'static Spec], needs: &'static Spec) {
        for spec in specs {
            self.gate::<()>(spec, needs, None);
        }
    }

    /// Outcomes recorded so far, in order.
    pub(crate) fn records(&self) -> &[Record] {
        &self.records
    }

    /// The recorded outcome of `spec`, if it ran.
    fn outcome_of(&self, spec: &Spec) -> Option<&Outcome> {
        self.records
            .iter()
            .rev()
            .find(|r| r.spec.id == spec.id)
            .map(|r| &r.outcome)
    }

    /// Stores an outcome and prints its line at once.
    fn record(&mut self, spec: &'static Spec, outcome: Outcome, elapsed: Duration) {
        say(&line(spec.id, &outcome));
        self.records.push(Record {
            spec,
            outcome,
            elapsed,
        });
    }
}

/// Prints one line to standard output; a closed pipe (`| head`) is not an error.
pub(crate) fn say(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// The one-line form of an outcome; reasons are folded onto one line.
pub(crate) fn line(id: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Pass => format!("PASS {id}"),
        Outcome::Fail(why) => format!("FAIL {id}: {}", one_line(why)),
        Outcome::Skip(why) => format!("SKIP {id}: {}", one_line(why)),
    }
}

/// Collapses whitespace runs, newlines included, into single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Counts of passed, failed and skipped checks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Checks that passed.
    pub(crate) passed: usize,
    /// Checks that failed.
    pub(crate) failed: usize,
    /// Checks that were skipped.
    pub(crate) skipped: usize,
}

impl Tally {
    /// Counts the outcomes of `records`.
    pub(crate) fn of(records: &[Record]) -> Self {
        let mut tally = Self::default();
        for record in records {
            match record.outcome {
                Outcome::Pass => tally.passed += 1,
                Outcome::Fail(_) => tally.failed += 1,
                Outcome::Skip(_) => tally.skipped += 1,
            }
        }
        tally
    }

    /// The summary line printed last: `N passed, N failed, N skipped`.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_printed_on_one_line() {
        let outcome = Outcome::Fail("first\n  second".to_owned());
        assert_eq!(line("push.x", &outcome), "FAIL push.x: first second");
    }

    #[test]
    fn summary_has_the_exact_shape() {
        let tally = Tally {
            passed: 3,
            failed: 1,
            skipped: 2,
        };
        assert_eq!(tally.summary(), "3 passed, 1 failed, 2 skipped");
    }
}
