//! `cairn-conformance`: checks any OCI registry, over HTTP only, against the
//! distribution-spec v1.1 workflows, the referrers API and the legacy ORAS artifact API.
//!
//! It shares no code with the cairn server, so a misreading of the spec cannot hide in
//! both. Map of the crate:
//!
//! - [`cli`]: flags and `OCI_*` environment variables, validated into settings;
//! - [`client`]: HTTP calls, `Location` resolution, Basic and Bearer token login;
//! - [`suite`]: what a check is, outcomes, skipping checks whose prerequisite failed;
//! - [`groups`]: the checks, one module per group (pull, push, manifests, discovery,
//!   management, referrers, oras, errors);
//! - [`protocol`], [`fixtures`], [`steps`], [`digest`]: wire formats, test content,
//!   common request sequences and digests the groups share;
//! - [`report`]: JUnit XML and JSON reports.
//!
//! Output: one line per check (`PASS id`, `FAIL id: reason`, `SKIP id: why`), then the
//! line `N passed, N failed, N skipped`. Exit status 1 when a check failed, 2 when the
//! run could not start or a report could not be written.
//!
//! Deliberate readings of the spec: a MAY the registry does not take is a skip, never a
//! failure; a broken SHOULD is a failure whose reason says "(SHOULD)"; a 4xx body that is
//! not JSON is allowed, so its error code is then not checked.

mod cli;
mod client;
mod digest;
mod fixtures;
mod groups;
mod protocol;
mod report;
mod steps;
mod suite;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use cli::{Args, Settings};
use client::Client;
use groups::Group;
use report::RunInfo;
use suite::{Suite, Tally};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        print_catalogue();
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_args(args) {
        Ok(settings) => settings,
        Err(why) => {
            eprintln!("cairn-conformance: {why}");
            return ExitCode::from(2);
        }
    };
    let client = match Client::new(
        &settings.url,
        settings.credentials.clone(),
        settings.timeout,
    ) {
        Ok(client) => client,
        Err(why) => {
            eprintln!("cairn-conformance: {why}");
            return ExitCode::from(2);
        }
    };

    let run_id: String = fixtures::token().chars().take(8).collect();
    let prefix = format!("{}/{run_id}", settings.namespace);
    eprintln!(
        "cairn-conformance: {} (repositories {prefix}-*)",
        settings.url
    );

    let started = Instant::now();
    let mut suite = Suite::new(client, settings.namespace.clone(), run_id);
    for group in &settings.groups {
        group.run(&mut suite).await;
    }

    let info = RunInfo {
        registry: &settings.url,
        prefix: &prefix,
        seconds: started.elapsed().as_secs_f64(),
    };
    let reports_written = write_reports(&settings, &info, &suite);
    let tally = Tally::of(suite.records());
    suite::say(&tally.summary());

    if tally.failed > 0 {
        ExitCode::FAILURE
    } else if !reports_written {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes the requested reports; false when one could not be written.
fn write_reports(settings: &Settings, info: &RunInfo<'_>, suite: &Suite) -> bool {
    let mut ok = true;
    if let Some(path) = &settings.junit {
        if let Err(why) = report::write_junit(path, info, suite.records()) {
            eprintln!("cairn-conformance: {why}");
            ok = false;
        }
    }
    if let Some(path) = &settings.json {
        if let Err(why) = report::write_json(path, info, suite.records()) {
            eprintln!("cairn-conformance: {why}");
            ok = false;
        }
    }
    ok
}

/// Prints every check id with the spec sentence it tests.
fn print_catalogue() {
    for group in Group::ALL {
        suite::say(&format!("[{}]", group.name()));
        for spec in group.checks() {
            suite::say(&format!("{}\n    {}", spec.id, spec.says));
        }
    }
}
