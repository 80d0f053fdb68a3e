//! `cairn-storage`: the content-addressed store behind the cairn registry.
//!
//! Blob bytes live in files named by their digest; everything else (repositories, tags,
//! manifests, the referrers index, blob links, upload sessions) lives in RocksDB. This
//! crate knows nothing of HTTP: it answers in its own [`Error`] and lets the server
//! decide what each outcome means to a client.
//!
//! Map of the crate:
//!
//! - [`digest`]: the validated [`Digest`] and the incremental hasher;
//! - [`name`]: repository names, tags, references and upload ids, with their grammars;
//! - [`manifest`]: the manifest formats accepted and what each one references;
//! - `keys`: the RocksDB key layout, the only code that builds keys;
//! - `meta`: the RocksDB handle, its tuning, point reads and bounded scans;
//! - `blobs`: the file layout and the crash-safe commit of a blob;
//! - `uploads`: upload sessions, hashed while received;
//! - `manifests`: manifest writes, tags and the referrers index;
//! - this file: [`Store`], which ties them together, and blob links.

#![warn(missing_docs)]

pub mod digest;
pub mod manifest;
pub mod name;

mod blobs;
mod error;
mod keys;
mod manifests;
mod meta;
mod uploads;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{stream, Stream};

use rocksdb::WriteBatch;

pub use crate::digest::{Algorithm, Digest, DigestError};
pub use crate::error::{Error, Result};
pub use crate::manifest::{Descriptor, ManifestError};
pub use crate::manifests::{Precondition, PutManifest, ReferrersPage, StoredManifest};
pub use crate::meta::MetaOptions;
pub use crate::name::{NameError, Reference, RepositoryName, Tag, UploadId};

use crate::blobs::BlobFiles;
use crate::manifests::TagLocks;
use crate::meta::Meta;
use crate::uploads::Sessions;

/// The registry's store: blob files plus the metadata database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

/// Shared state of a [`Store`].
struct Inner {
    root: PathBuf,
    meta: Meta,
    files: BlobFiles,
    sessions: Sessions,
    tag_locks: TagLocks,
}

/// A blob as recorded in the metadata database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    /// Size in bytes.
    pub size: u64,
}

impl Store {
    /// Opens the store rooted at `root`, creating its layout if it is new.
    pub fn open(root: &Path, options: &MetaOptions) -> Result<Store> {
        let files = BlobFiles::create(root)?;
        let meta = Meta::open(&root.join("meta"), options)?;
        let store = Store {
            inner: Arc::new(Inner {
                root: root.to_owned(),
                meta,
                files,
                sessions: Sessions::default(),
                tag_locks: TagLocks::new(),
            }),
        };
        let swept = store.sweep_orphan_uploads()?;
        if swept > 0 {
            tracing::info!(
                files = swept,
                "removed upload files that belong to no session"
            );
        }
        Ok(store)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Where the bytes of blob `digest` are, once it is committed.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.inner.files.blob_path(digest)
    }

    /// Streams `len` bytes of blob `digest` from byte `start`, in chunks of at most
    /// `chunk` bytes.
    ///
    /// Each chunk is one read on the blocking pool into a buffer allocated by the task
    /// polling the stream, so buffers come from the async workers' memory and are never
    /// copied twice. A blob shorter than recorded ends the stream with an error.
    pub async fn read_blob(
        &self,
        digest: &Digest,
        start: u64,
        len: u64,
        chunk: usize,
    ) -> Result<impl Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
        let path = self.inner.files.blob_path(digest);
        let file = tokio::task::spawn_blocking(move || {
            let mut file = File::open(&path)?;
            file.seek(SeekFrom::Start(start))?;
            Ok::<_, std::io::Error>(file)
        })
        .await?
        .map_err(Error::io(format!("opening blob {digest}")))?;

