//! Reference types: the referrers API, its filters and pages, the tag schema
//! fallback, the ORAS endpoint, and the switch that turns both off.

use serde_json::{json, Value};

use cairn::Settings;

use crate::harness::{
    artifact_manifest, error_code, header, link_target, sha256, TestRegistry, OCI_INDEX,
    OCI_MANIFEST,
};

const NOTATION: &str = "application/vnd.cncf.notary.signature";
const THUMBPRINT: &str = "io.cncf.notary.x509chain.thumbprint#S256";
const COSIGN_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SBOM_CONFIG: &str = "application/vnd.example.sbom.config.v1+json";
const ORAS_MANIFEST: &str = "application/vnd.cncf.oras.artifact.manifest.v1+json";
const ZERO_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn digest_of(descriptor: &Value) -> &str {
    descriptor["digest"].as_str().expect("digest")
}

/// Pushes a notation-shaped signature of `subject` by digest; answers its descriptor.
async fn push_signature(registry: &TestRegistry, repo: &str, subject: &Value, seed: &str) -> Value {
    let config = registry.push_empty_config(repo).await;
    let envelope = registry
        .push_blob(repo, format!("jws {seed}").as_bytes())
        .await;
    let layer = json!({"mediaType": "application/jose+json", "digest": envelope,
                       "size": 4 + seed.len()});
    let annotations = json!({THUMBPRINT: format!("[\"{seed}\"]")});
    let bytes = artifact_manifest(
        NOTATION,
        &config,
        vec![layer],
        Some(subject),
        Some(annotations),
    );
    let digest = sha256(&bytes);
    let put = registry
        .put_manifest(repo, &digest, OCI_MANIFEST, &bytes)
        .await;
    assert_eq!(put.status(), 201);
    assert_eq!(header(&put, "oci-subject"), digest_of(subject));
    json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": bytes.len()})
}

#[tokio::test]
async fn signatures_bundles_and_sboms_are_listed_with_types_and_annotations() {
    let registry = TestRegistry::start().await;
    let image = registry.push_image("app", "v1").await;
    let subject = digest_of(&image).to_owned();

    let signature = push_signature(&registry, "app", &image, "alice").await;
    let second = push_signature(&registry, "app", &image, "bob").await;

    let bundle_blob = registry.push_blob("app", b"{\"bundle\":true}").await;
    let config = registry.push_empty_config("app").await;
    let bundle = artifact_manifest(
        COSIGN_BUNDLE,
        &config,
        vec![json!({"mediaType": COSIGN_BUNDLE, "digest": bundle_blob, "size": 15})],
        Some(&image),
        Some(json!({"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1"})),
    );
    assert_eq!(
        registry
            .put_manifest("app", &sha256(&bundle), OCI_MANIFEST, &bundle)
            .await
            .status(),
        201
    );

    // An SBOM without artifactType: the config media type stands in for it.
    let sbom_config = registry
        .push_blob("app", b"{\"spdxVersion\":\"SPDX-2.3\"}")
        .await;
    let sbom = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": SBOM_CONFIG, "digest": sbom_config, "size": 26},
        "layers": [], "subject": image,
    }))
    .expect("json");
    let sbom_digest = sha256(&sbom);
    assert_eq!(
        registry
            .put_manifest("app", &sbom_digest, OCI_MANIFEST, &sbom)
            .await
            .status(),
        201
    );

    let response = registry
        .get(&format!("/v2/app/referrers/{subject}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), OCI_INDEX);
    assert!(response.headers().get("oci-filters-applied").is_none());
    let index: Value = response.json().await.expect("index");
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(index["mediaType"], OCI_INDEX);
    let listed = index["manifests"].as_array().expect("manifests");
    assert_eq!(listed.len(), 4);

    let find = |digest: &str| {
        listed
            .iter()
            .find(|d| d["digest"] == digest)
            .unwrap_or_else(|| panic!("{digest} listed"))
            .clone()
    };
    let sig = find(digest_of(&signature));
    assert_eq!(sig["artifactType"], NOTATION);
    assert_eq!(sig["mediaType"], OCI_MANIFEST);
    assert_eq!(sig["size"], signature["size"]);
    assert_eq!(sig["annotations"][THUMBPRINT], "[\"alice\"]");
    assert_eq!(
        find(digest_of(&second))["annotations"][THUMBPRINT],
        "[\"bob\"]"
    );
    assert_eq!(find(&sha256(&bundle))["artifactType"], COSIGN_BUNDLE);
    assert_eq!(find(&sbom_digest)["artifactType"], SBOM_CONFIG);

    let signatures = registry
        .get(&format!(
            "/v2/app/referrers/{subject}?artifactType={NOTATION}"
        ))
        .send()
        .await
        .expect("GET");
    assert_eq!(header(&signatures, "oci-filters-applied"), "artifactType");
    let index: Value = signatures.json().await.expect("index");
    let types: Vec<_> = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|d| d["artifactType"].clone())
        .collect();
    assert_eq!(types, vec![json!(NOTATION), json!(NOTATION)]);

    let two_types = registry
        .referrers(
            "app",
            &subject,
            // A `+` in a query means a space, so clients percent-encode it.
            &format!(
                "artifactType={NOTATION}&artifactType={}",
                SBOM_CONFIG.replace('+', "%2B")
            ),
        )
        .await;
    assert_eq!(two_types.len(), 3);
}

