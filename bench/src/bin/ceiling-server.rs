//! `ceiling-server`: answers every request with 200 and a fixed 1 KiB manifest, as the
//! upper bound for small-response throughput; see `cairn_bench::ceiling`.

use std::net::SocketAddr;
use std::process::ExitCode;

use cairn_bench::ceiling;
use clap::Parser;

/// A minimal HTTP/1.1 server that answers everything with 200 and 1 KiB.
#[derive(Debug, Parser)]
#[command(name = "ceiling-server", version, about, long_about = None)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:5080")]
    listen: SocketAddr,
    /// Runtime worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ceiling-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };

    runtime.block_on(async {
        let listener = match ceiling::bind(args.listen).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("ceiling-server: cannot listen on {}: {error}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(addr) => eprintln!("listening on http://{addr}"),
            Err(_) => eprintln!("listening on http://{}", args.listen),
        }
        let shutdown = async {
            // Without a signal handler the server runs until killed, which is fine too.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        ceiling::serve(listener, shutdown).await;
        ExitCode::SUCCESS
    })
}
