//! `cairn-bench`: a load generator for any OCI distribution registry (spec v1.1), and
//! the ceiling server it can be compared against.
//!
//! The library holds everything; the two binaries only wire it up. How a run flows:
//!
//! - [`cli`] parses flags into validated [`cli::Settings`] (two stages: raw, then checked).
//! - [`driver`] takes each selected [`workload::Workload`], asks [`setup`] to push its
//!   fixtures on every target (unique repository names per run), then times it in
//!   alternating rounds through [`runner`], and collects medians.
//! - [`plan`] is the one timed operation of each workload; [`registry`] speaks the
//!   distribution API (uploads, manifests, listings with `Link` pagination) over the
//!   pooled keep-alive client in [`client`], whose request bodies come from [`body`].
//! - [`content`] makes blobs (unique per push without re-hashing) and manifests;
//!   [`fixtures`] pushes images, tags and referrers concurrently with [`progress`] shown.
//! - [`stats`] turns latencies into percentiles, medians and ratios; [`report`] prints
//!   the tables and writes the JSON.
//! - [`ceiling`] is a minimal hyper server answering every request with 200 and 1 KiB,
//!   the upper bound for small-response throughput on a given machine.

#![warn(missing_docs)]

pub mod body;
pub mod ceiling;
pub mod cli;
pub mod client;
pub mod content;
pub mod driver;
pub mod error;
pub mod fixtures;
pub mod plan;
pub mod progress;
pub mod registry;
pub mod report;
pub mod runner;
pub mod setup;
pub mod stats;
pub mod workload;
