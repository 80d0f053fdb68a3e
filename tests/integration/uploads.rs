//! Upload sessions: monolithic, single POST, chunked, streamed, mounts, status,
//! cancellation, digest checks, concurrency, and resumption after a restart.

use cairn::Settings;

use crate::harness::{error_code, header, sha256, with_query, TestRegistry};

async fn start_session(registry: &TestRegistry, repo: &str) -> String {
    let response = registry
        .post(&format!("/v2/{repo}/blobs/uploads/"))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 202);
    assert_eq!(header(&response, "range"), "0-0");
    assert!(!header(&response, "docker-upload-uuid").is_empty());
    registry.location(&response)
}

#[tokio::test]
async fn single_post_with_digest_creates_the_blob() {
    let registry = TestRegistry::start().await;
    let digest = sha256(b"one shot");
    let response = registry
        .post(&format!("/v2/app/blobs/uploads/?digest={digest}"))
        .body(&b"one shot"[..])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "docker-content-digest"), digest);
    assert_eq!(
        header(&response, "location"),
        format!("/v2/app/blobs/{digest}")
    );
}

#[tokio::test]
async fn chunked_upload_with_status_checks_and_final_chunk() {
    let registry = TestRegistry::start().await;
    let url = start_session(&registry, "app").await;
    let data = b"chunk one|chunk two|final chunk";

    let first = registry
        .client
        .patch(&url)
        .header("content-range", "0-9")
        .header("content-type", "application/octet-stream")
        .body(data[..10].to_vec())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(first.status(), 202);
    assert_eq!(header(&first, "range"), "0-9");
    let url = registry.location(&first);

    let out_of_order = registry
        .client
        .patch(&url)
        .header("content-range", "5-14")
        .body(data[5..15].to_vec())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(out_of_order.status(), 416);
    assert_eq!(header(&out_of_order, "range"), "0-9");

    let second = registry
        .client
        .patch(&url)
        .header("content-range", "10-19")
        .body(data[10..20].to_vec())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(second.status(), 202);

    let status = registry.client.get(&url).send().await.expect("GET status");
    assert_eq!(status.status(), 204);
    assert_eq!(header(&status, "range"), "0-19");

    let digest = sha256(data);
    let done = registry
        .client
        .put(with_query(&url, &format!("digest={digest}")))
        .body(data[20..].to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(done.status(), 201);
    let stored = registry
        .get(&format!("/v2/app/blobs/{digest}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(stored.bytes().await.expect("body").as_ref(), data);
}

#[tokio::test]
async fn chunks_with_bad_ranges_are_refused() {
    let registry = TestRegistry::start().await;
    let url = start_session(&registry, "app").await;

    let malformed = registry
        .client
        .patch(&url)
        .header("content-range", "bytes=zero-three")
        .body(&b"abcd"[..])
        .send()
        .await
        .expect("PATCH");
    assert_eq!(malformed.status(), 400);
    assert_eq!(error_code(malformed).await, "BLOB_UPLOAD_INVALID");

    let wrong_length = registry
        .client
        .patch(&url)
        .header("content-range", "0-99")
        .body(&b"ten bytes!"[..])
        .send()
        .await
        .expect("PATCH");
    assert_eq!(wrong_length.status(), 400);
    assert_eq!(error_code(wrong_length).await, "SIZE_INVALID");

    let status = registry.client.get(&url).send().await.expect("GET");
    assert_eq!(
        header(&status, "range"),
        "0-0",
        "refused chunks leave nothing behind"
    );
}

#[tokio::test]
async fn streamed_patch_without_content_range_appends() {
    let registry = TestRegistry::start().await;
    let url = start_session(&registry, "app").await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(b"streamed ".to_vec()), Ok(b"body".to_vec())];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let patched = registry
        .client
        .patch(&url)
        .body(body)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(patched.status(), 202);
    assert_eq!(header(&patched, "range"), "0-12");

    let digest = sha256(b"streamed body");
    let done = registry
        .client
        .put(with_query(
            &registry.location(&patched),
            &format!("digest={digest}"),
        ))
        .send()
        .await
        .expect("PUT");
    assert_eq!(done.status(), 201);
}

#[tokio::test]
async fn digest_mismatch_is_refused_and_the_session_dropped() {
    let registry = TestRegistry::start().await;
    let url = start_session(&registry, "app").await;
    let wrong = sha256(b"other bytes");
    let response = registry
        .client
        .put(with_query(&url, &format!("digest={wrong}")))
        .body(&b"these bytes"[..])
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "DIGEST_INVALID");

    let status = registry.client.get(&url).send().await.expect("GET");
    assert_eq!(status.status(), 404);
    assert_eq!(error_code(status).await, "BLOB_UPLOAD_UNKNOWN");
    let blob = registry
        .head(&format!("/v2/app/blobs/{wrong}"))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(blob.status(), 404);
}

#[tokio::test]
async fn sha512_digests_are_accepted() {
    use sha2::{Digest as _, Sha512};
    let registry = TestRegistry::start().await;
    let data = b"sha512 content";
    let digest = format!("sha512:{}", hex::encode(Sha512::digest(data)));
    let url = start_session(&registry, "app").await;
    let response = registry
        .client
        .put(with_query(&url, &format!("digest={digest}")))
        .body(data.to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 201);
    let head = registry
        .head(&format!("/v2/app/blobs/{digest}"))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn mounts_with_and_without_from() {
    let registry = TestRegistry::start().await;
    let digest = registry.push_blob("source", b"shared layer").await;

    let mounted = registry
        .post(&format!(
            "/v2/target/blobs/uploads/?mount={digest}&from=source"
        ))
        .send()
        .await
        .expect("POST");
    assert_eq!(mounted.status(), 201);
    assert_eq!(
        header(&mounted, "location"),
        format!("/v2/target/blobs/{digest}")
    );

    let anywhere = registry
        .post(&format!("/v2/third/blobs/uploads/?mount={digest}"))
        .send()
        .await
        .expect("POST");
    assert_eq!(anywhere.status(), 201);

    let unknown = sha256(b"never pushed");
    let fallback = registry
        .post(&format!(
            "/v2/target/blobs/uploads/?mount={unknown}&from=source"
        ))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        fallback.status(),
        202,
        "unknown blob falls back to a session"
    );
    assert!(fallback.headers().contains_key("docker-upload-uuid"));

    let wrong_source = registry
        .post(&format!(
            "/v2/fourth/blobs/uploads/?mount={digest}&from=elsewhere"
        ))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        wrong_source.status(),
        202,
        "blob not in `from` is not mounted"
    );
}

