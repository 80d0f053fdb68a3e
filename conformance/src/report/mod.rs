//! Reports written after a run: JUnit XML for CI dashboards ([`junit`]) and JSON for
//! tools ([`json`]). The console lines are printed by the suite as checks finish.

mod json;
mod junit;

use std::path::Path;

use crate::suite::Record;

/// Facts about the run that both reports carry.
pub(crate) struct RunInfo<'a> {
    /// Registry URL.
    pub(crate) registry: &'a str,
    /// Repository prefix of this run, `<namespace>/<run id>`.
    pub(crate) prefix: &'a str,
    /// Wall time of the whole run, in seconds.
    pub(crate) seconds: f64,
}

/// Writes the JUnit XML report to `path`.
pub(crate) fn write_junit(
    path: &Path,
    info: &RunInfo<'_>,
    records: &[Record],
) -> Result<(), String> {
    std::fs::write(path, junit::render(info, records))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Writes the JSON report to `path`.
pub(crate) fn write_json(
    path: &Path,
    info: &RunInfo<'_>,
    records: &[Record],
) -> Result<(), String> {
    let text = serde_json::to_string_pretty(&json::render(info, records))
        .map_err(|e| format!("rendering the JSON report: {e}"))?;
    std::fs::write(path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))
}
