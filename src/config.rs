//! Configuration in two stages: [`RawConfig`], the TOML file as written (unknown keys
//! are an error), then [`Config`], validated settings of final types after the
//! environment (`CAIRN_*`) and command-line flags have been laid over the file.
//!
//! Every key is documented, with its default, in `config.example.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The TOML file, field for field.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Storage root directory.
    pub root: Option<PathBuf>,
    /// Store in a temporary directory removed on exit.
    pub ephemeral: Option<bool>,
    /// Serve the referrers APIs.
    pub referrers_api: Option<bool>,
    /// Largest manifest accepted, in bytes.
    pub max_manifest_bytes: Option<usize>,
    /// Seconds to let requests in flight finish after a shutdown signal.
    pub shutdown_grace_secs: Option<u64>,
    /// Hours after which an unfinished upload session is ended and its data removed.
    pub upload_max_age_hours: Option<u64>,
    /// Log settings.
    #[serde(default)]
    pub log: RawLog,
    /// Metadata database settings.
    #[serde(default)]
    pub storage: RawStorage,
}

/// `[log]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    /// `text` or `json`.
    pub format: Option<String>,
    /// A tracing filter such as `info` or `cairn=debug`.
    pub level: Option<String>,
}

/// `[storage]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    /// RocksDB block cache, in MiB.
    pub block_cache_mib: Option<usize>,
}

/// Values given on the command line or in the environment; they win over the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--listen` / `CAIRN_LISTEN`.
    pub listen: Option<String>,
    /// `--root` / `CAIRN_ROOT`.
    pub root: Option<PathBuf>,
    /// `--ephemeral` / `CAIRN_EPHEMERAL`.
    pub ephemeral: Option<bool>,
    /// `--no-referrers-api` / `CAIRN_REFERRERS_API`.
    pub referrers_api: Option<bool>,
    /// `--log-format` / `CAIRN_LOG_FORMAT`.
    pub log_format: Option<String>,
    /// `--log-level` / `CAIRN_LOG`.
    pub log_level: Option<String>,
}

/// Output format of logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Storage root; ignored when `ephemeral`.
    pub root: PathBuf,
    /// Store in a temporary directory removed on exit.
    pub ephemeral: bool,
    /// Serve the referrers APIs.
    pub referrers_api: bool,
    /// Largest manifest accepted, in bytes.
    pub max_manifest_bytes: usize,
    /// Grace period for requests in flight at shutdown.
    pub shutdown_grace: std::time::Duration,
    /// Age after which an unfinished upload session is ended.
    pub upload_max_age: std::time::Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log_level: String,
    /// RocksDB block cache, in bytes.
    pub block_cache_bytes: usize,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("parsing {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: toml::de::Error,
    },
    /// A value is out of range or malformed.
    #[error("invalid {key}: {message}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl RawConfig {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<RawConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Lays `overrides` over the file and validates the result.
    pub fn resolve(self, overrides: Overrides) -> Result<Config, ConfigError> {
        let listen = overrides
            .listen
            .or(self.listen)
            .unwrap_or_else(|| "127.0.0.1:5000".to_owned());
        let listen = listen.parse().map_err(|err| ConfigError::Invalid {
            key: "listen",
            message: format!("{listen:?}: {err}"),
        })?;

        let log_format = match overrides
            .log_format
            .or(self.log.format)
            .as_deref()
            .unwrap_or("text")
        {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::Invalid {
                    key: "log.format",
                    message: format!("{other:?} is neither \"text\" nor \"json\""),
                })
            }
        };

        let max_manifest_bytes = self.max_manifest_bytes.unwrap_or(4 << 20);
        if max_manifest_bytes == 0 {
            return Err(ConfigError::Invalid {
                key: "max_manifest_bytes",
                message: "must be positive".into(),
            });
        }

        Ok(Config {
            listen,
            root: overrides
                .root
                .or(self.root)
                .unwrap_or_else(|| PathBuf::from("./data")),
            ephemeral: overrides.ephemeral.or(self.ephemeral).unwrap_or(false),
            referrers_api: overrides
                .referrers_api
                .or(self.referrers_api)
                .unwrap_or(true),
            max_manifest_bytes,
            shutdown_grace: std::time::Duration::from_secs(self.shutdown_grace_secs.unwrap_or(30)),
            upload_max_age: std::time::Duration::from_secs(
                self.upload_max_age_hours.unwrap_or(168) * 60 * 60,
            ),
            log_format,
            log_level: overrides
                .log_level
                .or(self.log.level)
                .unwrap_or_else(|| "info".to_owned()),
            block_cache_bytes: self.storage.block_cache_mib.unwrap_or(32) << 20,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let config = RawConfig::default()
            .resolve(Overrides::default())
            .expect("defaults are valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:5000");
        assert_eq!(config.root, PathBuf::from("./data"));
        assert!(config.referrers_api);
        assert_eq!(config.max_manifest_bytes, 4 << 20);
    }

    #[test]
    fn the_example_file_parses_and_lists_every_key() {
        let text = include_str!("../config.example.toml");
        let raw: RawConfig = toml::from_str(text).expect("example config is valid");
        assert!(raw.listen.is_some() && raw.root.is_some() && raw.referrers_api.is_some());
        assert!(raw.log.format.is_some() && raw.storage.block_cache_mib.is_some());
        assert!(raw.upload_max_age_hours.is_some() && raw.shutdown_grace_secs.is_some());
        raw.resolve(Overrides::default()).expect("example resolves");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<RawConfig>("listen = \"x\"\nlisten_port = 1").is_err());
    }

    #[test]
    fn overrides_win_over_the_file() {
        let raw: RawConfig =
            toml::from_str("listen = \"127.0.0.1:1\"\nreferrers_api = true").expect("valid");
        let config = raw
            .resolve(Overrides {
                listen: Some("127.0.0.1:2".into()),
                referrers_api: Some(false),
                ..Overrides::default()
            })
            .expect("valid");
        assert_eq!(config.listen.port(), 2);
        assert!(!config.referrers_api);
    }

    #[test]
    fn bad_values_are_named() {
        let err = RawConfig::default()
            .resolve(Overrides {
                listen: Some("nowhere".into()),
                ..Overrides::default()
            })
            .expect_err("invalid address");
        assert!(err.to_string().contains("listen"));
    }
}
