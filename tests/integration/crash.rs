//! The real binary's life cycle: crash safety under `kill -9` while uploads and
//! manifest pushes are in flight (every write acknowledged with 201 is served back
//! intact after a restart, and no partial blob is visible anywhere), and a clean exit
//! on SIGTERM that removes ephemeral storage.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::{artifact_manifest, sha256, with_query, OCI_MANIFEST};

const WRITERS: usize = 12;

/// Starts `cairn serve` on `root`, answering the child and its base URL.
async fn start_cairn(root: &Path) -> (Child, String) {
    let (child, url, _) = start_with(&["--root".as_ref(), root.as_os_str()]).await;
    (child, url)
}

/// Starts `cairn serve` with `args`, answering the child, its base URL and the line
/// that announced it.
async fn start_with(args: &[&std::ffi::OsStr]) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("cairn starts");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .expect("read stderr")
            .expect("cairn printed its address before exiting");
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on ".len()..];
            let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
            break (rest[..end].to_owned(), line.clone());
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url.0, url.1)
}

/// What a writer was told was stored.
#[derive(Default)]
struct Acknowledged {
    blobs: Vec<(String, String, Vec<u8>)>,
    manifests: Vec<(String, String, Vec<u8>)>,
}

/// Pushes blobs and manifests until the server dies, recording each 201.
async fn writer(base: String, id: usize, acked: Arc<Mutex<Acknowledged>>) {
    let client = reqwest::Client::new();
    let repo = format!("crash/w{id}");
    for round in 0.. {
        let size = (id * 7919 + round * 104_729) % (3 << 20);
        let data: Vec<u8> = (0..size)
            .map(|i| ((i * 31 + id + round) % 253) as u8)
            .collect();
        let digest = sha256(&data);
        let Ok(started) = client
            .post(format!("{base}/v2/{repo}/blobs/uploads/"))
            .send()
            .await
        else {
            return;
        };
        let Some(location) = started.headers().get("location").cloned() else {
            return;
        };
        let url = format!("{base}{}", location.to_str().expect("ascii"));
        let Ok(done) = client
            .put(with_query(&url, &format!("digest={digest}")))
            .body(data.clone())
            .send()
            .await
        else {
            return;
        };
        if done.status() != 201 {
            return;
        }
        acked
            .lock()
            .expect("lock")
            .blobs
            .push((repo.clone(), digest.clone(), data));

        let config = serde_json::json!({"mediaType": "application/octet-stream",
                                        "digest": digest, "size": size});
        let manifest = artifact_manifest("application/x.crash", &config, vec![], None, None);
        let tag = format!("r{round}");
        let Ok(put) = client
            .put(format!("{base}/v2/{repo}/manifests/{tag}"))
            .header("content-type", OCI_MANIFEST)
            .body(manifest.clone())
            .send()
            .await
        else {
            return;
        };
        if put.status() == 201 {
            acked
                .lock()
                .expect("lock")
                .manifests
                .push((repo.clone(), tag, manifest));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, base) = start_cairn(dir.path()).await;
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|id| tokio::spawn(writer(base.clone(), id, acked.clone())))
        .collect();

    // Let acknowledged writes pile up (however slow the machine), then kill without
    // warning while the writers still have requests in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (blobs, manifests) = {
            let acked = acked.lock().expect("lock");
            (acked.blobs.len(), acked.manifests.len())
        };
        if (blobs >= 8 * WRITERS && manifests >= 4 * WRITERS)
            || tokio::time::Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("reaped");
    for writer in writers {
        writer.await.expect("writer task");
    }
    let acked = std::mem::take(&mut *acked.lock().expect("lock"));
    assert!(
        acked.blobs.len() >= WRITERS && !acked.manifests.is_empty(),
        "the test must acknowledge writes before the kill ({} blobs)",
        acked.blobs.len()
    );

    let (_child, base) = start_cairn(dir.path()).await;
    let client = reqwest::Client::new();
    for (repo, digest, data) in &acked.blobs {
        let response = client
            .get(format!("{base}/v2/{repo}/blobs/{digest}"))
            .send()
            .await
            .expect("GET blob");
        assert_eq!(response.status(), 200, "acknowledged blob {digest} lost");
        assert_eq!(
            response.bytes().await.expect("body").as_ref(),
            data.as_slice()
        );
    }
    for (repo, tag, bytes) in &acked.manifests {
        let response = client
            .get(format!("{base}/v2/{repo}/manifests/{tag}"))
            .send()
            .await
            .expect("GET manifest");
        assert_eq!(
            response.status(),
            200,
            "acknowledged manifest {repo}:{tag} lost"
        );
        assert_eq!(
            response.bytes().await.expect("body").as_ref(),
            bytes.as_slice()
        );
    }

    // Every file under blobs/ is complete: its bytes hash to its name.
    let mut checked = 0;
    for algorithm_dir in std::fs::read_dir(dir.path().join("blobs")).expect("blobs dir") {
        for prefix in std::fs::read_dir(algorithm_dir.expect("entry").path()).expect("dir") {
            for blob in std::fs::read_dir(prefix.expect("entry").path()).expect("dir") {
                let path = blob.expect("entry").path();
                let bytes = std::fs::read(&path).expect("read blob");
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                assert_eq!(
                    hex::encode(Sha256::digest(&bytes)),
                    name,
                    "partial blob visible"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= acked.blobs.len().min(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_cleanly_and_removes_ephemeral_storage() {
    let (mut child, base, announcement) = start_with(&["--ephemeral".as_ref()]).await;
    let root = announcement
        .split_whitespace()
        .find_map(|field| field.strip_prefix("root="))
        .expect("the announcement names the root")
        .to_owned();
    assert!(Path::new(&root).join("meta").exists());
    let pushed = reqwest::Client::new()
        .post(format!("{base}/v2/tmp/blobs/uploads/"))
        .send()
        .await
        .expect("POST");
    assert_eq!(pushed.status(), 202);

    let pid = child.id().expect("running").to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("reaped");
    assert!(status.success(), "exit status {status}");
    assert!(!Path::new(&root).exists(), "ephemeral root {root} removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_that_cannot_be_written_does_not_stop_the_registry() {
    // /dev/full fails every write with ENOSPC, like a redirected stderr on a full disk.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "serve",
            "--ephemeral",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stderr(Stdio::from(full))
        .kill_on_drop(true)
        .spawn()
        .expect("cairn starts");

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/v2/");
    let mut answered = 0;
    for _ in 0..200 {
        if let Ok(response) = client.get(&url).send().await {
            assert_eq!(response.status(), 200);
            answered += 1;
            if answered == 20 {
                break;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    assert_eq!(answered, 20, "the registry kept answering");
    assert!(child.try_wait().expect("status").is_none(), "still running");
}
