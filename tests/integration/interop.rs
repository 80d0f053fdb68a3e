//! Interop with real clients: the ORAS Python SDK and Debian's skopeo, run against a
//! registry on a loopback port. Both must be installed (the README's test command
//! installs them); a missing client fails the test rather than skipping it.

use std::path::PathBuf;

use tokio::process::Command;

use crate::harness::TestRegistry;

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

async fn run(command: &mut Command, what: &str) {
    let output = command.output().await.unwrap_or_else(|err| {
        panic!("{what} could not start ({err}); run the README's test command to install it")
    });
    assert!(
        output.status.success(),
        "{what} failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oras_python_sdk_pushes_pulls_and_lists_referrers() {
    let registry = TestRegistry::start().await;
    run(
        Command::new("python3")
            .arg(script("oras_roundtrip.py"))
            .arg(registry.addr.to_string())
            .arg("--referrers"),
        "the ORAS Python SDK round trip",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skopeo_copies_an_oci_layout_in_and_out_unchanged() {
    let registry = TestRegistry::start().await;
    run(
        Command::new("bash")
            .arg(script("skopeo_roundtrip.sh"))
            .arg(registry.addr.to_string()),
        "the skopeo round trip",
    )
    .await;
}
