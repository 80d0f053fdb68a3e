//! The listener loop: accepts TCP connections, serves HTTP/1.1 and h2 on each through
//! hyper, and shuts down gracefully: on the shutdown signal it stops accepting, lets
//! requests in flight finish within a grace period, then returns.
//!
//! [`serve`] takes a bound listener and a shutdown future, so tests start a registry on
//! `127.0.0.1:0` without the command line.

use std::future::Future;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::api::Registry;

/// How long a client may take to send request headers before the connection is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `registry` on `listener` until `shutdown` completes, then waits up to `grace`
/// for requests in flight.
pub async fn serve(
    listener: TcpListener,
    registry: Registry,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not disable Nagle's algorithm");
        }

        let service = TowerToHyperService::new(registry.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }

    drop(listener);
    tracing::info!("shutting down: waiting for requests in flight");
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(?grace, "requests still in flight after the grace period");
    }
}
