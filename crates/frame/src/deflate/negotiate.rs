//! Negotiating permessage-deflate (RFC 7692 §5, §7.1): the server picks an
//! offer and answers; the client offers and checks the answer.

use super::params::{
    CLIENT_MAX_WINDOW_BITS, CLIENT_NO_CONTEXT_TAKEOVER, DeflateParams, NegotiationError, Parsed,
    SERVER_MAX_WINDOW_BITS, SERVER_NO_CONTEXT_TAKEOVER, parse,
};
use super::{DeflateConfig, EXTENSION_NAME, MAX_WINDOW_BITS, PerMessageDeflate, clamp_window};
use crate::role::Role;

/// Server side (RFC 7692 §5, §7.1): picks the first acceptable
/// `permessage-deflate` offer, in the client's order of preference, and
/// returns the `Sec-WebSocket-Extensions` value to answer with and the
/// extension to install. `None`: decline (disabled, or no valid offer).
///
/// `offers` are the elements of the request's `Sec-WebSocket-Extensions`
/// as `(name, params)`; other extensions are skipped, and so is an offer
/// with an unknown or duplicate parameter or an invalid value (§7). With
/// `ws-handshake`'s `ExtensionOffer`s:
/// `negotiate(offers.iter().map(|o| (o.name.as_str(), o.params.as_slice())), &config)`.
pub fn negotiate<'a, S: AsRef<str> + 'a>(
    offers: impl IntoIterator<Item = (&'a str, &'a [(S, Option<S>)])>,
    config: &DeflateConfig,
) -> Option<(String, PerMessageDeflate)> {
    let params = negotiate_params(offers, config)?;
    Some((
        params.to_string(),
        PerMessageDeflate::new(Role::Server, &params, config),
    ))
}

/// The decision of [`negotiate`] without building the extension.
pub fn negotiate_params<'a, S: AsRef<str> + 'a>(
    offers: impl IntoIterator<Item = (&'a str, &'a [(S, Option<S>)])>,
    config: &DeflateConfig,
) -> Option<DeflateParams> {
    if !config.enabled {
        return None;
    }
    offers
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(EXTENSION_NAME))
        .find_map(|(_, params)| parse(params).ok())
        .map(|offer| answer(&offer, config))
}

// ANCHOR: answer
/// The server's answer to a valid offer (RFC 7692 §7.1).
fn answer(offer: &Parsed, config: &DeflateConfig) -> DeflateParams {
    // §7.1.2.1: the server accepts a server_max_window_bits offer "by
    // including [it] in the extension negotiation response ... with the
    // same or smaller value"; it may also declare a smaller window unasked.
    let server_bits = clamp_window(config.server_max_window_bits)
        .min(offer.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS));
    let server_max_window_bits = (offer.server_max_window_bits.is_some()
        || server_bits < MAX_WINDOW_BITS)
        .then_some(server_bits);
    // §7.1.2.2: "If a received extension negotiation offer doesn't have the
    // client_max_window_bits extension parameter, the corresponding
    // extension negotiation response to the offer MUST NOT include the
    // client_max_window_bits extension parameter." When offered, the value
    // is a hint of what the client uses; we may ask for less.
    let client_max_window_bits = offer.client_max_window_bits.and_then(|hint| {
        let bits = clamp_window(config.client_max_window_bits).min(hint.unwrap_or(MAX_WINDOW_BITS));
        (bits < MAX_WINDOW_BITS).then_some(bits)
    });
    DeflateParams {
        // §7.1.1.1: "A server accepts an extension negotiation offer that
        // includes the server_no_context_takeover extension parameter by
        // including [it] in the response"; it may include it unasked.
        server_no_context_takeover: offer.server_no_context_takeover
            || config.server_no_context_takeover,
        // §7.1.1.2: the server may ask the client not to take over context
        // whether or not the client offered to; echoing the client's own
        // offer makes the promise binding, so our decompressor may reset.
        client_no_context_takeover: offer.client_no_context_takeover
            || config.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    }
}
// ANCHOR_END: answer

