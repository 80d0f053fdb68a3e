//! Bad input of every kind gets the spec's error envelope with the right status.

use crate::harness::{error_code, header, TestRegistry};

#[tokio::test]
async fn version_check_answers_200() {
    let registry = TestRegistry::start().await;
    let response = registry.get("/v2/").send().await.expect("GET");
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "docker-distribution-api-version"),
        "registry/2.0"
    );
}

#[tokio::test]
async fn invalid_parameters_get_their_codes() {
    let registry = TestRegistry::start().await;
    let cases = [
        ("GET", "/v2/UPPER/tags/list", 400, "NAME_INVALID"),
        ("GET", "/v2/a..b/manifests/latest", 400, "NAME_INVALID"),
        ("GET", "/v2/app/blobs/sha256:short", 400, "DIGEST_INVALID"),
        ("GET", "/v2/app/manifests/bad:digest", 400, "DIGEST_INVALID"),
        ("GET", "/v2/app/manifests/-bad-tag", 400, "MANIFEST_INVALID"),
        (
            "GET",
            "/v2/app/blobs/uploads/not-a-session",
            404,
            "BLOB_UPLOAD_UNKNOWN",
        ),
        (
            "GET",
            "/v2/app/blobs/uploads/0123456789abcdef0123456789abcdef",
            404,
            "BLOB_UPLOAD_UNKNOWN",
        ),
        (
            "PUT",
            "/v2/app/blobs/uploads/0123456789abcdef0123456789abcdef?digest=sha256:\
          e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            404,
            "BLOB_UPLOAD_UNKNOWN",
        ),
        (
            "POST",
            "/v2/app/blobs/uploads/?digest=nonsense",
            400,
            "DIGEST_INVALID",
        ),
        (
            "POST",
            "/v2/app/blobs/uploads/?mount=nonsense",
            400,
            "DIGEST_INVALID",
        ),
        ("GET", "/v2/app/manifests/missing", 404, "MANIFEST_UNKNOWN"),
        ("GET", "/v2/app/tags/list?n=lots", 400, "UNSUPPORTED"),
        ("GET", "/nowhere", 404, "UNSUPPORTED"),
        ("GET", "/v2/app/unknown/thing", 404, "UNSUPPORTED"),
        ("POST", "/v2/app/manifests/latest", 405, "UNSUPPORTED"),
    ];
    for (method, path, status, code) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = registry
            .client
            .request(method.clone(), registry.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(header(&response, "content-type"), "application/json");
        assert_eq!(error_code(response).await, code, "{method} {path}");
    }
}

#[tokio::test]
async fn upload_put_without_digest_is_refused() {
    let registry = TestRegistry::start().await;
    let started = registry
        .post("/v2/app/blobs/uploads/")
        .send()
        .await
        .expect("POST");
    let response = registry
        .client
        .put(registry.location(&started))
        .body("x")
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "DIGEST_INVALID");
}

#[tokio::test]
async fn a_refused_upload_is_read_to_the_end_so_the_client_sees_the_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let registry = TestRegistry::start().await;
    let body = vec![7u8; 6 << 20];
    let path = "/v2/app/blobs/uploads/0123456789abcdef0123456789abcdef?digest=sha256:\
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(registry.addr).await?;
        let head = format!(
            "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
            registry.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        // A client that writes the whole body before it reads the answer.
        stream.write_all(&body).await?;
        let mut answer = vec![0; 512];
        let n = stream.read(&mut answer).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&answer[..n]).into_owned())
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(20), exchange)
        .await
        .expect("no deadlock")
        .expect("the whole body was accepted and an answer came back");
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(answer.contains("BLOB_UPLOAD_UNKNOWN"), "{answer}");
}
