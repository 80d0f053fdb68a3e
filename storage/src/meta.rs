//! The metadata database: RocksDB opened with one column family per record kind.
//!
//! This module owns the RocksDB handle, its tuning, and the generic read paths (point
//! reads and bounded prefix scans). Record-specific logic lives with the records:
//! manifests, tags and referrers in `manifests`, blobs and links in `lib`, upload
//! sessions in `uploads`. Every write that acknowledges a client request is synced.

use std::path::Path;

use rocksdb::{
    BlockBasedOptions, BoundColumnFamily, Cache, ColumnFamilyDescriptor, DBWithThreadMode,
    Direction, IteratorMode, MultiThreaded, Options, ReadOptions, WriteBatch, WriteOptions,
};

use crate::error::{Error, Result};
use crate::keys;

type Db = DBWithThreadMode<MultiThreaded>;

/// Tuning of the metadata database.
#[derive(Debug, Clone)]
pub struct MetaOptions {
    /// Capacity of the block cache shared by every column family, in bytes.
    pub block_cache_bytes: usize,
}

impl Default for MetaOptions {
    fn default() -> Self {
        MetaOptions {
            block_cache_bytes: 32 << 20,
        }
    }
}

/// The RocksDB database holding every record that is not blob bytes.
pub(crate) struct Meta {
    db: Db,
}

impl Meta {
    /// Opens (creating if needed) the database in `dir`.
    pub(crate) fn open(dir: &Path, options: &MetaOptions) -> Result<Meta> {
        // Reads are small point lookups: bloom filters skip files that cannot hold a
        // key, and index and filter blocks share the cache so memory stays bounded.
        let cache = Cache::new_lru_cache(options.block_cache_bytes);
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&cache);
        table.set_bloom_filter(10.0, false);
        table.set_cache_index_and_filter_blocks(true);
        table.set_pin_l0_filter_and_index_blocks_in_cache(true);

        let mut cf_options = Options::default();
        cf_options.set_block_based_table_factory(&table);
        cf_options.set_write_buffer_size(8 << 20);
        cf_options.set_max_write_buffer_number(2);
        cf_options.set_compression_type(rocksdb::DBCompressionType::Lz4);

        let mut db_options = Options::default();
        db_options.create_if_missing(true);
        db_options.create_missing_column_families(true);
        db_options.set_max_background_jobs(2);
        // Table files are opened at start. The default opens them on 16 threads per
        // column family, which costs more in thread start-up than the few files take.
        db_options.set_max_file_opening_threads(1);
        // RocksDB's own LOG gets warnings only: at info it writes every option of every
        // column family on each open and statistics every few minutes.
        db_options.set_log_level(rocksdb::LogLevel::Warn);
        db_options.set_stats_dump_period_sec(0);
        db_options.set_keep_log_file_num(2);
        db_options.set_max_total_wal_size(64 << 20);

        let families = keys::COLUMN_FAMILIES
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, cf_options.clone()));
        let db = Db::open_cf_descriptors(&db_options, dir, families)?;
        Ok(Meta { db })
    }

    pub(crate) fn cf(&self, name: &str) -> Result<std::sync::Arc<BoundColumnFamily<'_>>> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| Error::Corrupt(format!("column family {name} missing")))
    }

    /// Point read.
    pub(crate) fn get(&self, family: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get_cf(&self.cf(family)?, key)?)
    }

    /// Whether `key` exists.
    pub(crate) fn contains(&self, family: &str, key: &[u8]) -> Result<bool> {
        let cf = self.cf(family)?;
        if !self.db.key_may_exist_cf(&cf, key) {
            return Ok(false);
        }
        Ok(self.db.get_pinned_cf(&cf, key)?.is_some())
    }

    /// Applies `batch` durably: it is on disk before this returns.
    pub(crate) fn write_synced(&self, batch: WriteBatch) -> Result<()> {
        let mut options = WriteOptions::default();
        options.set_sync(true);
        Ok(self.db.write_opt(batch, &options)?)
    }

    /// Up to `limit` entries whose keys start with `prefix`, from `start` (inclusive)
    /// onwards, in key order, each passed through `keep`, which may drop it by
    /// answering `None`. Also answers whether more matching entries follow.
    ///
    /// The scan stops at the end of the prefix, so its cost is bounded by what it
    /// returns plus what `keep` drops, never by the size of the family.
    pub(crate) fn scan<T>(
        &self,
        family: &str,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
        mut keep: impl FnMut(&[u8], &[u8]) -> Result<Option<T>>,
    ) -> Result<(Vec<T>, bool)> {
        let cf = self.cf(family)?;
        let mut read = ReadOptions::default();
        if let Some(end) = prefix_end(prefix) {
            read.set_iterate_upper_bound(end);
        }
        let from = if start > prefix { start } else { prefix };
        let iter = self
            .db
            .iterator_cf_opt(&cf, read, IteratorMode::From(from, Direction::Forward));

        let mut items = Vec::new();
        for entry in iter {
            let (key, value) = entry?;
            if !key.starts_with(prefix) {
                break;
            }
            if let Some(item) = keep(&key, &value)? {
                if items.len() == limit {
                    return Ok((items, true));
                }
                items.push(item);
            }
        }
        Ok((items, false))
    }

    /// Calls `visit` on every key and value starting with `prefix`.
    pub(crate) fn for_each(
        &self,
        family: &str,
        prefix: &[u8],
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<()>,
    ) -> Result<()> {
        self.scan(family, prefix, prefix, usize::MAX, |key, value| {
            visit(key, value).map(|()| None::<()>)
        })
        .map(|_| ())
    }

    /// Flushes memtables so the next open replays no WAL.
    pub(crate) fn flush(&self) -> Result<()> {
        for name in keys::COLUMN_FAMILIES {
            self.db.flush_cf(&self.cf(name)?)?;
        }
        Ok(())
    }
}

/// The smallest key greater than every key starting with `prefix`, if one exists.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_the_last_byte() {
        assert_eq!(prefix_end(b"ab\0"), Some(b"ab\x01".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }
}