#[tokio::test]
async fn cancelled_sessions_are_gone() {
    let registry = TestRegistry::start().await;
    let url = start_session(&registry, "app").await;
    let cancelled = registry.client.delete(&url).send().await.expect("DELETE");
    assert_eq!(cancelled.status(), 204);
    let again = registry.client.delete(&url).send().await.expect("DELETE");
    assert_eq!(again.status(), 404);
    assert_eq!(error_code(again).await, "BLOB_UPLOAD_UNKNOWN");

    let other_repo = start_session(&registry, "one")
        .await
        .replace("/one/", "/two/");
    let status = registry.client.get(&other_repo).send().await.expect("GET");
    assert_eq!(status.status(), 404, "a session belongs to its repository");
}

#[tokio::test]
async fn concurrent_uploads_of_one_blob_both_succeed() {
    let registry = TestRegistry::start().await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 97) as u8).collect();
    let (a, b) = tokio::join!(
        registry.push_blob("app", &data),
        registry.push_blob("app", &data)
    );
    assert_eq!(a, b);
    let body = registry.get_bytes(&format!("/v2/app/blobs/{a}")).await;
    assert_eq!(sha256(&body), a);
}

#[tokio::test]
async fn sessions_resume_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = TestRegistry::start_at(dir.path(), Settings::default()).await;
    let url = start_session(&first, "app").await;
    let patched = first
        .client
        .patch(&url)
        .body(&b"before restart, "[..])
        .send()
        .await
        .expect("PATCH");
    assert_eq!(patched.status(), 202);
    let path = registry_path(&first, &first.location(&patched));
    first.stop().await;

    let second = TestRegistry::start_at(dir.path(), Settings::default()).await;
    let status = second.get(&path).send().await.expect("GET status");
    assert_eq!(status.status(), 204);
    assert_eq!(header(&status, "range"), "0-15");
    let data = b"before restart, after restart";
    let digest = sha256(data);
    let done = second
        .put(&with_query(&path, &format!("digest={digest}")))
        .body(&data[16..])
        .send()
        .await
        .expect("PUT");
    assert_eq!(done.status(), 201);
}

/// The path part of a URL on `registry`.
fn registry_path(registry: &TestRegistry, url: &str) -> String {
    url.trim_start_matches(&registry.url("")).to_owned()
}
