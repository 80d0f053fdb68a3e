//! Store tests on a real RocksDB in a temporary directory.

use std::collections::BTreeSet;

use bytes::Bytes;
use futures_util::stream;
use serde_json::json;

use super::*;
use crate::manifest::OCI_MANIFEST;

type Chunks = stream::Iter<std::vec::IntoIter<std::result::Result<Bytes, String>>>;

fn chunks(parts: &[&[u8]]) -> Chunks {
    let items: Vec<_> = parts
        .iter()
        .map(|p| Ok(Bytes::copy_from_slice(p)))
        .collect();
    stream::iter(items)
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path(), &MetaOptions::default()).expect("store opens")
}

fn repo(name: &str) -> RepositoryName {
    name.parse().expect("valid name")
}

async fn push_blob(store: &Store, repo: &RepositoryName, data: &[u8]) -> Digest {
    let digest = Digest::sha256_of(data);
    let id = store.create_upload(repo).await.expect("session");
    store
        .commit_upload(repo, &id, &digest, chunks(&[data]))
        .await
        .expect("commit");
    digest
}

fn image_manifest(config: &Digest, subject: Option<(&Digest, u64)>, kind: &str) -> Vec<u8> {
    let mut body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": kind,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                   "digest": config, "size": 2},
        "layers": []
    });
    if let Some((digest, size)) = subject {
        body["subject"] = json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": size});
    }
    serde_json::to_vec(&body).expect("json")
}

#[tokio::test]
async fn chunked_upload_commits_a_blob_visible_only_in_its_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let (app, other) = (repo("app"), repo("other"));

    let id = store.create_upload(&app).await.expect("session");
    let offset = store
        .append_upload(&app, &id, Some((0, 5)), chunks(&[b"hello "]))
        .await
        .expect("first chunk");
    assert_eq!(offset, 6);
    let err = store
        .append_upload(&app, &id, Some((3, 3)), chunks(&[b"x"]))
        .await
        .expect_err("overlapping chunk");
    assert!(matches!(err, Error::ChunkOutOfOrder { offset: 6, .. }));

    let digest = Digest::sha256_of(b"hello world");
    let size = store
        .commit_upload(&app, &id, &digest, chunks(&[b"world"]))
        .await
        .expect("commit");
    assert_eq!(size, 11);
    assert_eq!(
        std::fs::read(store.blob_path(&digest)).expect("blob file"),
        b"hello world"
    );
    assert!(store
        .blob_in_repository(&app, &digest)
        .expect("read")
        .is_some());
    assert!(store
        .blob_in_repository(&other, &digest)
        .expect("read")
        .is_none());
    assert!(store.mount_blob(&other, &digest).expect("mount").is_some());
    assert!(store
        .blob_in_repository(&other, &digest)
        .expect("read")
        .is_some());
}

#[tokio::test]
async fn a_chunk_of_the_wrong_size_leaves_the_session_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let id = store.create_upload(&app).await.expect("session");
    store
        .append_upload(&app, &id, Some((0, 3)), chunks(&[b"abcd"]))
        .await
        .expect("first chunk");

    let err = store
        .append_upload(&app, &id, Some((4, 99)), chunks(&[b"too short"]))
        .await
        .expect_err("size mismatch");
    assert!(matches!(
        err,
        Error::ChunkSizeMismatch {
            declared: 96,
            received: 9
        }
    ));
    assert_eq!(
        store.upload_offset(&app, &id).await.expect("status"),
        Some(4)
    );

    let digest = Digest::sha256_of(b"abcdef");
    store
        .commit_upload(&app, &id, &digest, chunks(&[b"ef"]))
        .await
        .expect("the hash covers only what was kept");
}

#[tokio::test]
async fn digest_mismatch_discards_the_upload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let id = store.create_upload(&app).await.expect("session");

    let wrong = Digest::sha256_of(b"something else");
    let err = store
        .commit_upload(&app, &id, &wrong, chunks(&[b"data"]))
        .await
        .expect_err("mismatch");
    assert!(matches!(err, Error::DigestMismatch { .. }));
    assert_eq!(store.upload_offset(&app, &id).await.expect("status"), None);
    assert!(!store.blob_path(&wrong).exists());
}

#[tokio::test]
async fn sha512_uploads_are_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let id = store.create_upload(&app).await.expect("session");
    let digest = Digest::compute(Algorithm::Sha512, b"abc");
    store
        .commit_upload(&app, &id, &digest, chunks(&[b"a", b"bc"]))
        .await
        .expect("sha512 commit");
    assert_eq!(
        store.blob(&digest).expect("read"),
        Some(BlobInfo { size: 3 })
    );
}

#[tokio::test]
async fn upload_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = repo("app");
    let id = {
        let store = open(&dir);
        let id = store.create_upload(&app).await.expect("session");
        store
            .append_upload(&app, &id, None, chunks(&[b"first half, "]))
            .await
            .expect("append");
        id
    };

    let store = open(&dir);
    assert_eq!(
        store.upload_offset(&app, &id).await.expect("status"),
        Some(12)
    );
    let digest = Digest::sha256_of(b"first half, second half");
    store
        .commit_upload(&app, &id, &digest, chunks(&[b"second half"]))
        .await
        .expect("resumed commit hashes what came before the restart");
}

