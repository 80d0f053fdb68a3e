//! The JSON report: the run's facts, the tally, and every check with its group, the spec
//! sentence it tests, its outcome and reason.

use serde_json::{json, Value};

use super::RunInfo;
use crate::groups::group_of;
use crate::suite::{Outcome, Record, Tally};

/// The report as a JSON value.
pub(super) fn render(info: &RunInfo<'_>, records: &[Record]) -> Value {
    let tally = Tally::of(records);
    let checks: Vec<Value> = records
        .iter()
        .map(|record| {
            let (outcome, reason) = match &record.outcome {
                Outcome::Pass => ("pass", None),
                Outcome::Fail(why) => ("fail", Some(why.as_str())),
                Outcome::Skip(why) => ("skip", Some(why.as_str())),
            };
            json!({
                "id": record.spec.id,
                "group": group_of(record.spec.id),
                "spec": record.spec.says,
                "outcome": outcome,
                "reason": reason,
                "seconds": record.elapsed.as_secs_f64(),
            })
        })
        .collect();
    json!({
        "tool": concat!("cairn-conformance ", env!("CARGO_PKG_VERSION")),
        "registry": info.registry,
        "repositories": format!("{}-*", info.prefix),
        "seconds": info.seconds,
        "summary": { "passed": tally.passed, "failed": tally.failed, "skipped": tally.skipped },
        "checks": checks,
    })
}
