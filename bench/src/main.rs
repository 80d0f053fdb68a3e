//! `cairn-bench`: benchmarks one OCI registry, or two side by side with `--vs`.
//!
//! Wiring only: flags to settings, a multi-threaded runtime, the run, then the tables
//! on stdout and the JSON file. Everything else is in the library; see its crate docs.

use std::process::ExitCode;

use cairn_bench::cli::Args;
use cairn_bench::report::{ratios_table, results_table, Report};
use cairn_bench::{driver, workload};
use clap::Parser;

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        for w in workload::ALL {
            println!("{:<20}  {}", w.name(), w.describe());
        }
        return ExitCode::SUCCESS;
    }
    let settings = match args.validate() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("cairn-bench: {message}");
            return ExitCode::from(2);
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.threads)
        .enable_all()
        .build();
    let rows = match runtime.map(|rt| rt.block_on(driver::run(&settings))) {
        Ok(Ok(rows)) => rows,
        Ok(Err(error)) => {
            eprintln!("cairn-bench: {error}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("cairn-bench: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };

    let report = Report::new(&settings, rows);
    println!();
    print!("{}", results_table(&report.results));
    if let [a, b] = settings.targets.as_slice() {
        println!();
        print!("{}", ratios_table(&report.ratios, &a.url, &b.url));
    }
    if let Some(path) = &settings.json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(path, json));
        if let Err(error) = written {
            eprintln!("cairn-bench: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