#[tokio::test]
async fn unknown_and_malformed_subjects() {
    let registry = TestRegistry::start().await;
    for subject in [ZERO_DIGEST.to_owned(), sha256(b"never pushed")] {
        let response = registry
            .get(&format!("/v2/app/referrers/{subject}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 200, "never 404 for a valid digest");
        let index: Value = response.json().await.expect("index");
        assert_eq!(index["manifests"], json!([]));
    }
    let bad = registry
        .get("/v2/app/referrers/sha256:nothex")
        .send()
        .await
        .expect("GET");
    assert_eq!(bad.status(), 400);
    assert_eq!(error_code(bad).await, "DIGEST_INVALID");
}

#[tokio::test]
async fn referrers_may_come_before_their_subject_and_outlive_it() {
    let registry = TestRegistry::start().await;
    // Compute the subject's digest without pushing it.
    let config = registry.push_blob("app", b"{\"late\":1}").await;
    let subject_bytes = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config, "size": 10},
        "layers": []}))
    .expect("json");
    let subject = json!({"mediaType": OCI_MANIFEST, "digest": sha256(&subject_bytes),
                         "size": subject_bytes.len()});
    let subject_digest = digest_of(&subject).to_owned();

    let signature = push_signature(&registry, "app", &subject, "early").await;
    assert_eq!(
        registry.referrers("app", &subject_digest, "").await.len(),
        1
    );

    let put = registry
        .put_manifest("app", "late", OCI_MANIFEST, &subject_bytes)
        .await;
    assert_eq!(put.status(), 201);
    assert_eq!(
        registry.referrers("app", &subject_digest, "").await.len(),
        1
    );

    let deleted = registry
        .delete(&format!("/v2/app/manifests/{subject_digest}"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(deleted.status(), 202);
    assert_eq!(
        registry.referrers("app", &subject_digest, "").await.len(),
        1,
        "referrers of a deleted subject stay until garbage collection decides"
    );
    registry
        .put_manifest("app", "late", OCI_MANIFEST, &subject_bytes)
        .await;

    let removed = registry
        .delete(&format!("/v2/app/manifests/{}", digest_of(&signature)))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(removed.status(), 202);
    assert!(registry
        .referrers("app", &subject_digest, "")
        .await
        .is_empty());
}

#[tokio::test]
async fn referrers_of_referrers_and_index_referrers() {
    let registry = TestRegistry::start().await;
    let image = registry.push_image("app", "v1").await;
    let config = registry.push_empty_config("app").await;
    let sbom_bytes =
        artifact_manifest("application/spdx+json", &config, vec![], Some(&image), None);
    let sbom = json!({"mediaType": OCI_MANIFEST, "digest": sha256(&sbom_bytes),
                      "size": sbom_bytes.len()});
    registry
        .put_manifest("app", digest_of(&sbom), OCI_MANIFEST, &sbom_bytes)
        .await;
    let signature = push_signature(&registry, "app", &sbom, "sbom-signer").await;

    let on_sbom = registry.referrers("app", digest_of(&sbom), "").await;
    assert_eq!(on_sbom.len(), 1);
    assert_eq!(on_sbom[0]["digest"], signature["digest"]);

    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX,
        "artifactType": "application/vnd.example.attestations", "manifests": [sbom],
        "subject": image}))
    .expect("json");
    let put = registry
        .put_manifest("app", &sha256(&index), OCI_INDEX, &index)
        .await;
    assert_eq!(put.status(), 201);
    assert_eq!(header(&put, "oci-subject"), digest_of(&image));
    let on_image = registry.referrers("app", digest_of(&image), "").await;
    let as_index = on_image
        .iter()
        .find(|d| d["mediaType"] == OCI_INDEX)
        .expect("index listed");
    assert_eq!(
        as_index["artifactType"],
        "application/vnd.example.attestations"
    );
}

