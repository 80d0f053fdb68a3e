//! Manifests, tags and the referrers index.
//!
//! A manifest PUT is checked (parse, digest, every blob and child present) and then
//! written as one synced `WriteBatch`: the manifest, its tag, its referrers entry and the
//! repository record land together or not at all. The referrers entry holds the whole
//! descriptor the referrers API answers with, so listing never re-reads manifests.
//!
//! Every manifest naming a `subject` is indexed on push, whatever the client believes
//! about the registry: a client that falls back to the referrers tag schema pushes its
//! referrers here first, so the API already lists everything that tag's index names.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use rocksdb::WriteBatch;

use crate::digest::{Algorithm, Digest};
use crate::error::{Error, Result};
use crate::keys;
use crate::manifest::{self, Descriptor};
use crate::name::{Reference, RepositoryName, Tag};
use crate::Store;

/// Number of locks tag updates are spread over.
const TAG_LOCK_STRIPES: usize = 64;

/// A stored manifest, exactly as pushed.
#[derive(Debug, Clone)]
pub struct StoredManifest {
    /// Its digest.
    pub digest: Digest,
    /// The media type it was pushed with.
    pub media_type: String,
    /// The exact bytes pushed.
    pub bytes: Vec<u8>,
}

/// A condition on the manifest a tag currently points at, from `If-Match` /
/// `If-None-Match`, so concurrent writers of one tag do not lose updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// The tag must currently point at this digest.
    Matches(Digest),
    /// The tag must not currently point at this digest.
    NotMatches(Digest),
    /// The tag must not exist yet (`If-None-Match: *`).
    Absent,
    /// The tag must exist (`If-Match: *`).
    Present,
}

/// What a successful manifest PUT stored.
#[derive(Debug, Clone)]
pub struct PutManifest {
    /// Digest of the stored bytes.
    pub digest: Digest,
    /// The subject the manifest refers to, if any.
    pub subject: Option<Digest>,
}

/// One page of a referrers listing.
#[derive(Debug, Clone, Default)]
pub struct ReferrersPage {
    /// Descriptors of the referrers, ordered by digest.
    pub descriptors: Vec<Descriptor>,
    /// Whether more referrers follow the last one on this page.
    pub more: bool,
}

/// Striped locks serialising the check-and-write of each tag.
pub(crate) struct TagLocks([Mutex<()>; TAG_LOCK_STRIPES]);

impl TagLocks {
    pub(crate) fn new() -> TagLocks {
        TagLocks(std::array::from_fn(|_| Mutex::new(())))
    }