/// Client side: the `Sec-WebSocket-Extensions` value to send (RFC 7692
/// §7.1), or `None` when disabled. Like browsers it always includes
/// `client_max_window_bits` (with a value when the configured window is
/// below 15), so that the server may limit our window.
pub fn client_offer(config: &DeflateConfig) -> Option<String> {
    if !config.enabled {
        return None;
    }
    let mut offer = String::from(EXTENSION_NAME);
    if config.server_no_context_takeover {
        offer += "; ";
        offer += SERVER_NO_CONTEXT_TAKEOVER;
    }
    if config.client_no_context_takeover {
        offer += "; ";
        offer += CLIENT_NO_CONTEXT_TAKEOVER;
    }
    let server_bits = clamp_window(config.server_max_window_bits);
    if server_bits < MAX_WINDOW_BITS {
        offer += &format!("; {SERVER_MAX_WINDOW_BITS}={server_bits}");
    }
    offer += "; ";
    offer += CLIENT_MAX_WINDOW_BITS;
    let client_bits = clamp_window(config.client_max_window_bits);
    if client_bits < MAX_WINDOW_BITS {
        offer += &format!("={client_bits}");
    }
    Some(offer)
}

/// Client side: checks the parameters of the `permessage-deflate` element
/// of the server's `Sec-WebSocket-Extensions` answer against the offer that
/// [`client_offer`] made with the same `config`, and builds the extension.
///
/// # Errors
/// [`NegotiationError`] when the answer breaks RFC 7692 §7.1 (the client
/// must then _Fail the WebSocket Connection_): an unknown or duplicate
/// parameter, an invalid value, `client_max_window_bits` without a value,
/// `server_max_window_bits` missing or above what we asked for, or
/// `server_no_context_takeover` missing when we asked for it; also when
/// `config` is disabled (we offered nothing to accept).
pub fn client_accept<S: AsRef<str>>(
    params: &[(S, Option<S>)],
    config: &DeflateConfig,
) -> Result<PerMessageDeflate, NegotiationError> {
    let params = client_accept_params(params, config)?;
    Ok(PerMessageDeflate::new(Role::Client, &params, config))
}

/// The check of [`client_accept`] without building the extension.
///
/// # Errors
/// As [`client_accept`].
pub fn client_accept_params<S: AsRef<str>>(
    params: &[(S, Option<S>)],
    config: &DeflateConfig,
) -> Result<DeflateParams, NegotiationError> {
    if !config.enabled {
        return Err(NegotiationError::NotOffered);
    }
    let answer = parse_answer(params)?;
    // §7.1.1.1: a server accepts our server_no_context_takeover only by
    // including it; an answer without it matches no offer we made.
    if config.server_no_context_takeover && !answer.server_no_context_takeover {
        return Err(NegotiationError::ContextTakeoverNotGranted);
    }
    // §7.1.2.1: the server accepts our server_max_window_bits "with the
    // same or smaller value"; a larger one means we must fail.
    let asked = clamp_window(config.server_max_window_bits);
    if asked < MAX_WINDOW_BITS {
        match answer.server_max_window_bits {
            Some(bits) if bits <= asked => {}
            answered => return Err(NegotiationError::WindowNotGranted { asked, answered }),
        }
    }
    Ok(answer)
}

/// Client side, without a policy: reads the parameters of the
/// `permessage-deflate` element of a server's answer by the grammar of
/// RFC 7692 §7.1 alone, whatever was offered. For a client that offers
/// things [`client_offer`] would not (a conformance checker that sends
/// several offers at once, say) and so cannot use [`client_accept`]; it
/// must still compare the answer with its own offers.
///
/// # Errors
/// [`NegotiationError`] for an unknown or duplicate parameter, an invalid
/// value, or `client_max_window_bits` without a value (§7.1.2.2).
pub fn parse_answer<S: AsRef<str>>(
    params: &[(S, Option<S>)],
) -> Result<DeflateParams, NegotiationError> {
    let answer = parse(params)?;
    // §7.1.2.2: the server's client_max_window_bits "MUST have a value"
    // (an offer may leave it without one).
    let client_max_window_bits = match answer.client_max_window_bits {
        Some(None) => return Err(NegotiationError::MissingValue(CLIENT_MAX_WINDOW_BITS)),
        Some(Some(bits)) => Some(bits),
        None => None,
    };
    Ok(DeflateParams {
        server_no_context_takeover: answer.server_no_context_takeover,
        client_no_context_takeover: answer.client_no_context_takeover,
        server_max_window_bits: answer.server_max_window_bits,
        client_max_window_bits,
    })
}

#[cfg(test)]
mod tests;
