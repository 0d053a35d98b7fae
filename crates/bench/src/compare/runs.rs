//! One load-generator run against a running server: `ws-bench idle` or
//! `ws-bench echo` in a process of its own (pinned to core 1), read back
//! from the JSON line it prints last.

use std::path::Path;
use std::process::Stdio;

use super::servers::Running;
use super::{EchoRun, taskset};
use crate::echo::Report;

/// `ws-bench idle` with `conns` connections: the server's KiB per idle
/// connection (NaN if the run printed none).
pub(super) fn idle(
    pin: bool,
    bin_dir: &Path,
    server: &Running,
    conns: usize,
) -> std::io::Result<f64> {
    let args = vec![
        "idle".to_owned(),
        "--url".to_owned(),
        server.url.clone(),
        "--conns".to_owned(),
        conns.to_string(),
        "--server-pid".to_owned(),
        server.child.id().to_string(),
        "--json".to_owned(),
    ];
    let v = run_child(pin, bin_dir, &args)?;
    Ok(v["kib_per_conn"].as_f64().unwrap_or(f64::NAN))
}

/// One cell of the table for one server: `ws-bench echo` with `conns`
/// connections of `size`-byte messages, its progress line labelled `label`.
pub(super) fn echo(
    pin: bool,
    bin_dir: &Path,
    server: &Running,
    (size, conns): (usize, usize),
    run: &EchoRun,
    label: &str,
) -> std::io::Result<Report> {
    let mut args = vec![
        "echo".to_owned(),
        "--url".to_owned(),
        server.url.clone(),
        "--conns".to_owned(),
        conns.to_string(),
        "--size".to_owned(),
        size.to_string(),
        "--warmup".to_owned(),
        run.warmup.as_secs_f64().to_string(),
        "--duration".to_owned(),
        run.duration.as_secs_f64().to_string(),
        "--server-pid".to_owned(),
        server.child.id().to_string(),
        "--label".to_owned(),
        label.to_owned(),
        "--json".to_owned(),
    ];
    if run.text {
        args.push("--text".to_owned());
    }
    Ok(Report::from_json(&run_child(pin, bin_dir, &args)?))
}

/// Runs one load-generator process and reads its JSON line.
fn run_child(pin: bool, bin_dir: &Path, args: &[String]) -> std::io::Result<serde_json::Value> {
    let me = bin_dir.join("ws-bench");
    let output = taskset::command(pin, 1, &me)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "ws-bench {} failed ({})",
            args.first().map_or("", String::as_str),
            output.status
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("{}");
    serde_json::from_str(line).map_err(std::io::Error::other)
}