    /// Holds the lock of the tag stored under `key` until the guard drops.
    fn lock(&self, key: &[u8]) -> std::sync::MutexGuard<'_, ()> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % TAG_LOCK_STRIPES as u64).unwrap_or(0);
        // The guarded data is `()`: a panic while holding it leaves nothing inconsistent.
        self.0[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store {
    /// Stores `bytes` as a manifest of `repo` under `reference`.
    ///
    /// `content_type` is the client's `Content-Type`. A digest reference must match
    /// the bytes; a tag reference is moved to them, subject to `precondition`.
    pub fn put_manifest(
        &self,
        repo: &RepositoryName,
        reference: &Reference,
        content_type: Option<&str>,
        bytes: &[u8],
        precondition: Option<&Precondition>,
    ) -> Result<PutManifest> {
        let parsed = manifest::parse(content_type, bytes)?;
        let algorithm = match reference {
            Reference::Digest(expected) => expected.algorithm(),
            Reference::Tag(_) => Algorithm::Sha256,
        };
        let digest = Digest::compute(algorithm, bytes);
        if let Reference::Digest(expected) = reference {
            if *expected != digest {
                return Err(Error::DigestMismatch {
                    expected: expected.clone(),
                    actual: digest,
                });
            }
        }
        self.check_references(repo, &parsed)?;

        let size = bytes.len() as u64;
        let mut batch = WriteBatch::default();
        batch.put_cf(
            &self.inner.meta.cf(keys::REPOSITORIES)?,
            keys::repository(repo),
            keys::u64_value(crate::unix_now()),
        );
        batch.put_cf(
            &self.inner.meta.cf(keys::MANIFESTS)?,
            keys::manifest(repo, &digest),
            keys::manifest_value(&parsed.media_type, bytes),
        );
        let subject = parsed.subject.as_ref().map(|s| s.digest.clone());
        if let Some(subject) = &subject {
            let descriptor = parsed.referrer_descriptor(digest.clone(), size);
            let value = serde_json::to_vec(&descriptor)
                .map_err(|err| Error::Corrupt(format!("encoding descriptor: {err}")))?;
            batch.put_cf(
                &self.inner.meta.cf(keys::REFERRERS)?,
                keys::referrer(repo, subject, &digest),
                value,
            );
        }

        match reference {
            Reference::Digest(_) => self.inner.meta.write_synced(batch)?,
            Reference::Tag(tag) => {
                let tag_key = keys::tag(repo, tag);
                let _guard = self.inner.tag_locks.lock(&tag_key);
                if let Some(condition) = precondition {
                    let current = self.resolve_tag(repo, tag)?;
                    if !holds(condition, current.as_ref()) {
                        return Err(Error::PreconditionFailed);
                    }
                }
                batch.put_cf(&self.inner.meta.cf(keys::TAGS)?, tag_key, digest.as_str());
                self.inner.meta.write_synced(batch)?;
            }
        }
        Ok(PutManifest { digest, subject })
    }

    /// Fails unless every blob and child manifest `parsed` names is in `repo`.
    fn check_references(&self, repo: &RepositoryName, parsed: &manifest::Manifest) -> Result<()> {
        for blob in &parsed.blobs {
            if !self
                .inner
                .meta
                .contains(keys::LINKS, &keys::link(repo, blob))?
            {
                return Err(Error::BlobUnknown(blob.clone()));
            }
        }
        for child in &parsed.children {
            if !self
                .inner
                .meta
                .contains(keys::MANIFESTS, &keys::manifest(repo, child))?
            {
                return Err(Error::ManifestUnknown(child.clone()));
            }
        }
        Ok(())
    }

    /// The digest `tag` points at in `repo`.
    pub fn resolve_tag(&self, repo: &RepositoryName, tag: &Tag) -> Result<Option<Digest>> {
        let Some(value) = self.inner.meta.get(keys::TAGS, &keys::tag(repo, tag))? else {
            return Ok(None);
        };
        let digest = std::str::from_utf8(&value)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| Error::Corrupt(format!("tag {repo}:{tag} holds no digest")))?;
        Ok(Some(digest))
    }

    /// The manifest `reference` names in `repo`.
    pub fn get_manifest(
        &self,
        repo: &RepositoryName,
        reference: &Reference,
    ) -> Result<Option<StoredManifest>> {
        let digest = match reference {
            Reference::Digest(digest) => digest.clone(),
            Reference::Tag(tag) => match self.resolve_tag(repo, tag)? {
                Some(digest) => digest,
                None => return Ok(None),
            },
        };
        let Some(value) = self
            .inner
            .meta
            .get(keys::MANIFESTS, &keys::manifest(repo, &digest))?
        else {
            return Ok(None);
        };
        let (media_type, bytes) = keys::split_manifest_value(&value)
            .ok_or_else(|| Error::Corrupt(format!("manifest {repo}@{digest} undecodable")))?;
        Ok(Some(StoredManifest {
            media_type: media_type.to_owned(),
            bytes: bytes.to_vec(),
            digest,
        }))
    }

    /// Deletes what `reference` names: a tag alone, or a manifest with every tag that
    /// points at it and its referrers entry. Answers whether anything was there.
    ///
    /// The referrers of a deleted manifest stay listed: a subject pushed back finds
    /// its graph intact.
    pub fn delete_manifest(&self, repo: &RepositoryName, reference: &Reference) -> Result<bool> {
        let digest = match reference {
            Reference::Tag(tag) => {
                let tag_key = keys::tag(repo, tag);
                let _guard = self.inner.tag_locks.lock(&tag_key);
                if !self.inner.meta.contains(keys::TAGS, &tag_key)? {
                    return Ok(false);
                }
                let mut batch = WriteBatch::default();
                batch.delete_cf(&self.inner.meta.cf(keys::TAGS)?, tag_key);
                self.inner.meta.write_synced(batch)?;
                return Ok(true);
            }
            Reference::Digest(digest) => digest,
        };
        let Some(stored) = self.get_manifest(repo, reference)? else {
            return Ok(false);
        };

        let mut batch = WriteBatch::default();
        batch.delete_cf(
            &self.inner.meta.cf(keys::MANIFESTS)?,
            keys::manifest(repo, digest),
        );
        let parsed = manifest::parse(Some(&stored.media_type), &stored.bytes)?;
        if let Some(subject) = parsed.subject {
            batch.delete_cf(
                &self.inner.meta.cf(keys::REFERRERS)?,
                keys::referrer(repo, &subject.digest, digest),
            );
        }
        let tags = self.inner.meta.cf(keys::TAGS)?;
        self.inner
            .meta
            .for_each(keys::TAGS, &keys::repository_prefix(repo), |key, value| {
                if value == digest.as_str().as_bytes() {
                    batch.delete_cf(&tags, key);
                }
                Ok(())
            })?;
        self.inner.meta.write_synced(batch)?;
        Ok(true)
    }

    /// Up to `limit` tags of `repo` after `last`, in lexical order, and whether more
    /// follow; `None` when the repository does not exist.
    pub fn list_tags(
        &self,
        repo: &RepositoryName,
        last: Option<&str>,
        limit: usize,
    ) -> Result<Option<(Vec<String>, bool)>> {
        if !self
            .inner
            .meta
            .contains(keys::REPOSITORIES, &keys::repository(repo))?
        {
            return Ok(None);
        }
        let prefix = keys::repository_prefix(repo);
        let start = resume_after(&prefix, last);
        let page = self
            .inner
            .meta
            .scan(keys::TAGS, &prefix, &start, limit, |key, _| {
                Ok(Some(
                    String::from_utf8_lossy(keys::last_component(key)).into_owned(),
                ))
            })?;
        Ok(Some(page))
    }

    /// Up to `limit` referrers of `subject` in `repo` whose digest sorts after `last`,
    /// keeping only the artifact types in `filter` when it is not empty.
    pub fn list_referrers(
        &self,
        repo: &RepositoryName,
        subject: &Digest,
        last: Option<&Digest>,
        limit: usize,
        filter: &BTreeSet<String>,
    ) -> Result<ReferrersPage> {
        let prefix = keys::referrers_prefix(repo, subject);
        let start = resume_after(&prefix, last.map(Digest::as_str));
        let (descriptors, more) =
            self.inner
                .meta
                .scan(keys::REFERRERS, &prefix, &start, limit, |_, value| {
                    let descriptor: Descriptor = serde_json::from_slice(value)
                        .map_err(|err| Error::Corrupt(format!("referrer descriptor: {err}")))?;
                    let wanted = filter.is_empty()
                        || descriptor
                            .artifact_type
                            .as_ref()
                            .is_some_and(|t| filter.contains(t));
                    Ok(wanted.then_some(descriptor))
                })?;
        Ok(ReferrersPage { descriptors, more })
    }
}

/// The first key of a listing under `prefix` that resumes after the entry `last`.
fn resume_after(prefix: &[u8], last: Option<&str>) -> Vec<u8> {
    match last {
        Some(last) => {
            let mut key = prefix.to_vec();
            key.extend_from_slice(last.as_bytes());
            keys::successor(key)
        }
        None => prefix.to_vec(),
    }
}

/// Whether `condition` holds when the tag points at `current`.
fn holds(condition: &Precondition, current: Option<&Digest>) -> bool {
    match condition {
        Precondition::Matches(digest) => current == Some(digest),
        Precondition::NotMatches(digest) => current != Some(digest),
        Precondition::Absent => current.is_none(),
        Precondition::Present => current.is_some(),
    }
}
