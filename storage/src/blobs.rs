//! The filesystem half of the store: where blob and upload bytes live.
//!
//! ```text
//! <root>/
//! ├── blobs/<algorithm>/<first two hex>/<hex>   complete blobs, written once
//! ├── uploads/<upload id>                       bytes of uploads in progress
//! └── meta/                                     RocksDB (see the keys module)
//! ```
//!
//! A blob appears under `blobs/` only by `rename` of a fully written, fsynced upload
//! file, followed by an fsync of the directory: after a crash a blob path holds either
//! nothing or the whole blob. This module owns the paths; metadata is written by the
//! caller afterwards.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::name::UploadId;

/// Paths and file operations under the store's root directory.
#[derive(Debug, Clone)]
pub(crate) struct BlobFiles {
    blobs: PathBuf,
    uploads: PathBuf,
}

impl BlobFiles {
    /// Creates the directory layout under `root` if it is missing.
    pub(crate) fn create(root: &Path) -> Result<BlobFiles> {
        let files = BlobFiles {
            blobs: root.join("blobs"),
            uploads: root.join("uploads"),
        };
        for dir in [&files.blobs, &files.uploads] {
            fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        }
        Ok(files)
    }

    /// Where the bytes of `digest` live once committed.
    pub(crate) fn blob_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.blobs
            .join(digest.algorithm().as_str())
            .join(&hex[..2])
            .join(hex)
    }

    /// Where the bytes of upload `id` accumulate.
    pub(crate) fn upload_path(&self, id: &UploadId) -> PathBuf {
        self.uploads.join(id.as_str())
    }

    /// The uploads directory, for the startup sweep.
    pub(crate) fn uploads_dir(&self) -> &Path {
        &self.uploads
    }

    /// Moves the finished upload `id` into place as blob `digest`.
    ///
    /// The upload file must already be fsynced. If another upload committed the same
    /// digest first, the rename replaces identical bytes, so concurrent uploads of one
    /// blob both succeed and leave one copy.
    pub(crate) fn commit(&self, id: &UploadId, digest: &Digest) -> Result<()> {
        let target = self.blob_path(digest);
        let Some(dir) = target.parent() else {
            return Err(Error::Corrupt(format!(
                "blob path {} has no parent",
                target.display()
            )));
        };
        fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        fs::rename(self.upload_path(id), &target).map_err(Error::io(format!(
            "moving upload into {}",
            target.display()
        )))?;
        sync_dir(dir)
    }

    /// Removes the bytes of upload `id`; a missing file is not an error.
    pub(crate) fn discard_upload(&self, id: &UploadId) -> Result<()> {
        match fs::remove_file(self.upload_path(id)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => {
                Err(Error::io(format!("removing upload {id}"))(err))
            }
            _ => Ok(()),
        }
    }
}

/// Makes a rename inside `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(format!("syncing {}", dir.display())))
}
