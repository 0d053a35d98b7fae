//! Section 14: an opening handshake sent as the case writes it, and the
//! verdict on the server's answer (RFC 6455 §4.2.1, §4.2.2, §4.4).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use ws_handshake::{ClientRequest, Limits, Response, Url, accept_key};

use super::{BoxStream, Outcome, Timeouts};
use crate::judge::Judgement;
use crate::plan::{Expect, Opening};
use crate::verdict::Verdict;
use crate::wire::encode_frame;

/// The request as bytes, with its placeholders filled in; and the key
/// whose accept value a 101 must carry.
fn request(url: &Url, o: &Opening) -> (Vec<u8>, String) {
    // A fresh random key, as the usual handshake makes it (§4.1 item 7).
    let nonce = |()| ClientRequest::new(url).key().to_owned();
    let key = nonce(());
    let key2 = nonce(());
    let host = if url.port == if url.secure { 443 } else { 80 } {
        url.host.clone()
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let mut out = format!("{} {} {}\r\n", o.method, url.resource, o.version);
    for (name, value) in &o.headers {
        let value = value
            .replace("{host}", &host)
            .replace("{key2}", &key2)
            .replace("{key}", &key);
        out += &format!("{name}: {value}\r\n");
    }
    out += "\r\n";
    (out.into_bytes(), key)
}

/// Sends the case's request and judges the answer.
pub(crate) async fn run(
    url: &Url,
    tls: Option<&TlsConnector>,
    o: &Opening,
    timeouts: Timeouts,
) -> Outcome {
    let started = Instant::now();
    let (bytes, key) = request(url, o);
    let http_request = String::from_utf8_lossy(&bytes).into_owned();
    let answer = tokio::time::timeout(timeouts.open, exchange(url, tls, &bytes)).await;
    let (judgement, http_response) = match answer {
        Ok(Ok(Some((response, head)))) => (judge(o, &response, &key), head),
        Ok(Ok(None)) => (
            no_answer(
                o,
                "The server closed the connection without an HTTP answer.",
            ),
            String::new(),
        ),
        Ok(Err(why)) => (
            failed(format!("No answer could be read: {why}")),
            String::new(),
        ),
        Err(_) => (
            no_answer(o, "The server sent no answer in time."),
            String::new(),
        ),
    };
    Outcome {
        judgement,
        session: None,
        duration: started.elapsed(),
        http_request,
        http_response,
    }
}

/// Writes the request, reads the response head; `None` when the server
/// closes first. After a 101 the connection is closed properly (a Close
/// 1000, then a short wait for the server to end it).
async fn exchange(
    url: &Url,
    tls: Option<&TlsConnector>,
    request: &[u8],
) -> Result<Option<(Response, String)>, String> {
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let mut stream: BoxStream = match tls {
        Some(tls) if url.secure => Box::new(
            tls.connect(crate::tls::server_name(&url.host)?, tcp)
                .await
                .map_err(|e| format!("TLS handshake failed: {e}"))?,
        ),
        _ => Box::new(tcp),
    };
    stream.write_all(request).await.map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let limits = Limits::default();
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) if buf.is_empty() => return Ok(None),
            Ok(0) => return Err("the answer ended inside its head".into()),
            Ok(n) => n,
            Err(e) => return Err(e.to_string()),
        };
        buf.extend_from_slice(&chunk[..n]);
        match Response::parse(&buf, &limits) {
            Ok(Some((response, used))) => {
                let head = String::from_utf8_lossy(&buf[..used]).into_owned();
                if response.status() == 101 {
                    let close =
                        encode_frame(true, 0, 8, &1000u16.to_be_bytes(), Some(rand::random()));
                    let _ = stream.write_all(&close).await;
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        while matches!(stream.read(&mut chunk).await, Ok(n) if n > 0) {}
                    })
                    .await;
                }
                return Ok(Some((response, head)));
            }
            Ok(None) => {}
            Err(e) => return Err(format!("not an HTTP response: {e}")),
        }
    }
}

fn verdict(behavior: Verdict, result: String) -> Judgement {
    let behavior_close = if behavior == Verdict::Failed {
        Verdict::Failed
    } else {
        Verdict::Ok
    };
    Judgement {
        behavior,
        behavior_close,
        result,
        result_close: "Section 14 judges the opening handshake only.".into(),
    }
}

