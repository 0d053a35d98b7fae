//! Negotiating permessage-deflate (RFC 7692 §5, §7.1): the server picks an
//! offer and answers; the client offers and checks the answer.
//!
//! Parameters arrive as `(name, value)` pairs, the shape in which
//! `ws-handshake` parses a `Sec-WebSocket-Extensions` element (quoted values
//! already unquoted), so this crate needs no handshake types.

use std::fmt;

use super::{
    DeflateConfig, EXTENSION_NAME, MAX_WINDOW_BITS, MIN_WINDOW_BITS, PerMessageDeflate,
    clamp_window,
};
use crate::error::Error;
use crate::role::Role;

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The parameters of an agreed permessage-deflate: what the server's
/// answer says (RFC 7692 §7.1). `Display` writes it as that answer, e.g.
/// `permessage-deflate; server_no_context_takeover; client_max_window_bits=12`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// §7.1.1.1: the server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// §7.1.1.2: the client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// §7.1.2.1: the server's LZ77 window, 8..=15 (`None`: 15).
    pub server_max_window_bits: Option<u8>,
    /// §7.1.2.2: the client's LZ77 window, 8..=15 (`None`: 15).
    pub client_max_window_bits: Option<u8>,
}

impl fmt::Display for DeflateParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXTENSION_NAME)?;
        if self.server_no_context_takeover {
            write!(f, "; {SERVER_NO_CONTEXT_TAKEOVER}")?;
        }
        if self.client_no_context_takeover {
            write!(f, "; {CLIENT_NO_CONTEXT_TAKEOVER}")?;
        }
        if let Some(bits) = self.server_max_window_bits {
            write!(f, "; {SERVER_MAX_WINDOW_BITS}={bits}")?;
        }
        if let Some(bits) = self.client_max_window_bits {
            write!(f, "; {CLIENT_MAX_WINDOW_BITS}={bits}")?;
        }
        Ok(())
    }
}

/// One offer or answer, checked against the §7.1 grammar.
#[derive(Debug, Default)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (allowed in an offer only).
    client_max_window_bits: Option<Option<u8>>,
}

/// Checks the parameters of one `permessage-deflate` element.
///
/// RFC 7692 §7: "A server MUST decline an extension negotiation offer for
/// this extension if any of the following conditions are met: The
/// negotiation offer contains an extension parameter not defined for use in
/// an offer. The negotiation offer contains an extension parameter with an
/// invalid value. The negotiation offer contains multiple extension
/// parameters with the same name." §7.1 holds the client to the same rules
/// for the response.
fn parse<S: AsRef<str>>(params: &[(S, Option<S>)]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut seen = [false; 4];
    for (name, value) in params {
        let (name, value) = (name.as_ref(), value.as_ref().map(AsRef::as_ref));
        let index = [
            SERVER_NO_CONTEXT_TAKEOVER,
            CLIENT_NO_CONTEXT_TAKEOVER,
            SERVER_MAX_WINDOW_BITS,
            CLIENT_MAX_WINDOW_BITS,
        ]
        .iter()
        .position(|known| known.eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("unknown parameter {name:?}"))?;
        if std::mem::replace(&mut seen[index], true) {
            return Err(format!("duplicate parameter {name}"));
        }
        match (index, value) {
            // §7.1.1.1, §7.1.1.2: "This parameter has no value."
            (0 | 1, Some(_)) => return Err(format!("{name} takes no value")),
            (0, None) => parsed.server_no_context_takeover = true,
            (1, None) => parsed.client_no_context_takeover = true,
            // §7.1.2.1: "This parameter has a value."
            (2, None) => return Err(format!("{name} needs a value")),
            (2, Some(value)) => parsed.server_max_window_bits = Some(parse_window_bits(value)?),
            // §7.1.2.2: "This parameter has no value or a decimal integer value".
            (_, value) => {
                parsed.client_max_window_bits = Some(value.map(parse_window_bits).transpose()?)
            }
        }
    }
    Ok(parsed)
}

