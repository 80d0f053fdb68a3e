//! The registry as a tower service, without a socket: what embedding applications and
//! fast tests use.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

use cairn::{Registry, Settings};
use cairn_storage::{MetaOptions, Store};

use crate::harness::{artifact_manifest, sha256, OCI_MANIFEST};

async fn call(
    registry: &Registry,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, http::HeaderMap, Bytes) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let request = request.body(Full::new(Bytes::from(body))).expect("request");
    let response = registry.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, bytes)
}

#[tokio::test]
async fn push_and_pull_through_the_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), &MetaOptions::default()).expect("store");
    let registry = Registry::new(store, Settings::default());

    let (status, headers, _) = call(&registry, Method::GET, "/v2/", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["docker-distribution-api-version"], "registry/2.0");

    let config = b"{}".to_vec();
    let digest = sha256(&config);
    let uri = format!("/v2/svc/blobs/uploads/?digest={digest}");
    let (status, _, _) = call(&registry, Method::POST, &uri, None, config).await;
    assert_eq!(status, StatusCode::CREATED);

    let config = serde_json::json!({"mediaType": "application/vnd.oci.empty.v1+json",
                                    "digest": digest, "size": 2});
    let manifest = artifact_manifest("application/x.demo", &config, vec![], None, None);
    let (status, headers, _) = call(
        &registry,
        Method::PUT,
        "/v2/svc/manifests/v1",
        Some(OCI_MANIFEST),
        manifest.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers["docker-content-digest"], sha256(&manifest).as_str());

    let (status, headers, body) =
        call(&registry, Method::GET, "/v2/svc/manifests/v1", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], OCI_MANIFEST);
    assert_eq!(body.as_ref(), manifest.as_slice());
}
