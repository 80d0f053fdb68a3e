//! Upload sessions: receiving blob bytes, hashing them as they arrive, and committing
//! them as a blob once the client names the digest.
//!
//! A session is a record in the `uploads` column family plus a file under `uploads/`;
//! the file's length is the session's offset. Each append is fsynced before it is
//! acknowledged, so after a restart a client asking for the session's status learns
//! exactly what the registry holds and can resume from there.
//!
//! The SHA-256 state lives in memory beside the session. After a restart it is rebuilt
//! once, by hashing the file received so far; a final digest of another algorithm is
//! checked by hashing the file once at commit.
//!
//! Abandoned sessions are ended by [`Store::expire_uploads`], which the server runs
//! periodically, so their files do not fill the disk.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use rocksdb::WriteBatch;
use serde::{Deserialize, Serialize};

use crate::digest::{Algorithm, Digest, DigestHasher};
use crate::error::{Error, Result};
use crate::keys;
use crate::name::{RepositoryName, UploadId};
use crate::Store;

/// Bytes gathered from the network before one write-and-hash step off the async workers.
const WRITE_BATCH_BYTES: usize = 1 << 20;

/// The persistent part of a session.
#[derive(Debug, Serialize, Deserialize)]
struct SessionRecord {
    repository: String,
    started_at: u64,
}

impl SessionRecord {
    fn decode(value: &[u8]) -> Result<SessionRecord> {
        serde_json::from_slice(value)
            .map_err(|err| Error::Corrupt(format!("upload session record: {err}")))
    }
}

/// The in-memory part of a session, guarded so that appends to one session are ordered.
struct SessionState {
    hasher: DigestHasher,
    /// How many bytes of the file `hasher` has seen.
    hashed: u64,
}

/// Per-session locks and hash states of the sessions touched since start.
#[derive(Default)]
pub(crate) struct Sessions(Mutex<HashMap<UploadId, Arc<tokio::sync::Mutex<SessionState>>>>);

impl Sessions {
    fn state(&self, id: &UploadId) -> Arc<tokio::sync::Mutex<SessionState>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.clone())
            .or_insert_with(|| {
                Arc::new(tokio::sync::Mutex::new(SessionState {
                    hasher: DigestHasher::new(Algorithm::Sha256),
                    hashed: 0,
                }))
            })
            .clone()
    }

    fn forget(&self, id: &UploadId) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

/// An open file of a session, written and hashed together off the async workers.
struct Appender {
    file: File,
    state: tokio::sync::OwnedMutexGuard<SessionState>,
    offset: u64,
}

impl Appender {
    fn write(mut self, data: Bytes) -> Result<Appender> {
        self.file
            .write_all(&data)
            .map_err(Error::io("writing upload data"))?;
        self.state.hasher.update(&data);
        self.offset += data.len() as u64;
        self.state.hashed = self.offset;
        Ok(self)
    }

    /// Cuts the file back to `offset`, dropping a refused chunk; the hash state is reset
    /// so the next append rebuilds it from what remains.
    fn roll_back(mut self, offset: u64) -> Result<()> {
        self.file
            .set_len(offset)
            .and_then(|()| self.file.sync_data())
            .map_err(Error::io("dropping a refused chunk"))?;
        self.state.hasher = DigestHasher::new(Algorithm::Sha256);
        self.state.hashed = 0;
        Ok(())
    }
}

impl Store {
    /// Starts an upload session in `repo`.
    pub async fn create_upload(&self, repo: &RepositoryName) -> Result<UploadId> {
        let id = UploadId::generate();
        let record = SessionRecord {
            repository: repo.as_str().to_owned(),
            started_at: crate::unix_now(),
        };
        let value = serde_json::to_vec(&record)
            .map_err(|err| Error::Corrupt(format!("encoding upload record: {err}")))?;
        let path = self.inner.files.upload_path(&id);
        let store = self.clone();
        let key = keys::upload(&id);
        tokio::task::spawn_blocking(move || {
            File::create(&path).map_err(Error::io("creating upload file"))?;
            let mut batch = WriteBatch::default();
            batch.put_cf(&store.inner.meta.cf(keys::UPLOADS)?, key, value);
            store.inner.meta.write_synced(batch)
        })
        .await??;
        Ok(id)
    }

