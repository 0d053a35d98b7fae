//! `ws-client URL`: each line read from stdin is sent as one text message;
//! each message received is written to stdout as one line (binary messages
//! as lowercase hex). On stdin EOF it sends Close 1000, waits at most 5 s for
//! the server's Close, and exits 0. With `--listen ADDR` it is a server
//! instead. The interface (options, output, exit statuses) is
//! `docs/server-interface.md` §9; README.md compares it with websocat.
//!
//! ```text
//!  args ──► connect (DNS ─► TCP ─► TLS ─► §4.1 handshake, within --timeout)
//!  args --http2 ──► http2 (connect's DNS, TCP, TLS with ALPN h2 ─► preface: SETTINGS ─► RFC 8441 CONNECT)
//!             │ Failure { status, message } ──► exit
//!             ▼
//!           session: input (stdin) ──► WebSocket ──► output (stdout/stderr)
//!  args --listen ──► listen: accept loop, each peer a session-like task
//! ```
#![forbid(unsafe_code)]

mod args;
mod connect;
mod exit;
mod http2;
mod input;
mod listen;
mod output;
mod preface;
mod session;
mod tls;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::args::Args;
use crate::exit::{Failure, Status};
use crate::input::Input;
use crate::output::Output;
use crate::tls::Trust;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return Failure::new(Status::Abnormal, format!("cannot start the runtime: {e}"))
                .report();
        }
    };
    let status = runtime.block_on(run(args));
    // tokio reads stdin on a blocking thread, which stays parked in read(2)
    // while the terminal or pipe stays open; dropping the runtime would
    // wait for it, and the client would hang after the connection ended
    // until the user pressed Ctrl-D. Nothing is left to do: let it go.
    runtime.shutdown_background();
    status
}

async fn run(args: Args) -> ExitCode {
    let output = args.output();
    let result = match &args.listen {
        Some(addr) => listen::run(addr, &args, &output).await,
        None => client(&args, &output).await,
    };
    match result {
        Ok(()) => Status::Normal.code(),
        Err(failure) => {
            output.error(&failure);
            failure.report()
        }
    }
}

async fn client(args: &Args, output: &Output) -> Result<(), Failure> {
    let Some(url) = args.url.as_deref() else {
        return Err(Failure::new(
            Status::Usage,
            "a URL is needed (or --listen ADDR)",
        ));
    };
    let mut headers = Vec::with_capacity(args.headers.len());
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Failure::new(
                Status::Usage,
                format!("--header {header:?} is not `Name: value`"),
            ));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let ca = match &args.ca {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            Failure::new(
                Status::Usage,
                format!("cannot read --ca {}: {e}", path.display()),
            )
        })?),
        None => None,
    };
    let trust = match &ca {
        Some(pem) => Trust::Ca(pem),
        None if args.insecure
            && url
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("wss://")) =>
        {
            eprintln!(
                "ws-client: warning: --insecure: the server's certificate is not checked; \
                 anyone on the path can read and change this connection"
            );
            Trust::Anything
        }
        None => Trust::WebRoots,
    };
    let config = args.config();
    let max_line = config.max_message_size;
    let request = connect::Request {
        url,
        config,
        trust,
        origin: args.origin.as_deref(),
        protocols: &args.protocols,
        headers: &headers,
        timeout: Duration::from_secs(args.timeout),
    };
    let settings = session::Settings {
        ping_interval: args.ping_interval(),
        max_messages: args.max_messages(),
    };
    // The same session either way: only the stream under the WebSocket
    // differs (RFC 8441 §5 leaves the framing as it is).
    if args.http2 {
        let mut open = http2::connect(request).await?;
        let input = Input::new(args.input_mode(), max_line);
        output.shown(format_args!(
            "over HTTP/2: stream of a TLS connection (ALPN h2, RFC 8441 extended CONNECT)"
        ));
        output.open(
            open.response.header("sec-websocket-protocol"),
            open.response.header("sec-websocket-extensions"),
        );
        session::run(&mut open.ws, input, output, settings).await
    } else {
        let (mut ws, response) = connect::connect(request).await?;
        let input = Input::new(args.input_mode(), max_line);
        output.open(
            response.header("Sec-WebSocket-Protocol"),
            response.header("Sec-WebSocket-Extensions"),
        );
        session::run(&mut ws, input, output, settings).await
    }
}
