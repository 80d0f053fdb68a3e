//! Shared helpers: a registry on a loopback port backed by a temporary directory, an
//! HTTP client, and builders for blobs and manifests.

use std::net::SocketAddr;
use std::path::Path;

use cairn::{Registry, Settings};
use cairn_storage::{MetaOptions, Store};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tokio::sync::oneshot;

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// A registry serving over loopback TCP until dropped.
pub(crate) struct TestRegistry {
    pub(crate) addr: SocketAddr,
    pub(crate) client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestRegistry {
    /// A registry with default settings on a fresh temporary directory.
    pub(crate) async fn start() -> TestRegistry {
        Self::with_settings(Settings::default()).await
    }

    pub(crate) async fn with_settings(settings: Settings) -> TestRegistry {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut registry = Self::start_at(dir.path(), settings).await;
        registry._dir = Some(dir);
        registry
    }

    /// A registry on an existing root (the caller keeps the directory).
    pub(crate) async fn start_at(root: &Path, settings: Settings) -> TestRegistry {
        let store = Store::open(root, &MetaOptions::default()).expect("store opens");
        let registry = Registry::new(store, settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            cairn::serve(
                listener,
                registry,
                shutdown,
                std::time::Duration::from_secs(5),
            )
            .await;
        });
        TestRegistry {
            addr,
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
            _dir: None,
        }
    }

    /// Stops serving and waits for the server to finish.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    /// GETs `path` and parses the body as JSON.
    pub(crate) async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).send().await.expect("GET");
        response.json().await.expect("JSON body")
    }

    /// GETs `path` and answers the body.
    pub(crate) async fn get_bytes(&self, path: &str) -> bytes::Bytes {
        let response = self.get(path).send().await.expect("GET");
        response.bytes().await.expect("body")
    }

    pub(crate) fn head(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.head(self.url(path))
    }

    pub(crate) fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.put(self.url(path))
    }

    pub(crate) fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    pub(crate) fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path))
    }

    /// Resolves a `Location` header against the registry.
    pub(crate) fn location(&self, response: &reqwest::Response) -> String {
        let location = header(response, "location");
        if location.starts_with("http") {
            location
        } else {
            self.url(&location)
        }
    }

    /// Pushes `data` as a blob of `repo` (POST then PUT) and answers its digest.
    pub(crate) async fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let digest = sha256(data);
        let started = self
            .post(&format!("/v2/{repo}/blobs/uploads/"))
            .send()
            .await
            .expect("POST");
        assert_eq!(started.status(), 202, "start upload");
        let url = self.location(&started);
        let done = self
            .client
            .put(with_query(&url, &format!("digest={digest}")))
            .body(data.to_vec())
            .send()
            .await
            .expect("PUT");
        assert_eq!(done.status(), 201, "finish upload of {digest}");
        digest
    }

    /// Pushes a manifest under `reference` and answers the response.
    pub(crate) async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> reqwest::Response {
        self.put(&format!("/v2/{repo}/manifests/{reference}"))
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .expect("PUT manifest")
    }

    /// Pushes the empty config `{}` into `repo`, answering its descriptor.
    pub(crate) async fn push_empty_config(&self, repo: &str) -> Value {
        let digest = self.push_blob(repo, b"{}").await;
        json!({"mediaType": EMPTY_CONFIG, "digest": digest, "size": 2})
    }

    /// Pushes a small image (config + one layer) tagged `tag`; answers the manifest
    /// descriptor.
    pub(crate) async fn push_image(&self, repo: &str, tag: &str) -> Value {
        let config = self
            .push_blob(repo, format!("{{\"tag\":\"{tag}\"}}").as_bytes())
            .await;
        let layer = self
            .push_blob(repo, format!("layer of {tag}").as_bytes())
            .await;
        let body = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config, "size": 10 + tag.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer, "size": 9 + tag.len()}]
        });
        let bytes = serde_json::to_vec(&body).expect("json");
        let response = self.put_manifest(repo, tag, OCI_MANIFEST, &bytes).await;
        assert_eq!(response.status(), 201);
        json!({"mediaType": OCI_MANIFEST, "digest": sha256(&bytes), "size": bytes.len()})
    }

    /// Lists referrers of `subject` (all pages), answering the descriptors.
    pub(crate) async fn referrers(&self, repo: &str, subject: &str, query: &str) -> Vec<Value> {
        let mut url = self.url(&format!("/v2/{repo}/referrers/{subject}?{query}"));
        let mut all = Vec::new();
        loop {
            let response = self.client.get(&url).send().await.expect("GET referrers");
            assert_eq!(response.status(), 200);
            let link = response
                .headers()
                .get("link")
                .map(|v| v.to_str().expect("ascii").to_owned());
            let index: Value = response.json().await.expect("index");
            all.extend(index["manifests"].as_array().expect("manifests").clone());
            match link {
                Some(link) => url = self.url(link_target(&link)),
                None => return all,
            }
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(crate) fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

pub(crate) fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} header missing"))
        .to_str()
        .expect("ascii header")
        .to_owned()
}

pub(crate) fn with_query(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// The URL inside `<...>` of a `Link` header.
pub(crate) fn link_target(link: &str) -> &str {
    let start = link.find('<').expect("link opens") + 1;
    let end = link.find('>').expect("link closes");
    &link[start..end]
}

/// The first error code of an OCI error body.
pub(crate) async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("error body is JSON");
    body["errors"][0]["code"]
        .as_str()
        .expect("error code")
        .to_owned()
}

/// An image manifest with the empty config, `layers`, and optionally a subject.
pub(crate) fn artifact_manifest(
    artifact_type: &str,
    config: &Value,
    layers: Vec<Value>,
    subject: Option<&Value>,
    annotations: Option<Value>,
) -> Vec<u8> {
    let mut body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config,
        "layers": layers,
    });
    if let Some(subject) = subject {
        body["subject"] = subject.clone();
    }
    if let Some(annotations) = annotations {
        body["annotations"] = annotations;
    }
    serde_json::to_vec(&body).expect("json")
}