fn failed(result: String) -> Judgement {
    verdict(Verdict::Failed, result)
}

/// The server closed (or kept silent) instead of answering.
fn no_answer(o: &Opening, why: &str) -> Judgement {
    match o.expect {
        // It did refuse, but §4.2.1 asks for an HTTP answer with a code.
        Expect::Refused | Expect::Version => verdict(Verdict::NonStrict, why.into()),
        Expect::Accepted | Expect::AcceptedOrForbidden => failed(why.into()),
    }
}

fn judge(o: &Opening, r: &Response, key: &str) -> Judgement {
    let status = r.status();
    match o.expect {
        Expect::Refused => match status {
            101 => failed("The server upgraded a request it must refuse (§4.2.1).".into()),
            400..=499 => verdict(Verdict::Ok, format!("The server refused with {status}.")),
            _ => failed(format!(
                "The server answered {status}: not an upgrade, but not a client error either."
            )),
        },
        Expect::Version => {
            let names_13 = r
                .header("Sec-WebSocket-Version")
                .is_some_and(|v| v.split(',').any(|v| v.trim() == "13"));
            match status {
                101 => {
                    failed("The server upgraded with a version it does not speak (§4.4).".into())
                }
                426 if names_13 => verdict(
                    Verdict::Ok,
                    "426 Upgrade Required, naming version 13 (§4.4).".into(),
                ),
                400..=499 => verdict(
                    Verdict::NonStrict,
                    format!(
                        "The server refused with {status}{}; §4.4 asks for \
                         Sec-WebSocket-Version naming the versions it speaks (426).",
                        if names_13 {
                            ""
                        } else {
                            " without naming version 13"
                        }
                    ),
                ),
                _ => failed(format!("The server answered {status}.")),
            }
        }
        Expect::Accepted | Expect::AcceptedOrForbidden => {
            if status == 403 && o.expect == Expect::AcceptedOrForbidden {
                return verdict(
                    Verdict::Ok,
                    "The server refused the Origin with 403.".into(),
                );
            }
            if status != 101 {
                return failed(format!("The server answered {status} to a valid request."));
            }
            accepted(o, r, key)
        }
    }
}

/// The checks of a 101 (§4.2.2 item 5, §4.1 items 1–6 seen from the server).
fn accepted(o: &Opening, r: &Response, key: &str) -> Judgement {
    let has_token = |name: &str, token: &str| {
        r.header(name)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    if !has_token("Upgrade", "websocket") {
        return failed("The 101 has no Upgrade: websocket (§4.2.2 item 5.2).".into());
    }
    if !has_token("Connection", "upgrade") {
        return failed("The 101 has no Connection: Upgrade (§4.2.2 item 5.3).".into());
    }
    let want = accept_key(key.as_bytes());
    match r.header("Sec-WebSocket-Accept") {
        Some(got) if got.trim() == want => {}
        got => {
            return failed(format!(
                "Sec-WebSocket-Accept is {got:?}, it must be {want:?} (§4.2.2 item 5.4)."
            ));
        }
    }
    let offered = |name: &str| -> Vec<String> {
        o.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(',').map(|p| p.trim().to_ascii_lowercase()))
            .collect()
    };
    if let Some(p) = r.header("Sec-WebSocket-Protocol")
        && !offered("Sec-WebSocket-Protocol").contains(&p.trim().to_ascii_lowercase())
    {
        return failed(format!(
            "The server chose the subprotocol {p:?}, which was not offered (§4.2.2 item 5.5)."
        ));
    }
    let offered_ext: Vec<String> = offered("Sec-WebSocket-Extensions")
        .iter()
        .map(|e| e.split(';').next().unwrap_or("").trim().to_owned())
        .collect();
    if let Some(e) = r.header("Sec-WebSocket-Extensions") {
        for name in e
            .split(',')
            .map(|x| x.split(';').next().unwrap_or("").trim())
        {
            if !name.is_empty() && !offered_ext.contains(&name.to_ascii_lowercase()) {
                return failed(format!(
                    "The server answered with the extension {name:?}, which was not offered (§9.1)."
                ));
            }
        }
    }
    verdict(
        Verdict::Ok,
        "101 with the right Sec-WebSocket-Accept, nothing that was not offered.".into(),
    )
}
