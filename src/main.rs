//! The `cairn` command: parses the command line, sets up logging and storage, and runs
//! the server until SIGINT or SIGTERM. Everything else lives in the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use cairn::config::{Config, LogFormat, Overrides, RawConfig};
use cairn::{Registry, Settings};
use cairn_storage::{MetaOptions, Store};

/// A lightweight OCI registry for signed software supply chains.
#[derive(Parser)]
#[command(name = "cairn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the registry API.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Configuration file (TOML); see config.example.toml.
    #[arg(long, env = "CAIRN_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on, such as 127.0.0.1:5000 (port 0 picks a free port).
    #[arg(long, env = "CAIRN_LISTEN")]
    listen: Option<String>,
    /// Storage root directory.
    #[arg(long, env = "CAIRN_ROOT")]
    root: Option<PathBuf>,
    /// Store everything in a temporary directory removed on exit.
    #[arg(long, env = "CAIRN_EPHEMERAL")]
    ephemeral: bool,
    /// Answer the referrers endpoints with 404, like a registry that predates them.
    #[arg(long)]
    no_referrers_api: bool,
    /// Log format: text or json.
    #[arg(long, env = "CAIRN_LOG_FORMAT")]
    log_format: Option<String>,
    /// Log filter, such as info or cairn=debug.
    #[arg(long, env = "CAIRN_LOG")]
    log_level: Option<String>,
}

fn main() -> ExitCode {
    let Command::Serve(args) = Cli::parse().command;
    let config = match load_config(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("cairn: {message}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(error = %err, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!(%message, "cairn stopped");
            ExitCode::FAILURE
        }
    }
}

fn load_config(args: ServeArgs) -> Result<Config, String> {
    let raw = match &args.config {
        Some(path) => RawConfig::load(path).map_err(|err| err.to_string())?,
        None => RawConfig::default(),
    };
    let referrers_from_env = std::env::var("CAIRN_REFERRERS_API")
        .ok()
        .map(|v| !matches!(v.as_str(), "0" | "false" | "no" | "off"));
    let overrides = Overrides {
        listen: args.listen,
        root: args.root,
        ephemeral: args.ephemeral.then_some(true),
        referrers_api: if args.no_referrers_api {
            Some(false)
        } else {
            referrers_from_env
        },
        log_format: args.log_format,
        log_level: args.log_level,
    };
    raw.resolve(overrides).map_err(|err| err.to_string())
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A log that cannot be written (a full disk under a redirected stderr) must not
        // take the registry down; the default reports it with a panicking eprintln.
        .log_internal_errors(false);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(config: Config) -> Result<(), String> {
    // The temporary directory lives until the end of this function, after the store
    // is closed, and is removed with it.
    let temp = if config.ephemeral {
        Some(
            tempfile::Builder::new()
                .prefix("cairn-")
                .tempdir()
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let root = temp
        .as_ref()
        .map_or(config.root.clone(), |t| t.path().to_owned());

    let options = MetaOptions {
        block_cache_bytes: config.block_cache_bytes,
    };
    let store = tokio::task::spawn_blocking(move || Store::open(&root, &options))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("opening storage: {e}"))?;
    let settings = Settings {
        referrers_api: config.referrers_api,
        max_manifest_bytes: config.max_manifest_bytes,
    };
    let registry = Registry::new(store.clone(), settings);

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        root = %store.root().display(),
        ephemeral = config.ephemeral,
        "listening on http://{address}"
    );

    let sweeper = tokio::spawn(expire_uploads(store.clone(), config.upload_max_age));
    cairn::serve(listener, registry, shutdown_signal(), config.shutdown_grace).await;
    sweeper.abort();
    store
        .flush()
        .map_err(|e| format!("flushing metadata: {e}"))?;
    drop(store);
    drop(temp);
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Ends abandoned upload sessions older than `max_age`, once an hour.
async fn expire_uploads(store: Store, max_age: std::time::Duration) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(60 * 60));
    loop {
        hourly.tick().await;
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.expire_uploads(max_age)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(ended)) => tracing::info!(ended, "ended abandoned upload sessions"),
            Ok(Err(err)) => tracing::error!(error = %err, "expiring upload sessions failed"),
            Err(err) => tracing::error!(error = %err, "expiring upload sessions panicked"),
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot watch SIGTERM; SIGINT still works");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
