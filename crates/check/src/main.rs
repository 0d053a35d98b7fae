//! The `ws-check` command: `ws-check server URL [OPTIONS]` runs the suite
//! against a server; `ws-check client --listen ADDR` serves it to clients.

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
        Mode::Server { url, common, jobs } => runtime.block_on(server(url, common, jobs)),
        Mode::Client { listen, .. } => {
            eprintln!("ws-check: client mode (listening on {listen}) is not implemented yet");
            ExitCode::from(2)
        }
    }
}

async fn server(url: String, common: Common, jobs: Option<usize>) -> ExitCode {
    let mut suite = ws_check::Suite::new()
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
