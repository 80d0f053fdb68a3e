//! Results as a table for people (stdout) and as JSON for machines (`--json`).
//!
//! One row per workload and registry; with two registries, a second table of ratios
//! A/B per workload. The JSON carries the same rows plus the settings of the run.

use serde::Serialize;

use crate::cli::Settings;
use crate::runner::Budget;
use crate::stats::{ratio, Summary};

/// Longest note (error message) shown in the table; the JSON keeps it whole.
const NOTE_WIDTH: usize = 70;

/// What happened to a workload on a registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It ran; the numbers are in the summary (which may still count errors).
    Measured,
    /// Its setup failed, so it was not timed.
    SetupFailed,
    /// It could not run with these settings (`--no-setup`).
    Skipped,
}

/// One workload on one registry.
#[derive(Clone, Debug, Serialize)]
pub struct ResultRow {
    /// Workload name.
    pub workload: String,
    /// `A` or `B`.
    pub target: &'static str,
    /// The registry's base URL.
    pub url: String,
    /// Whether it was measured.
    pub status: Status,
    /// Why it was not measured (errors of measured runs are in the summary).
    pub note: Option<String>,
    /// The numbers, when measured.
    #[serde(flatten)]
    pub summary: Option<Summary>,
}

/// Ratios A/B for one workload measured on both registries.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RatioRow {
    /// Workload name.
    pub workload: String,
    /// Requests per second, A/B: above 1 means A is faster.
    pub requests_per_sec: Option<f64>,
    /// MB/s, A/B: above 1 means A moves more.
    pub mb_per_sec: Option<f64>,
    /// Median latency, A/B: below 1 means A answers sooner.
    pub p50: Option<f64>,
    /// 99th percentile latency, A/B: below 1 means A answers sooner.
    pub p99: Option<f64>,
}

/// The JSON document written by `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Always `cairn-bench`.
    pub tool: &'static str,
    /// Version of the tool.
    pub version: &'static str,
    /// The settings that shape the numbers.
    pub settings: serde_json::Value,
    /// One row per workload and registry.
    pub results: Vec<ResultRow>,
    /// Ratios A/B, with `--vs`.
    pub ratios: Vec<RatioRow>,
}

impl Report {
    /// The document for a run with `settings` that gave `results`.
    pub fn new(settings: &Settings, results: Vec<ResultRow>) -> Self {
        let budget = match settings.budget {
            Budget::Duration(d) => serde_json::json!({"duration_secs": d.as_secs_f64()}),
            Budget::Requests(n) => serde_json::json!({"requests": n}),
        };
        let targets: Vec<_> = settings
            .targets
            .iter()
            .map(|t| serde_json::json!({"label": t.label, "url": t.url, "no_setup": t.no_setup}))
            .collect();
        let settings = serde_json::json!({
            "targets": targets,
            "concurrency": settings.concurrency,
            "budget_per_workload_and_target": budget,
            "rounds": settings.rounds,
            "warmup_secs": settings.warmup.as_secs_f64(),
            "threads": settings.threads,
            "tags": settings.tags,
            "referrers": settings.referrers,
            "chunk_bytes": settings.chunk,
        });
        Self {
            tool: "cairn-bench",
            version: env!("CARGO_PKG_VERSION"),
            settings,
            ratios: ratios(&results),
            results,
        }
    }
}

/// Ratios A/B for every workload measured on both `A` and `B`.
pub fn ratios(rows: &[ResultRow]) -> Vec<RatioRow> {
    let measured = |workload: &str, target: &str| {
        rows.iter()
            .find(|r| r.workload == workload && r.target == target)
            .and_then(|r| r.summary.as_ref())
    };
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.target == "A") {
        let (Some(a), Some(b)) = (measured(&row.workload, "A"), measured(&row.workload, "B"))
        else {
            continue;
        };
        out.push(RatioRow {
            workload: row.workload.clone(),
            requests_per_sec: ratio(Some(a.requests_per_sec), Some(b.requests_per_sec)),
            mb_per_sec: ratio(Some(a.mb_per_sec), Some(b.mb_per_sec)),
            p50: ratio(a.p50_ms, b.p50_ms),
            p99: ratio(a.p99_ms, b.p99_ms),
        });
    }
    out
}

/// The results table; the target column appears only when two registries were run.
pub fn results_table(rows: &[ResultRow]) -> String {
    let compare = rows.iter().any(|r| r.target == "B");
    let mut headers = vec!["workload"];
    if compare {
        headers.push("target");
    }
    headers.extend([
        "req/s", "MB/s", "p50 ms", "p90 ms", "p99 ms", "errors", "note",
    ]);

    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut line = vec![row.workload.clone()];
            if compare {
                line.push(row.target.to_owned());
            }
            line.extend(match &row.summary {
                Some(s) => [
                    format_rate(s.requests_per_sec),
                    format!("{:.1}", s.mb_per_sec),
                    format_ms(s.p50_ms),
                    format_ms(s.p90_ms),
                    format_ms(s.p99_ms),
                    s.errors.to_string(),
                ],
                None => ["-", "-", "-", "-", "-", "-"].map(String::from),
            });
            let first_error = row.summary.as_ref().and_then(|s| s.first_error.as_deref());
            let note = row.note.as_deref().or(first_error).unwrap_or("");
            line.push(shorten(note, NOTE_WIDTH));
            line
        })
        .collect();
    let text_columns = if compare { 2 } else { 1 };
    render(&headers, &lines, text_columns)
}

