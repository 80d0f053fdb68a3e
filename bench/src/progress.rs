//! Progress on stderr for long setups and rounds, so a 10,000-tag push or a minute of
//! load does not look like a hang.
//!
//! On a terminal one line is redrawn every second; otherwise (a log file, CI) a line is
//! printed every five seconds. Results go to stdout, so stderr can be dropped freely.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

/// A counter of finished items with a ticker printing it; [`Progress::finish`] ends it.
pub struct Progress {
    /// What is being counted, e.g. `A tags-list: tags pushed`.
    label: String,
    /// Items expected in all, when known (a timed round has no fixed count).
    total: Option<u64>,
    /// Items finished so far, shared with the workers.
    done: Arc<AtomicU64>,
    /// When counting started.
    started: Instant,
    /// The task printing the counter.
    ticker: JoinHandle<()>,
}

impl Progress {
    /// Starts counting towards `total` and printing; needs a tokio runtime.
    pub fn start(label: String, total: Option<u64>) -> Self {
        let done = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let tty = std::io::stderr().is_terminal();
        let period = Duration::from_secs(if tty { 1 } else { 5 });

        let (ticker_label, ticker_done) = (label.clone(), done.clone());
        let ticker = tokio::spawn(async move {
            let mut interval = tokio::time::interval(period);
            interval.tick().await;
            loop {
                interval.tick().await;
                let n = ticker_done.load(Ordering::Relaxed);
                let line = progress_line(&ticker_label, n, total, started.elapsed());
                let mut err = std::io::stderr().lock();
                // Progress is best effort: a closed stderr must not stop the benchmark.
                let _ = if tty {
                    write!(err, "\r\x1b[K{line}")
                } else {
                    writeln!(err, "{line}")
                };
                let _ = err.flush();
            }
        });
        Self {
            label,
            total,
            done,
            started,
            ticker,
        }
    }

    /// The shared counter to increment as items finish.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.done.clone()
    }

    /// Stops the ticker and clears its line, for callers that print their own summary.
    pub fn cancel(self) {
        self.ticker.abort();
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[K");
        }
    }

    /// Stops the ticker and prints the final count and time.
    pub fn finish(self) {
        self.ticker.abort();
        let n = self.done.load(Ordering::Relaxed);
        let line = progress_line(&self.label, n, self.total, self.started.elapsed());
        if std::io::stderr().is_terminal() {
            eprintln!("\r\x1b[K{line}");
        } else {
            eprintln!("{line}");
        }
    }
}

/// `label: done/total (pct%) in secs, rate/s`, or `label: done in secs, rate/s` when
/// the total is unknown.
pub fn progress_line(label: &str, done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let Some(total) = total else {
        return format!("{label}: {done} in {secs:.1}s, {rate:.0}/s");
    };
    let pct = if total == 0 {
        100.0
    } else {
        done as f64 * 100.0 / total as f64
    };
    format!("{label}: {done}/{total} ({pct:.0}%) in {secs:.1}s, {rate:.0}/s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_show_count_share_and_rate() {
        let line = progress_line("A tags", 2500, Some(10_000), Duration::from_secs(2));
        assert_eq!(line, "A tags: 2500/10000 (25%) in 2.0s, 1250/s");
    }

    #[test]
    fn nothing_to_do_counts_as_complete() {
        let line = progress_line("x", 0, Some(0), Duration::ZERO);
        assert_eq!(line, "x: 0/0 (100%) in 0.0s, 0/s");
    }

    #[test]
    fn open_ended_counts_show_no_share() {
        let line = progress_line("A ping", 300, None, Duration::from_secs(3));
        assert_eq!(line, "A ping: 300 in 3.0s, 100/s");
    }
}
