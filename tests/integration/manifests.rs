//! Manifest PUT, GET, HEAD and DELETE for every accepted media type.

use serde_json::json;

use crate::harness::{error_code, header, sha256, TestRegistry, OCI_INDEX, OCI_MANIFEST};

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_ARTIFACT: &str = "application/vnd.oci.artifact.manifest.v1+json";

#[tokio::test]
async fn exact_bytes_and_media_type_come_back() {
    let registry = TestRegistry::start().await;
    let config = registry.push_blob("app", b"{\"os\":\"linux\"}").await;
    // Odd spacing and key order: the registry must not re-encode.
    let body = format!(
        "{{\"schemaVersion\":2,  \"mediaType\":\"{DOCKER_MANIFEST}\",\n\"config\":{{\"size\":14,\
         \"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"{config}\"}},\
         \"layers\":[]}}"
    );
    let put = registry
        .put_manifest("app", "v1", DOCKER_MANIFEST, body.as_bytes())
        .await;
    assert_eq!(put.status(), 201);
    let digest = sha256(body.as_bytes());
    assert_eq!(header(&put, "docker-content-digest"), digest);
    assert_eq!(
        header(&put, "location"),
        format!("/v2/app/manifests/{digest}")
    );

    for reference in ["v1", digest.as_str()] {
        let got = registry
            .get(&format!("/v2/app/manifests/{reference}"))
            .header("accept", OCI_MANIFEST)
            .send()
            .await
            .expect("GET");
        assert_eq!(got.status(), 200);
        assert_eq!(header(&got, "content-type"), DOCKER_MANIFEST);
        assert_eq!(header(&got, "docker-content-digest"), digest);
        assert_eq!(header(&got, "etag"), format!("\"{digest}\""));
        assert_eq!(got.text().await.expect("body"), body);

        let head = registry
            .head(&format!("/v2/app/manifests/{reference}"))
            .send()
            .await
            .expect("HEAD");
        assert_eq!(head.status(), 200);
        assert_eq!(header(&head, "content-length"), body.len().to_string());
    }
}

#[tokio::test]
async fn every_manifest_media_type_is_accepted() {
    let registry = TestRegistry::start().await;
    let image = registry.push_image("app", "base").await;
    let config = registry.push_empty_config("app").await;

    let docker_list = json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": image["digest"], "size": image["size"],
         "platform": {"architecture": "amd64", "os": "linux"}}]});
    let oci_index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [image]});
    let artifact = json!({"mediaType": OCI_ARTIFACT, "artifactType": "application/x.demo",
        "blobs": [config]});
    let oras = json!({"mediaType": "application/vnd.cncf.oras.artifact.manifest.v1+json",
        "artifactType": "application/x.demo", "blobs": []});

    for (tag, media_type, body) in [
        ("list", DOCKER_LIST, docker_list),
        ("index", OCI_INDEX, oci_index),
        ("artifact", OCI_ARTIFACT, artifact),
        (
            "oras",
            "application/vnd.cncf.oras.artifact.manifest.v1+json",
            oras,
        ),
    ] {
        let bytes = serde_json::to_vec(&body).expect("json");
        let put = registry.put_manifest("app", tag, media_type, &bytes).await;
        assert_eq!(put.status(), 201, "{media_type}");
        let got = registry
            .get(&format!("/v2/app/manifests/{tag}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(header(&got, "content-type"), media_type);
    }
}

#[tokio::test]
async fn manifests_naming_missing_content_are_refused() {
    let registry = TestRegistry::start().await;
    let missing = sha256(b"not uploaded");
    let body = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": missing, "size": 12},
        "layers": []}))
    .expect("json");
    let put = registry
        .put_manifest("app", "v1", OCI_MANIFEST, &body)
        .await;
    assert_eq!(put.status(), 400);
    assert_eq!(error_code(put).await, "MANIFEST_BLOB_UNKNOWN");

    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": missing, "size": 1}]}))
    .expect("json");
    let put = registry.put_manifest("app", "idx", OCI_INDEX, &index).await;
    assert_eq!(put.status(), 400);
    assert_eq!(error_code(put).await, "MANIFEST_BLOB_UNKNOWN");
}

#[tokio::test]
async fn invalid_manifests_are_refused() {
    let registry = TestRegistry::start().await;
    let put = registry
        .put_manifest("app", "v1", OCI_MANIFEST, b"{ not json")
        .await;
    assert_eq!(put.status(), 400);
    assert_eq!(error_code(put).await, "MANIFEST_INVALID");

    let image = registry.push_image("app", "real").await;
    let bytes = registry.get_bytes("/v2/app/manifests/real").await;
    let wrong = sha256(b"another digest");
    let put = registry
        .put_manifest("app", &wrong, OCI_MANIFEST, &bytes)
        .await;
    assert_eq!(put.status(), 400);
    assert_eq!(error_code(put).await, "DIGEST_INVALID");
    let by_digest = registry
        .put_manifest(
            "app",
            image["digest"].as_str().expect("digest"),
            OCI_MANIFEST,
            &bytes,
        )
        .await;
    assert_eq!(by_digest.status(), 201);
}

#[tokio::test]
async fn manifests_over_four_mebibytes_get_413() {
    let registry = TestRegistry::start().await;
    let padding = "x".repeat(4 << 20);
    let body = format!("{{\"schemaVersion\":2,\"annotations\":{{\"pad\":\"{padding}\"}}}}");
    let put = registry
        .put_manifest("app", "huge", OCI_MANIFEST, body.as_bytes())
        .await;
    assert_eq!(put.status(), 413);
    assert_eq!(error_code(put).await, "SIZE_INVALID");
}

#[tokio::test]
async fn deletes_by_digest_and_by_tag() {
    let registry = TestRegistry::start().await;
    let image = registry.push_image("app", "a").await;
    let digest = image["digest"].as_str().expect("digest").to_owned();
    let bytes = registry.get_bytes("/v2/app/manifests/a").await;
    assert_eq!(
        registry
            .put_manifest("app", "b", OCI_MANIFEST, &bytes)
            .await
            .status(),
        201
    );

    let untag = registry
        .delete("/v2/app/manifests/b")
        .send()
        .await
        .expect("DELETE");
    assert_eq!(untag.status(), 202);
    let tag_gone = registry
        .get("/v2/app/manifests/b")
        .send()
        .await
        .expect("GET");
    assert_eq!(tag_gone.status(), 404);
    let still = registry
        .get(&format!("/v2/app/manifests/{digest}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(still.status(), 200, "deleting a tag keeps the manifest");

    let deleted = registry
        .delete(&format!("/v2/app/manifests/{digest}"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(deleted.status(), 202);
    let a_gone = registry
        .get("/v2/app/manifests/a")
        .send()
        .await
        .expect("GET");
    assert_eq!(a_gone.status(), 404);
    assert_eq!(error_code(a_gone).await, "MANIFEST_UNKNOWN");
    let again = registry
        .delete(&format!("/v2/app/manifests/{digest}"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(again.status(), 404);
}
