//! Routing: one HTTP request read per connection, then a plain answer, the
//! echo, or the chat (`docs/server-interface.md` §2 and §3).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use std::time::SystemTime;
use tokio::io::{AsyncRead, AsyncWrite};

use tracing::{debug, info};

use crate::api;
use crate::auth::token_of;
use crate::chat;
use crate::echo::echo;
use crate::http::{self, respond};
use crate::shared::Shared;

// ANCHOR: routes
/// Reads one HTTP request and routes it.
pub(crate) async fn serve_stream<S>(mut stream: S, peer: SocketAddr, shared: &Shared)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Limit violations and timeouts are answered (400/431) inside
    // read_request. A connection still without a request when the server
    // shuts down (a browser's idle preconnect) is just dropped.
    // The handshake futures are boxed so that they are freed once the
    // connection is upgraded: what stays in the task for the life of a
    // WebSocket is only the echo or chat loop (idle memory per connection).
    let read = tokio::select! {
        read = Box::pin(ws_tokio::read_request(&mut stream, &shared.config)) => read,
        () = shared.shutdown.wait() => return,
    };
    let (request, leftover) = match read {
        Ok(parts) => parts,
        Err(e) => {
            debug!(%peer, error = %e, "no usable HTTP request");
            return;
        }
    };
    let gate = &shared.gate;
    let path = request.path().to_owned();
    if let Some(room) = chat::room_of(&path) {
        let (requested, identity) = match admit(request.query(), room, peer, shared) {
            Ok(admitted) => admitted,
            Err((status, why)) => {
                shared
                    .metrics
                    .rejected_upgrades
                    .fetch_add(1, Ordering::Relaxed);
                respond(stream, &http::refusal(status, why)).await;
                return;
            }
        };
        let resume = match chat::resume_of(request.query()) {
            Ok(resume) => resume,
            Err(why) => {
                shared
                    .metrics
                    .rejected_upgrades
                    .fetch_add(1, Ordering::Relaxed);
                respond(stream, &http::bad_request(&why)).await;
                return;
            }
        };
        let upgrade = gate.upgrade((stream, &request, leftover), peer, &shared.chat_config);
        let Some(ws) = Box::pin(upgrade).await else {
            return;
        };
        drop(request);
        let session = gate.open(peer, &path);
        let join = chat::Join {
            room,
            requested: requested.as_deref(),
            resume: &resume,
            identity,
        };
        let code = shared.chat.serve(ws, join, &shared.shutdown).await;
        session.close(code);
        return;
    }
    if path.starts_with("/api/")
        && let Some(api) = &shared.api
    {
        shared.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
        let cx = api::Context {
            chat: &shared.chat,
            metrics: &shared.metrics,
            timeout: shared.config.handshake_timeout,
        };
        let response = api.answer(&mut stream, &request, leftover, cx).await;
        respond(stream, &response).await;
        return;
    }
    match path.as_str() {
        "/echo" => {
            let upgrade = gate.upgrade((stream, &request, leftover), peer, &shared.config);
            let Some(mut ws) = Box::pin(upgrade).await else {
                return;
            };
            drop(request);
            let session = gate.open(peer, &path);
            session.close(echo(&mut ws, &shared.shutdown, &shared.metrics).await);
        }
        "/" | "/healthz" | "/metrics" if request.method() == "GET" && !request.is_upgrade() => {
            shared.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
            let response = match path.as_str() {
                "/" => http::page(),
                "/healthz" => http::healthz(shared.chat.is_degraded()),
                _ => http::metrics(&shared.metrics.render()),
            };
            respond(stream, &response).await;
        }
        _ => {
            shared.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
            respond(stream, &http::not_found()).await;
        }
    }
}
// ANCHOR_END: routes

/// Who joins: the name asked for (or the token's `sub`), and with a token
/// its identity.
pub(crate) type Admitted = (Option<String>, Option<chat::Identity>);

/// Who joins, from the upgrade's query string (over HTTP/1.1 and HTTP/2
/// alike): with `--auth-secret`/`--auth-public-key`, the token's `sub`
/// (the token checked here, before the upgrade); else the `name` asked
/// for. A refusal is the status and the plain-text reason to answer with,
/// the reason logged (never the token).
pub(crate) fn admit(
    query: Option<&str>,
    room: &str,
    peer: SocketAddr,
    shared: &Shared,
) -> Result<Admitted, (u16, &'static str)> {
    let Some(auth) = &shared.auth else {
        return Ok((chat::name_of(query), None));
    };
    match auth.check(token_of(query), room, SystemTime::now()) {
        Ok(grant) => Ok((
            Some(grant.sub),
            Some(chat::Identity {
                expires: grant.expires,
            }),
        )),
        Err(denied) => {
            shared.metrics.refused(denied.reason);
            info!(%peer, room, status = denied.status, reason = denied.reason, "join refused");
            Err((denied.status, denied.reason))
        }
    }
}
