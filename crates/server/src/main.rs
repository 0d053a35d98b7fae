//! The `ws-server` binary: options, logging, runtime, signals. See
//! `docs/server-interface.md` §1. Every failure to start names the option
//! and the cause, and exits with the status `--help` lists
//! ([`ws_server::StartError::exit_code`]).
#![forbid(unsafe_code)]

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use ws_server::options::LogFormat;
use ws_server::{Options, Server, StartError};

fn main() -> ExitCode {
    let options = Options::parse();
    init_logging(&options);
    if options.io_uring {
        return io_uring(options);
    }
    let runtime = match options.threads {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n.max(1))
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => return failed_to_start(&StartError::Runtime(e)),
    };
    runtime.block_on(async {
        let server = match Server::bind(options).await {
            Ok(server) => server,
            Err(e) => return failed_to_start(&e),
        };
        match server.url() {
            Ok(url) => println!("listening on {url}"),
            Err(e) => {
                eprintln!("ws-server: cannot read the bound address: {e}");
                return ExitCode::FAILURE;
            }
        }
        match server.run(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ws-server: stopped serving: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// `--io-uring`: the rings run on threads of their own; this thread's
/// current-thread tokio runtime only waits for the signals.
#[cfg(feature = "io-uring")]
fn io_uring(options: Options) -> ExitCode {
    let server = match ws_server::UringServer::bind(options) {
        Ok(server) => server,
        Err(e) => return failed_to_start(&e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return failed_to_start(&StartError::Runtime(e)),
    };
    match server.url() {
        Ok(url) => println!("listening on {url}"),
        Err(e) => {
            eprintln!("ws-server: cannot read the bound address: {e}");
            return ExitCode::FAILURE;
        }
    }
    match runtime.block_on(server.run(shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws-server: stopped serving: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--io-uring` in a build without the transport: says so, exit status 6
/// (the runtime cannot start).
#[cfg(not(feature = "io-uring"))]
fn io_uring(_: Options) -> ExitCode {
    failed_to_start(&StartError::Runtime(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "--io-uring: this ws-server was built without the `io-uring` feature \
         (cargo build -p ws-server --features io-uring)",
    )))
}

/// Logs to stderr, as `--log-format` says. Colour codes only when stderr
/// is a terminal and NO_COLOR is not set: a file or a pipe gets plain text.
fn init_logging(options: &Options) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&options.log));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match options.log_format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).init();
        }
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

/// `ws-server: …` on stderr, and the failure's own exit status.
fn failed_to_start(error: &StartError) -> ExitCode {
    eprintln!("ws-server: {error}");
    ExitCode::from(error.exit_code())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
