//! Client mode: ws-check as Autobahn's fuzzing *server*, so that every
//! Autobahn client driver runs against it unchanged.
//!
//! A driver connects to `/getCaseCount` (one text message: the number of
//! selected cases), then to `/runCase?case=N&agent=A` for N = 1..count
//! (the case runs on that connection, ws-check in the server role), and
//! finally to `/updateReports?agent=A`, after which the reports are
//! written and the server stops. `/getCaseInfo?case=N` answers with the
//! case's id and description as JSON, `/getCaseStatus?case=N&agent=A`
//! with its verdict once it has run. `case=N` counts from 1 over the
//! selected cases, in catalogue order, as Autobahn's does.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use ws_frame::deflate::negotiate;
use ws_handshake::{Limits, Request, accept_response};

use crate::catalogue::{all_ids, entry};
use crate::engine::{Opened, checker_deflate_config, run_open};
use crate::report::{CaseReport, Report};
use crate::suite::{Error, Suite, to_report, unimplemented};
use crate::wire::{encode_frame, parse_header};

/// What the running server has collected.
#[derive(Debug, Default)]
struct Results {
    /// agent → case number → report.
    by_agent: BTreeMap<String, BTreeMap<usize, CaseReport>>,
    /// The agent that asked for the reports.
    done: Option<String>,
}

/// Serves the selected cases to clients on `listener` until a client
/// calls `/updateReports` or `shutdown` completes; returns what was run,
/// for the agent that asked for the reports (or the last one seen).
///
/// # Errors
/// [`Error::Pattern`] for a bad selection.
pub async fn serve_clients(
    suite: &Suite,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<Report, Error> {
    let selected = Arc::new(suite.selected()?);
    let results = Arc::new(Mutex::new(Results::default()));
    let changed = Arc::new(Notify::new());
    let timeouts = suite.case_timeouts();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (selected, results, changed) = (selected.clone(), results.clone(), changed.clone());
                tokio::spawn(async move {
                    let _ = connection(stream, &selected, &results, &changed, timeouts).await;
                });
            }
            () = changed.notified() => {
                if results.lock().map(|r| r.done.is_some()).unwrap_or(true) {
                    break;
                }
            }
            () = &mut shutdown => break,
        }
    }
    let results = results
        .lock()
        .map_err(|_| Error::Unreachable("internal state poisoned".into()))?;
    let agent = results
        .done
        .clone()
        .or_else(|| results.by_agent.keys().next_back().cloned())
        .unwrap_or_else(|| suite.agent_name().to_owned());
    let cases = results
        .by_agent
        .get(&agent)
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default();
    Ok(Report { agent, cases })
}

