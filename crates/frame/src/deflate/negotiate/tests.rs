//! The negotiation of permessage-deflate, offer by offer and answer by
//! answer (RFC 7692 §5, §7).

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

fn accept(response: &str, config: &DeflateConfig) -> Result<DeflateParams, NegotiationError> {
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
        let _: NegotiationError = error;
        assert!(!error.to_string().is_empty(), "{response}");
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
                let params =
                    accept(&answer, &client).unwrap_or_else(|e| panic!("{offer} → {answer}: {e}"));
                assert_eq!(params.to_string(), answer);
                let server_window = params.server_max_window_bits.unwrap_or(15);
                assert!(server_window <= client_bits.min(server_bits));
                assert!(params.client_max_window_bits.unwrap_or(15) <= 23 - server_bits);
            }
        }
    }
}

#[test]
fn rfc7692_7_1_parse_answer_reads_any_valid_answer_without_policy() {
    let parse = |s: &str| parse_answer(&element(s).1);
    // An answer client_accept would refuse for our default offer (it did
    // not ask for server_max_window_bits) is still well-formed.
    assert_eq!(
        parse("permessage-deflate; server_no_context_takeover; server_max_window_bits=9"),
        Ok(DeflateParams {
            server_no_context_takeover: true,
            server_max_window_bits: Some(9),
            ..DeflateParams::default()
        })
    );
    assert_eq!(
        parse("permessage-deflate; client_max_window_bits=10"),
        Ok(DeflateParams {
            client_max_window_bits: Some(10),
            ..DeflateParams::default()
        })
    );
    // §7.1.2.2: in an answer, client_max_window_bits must have a value.
    assert!(matches!(
        parse("permessage-deflate; client_max_window_bits"),
        Err(NegotiationError::MissingValue(_))
    ));
    assert!(matches!(
        parse("permessage-deflate; server_max_window_bits=16"),
        Err(NegotiationError::InvalidWindowBits(_))
    ));
    assert!(matches!(
        parse("permessage-deflate; x=1"),
        Err(NegotiationError::UnknownParameter(_))
    ));
}