        let chunk = chunk.max(1) as u64;
        Ok(stream::unfold(
            (Some(file), len),
            move |(file, remaining)| async move {
                let file = file.filter(|_| remaining > 0)?;
                let n = remaining.min(chunk);
                let buffer = Vec::with_capacity(usize::try_from(n).unwrap_or(usize::MAX));
                let read = tokio::task::spawn_blocking(move || {
                    let (mut file, mut buffer) = (file, buffer);
                    let read = (&mut file).take(n).read_to_end(&mut buffer);
                    (file, buffer, read)
                })
                .await;
                Some(match read {
                    Ok((file, buffer, Ok(got))) if got as u64 == n => {
                        (Ok(Bytes::from(buffer)), (Some(file), remaining - n))
                    }
                    Ok((_, _, Ok(_))) => (
                        Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "blob file is shorter than its recorded size",
                        )),
                        (None, 0),
                    ),
                    Ok((_, _, Err(err))) => (Err(err), (None, 0)),
                    Err(join) => (Err(std::io::Error::other(join)), (None, 0)),
                })
            },
        ))
    }

    /// The blob `digest` if it is visible in `repo` (pushed or mounted there).
    pub fn blob_in_repository(
        &self,
        repo: &RepositoryName,
        digest: &Digest,
    ) -> Result<Option<BlobInfo>> {
        let value = self
            .inner
            .meta
            .get(keys::LINKS, &keys::link(repo, digest))?;
        value
            .map(|v| decode_size(&v, digest).map(|size| BlobInfo { size }))
            .transpose()
    }

    /// The blob `digest` if the registry holds it in any repository.
    pub fn blob(&self, digest: &Digest) -> Result<Option<BlobInfo>> {
        let value = self.inner.meta.get(keys::BLOBS, &keys::blob(digest))?;
        value
            .map(|v| decode_size(&v, digest).map(|size| BlobInfo { size }))
            .transpose()
    }

    /// Makes the stored blob `digest` visible in `repo` too (a cross-repository mount).
    /// Answers `None` when the registry does not hold the blob.
    pub fn mount_blob(&self, repo: &RepositoryName, digest: &Digest) -> Result<Option<BlobInfo>> {
        let Some(info) = self.blob(digest)? else {
            return Ok(None);
        };
        self.record_blob(repo, digest, info.size, None)?;
        Ok(Some(info))
    }

    /// Removes blob `digest` from `repo`; answers whether it was there.
    ///
    /// The bytes stay on disk: other repositories may link them, and reclaiming
    /// unreferenced bytes is garbage collection's job, which cairn does not run yet.
    pub fn unlink_blob(&self, repo: &RepositoryName, digest: &Digest) -> Result<bool> {
        let key = keys::link(repo, digest);
        if !self.inner.meta.contains(keys::LINKS, &key)? {
            return Ok(false);
        }
        let mut batch = WriteBatch::default();
        batch.delete_cf(&self.inner.meta.cf(keys::LINKS)?, key);
        self.inner.meta.write_synced(batch)?;
        Ok(true)
    }

    /// Records, durably and in one batch, that blob `digest` of `size` bytes exists and
    /// is linked into `repo`, ending upload session `finished` if given.
    fn record_blob(
        &self,
        repo: &RepositoryName,
        digest: &Digest,
        size: u64,
        finished: Option<&UploadId>,
    ) -> Result<()> {
        let now = unix_now();
        let mut blob_value = Vec::with_capacity(16);
        blob_value.extend_from_slice(&keys::u64_value(size));
        blob_value.extend_from_slice(&keys::u64_value(now));

        let mut batch = WriteBatch::default();
        batch.put_cf(
            &self.inner.meta.cf(keys::BLOBS)?,
            keys::blob(digest),
            blob_value,
        );
        batch.put_cf(
            &self.inner.meta.cf(keys::LINKS)?,
            keys::link(repo, digest),
            keys::u64_value(size),
        );
        batch.put_cf(
            &self.inner.meta.cf(keys::REPOSITORIES)?,
            keys::repository(repo),
            keys::u64_value(now),
        );
        if let Some(id) = finished {
            batch.delete_cf(&self.inner.meta.cf(keys::UPLOADS)?, keys::upload(id));
        }
        self.inner.meta.write_synced(batch)
    }

    /// Up to `limit` repository names after `last`, in lexical order, and whether more
    /// follow.
    pub fn list_repositories(
        &self,
        last: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, bool)> {
        let start = match last {
            Some(last) => keys::successor(last.as_bytes().to_vec()),
            None => Vec::new(),
        };
        self.inner
            .meta
            .scan(keys::REPOSITORIES, b"", &start, limit, |key, _| {
                Ok(Some(String::from_utf8_lossy(key).into_owned()))
            })
    }

    /// Flushes the metadata database so the next start replays nothing.
    pub fn flush(&self) -> Result<()> {
        self.inner.meta.flush()
    }
}

/// Decodes the size at the start of a `blobs` or `links` value.
fn decode_size(value: &[u8], digest: &Digest) -> Result<u64> {
    keys::read_u64(value).ok_or_else(|| Error::Corrupt(format!("size record of {digest}")))
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
