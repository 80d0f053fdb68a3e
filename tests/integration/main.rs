//! Integration tests: the registry over loopback TCP and in-process, a crash test of
//! the real binary, and interop with real clients.

mod harness;

mod blobs;
mod crash;
mod errors;
mod in_process;
mod interop;
mod listings;
mod manifests;
mod referrers;
mod uploads;