/// The ratios table with a legend naming A and B.
pub fn ratios_table(ratios: &[RatioRow], url_a: &str, url_b: &str) -> String {
    let headers = ["workload", "req/s A/B", "MB/s A/B", "p50 A/B", "p99 A/B"];
    let lines: Vec<Vec<String>> = ratios
        .iter()
        .map(|r| {
            let cells = [r.requests_per_sec, r.mb_per_sec, r.p50, r.p99].map(format_ratio);
            std::iter::once(r.workload.clone()).chain(cells).collect()
        })
        .collect();
    let mut text = render(&headers, &lines, 1);
    text.push_str(&format!(
        "A = {url_a}, B = {url_b}. Above 1 for req/s and MB/s, \
         or below 1 for latency, means A is faster.\n"
    ));
    text
}

/// Aligns `rows` under `headers`: the first `text_columns` to the left, the rest (numbers)
/// to the right, except a last column called `note`, which is left free.
pub fn render(headers: &[&str], rows: &[Vec<String>], text_columns: usize) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let free_last = headers.last() == Some(&"note");
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            if free_last && i + 1 == headers.len() {
                out.push_str(cell);
            } else if i < text_columns {
                out.push_str(&format!("{cell:<width$}"));
            } else {
                out.push_str(&format!("{cell:>width$}"));
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };

    let mut text = line(headers.to_vec());
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    text.push_str(&line(dashes.iter().map(String::as_str).collect()));
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Requests per second: whole numbers from 1,000 up, one decimal below.
pub fn format_rate(value: f64) -> String {
    if value >= 1000.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Milliseconds with about three significant digits; `-` when unknown.
pub fn format_ms(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(ms) if ms < 1.0 => format!("{ms:.3}"),
        Some(ms) if ms < 100.0 => format!("{ms:.2}"),
        Some(ms) => format!("{ms:.0}"),
    }
}

/// A ratio with two decimals; `-` when there is nothing to compare.
pub fn format_ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |r| format!("{r:.2}"))
}

/// `text` cut to `max` characters by dropping its middle, where long error messages
/// carry repository names and digests, while their start and end say what failed.
fn shorten(text: &str, max: usize) -> String {
    let len = text.chars().count();
    if len <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(3);
    let head: String = text.chars().take(keep / 2).collect();
    let tail: String = text.chars().skip(len - (keep - keep / 2)).collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(rps: f64, p50: f64) -> Summary {
        Summary {
            rounds: 1,
            requests: 10,
            errors: 0,
            bytes: 0,
            requests_per_sec: rps,
            mb_per_sec: 0.0,
            p50_ms: Some(p50),
            p90_ms: Some(p50),
            p99_ms: Some(p50),
            first_error: None,
        }
    }

    fn row(workload: &str, target: &'static str, summary: Option<Summary>) -> ResultRow {
        ResultRow {
            workload: workload.into(),
            target,
            url: format!("http://{target}"),
            status: if summary.is_some() {
                Status::Measured
            } else {
                Status::SetupFailed
            },
            note: summary.is_none().then(|| "setup failed".to_string()),
            summary,
        }
    }

    #[test]
    fn tables_align_text_left_and_numbers_right() {
        let rows = vec![
            vec!["ping".into(), "12.5".into()],
            vec!["tags-list".into(), "3".into()],
        ];
        let table = render(&["workload", "req/s"], &rows, 1);
        let expected = "\
workload   req/s
---------  -----
ping        12.5
tags-list      3
";
        assert_eq!(table, expected);
    }

    #[test]
    fn a_note_column_is_not_padded() {
        let rows = vec![vec!["a".into(), "1".into(), "".into()]];
        let table = render(&["w", "n", "note"], &rows, 1);
        assert_eq!(table, "w  n  note\n-  -  ----\na  1\n");
    }

    #[test]
    fn ratios_pair_a_with_b_and_skip_unmeasured_workloads() {
        let rows = [
            row("ping", "A", Some(summary(300.0, 1.0))),
            row("ping", "B", Some(summary(100.0, 2.0))),
            row("referrers", "A", Some(summary(50.0, 1.0))),
            row("referrers", "B", None),
        ];
        let ratios = ratios(&rows);
        assert_eq!(ratios.len(), 1);
        assert_eq!(ratios[0].requests_per_sec, Some(3.0));
        assert_eq!(ratios[0].p50, Some(0.5));
        assert_eq!(ratios[0].mb_per_sec, None);
    }

    #[test]
    fn results_tables_show_the_target_only_when_comparing() {
        let alone = results_table(&[row("ping", "A", Some(summary(1500.0, 0.25)))]);
        assert!(alone.starts_with("workload  req/s  MB/s"));
        assert!(alone.contains("ping       1500   0.0   0.250"));

        let pair = results_table(&[row("ping", "A", None), row("ping", "B", None)]);
        assert!(pair.starts_with("workload  target"));
        assert!(pair.contains("setup failed"));
    }

    #[test]
    fn numbers_keep_about_three_significant_digits() {
        assert_eq!(format_ms(Some(0.1234)), "0.123");
        assert_eq!(format_ms(Some(12.346)), "12.35");
        assert_eq!(format_ms(Some(1234.4)), "1234");
        assert_eq!(format_ms(None), "-");
        assert_eq!(format_rate(999.94), "999.9");
        assert_eq!(format_rate(12345.6), "12346");
        assert_eq!(format_ratio(Some(1.0 / 3.0)), "0.33");
    }

    #[test]
    fn long_notes_are_shortened() {
        assert_eq!(shorten("abcdefghij", 7), "ab...ij");
        assert_eq!(shorten("abc", 6), "abc");
    }
}
