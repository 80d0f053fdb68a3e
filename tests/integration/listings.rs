//! Tag listing and the catalog, with `n`, `last` and `Link`.

use serde_json::Value;

use crate::harness::{error_code, header, link_target, TestRegistry, OCI_MANIFEST};

#[tokio::test]
async fn tags_page_in_lexical_order_with_links() {
    let registry = TestRegistry::start().await;
    registry.push_image("app", "base").await;
    let bytes = registry.get_bytes("/v2/app/manifests/base").await;
    for tag in ["v2", "v10", "latest", "a"] {
        let put = registry
            .put_manifest("app", tag, OCI_MANIFEST, &bytes)
            .await;
        assert_eq!(put.status(), 201);
    }

    let all: Value = registry.get_json("/v2/app/tags/list").await;
    assert_eq!(all["name"], "app");
    assert_eq!(
        all["tags"],
        serde_json::json!(["a", "base", "latest", "v10", "v2"])
    );

    let mut path = "/v2/app/tags/list?n=2".to_owned();
    let mut pages = Vec::new();
    loop {
        let response = registry.get(&path).send().await.expect("GET");
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().expect("ascii").to_owned());
        let page: Value = response.json().await.expect("json");
        pages.push(page["tags"].clone());
        match link {
            Some(link) => {
                assert!(link.ends_with("rel=\"next\""));
                path = link_target(&link).to_owned();
            }
            None => break,
        }
    }
    assert_eq!(
        pages,
        vec![
            serde_json::json!(["a", "base"]),
            serde_json::json!(["latest", "v10"]),
            serde_json::json!(["v2"])
        ]
    );

    let after: Value = registry.get_json("/v2/app/tags/list?last=latest").await;
    assert_eq!(after["tags"], serde_json::json!(["v10", "v2"]));
}

#[tokio::test]
async fn unknown_repositories_have_no_tags() {
    let registry = TestRegistry::start().await;
    let response = registry
        .get("/v2/nothing/here/tags/list")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    assert_eq!(error_code(response).await, "NAME_UNKNOWN");
}

#[tokio::test]
async fn catalog_lists_repositories_of_any_depth() {
    let registry = TestRegistry::start().await;
    for repo in ["b/deep/name", "a", "c"] {
        registry.push_blob(repo, repo.as_bytes()).await;
    }
    let first = registry.get("/v2/_catalog?n=2").send().await.expect("GET");
    let link = header(&first, "link");
    let page: Value = first.json().await.expect("json");
    assert_eq!(
        page["repositories"],
        serde_json::json!(["a", "b/deep/name"])
    );
    let rest: Value = registry.get_json(link_target(&link)).await;
    assert_eq!(rest["repositories"], serde_json::json!(["c"]));
}
