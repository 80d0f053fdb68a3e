//! cairn: a lightweight OCI registry for signed software supply chains.
//!
//! cairn serves the OCI distribution-spec v1.1 API over a content-addressed store and
//! treats reference types as first-class: manifests that name a `subject` (signatures,
//! SBOMs, scan results) are indexed on push and listed by the referrers API and by the
//! older ORAS referrers endpoint.
//!
//! Map of the workspace:
//!
//! - `cairn-storage` (`storage/`): digests, names, manifests, the blob files and the
//!   RocksDB metadata; no HTTP.
//! - this crate: the `cairn` binary and the server:
//!   - [`config`]: the configuration file, environment and flags, validated;
//!   - [`routes`]: the pure path-to-route parser;
//!   - [`api`]: the [`Registry`] service and one module per API resource;
//!   - [`error`]: spec error codes and the mapping from storage errors;
//!   - [`http`]: bodies, response builders, header and query parsing;
//!   - [`server`]: the listener loop and graceful shutdown.
//! - `cairn-conformance` (`conformance/`): a conformance runner for any registry.
//! - `cairn-bench` (`bench/`): a benchmark tool for any registry.

#![warn(missing_docs)]

pub mod api;
pub mod config;
pub mod error;
pub mod http;
pub mod routes;
pub mod server;

pub use crate::api::{Registry, Settings};
pub use crate::server::serve;