/// One client connection: the opening handshake, then the command its
/// path names.
async fn connection(
    mut stream: TcpStream,
    selected: &[String],
    results: &Mutex<Results>,
    changed: &Notify,
    timeouts: crate::engine::Timeouts,
) -> Result<(), String> {
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let request = loop {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        match Request::parse(&buf, &Limits::default()) {
            Ok(Some((request, used))) => {
                buf.drain(..used);
                break request;
            }
            Ok(None) => {}
            Err(e) => {
                let _ = stream.write_all(&e.to_response()).await;
                return Err(e.to_string());
            }
        }
    };
    let upgrade = match request.validate() {
        Ok(u) => u,
        Err(e) => {
            let _ = stream.write_all(&e.to_response()).await;
            return Err(e.to_string());
        }
    };
    let params = query(request.query().unwrap_or(""));
    let agent = params.get("agent").cloned();
    let number = params.get("case").and_then(|c| c.parse::<usize>().ok());
    let id = number
        .and_then(|n| selected.get(n.checked_sub(1)?))
        .cloned();
    let path = request.path().to_owned();
    let run = path == "/runCase";
    let definition = id
        .as_deref()
        .and_then(|id| entry(0, id).definition)
        // Section 14 tests a server's handshake: nothing to run on a client.
        .filter(|d| run && d.plan.opening.is_none());
    // permessage-deflate only when the case is about it (RFC 7692 §5).
    let (ext_header, deflate) = match &definition {
        Some(d) if !d.plan.deflate_offers.is_empty() => {
            let offers = &upgrade.extensions;
            // The checker's fast level: see `checker_deflate_config`.
            let config = checker_deflate_config();
            match negotiate(
                offers
                    .iter()
                    .map(|o| (o.name.as_str(), o.params.as_slice())),
                &config,
            ) {
                Some((header, ext)) => (Some(header), Some(ext)),
                None => (None, None),
            }
        }
        _ => (None, None),
    };
    let response = accept_response(&upgrade, None, ext_header.as_deref(), &[]);
    stream
        .write_all(&response)
        .await
        .map_err(|e| e.to_string())?;
    match (path.as_str(), id, agent) {
        ("/runCase", Some(id), Some(agent)) => {
            let Some(n) = number else {
                return Err("no case".into());
            };
            let number = all_ids().iter().position(|x| *x == id).map_or(n, |p| p + 1);
            let report = match definition {
                Some(def) => {
                    let opened = Opened {
                        stream: Box::new(stream),
                        leftover: buf,
                        deflate,
                        server: true,
                        http_request: String::new(),
                        http_response: String::from_utf8_lossy(&response).into_owned(),
                    };
                    let outcome = run_open(opened, &def.plan, timeouts).await;
                    to_report(number, id, def, outcome)
                }
                None => unimplemented(number, id),
            };
            if let Ok(mut r) = results.lock() {
                r.by_agent.entry(agent).or_default().insert(number, report);
            }
            changed.notify_waiters();
        }
        ("/getCaseCount", _, _) => command(stream, Some(selected.len().to_string())).await,
        ("/getCaseInfo", Some(id), _) => {
            let description = entry(0, &id)
                .definition
                .map(|d| d.description)
                .unwrap_or_default();
            let info = serde_json::json!({ "id": id, "description": description });
            command(stream, Some(info.to_string())).await;
        }
        ("/getCaseStatus", Some(id), Some(agent)) => {
            let behavior = loop {
                let notified = changed.notified();
                let found = results.lock().ok().and_then(|r| {
                    r.by_agent
                        .get(&agent)?
                        .values()
                        .find(|c| c.id == id)
                        .map(|c| c.behavior.as_str())
                });
                if let Some(b) = found {
                    break b;
                }
                if tokio::time::timeout(timeouts.case, notified).await.is_err() {
                    break "UNKNOWN";
                }
            };
            command(
                stream,
                Some(serde_json::json!({ "behavior": behavior }).to_string()),
            )
            .await;
        }
        ("/updateReports", _, Some(agent)) => {
            command(stream, None).await;
            if let Ok(mut r) = results.lock() {
                r.done = Some(agent);
            }
            changed.notify_waiters();
        }
        _ => command(stream, None).await,
    }
    Ok(())
}

/// Sends `message` (if any) as a text message, then a Close, and waits
/// briefly for the answer before dropping TCP (the server's side of
/// RFC 6455 §7.1.1).
async fn command(mut stream: TcpStream, message: Option<String>) {
    let mut out = Vec::new();
    if let Some(m) = message {
        out.extend_from_slice(&encode_frame(true, 0, 1, m.as_bytes(), None));
    }
    out.extend_from_slice(&encode_frame(true, 0, 8, &1000u16.to_be_bytes(), None));
    if stream.write_all(&out).await.is_err() {
        return;
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let wait = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            // Stop at the client's Close.
            let mut at = 0;
            while let Some((h, used)) = parse_header(&buf[at..]) {
                let Ok(len) = usize::try_from(h.len) else {
                    return;
                };
                if buf.len() < at + used + len {
                    break;
                }
                if h.opcode == 8 {
                    return;
                }
                at += used + len;
            }
            if buf.len() > 64 * 1024 {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), wait).await;
}

/// `case=3&agent=my%20client` as a map, percent-decoded.
fn query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (!k.is_empty()).then(|| (decode(k), decode(v)))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => match s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_split_and_decoded() {
        let q = query("case=12&agent=my%20client+x");
        assert_eq!(q["case"], "12");
        assert_eq!(q["agent"], "my client x");
        assert!(query("").is_empty());
        assert_eq!(decode("100%"), "100%");
    }
}
