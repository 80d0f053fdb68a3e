//! Blob GET, HEAD, ranges and DELETE.

use crate::harness::{error_code, header, sha256, TestRegistry};

#[tokio::test]
async fn blob_get_and_head_serve_bytes_with_digest_headers() {
    let registry = TestRegistry::start().await;
    let digest = registry.push_blob("app", b"hello blob").await;

    let got = registry
        .get(&format!("/v2/app/blobs/{digest}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(got.status(), 200);
    assert_eq!(header(&got, "docker-content-digest"), digest);
    assert_eq!(header(&got, "content-length"), "10");
    assert_eq!(got.bytes().await.expect("body").as_ref(), b"hello blob");

    let head = registry
        .head(&format!("/v2/app/blobs/{digest}"))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), "10");
    assert_eq!(header(&head, "docker-content-digest"), digest);
}

#[tokio::test]
async fn blobs_are_visible_only_where_pushed() {
    let registry = TestRegistry::start().await;
    let digest = registry.push_blob("app", b"private").await;
    let elsewhere = registry
        .get(&format!("/v2/other/blobs/{digest}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(elsewhere.status(), 404);
    assert_eq!(error_code(elsewhere).await, "BLOB_UNKNOWN");
}

#[tokio::test]
async fn ranged_gets_answer_206_or_416() {
    let registry = TestRegistry::start().await;
    let digest = registry.push_blob("app", b"0123456789").await;
    let path = format!("/v2/app/blobs/{digest}");

    let partial = registry
        .get(&path)
        .header("range", "bytes=2-5")
        .send()
        .await
        .expect("GET");
    assert_eq!(partial.status(), 206);
    assert_eq!(header(&partial, "content-range"), "bytes 2-5/10");
    assert_eq!(partial.bytes().await.expect("body").as_ref(), b"2345");

    let suffix = registry
        .get(&path)
        .header("range", "bytes=-3")
        .send()
        .await
        .expect("GET");
    assert_eq!(suffix.bytes().await.expect("body").as_ref(), b"789");

    let beyond = registry
        .get(&path)
        .header("range", "bytes=10-")
        .send()
        .await
        .expect("GET");
    assert_eq!(beyond.status(), 416);
    assert_eq!(header(&beyond, "content-range"), "bytes */10");
}

#[tokio::test]
async fn large_blobs_stream_intact() {
    let registry = TestRegistry::start().await;
    let data: Vec<u8> = (0..(5 << 20) + 123).map(|i| (i % 251) as u8).collect();
    let digest = registry.push_blob("big", &data).await;
    let body = registry.get_bytes(&format!("/v2/big/blobs/{digest}")).await;
    assert_eq!(body.len(), data.len());
    assert_eq!(sha256(&body), digest);
}

#[tokio::test]
async fn deleting_a_blob_unlinks_it_from_the_repository() {
    let registry = TestRegistry::start().await;
    let digest = registry.push_blob("app", b"to delete").await;
    let path = format!("/v2/app/blobs/{digest}");

    let deleted = registry.delete(&path).send().await.expect("DELETE");
    assert_eq!(deleted.status(), 202);
    let gone = registry.get(&path).send().await.expect("GET");
    assert_eq!(gone.status(), 404);
    let again = registry.delete(&path).send().await.expect("DELETE");
    assert_eq!(again.status(), 404);
    assert_eq!(error_code(again).await, "BLOB_UNKNOWN");
}