#[tokio::test]
async fn manifests_need_their_blobs_but_not_their_subject() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let config = Digest::sha256_of(b"{}");
    let tag = Reference::Tag("v1".parse().expect("tag"));

    let body = image_manifest(&config, None, "application/vnd.example");
    let err = store
        .put_manifest(&app, &tag, Some(OCI_MANIFEST), &body, None)
        .expect_err("config missing");
    assert!(matches!(err, Error::BlobUnknown(d) if d == config));

    push_blob(&store, &app, b"{}").await;
    let absent_subject = Digest::sha256_of(b"not pushed yet");
    let referrer = image_manifest(&config, Some((&absent_subject, 9)), "application/x.sig");
    let put = store
        .put_manifest(&app, &tag, Some(OCI_MANIFEST), &referrer, None)
        .expect("subject may be missing");
    assert_eq!(put.subject.as_ref(), Some(&absent_subject));

    let stored = store
        .get_manifest(&app, &tag)
        .expect("read")
        .expect("stored");
    assert_eq!(stored.bytes, referrer);
    assert_eq!(stored.media_type, OCI_MANIFEST);
}

#[tokio::test]
async fn referrers_page_in_digest_order_and_filter_by_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let config = push_blob(&store, &app, b"{}").await;
    let subject = Digest::sha256_of(b"subject");

    let mut digests = Vec::new();
    for i in 0..5 {
        let kind = if i % 2 == 0 {
            "application/x.sig"
        } else {
            "application/x.sbom"
        };
        let mut body = image_manifest(&config, Some((&subject, 1)), kind);
        body.extend_from_slice(format!("{:width$}", "", width = i).as_bytes());
        let digest = Digest::sha256_of(&body);
        store
            .put_manifest(&app, &Reference::Digest(digest.clone()), None, &body, None)
            .expect("put referrer");
        digests.push(digest);
    }
    digests.sort();

    let none = BTreeSet::new();
    let first = store
        .list_referrers(&app, &subject, None, 2, &none)
        .expect("page");
    assert!(first.more);
    let last = first.descriptors.last().map(|d| d.digest.clone());
    let second = store
        .list_referrers(&app, &subject, last.as_ref(), 10, &none)
        .expect("page");
    assert!(!second.more);
    let listed: Vec<_> = first
        .descriptors
        .iter()
        .chain(&second.descriptors)
        .map(|d| d.digest.clone())
        .collect();
    assert_eq!(listed, digests);

    let sboms = BTreeSet::from(["application/x.sbom".to_owned()]);
    let filtered = store
        .list_referrers(&app, &subject, None, 10, &sboms)
        .expect("filtered");
    assert_eq!(filtered.descriptors.len(), 2);

    store
        .delete_manifest(&app, &Reference::Digest(digests[0].clone()))
        .expect("delete");
    let after = store
        .list_referrers(&app, &subject, None, 10, &none)
        .expect("page");
    assert_eq!(after.descriptors.len(), 4);
}

#[tokio::test]
async fn tag_preconditions_guard_concurrent_writers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let config = push_blob(&store, &app, b"{}").await;
    let tag = Reference::Tag("sha256-abc".parse().expect("tag"));
    let one = image_manifest(&config, None, "application/x.one");
    let two = image_manifest(&config, None, "application/x.two");

    let first = store
        .put_manifest(&app, &tag, None, &one, Some(&Precondition::Absent))
        .expect("created");
    let err = store
        .put_manifest(&app, &tag, None, &two, Some(&Precondition::Absent))
        .expect_err("already exists");
    assert!(matches!(err, Error::PreconditionFailed));
    let stale = Digest::sha256_of(b"stale");
    assert!(store
        .put_manifest(&app, &tag, None, &two, Some(&Precondition::Matches(stale)))
        .is_err());
    store
        .put_manifest(
            &app,
            &tag,
            None,
            &two,
            Some(&Precondition::Matches(first.digest)),
        )
        .expect("matching etag");
}

#[tokio::test]
async fn deleting_a_manifest_removes_its_tags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let config = push_blob(&store, &app, b"{}").await;
    let body = image_manifest(&config, None, "application/x");
    let put = store
        .put_manifest(
            &app,
            &Reference::Tag("a".parse().expect("tag")),
            None,
            &body,
            None,
        )
        .expect("put");
    store
        .put_manifest(
            &app,
            &Reference::Tag("b".parse().expect("tag")),
            None,
            &body,
            None,
        )
        .expect("put");

    let (tags, more) = store
        .list_tags(&app, None, 10)
        .expect("list")
        .expect("repo");
    assert_eq!((tags, more), (vec!["a".to_owned(), "b".to_owned()], false));
    assert!(store
        .delete_manifest(&app, &Reference::Digest(put.digest))
        .expect("delete"));
    let (tags, _) = store
        .list_tags(&app, None, 10)
        .expect("list")
        .expect("repo");
    assert!(tags.is_empty());
    assert!(store
        .list_tags(&repo("nope"), None, 10)
        .expect("list")
        .is_none());
}

#[tokio::test]
async fn old_upload_sessions_expire_with_their_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let app = repo("app");
    let id = store.create_upload(&app).await.expect("session");
    store
        .append_upload(&app, &id, None, chunks(&[b"abandoned"]))
        .await
        .expect("append");

    let day = 24 * 60 * 60;
    assert_eq!(store.expire_uploads_at(unix_now(), day).expect("sweep"), 0);
    assert_eq!(
        store
            .expire_uploads_at(unix_now() + 2 * day, day)
            .expect("sweep"),
        1
    );
    assert_eq!(store.upload_offset(&app, &id).await.expect("status"), None);
    assert_eq!(
        std::fs::read_dir(dir.path().join("uploads"))
            .expect("dir")
            .count(),
        0
    );
}