#[tokio::test]
async fn long_lists_page_with_links() {
    let registry = TestRegistry::start().await;
    let image = registry.push_image("app", "v1").await;
    let mut pushed = Vec::new();
    for i in 0..7 {
        pushed.push(push_signature(&registry, "app", &image, &format!("signer-{i}")).await);
    }
    let first = registry
        .get(&format!("/v2/app/referrers/{}?n=3", digest_of(&image)))
        .send()
        .await
        .expect("GET");
    let link = header(&first, "link");
    assert!(link.ends_with("rel=\"next\""), "{link}");
    let page: Value = first.json().await.expect("index");
    assert_eq!(page["manifests"].as_array().expect("list").len(), 3);
    assert!(link_target(&link).starts_with(&format!("/v2/app/referrers/{}?", digest_of(&image))));

    let all = registry.referrers("app", digest_of(&image), "n=3").await;
    let mut listed: Vec<_> = all.iter().map(|d| d["digest"].clone()).collect();
    let mut expected: Vec<_> = pushed.iter().map(|d| d["digest"].clone()).collect();
    listed.sort_by_key(|v| v.to_string());
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(listed, expected, "every referrer once, none twice");
}

#[tokio::test]
async fn tag_schema_writers_are_guarded_and_agree_with_the_api() {
    let registry = TestRegistry::start().await;
    let image = registry.push_image("app", "v1").await;
    let subject = digest_of(&image).to_owned();
    let fallback_tag = format!("sha256-{}", subject.trim_start_matches("sha256:"));
    let path = format!("/v2/app/manifests/{fallback_tag}");

    let first = push_signature(&registry, "app", &image, "one").await;
    let index_of = |descriptors: Vec<Value>| {
        serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                   "manifests": descriptors}))
        .expect("json")
    };
    let one = index_of(vec![first.clone()]);
    let created = registry
        .put(&path)
        .header("content-type", OCI_INDEX)
        .header("if-none-match", "*")
        .body(one.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(created.status(), 201);

    let current = registry.head(&path).send().await.expect("HEAD");
    let etag = header(&current, "etag");
    assert_eq!(etag, format!("\"{}\"", sha256(&one)));

    let second = push_signature(&registry, "app", &image, "two").await;
    let two = index_of(vec![first.clone(), second.clone()]);
    let stale = registry
        .put(&path)
        .header("content-type", OCI_INDEX)
        .header("if-match", format!("\"{}\"", sha256(b"stale")))
        .body(two.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(stale.status(), 412);
    let recreate = registry
        .put(&path)
        .header("content-type", OCI_INDEX)
        .header("if-none-match", "*")
        .body(two.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(recreate.status(), 412);
    let updated = registry
        .put(&path)
        .header("content-type", OCI_INDEX)
        .header("if-match", etag)
        .body(two)
        .send()
        .await
        .expect("PUT");
    assert_eq!(updated.status(), 201);

    let listed = registry.referrers("app", &subject, "").await;
    let mut digests: Vec<_> = listed.iter().map(|d| d["digest"].clone()).collect();
    digests.sort_by_key(|v| v.to_string());
    let mut expected = vec![first["digest"].clone(), second["digest"].clone()];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(
        digests, expected,
        "the tag's index and the API list the same referrers"
    );
}

#[tokio::test]
async fn oras_artifact_manifests_and_their_endpoint() {
    let registry = TestRegistry::start().await;
    let image = registry.push_image("net-monitor", "v1").await;
    let subject = digest_of(&image).to_owned();
    let mut digests = Vec::new();
    for (i, kind) in [
        "application/vnd.cncf.notary.v2",
        "example.sbom.v0",
        "example.sbom.v0",
    ]
    .iter()
    .enumerate()
    {
        let blob = registry
            .push_blob("net-monitor", format!("payload {i}").as_bytes())
            .await;
        let bytes = serde_json::to_vec(&json!({
            "mediaType": ORAS_MANIFEST, "artifactType": kind,
            "blobs": [{"mediaType": "application/tar", "digest": blob, "size": 9}],
            "subject": image,
            "annotations": {"org.cncf.notary.v2.signature.subject": "wabbit-networks.io"}
        }))
        .expect("json");
        let put = registry
            .put_manifest("net-monitor", &sha256(&bytes), ORAS_MANIFEST, &bytes)
            .await;
        assert_eq!(put.status(), 201);
        assert_eq!(header(&put, "oci-subject"), subject);
        digests.push(sha256(&bytes));
    }

    let base = format!("/oras/artifacts/v1/net-monitor/manifests/{subject}/referrers");
    let all: Value = registry.get_json(&base).await;
    let references = all["references"].as_array().expect("references");
    assert_eq!(references.len(), 3);
    assert!(references.iter().all(|r| r["mediaType"] == ORAS_MANIFEST
        && r["annotations"]["org.cncf.notary.v2.signature.subject"] == "wabbit-networks.io"));

    let sboms: Value = registry
        .get_json(&format!("{base}?artifactType=example.sbom.v0"))
        .await;
    assert_eq!(sboms["references"].as_array().expect("references").len(), 2);

    let first = registry
        .get(&format!("{base}?n=2"))
        .send()
        .await
        .expect("GET");
    let link = header(&first, "link");
    let page: Value = first.json().await.expect("json");
    assert_eq!(page["references"].as_array().expect("references").len(), 2);
    let rest: Value = registry.get_json(link_target(&link)).await;
    assert_eq!(rest["references"].as_array().expect("references").len(), 1);

    let oci = registry.referrers("net-monitor", &subject, "").await;
    assert_eq!(oci.len(), 3, "both endpoints read the same index");
}

#[tokio::test]
async fn the_switch_makes_cairn_answer_like_an_older_registry() {
    let registry = TestRegistry::with_settings(Settings {
        referrers_api: false,
        ..Settings::default()
    })
    .await;
    let image = registry.push_image("app", "v1").await;
    let config = registry.push_empty_config("app").await;
    let bytes = artifact_manifest(NOTATION, &config, vec![], Some(&image), None);
    let put = registry
        .put_manifest("app", &sha256(&bytes), OCI_MANIFEST, &bytes)
        .await;
    assert_eq!(put.status(), 201);
    assert!(put.headers().get("oci-subject").is_none());

    let subject = digest_of(&image);
    for path in [
        format!("/v2/app/referrers/{subject}"),
        format!("/oras/artifacts/v1/app/manifests/{subject}/referrers"),
    ] {
        let response = registry.get(&path).send().await.expect("GET");
        assert_eq!(response.status(), 404, "{path}");
    }
}
