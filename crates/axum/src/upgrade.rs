//! The extractor: a validated WebSocket request inside an axum handler,
//! answered by [`WebSocketUpgrade::on_upgrade`].

use std::future::Future;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use ws_tokio::{Accept, Config, HyperUpgrade, HyperWebSocket};

use crate::rejection::WebSocketRejection;

/// Extracts a WebSocket request (an HTTP/1.1 upgrade or an HTTP/2 extended
/// CONNECT), checked by ws-handshake's rules; a bad request is refused with
/// [`WebSocketRejection`] before the handler runs.
///
/// Route it with `any(handler)` (or `get(..).connect(..)`): over HTTP/2 the
/// opening handshake is a `CONNECT` request (RFC 8441 §4).
#[derive(Debug)]
pub struct WebSocketUpgrade {
    upgrade: HyperUpgrade,
    config: Config,
    protocol: Option<String>,
    headers: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = WebSocketRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let upgrade = HyperUpgrade::from_parts(parts).map_err(WebSocketRejection)?;
        Ok(Self {
            upgrade,
            config: Config::default(),
            protocol: None,
            headers: Vec::new(),
        })
    }
}

impl WebSocketUpgrade {
    /// The subprotocols this server speaks. The first one the client
    /// offered, in the client's order of preference, is selected (RFC 6455
    /// §4.2.2 /subprotocol/); if none matches, none is sent back.
    #[must_use]
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let ours: Vec<I::Item> = protocols.into_iter().collect();
        self.protocol = self
            .upgrade
            .protocols()
            .iter()
            .find(|offered| ours.iter().any(|p| p.as_ref() == offered.as_str()))
            .cloned();
        self
    }

    /// The limits, timers and permessage-deflate policy of the socket
    /// ([`Config::default`] unless set).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Adds a header field to the accepting response (e.g. `set-cookie`).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The subprotocol that will be selected, after
    /// [`WebSocketUpgrade::protocols`].
    #[must_use]
    pub fn selected_protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The subprotocols the client offered, in its order of preference.
    #[must_use]
    pub fn offered_protocols(&self) -> &[String] {
        self.upgrade.protocols()
    }

    /// `Origin`, if sent: check it to refuse cross-site pages (RFC 6455
    /// §10.2) before calling [`WebSocketUpgrade::on_upgrade`].
    #[must_use]
    pub fn origin(&self) -> Option<&str> {
        self.upgrade.origin()
    }

    /// `HTTP_11` for an upgrade, `HTTP_2` for an extended CONNECT.
    #[must_use]
    pub fn http_version(&self) -> axum::http::Version {
        self.upgrade.http_version()
    }

    /// Accepts: returns the response for the handler to return (101, or 200
    /// over HTTP/2) and runs `callback` with the socket in a task of its
    /// own once axum has sent it. If the connection ends before that, the
    /// callback does not run.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(HyperWebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept = Accept {
            protocol: self.protocol,
            headers: self.headers,
        };
        let (response, upgrading) = self.upgrade.accept::<Body>(accept, self.config);
        tokio::spawn(async move {
            match upgrading.await {
                Ok(socket) => callback(socket).await,
                // The response was sent but the connection did not follow
                // (the client went away): there is no one left to answer.
                Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
            }
        });
        response
    }
}
