//! The `ws-check` command: `ws-check server URL [OPTIONS]` runs the suite
//! against a server; `ws-check client --listen ADDR` serves it to clients.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ws-check",
    version,
    about = "WebSocket conformance checker (the Autobahn|Testsuite catalogue)"
)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Run the cases against the WebSocket server at URL.
    Server {
        /// `ws://host:port/path` of the server under test.
        url: String,
        #[command(flatten)]
        common: Common,
        /// Cases run at once (default: number of cores × 4).
        #[arg(long)]
        jobs: Option<usize>,
        /// wss://: PEM file of a CA to trust instead of the public web roots.
        #[arg(long, value_name = "PEM")]
        ca: Option<PathBuf>,
        /// wss:// without any certificate check (test servers only).
        #[arg(long, conflicts_with = "ca")]
        insecure: bool,
    },
    /// Serve the cases to a WebSocket client (Autobahn's fuzzing-server URLs).
    Client {
        /// Address to listen on (`:0` picks a port).
        #[arg(long)]
        listen: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Args)]
struct Common {
    /// Comma-separated case ids; `*` matches any run of characters.
    #[arg(long, default_value = "*")]
    cases: String,
    /// Cases to leave out, same syntax.
    #[arg(long)]
    exclude: Option<String>,
    /// Where the reports go.
    #[arg(long, default_value = "./ws-check-reports")]
    out: PathBuf,
    /// The agent name in the reports.
    #[arg(long)]
    agent: Option<String>,
    /// Count NON-STRICT as failed.
    #[arg(long)]
    strict: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ws-check: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.mode {
        Mode::Server {
            url,
            common,
            jobs,
            ca,
            insecure,
        } => {
            let trust = if insecure {
                ws_check::Trust::Anything
            } else if let Some(path) = ca {
                match std::fs::read(&path) {
                    Ok(pem) => ws_check::Trust::Ca(pem),
                    Err(e) => {
                        eprintln!("ws-check: cannot read --ca {}: {e}", path.display());
                        return ExitCode::from(2);
                    }
                }
            } else {
                ws_check::Trust::WebRoots
            };
            runtime.block_on(server(url, common, jobs, trust))
        }
        Mode::Client { listen, common } => runtime.block_on(client(listen, common)),
    }
}

/// Client mode: Autobahn's fuzzing server on `listen`.
async fn client(listen: String, common: Common) -> ExitCode {
    let addr = if listen.starts_with(':') {
        format!("127.0.0.1{listen}")
    } else {
        listen
    };
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ws-check: cannot listen on {addr}: {e}");
            return ExitCode::from(2);
        }
    };
    match listener.local_addr() {
        Ok(a) => println!("listening on ws://{a}"),
        Err(e) => {
            eprintln!("ws-check: {e}");
            return ExitCode::from(2);
        }
    }
    let mut suite = ws_check::Suite::new().cases(&common.cases);
    if let Some(exclude) = &common.exclude {
        suite = suite.exclude(exclude);
    }
    if let Some(agent) = &common.agent {
        suite = suite.agent(agent);
    }
    let report = match ws_check::serve_clients(&suite, listener, stop_signal()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ws-check: {e}");
            return ExitCode::from(2);
        }
    };
    finish(&report, &common)
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Prints the cases and the summary, writes the reports; the exit status.
fn finish(report: &ws_check::Report, common: &Common) -> ExitCode {
    for c in &report.cases {
        println!(
            "{:<8} {:<13} {:<16} {:>6} ms",
            c.id,
            c.behavior.as_str(),
            c.behavior_close.as_str(),
            c.duration
        );
    }
    if let Err(e) = report.write(&common.out) {
        eprintln!(
            "ws-check: cannot write the reports to {}: {e}",
            common.out.display()
        );
        return ExitCode::from(2);
    }
    println!("reports in {}", common.out.display());
    println!("{}", report.summary(common.strict));
    if report.failed(common.strict) == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn server(
    url: String,
    common: Common,
    jobs: Option<usize>,
    trust: ws_check::Trust,
) -> ExitCode {
    let mut suite = ws_check::Suite::new()
        .trust(trust)
        .cases(&common.cases)
        .agent(common.agent.as_deref().unwrap_or("server"));
    if let Some(exclude) = &common.exclude {
        suite = suite.exclude(exclude);
    }
    if let Some(jobs) = jobs {
        suite = suite.jobs(jobs);
    }
    let report = match suite.run_against_server(&url).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ws-check: {e}");
            return ExitCode::from(2);
        }
    };
    finish(&report, &common)
}