/// RFC 7692 §7.1.2.1: "The value MUST conform to the ABNF below.
/// `server-max-window-bits = 1*DIGIT` ... an integer from 8 to 15 inclusive"
/// (§7.1.2.2 the same for the client's).
fn parse_window_bits(value: &str) -> Result<u8, String> {
    value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse::<u8>().ok())
        .flatten()
        .filter(|bits| (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(bits))
        .ok_or_else(|| format!("window bits {value:?} not in 8..=15"))
}

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
/// [`Error::Extension`] when the answer breaks RFC 7692 §7.1 (the client
/// must then _Fail the WebSocket Connection_): an unknown or duplicate
/// parameter, an invalid value, `client_max_window_bits` without a value,
/// `server_max_window_bits` missing or above what we asked for, or
/// `server_no_context_takeover` missing when we asked for it; also when
/// `config` is disabled (we offered nothing to accept).
pub fn client_accept<S: AsRef<str>>(
    params: &[(S, Option<S>)],
    config: &DeflateConfig,
) -> Result<PerMessageDeflate, Error> {
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
) -> Result<DeflateParams, Error> {
    let fail = |why: String| Error::Extension(format!("permessage-deflate response: {why}"));
    if !config.enabled {
        return Err(fail("not offered".to_owned()));
    }
    let answer = parse(params).map_err(fail)?;
    // §7.1.2.2: the server's client_max_window_bits "MUST have a value";
    // we always offer the parameter, so it may be present.
    let client_max_window_bits = match answer.client_max_window_bits {
        Some(None) => return Err(fail(format!("{CLIENT_MAX_WINDOW_BITS} without a value"))),
        Some(Some(bits)) => Some(bits),
        None => None,
    };
    // §7.1.1.1: a server accepts our server_no_context_takeover only by
    // including it; an answer without it matches no offer we made.
    if config.server_no_context_takeover && !answer.server_no_context_takeover {
        return Err(fail(format!("{SERVER_NO_CONTEXT_TAKEOVER} was requested")));
    }
    // §7.1.2.1: the server accepts our server_max_window_bits "with the
    // same or smaller value"; a larger one means we must fail.
    let asked = clamp_window(config.server_max_window_bits);
    if asked < MAX_WINDOW_BITS {
        match answer.server_max_window_bits {
            Some(bits) if bits <= asked => {}
            Some(bits) => {
                return Err(fail(format!(
                    "{SERVER_MAX_WINDOW_BITS}={bits} above the {asked} requested"
                )));
            }
            None => {
                return Err(fail(format!(
                    "{SERVER_MAX_WINDOW_BITS}={asked} was requested"
                )));
            }
        }
    }
    Ok(DeflateParams {
        server_no_context_takeover: answer.server_no_context_takeover,
        client_no_context_takeover: answer.client_no_context_takeover,
        server_max_window_bits: answer.server_max_window_bits,
        client_max_window_bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `name; a; b=c` the simple way (no quoting), for tests.
    fn element(header: &str) -> (String, Vec<(String, Option<String>)>) {
        let mut parts = header.split(';').map(str::trim);
        let name = parts.next().unwrap().to_owned();
        let params = parts
            .map(|p| match p.split_once('=') {
                Some((n, v)) => (n.trim().to_owned(), Some(v.trim().to_owned())),
                None => (p.to_owned(), None),
            })
            .collect();
        (name, params)
    }

    /// The server's answer to a comma-separated list of offers.
    fn answer_to(offers: &str, config: &DeflateConfig) -> Option<String> {
        let elements: Vec<_> = offers.split(',').map(element).collect();
        let (header, ext) = negotiate(
            elements.iter().map(|(n, p)| (n.as_str(), p.as_slice())),
            config,
        )?;
        assert_eq!(header, ext.params().to_string());
        Some(header)
    }

    fn accept(response: &str, config: &DeflateConfig) -> Result<DeflateParams, Error> {
        let (name, params) = element(response);
        assert_eq!(name, EXTENSION_NAME);
        client_accept_params(&params, config)
    }

    #[test]
    fn rfc7692_7_1_browser_offer() {
        let config = DeflateConfig::default();
        let answer = answer_to("permessage-deflate; client_max_window_bits", &config);
        assert_eq!(answer.as_deref(), Some("permessage-deflate"));
        assert_eq!(
            answer_to("permessage-deflate", &config).as_deref(),
            Some("permessage-deflate")
        );
    }

    #[test]
    fn rfc7692_5_first_acceptable_offer_wins() {
        let config = DeflateConfig::default();
        // §5.1's example: an offer with a parameter we accept, then a
        // fallback; the first is taken.
        let offers = "permessage-deflate; client_max_window_bits=10, permessage-deflate";
        assert_eq!(
            answer_to(offers, &config).as_deref(),
            Some("permessage-deflate; client_max_window_bits=10")
        );
        // Invalid offers and other extensions are skipped.
        let offers = "x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=7, \
                      permessage-deflate; unknown, permessage-deflate; server_no_context_takeover";
        assert_eq!(
            answer_to(offers, &config).as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        assert_eq!(answer_to("x-webkit-deflate-frame", &config), None);
        // The name is case-insensitive, like every token.
        assert!(answer_to("Permessage-Deflate", &config).is_some());
    }

    #[test]
    fn rfc7692_7_invalid_offers_are_declined() {
        let config = DeflateConfig::default();
        for offer in [
            "permessage-deflate; foo",
            "permessage-deflate; foo=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover=",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=+9",
            "permessage-deflate; server_max_window_bits=9a",
            "permessage-deflate; server_max_window_bits=",
            "permessage-deflate; server_max_window_bits=256",
            "permessage-deflate; client_max_window_bits=0",
            "permessage-deflate; client_max_window_bits=-10",
            "permessage-deflate; client_max_window_bits=1e1",
        ] {
            assert_eq!(answer_to(offer, &config), None, "{offer}");
        }
        // Leading zeros are digits too (`1*DIGIT`).
        assert!(answer_to("permessage-deflate; server_max_window_bits=09", &config).is_some());
    }

    #[test]
    fn rfc7692_7_1_2_1_server_max_window_bits() {
        let config = DeflateConfig::default();
        // Requested: echoed.
        let offer = "permessage-deflate; server_max_window_bits=10";
        assert_eq!(
            answer_to(offer, &config).as_deref(),
            Some("permessage-deflate; server_max_window_bits=10")
        );
        let offer = "permessage-deflate; server_max_window_bits=15";
        assert_eq!(
            answer_to(offer, &config).as_deref(),
            Some("permessage-deflate; server_max_window_bits=15")
        );
        // Our own limit: the smaller wins, and is declared unasked.
        let config = DeflateConfig {
            server_max_window_bits: 12,
            ..DeflateConfig::default()
        };
        let offer = "permessage-deflate; server_max_window_bits=10";
        assert_eq!(
            answer_to(offer, &config).as_deref(),
            Some("permessage-deflate; server_max_window_bits=10")
        );
        assert_eq!(
            answer_to("permessage-deflate", &config).as_deref(),
            Some("permessage-deflate; server_max_window_bits=12")
        );
        // 8 is accepted (see the module docs).
        let offer = "permessage-deflate; server_max_window_bits=8";
        let elements = [element(offer)];
        let (header, ext) = negotiate(
            elements.iter().map(|(n, p)| (n.as_str(), p.as_slice())),
            &config,
        )
        .unwrap();
        assert_eq!(header, "permessage-deflate; server_max_window_bits=8");
        assert_eq!(ext.params().server_max_window_bits, Some(8));
    }

    #[test]
    fn rfc7692_7_1_2_2_client_max_window_bits() {
        let config = DeflateConfig {
            client_max_window_bits: 10,
            ..DeflateConfig::default()
        };
        // Offered without a value: we may limit it.
        let offer = "permessage-deflate; client_max_window_bits";
        assert_eq!(
            answer_to(offer, &config).as_deref(),
            Some("permessage-deflate; client_max_window_bits=10")
        );
        // Offered with a smaller value: that is what the client uses.
        let offer = "permessage-deflate; client_max_window_bits=9";
        assert_eq!(
            answer_to(offer, &config).as_deref(),
            Some("permessage-deflate; client_max_window_bits=9")
        );
        // "MUST NOT include" it when not offered.
        assert_eq!(
            answer_to("permessage-deflate", &config).as_deref(),
            Some("permessage-deflate")
        );
    }

    #[test]
    fn rfc7692_7_1_1_context_takeover() {
        let config = DeflateConfig::default();
        let offer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
        assert_eq!(
            answer_to(offer, &config).as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        );
        let config = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..DeflateConfig::default()
        };
        assert_eq!(
            answer_to("permessage-deflate", &config).as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        );
    }

    #[test]
    fn disabled_declines_and_offers_nothing() {
        let config = DeflateConfig {
            enabled: false,
            ..DeflateConfig::default()
        };
        assert_eq!(answer_to("permessage-deflate", &config), None);
        assert_eq!(client_offer(&config), None);
        assert!(accept("permessage-deflate", &config).is_err());
    }

    #[test]
    fn rfc7692_7_1_client_offer() {
        let config = DeflateConfig::default();
        assert_eq!(
            client_offer(&config).unwrap(),
            "permessage-deflate; client_max_window_bits"
        );
        let config = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 4, // clamped to 8
            ..DeflateConfig::default()
        };
        assert_eq!(
            client_offer(&config).unwrap(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=8"
        );
    }

    #[test]
    fn rfc7692_7_1_client_accepts_valid_answers() {
        let config = DeflateConfig::default();
        assert_eq!(
            accept("permessage-deflate", &config).unwrap(),
            DeflateParams::default()
        );
        let params = accept(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=8",
            &config,
        )
        .unwrap();
        assert_eq!(
            params,
            DeflateParams {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: Some(9),
                client_max_window_bits: Some(8),
            }
        );
        // A smaller server window than we asked for is fine.
        let config = DeflateConfig {
            server_max_window_bits: 12,
            ..DeflateConfig::default()
        };
        assert_eq!(
            accept("permessage-deflate; server_max_window_bits=11", &config)
                .unwrap()
                .server_max_window_bits,
            Some(11)
        );
    }

    #[test]
    fn rfc7692_7_1_client_rejects_invalid_answers() {
        let config = DeflateConfig::default();
        for response in [
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
        ] {
            let error = accept(response, &config).unwrap_err();
            assert!(matches!(error, Error::Extension(_)), "{response}: {error}");
        }
        // We asked for something the answer does not grant.
        let config = DeflateConfig {
            server_max_window_bits: 10,
            ..DeflateConfig::default()
        };
        assert!(accept("permessage-deflate", &config).is_err());
        assert!(accept("permessage-deflate; server_max_window_bits=11", &config).is_err());
        let config = DeflateConfig {
            server_no_context_takeover: true,
            ..DeflateConfig::default()
        };
        assert!(accept("permessage-deflate", &config).is_err());
    }

    #[test]
    fn offer_answer_and_accept_agree() {
        // Every client policy against every server policy: the client
        // accepts what the server answers to its offer.
        let policies = |bits: u8, nct: bool| DeflateConfig {
            server_max_window_bits: bits,
            client_max_window_bits: 23 - bits,
            server_no_context_takeover: nct,
            client_no_context_takeover: !nct,
            ..DeflateConfig::default()
        };
        for client_bits in 8..=15 {
            for server_bits in 8..=15 {
                for (cn, sn) in [(false, false), (true, false), (false, true), (true, true)] {
                    let (client, server) = (policies(client_bits, cn), policies(server_bits, sn));
                    let offer = client_offer(&client).unwrap();
                    let answer = answer_to(&offer, &server).unwrap();
                    let params = accept(&answer, &client)
                        .unwrap_or_else(|e| panic!("{offer} → {answer}: {e}"));
                    assert_eq!(params.to_string(), answer);
                    let server_window = params.server_max_window_bits.unwrap_or(15);
                    assert!(server_window <= client_bits.min(server_bits));
                    assert!(params.client_max_window_bits.unwrap_or(15) <= 23 - server_bits);
                }
            }
        }
    }
}