    /// How many bytes session `id` of `repo` holds, or `None` if there is no such session.
    pub async fn upload_offset(&self, repo: &RepositoryName, id: &UploadId) -> Result<Option<u64>> {
        if !self.session_belongs_to(repo, id)? {
            return Ok(None);
        }
        let path = self.inner.files.upload_path(id);
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(Error::io("reading upload size")(err)),
        }
    }

    fn session_belongs_to(&self, repo: &RepositoryName, id: &UploadId) -> Result<bool> {
        let Some(value) = self.inner.meta.get(keys::UPLOADS, &keys::upload(id))? else {
            return Ok(false);
        };
        Ok(SessionRecord::decode(&value)?.repository == repo.as_str())
    }

    /// Appends `body` to session `id`. A chunk of a chunked upload names its `range`
    /// (first and last byte): it must begin exactly where the session stands and hold
    /// exactly that many bytes, or it is refused and leaves the session as it was.
    /// Answers the new offset.
    pub async fn append_upload<S, E>(
        &self,
        repo: &RepositoryName,
        id: &UploadId,
        range: Option<(u64, u64)>,
        body: S,
    ) -> Result<u64>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let appender = self.open_appender(repo, id).await?;
        let before = appender.offset;
        if let Some((requested, _)) = range {
            if requested != before {
                return Err(Error::ChunkOutOfOrder {
                    requested,
                    offset: before,
                });
            }
        }
        let appender = receive(appender, body).await?;
        let received = appender.offset - before;
        tokio::task::spawn_blocking(move || match range {
            Some((first, last)) if received != last - first + 1 => {
                appender.roll_back(before)?;
                Err(Error::ChunkSizeMismatch {
                    declared: last - first + 1,
                    received,
                })
            }
            _ => {
                appender
                    .file
                    .sync_data()
                    .map_err(Error::io("syncing upload data"))?;
                Ok(appender.offset)
            }
        })
        .await?
    }

    /// Locks session `id` of `repo` and opens its file for appending, rebuilding the
    /// hash state if the session was started before the last restart.
    async fn open_appender(&self, repo: &RepositoryName, id: &UploadId) -> Result<Appender> {
        if !self.session_belongs_to(repo, id)? {
            return Err(Error::UploadUnknown);
        }
        let mut state = self.inner.sessions.state(id).lock_owned().await;
        let path = self.inner.files.upload_path(id);
        tokio::task::spawn_blocking(move || {
            let file = OpenOptions::new()
                .append(true)
                .read(true)
                .open(&path)
                .map_err(|err| match err.kind() {
                    std::io::ErrorKind::NotFound => Error::UploadUnknown,
                    _ => Error::io("opening upload file")(err),
                })?;
            let offset = file.metadata().map_err(Error::io("sizing upload"))?.len();
            if state.hashed != offset {
                state.hasher = hash_file(&path, Algorithm::Sha256)?.0;
                state.hashed = offset;
            }
            Ok(Appender {
                file,
                state,
                offset,
            })
        })
        .await?
    }

    /// Finishes session `id`: appends `body`, checks the bytes hash to `digest`, and
    /// makes them the blob `digest` of `repo`. Answers the blob's size.
    ///
    /// On a digest mismatch the session and its data are discarded.
    pub async fn commit_upload<S, E>(
        &self,
        repo: &RepositoryName,
        id: &UploadId,
        digest: &Digest,
        body: S,
    ) -> Result<u64>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let appender = receive(self.open_appender(repo, id).await?, body).await?;

        let store = self.clone();
        let (repo, id, digest) = (repo.clone(), id.clone(), digest.clone());
        tokio::task::spawn_blocking(move || {
            let Appender {
                file,
                state,
                offset,
            } = appender;
            let actual = if digest.algorithm() == Algorithm::Sha256 {
                state.hasher.clone().finish()
            } else {
                hash_file(&store.inner.files.upload_path(&id), digest.algorithm())?.1
            };
            drop(state);
            if actual != digest {
                store.end_session(&id)?;
                return Err(Error::DigestMismatch {
                    expected: digest,
                    actual,
                });
            }
            file.sync_all().map_err(Error::io("syncing upload data"))?;
            drop(file);
            store.inner.files.commit(&id, &digest)?;
            store.record_blob(&repo, &digest, offset, Some(&id))?;
            store.inner.sessions.forget(&id);
            Ok(offset)
        })
        .await?
    }

    /// Cancels session `id`; answers whether it existed.
    pub async fn cancel_upload(&self, repo: &RepositoryName, id: &UploadId) -> Result<bool> {
        if !self.session_belongs_to(repo, id)? {
            return Ok(false);
        }
        let _state = self.inner.sessions.state(id).lock_owned().await;
        let store = self.clone();
        let id = id.clone();
        tokio::task::spawn_blocking(move || store.end_session(&id)).await??;
        Ok(true)
    }

    /// Removes the record, the file and the in-memory state of session `id`.
    fn end_session(&self, id: &UploadId) -> Result<()> {
        let mut batch = WriteBatch::default();
        batch.delete_cf(&self.inner.meta.cf(keys::UPLOADS)?, keys::upload(id));
        self.inner.meta.write_synced(batch)?;
        self.inner.files.discard_upload(id)?;
        self.inner.sessions.forget(id);
        Ok(())
    }

    /// Ends every session started more than `max_age` ago, with its data; answers how
    /// many ended.
    ///
    /// Age counts from the session's start, not its last write: recording the time of
    /// each append would spare a very slow upload that is still active.
    pub fn expire_uploads(&self, max_age: std::time::Duration) -> Result<usize> {
        self.expire_uploads_at(crate::unix_now(), max_age.as_secs())
    }

    /// [`Store::expire_uploads`] as seen at `now` (seconds since the Unix epoch).
    pub(crate) fn expire_uploads_at(&self, now: u64, max_age: u64) -> Result<usize> {
        let mut expired = Vec::new();
        self.inner.meta.for_each(keys::UPLOADS, b"", |key, value| {
            let record = SessionRecord::decode(value)?;
            let id = std::str::from_utf8(key).ok().and_then(|k| k.parse().ok());
            if let (Some(id), true) = (id, now.saturating_sub(record.started_at) > max_age) {
                expired.push(id);
            }
            Ok(())
        })?;
        for id in &expired {
            self.end_session(id)?;
        }
        Ok(expired.len())
    }

    /// Deletes files under `uploads/` that belong to no session: leftovers of sessions
    /// that ended while the process died between removing the record and the file.
    pub(crate) fn sweep_orphan_uploads(&self) -> Result<usize> {
        let dir = self.inner.files.uploads_dir();
        let entries = std::fs::read_dir(dir).map_err(Error::io("listing uploads"))?;
        let mut removed = 0;
        for entry in entries {
            let entry = entry.map_err(Error::io("listing uploads"))?;
            let name = entry.file_name();
            let id = name.to_str().and_then(|n| n.parse::<UploadId>().ok());
            let known = match &id {
                Some(id) => self.inner.meta.contains(keys::UPLOADS, &keys::upload(id))?,
                None => false,
            };
            if !known {
                std::fs::remove_file(entry.path()).map_err(Error::io("removing stale upload"))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Streams `body` into `appender`, writing and hashing in batches on the blocking pool.
async fn receive<S, E>(mut appender: Appender, mut body: S) -> Result<Appender>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut pending = BytesMut::new();
    loop {
        let next = body.next().await;
        let done = match next {
            Some(Ok(chunk)) => {
                pending.extend_from_slice(&chunk);
                false
            }
            Some(Err(err)) => {
                // Keep what arrived intact so the client can resume after it.
                if !pending.is_empty() {
                    let data = pending.split().freeze();
                    appender = tokio::task::spawn_blocking(move || appender.write(data)).await??;
                }
                tokio::task::spawn_blocking(move || appender.file.sync_data())
                    .await?
                    .ok();
                return Err(Error::BodyInterrupted(err.to_string()));
            }
            None => true,
        };
        if pending.len() >= WRITE_BATCH_BYTES || (done && !pending.is_empty()) {
            let data = pending.split().freeze();
            appender = tokio::task::spawn_blocking(move || appender.write(data)).await??;
        }
        if done {
            return Ok(appender);
        }
    }
}

/// Hashes the file at `path` from the start with `algorithm`.
fn hash_file(path: &std::path::Path, algorithm: Algorithm) -> Result<(DigestHasher, Digest)> {
    let mut file = File::open(path).map_err(Error::io("reading upload to hash"))?;
    let mut hasher = DigestHasher::new(algorithm);
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(Error::io("reading upload to hash"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    let digest = hasher.clone().finish();
    Ok((hasher, digest))
}
