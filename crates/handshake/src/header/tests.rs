use super::*;

fn offer(name: &str, params: &[(&str, Option<&str>)]) -> ExtensionOffer {
    params
        .iter()
        .fold(ExtensionOffer::new(name), |o, (k, v)| o.with_param(k, *v))
}

#[test]
fn rfc6455_9_1_examples() {
    assert_eq!(
        parse_extensions("deflate-stream").unwrap(),
        [offer("deflate-stream", &[])]
    );
    assert_eq!(
        parse_extensions("mux; max-channels=4; flow-control, deflate-stream").unwrap(),
        [
            offer(
                "mux",
                &[("max-channels", Some("4")), ("flow-control", None)]
            ),
            offer("deflate-stream", &[]),
        ]
    );
    // "Sec-WebSocket-Extensions: foo" + "Sec-WebSocket-Extensions: bar; baz=2"
    // "is exactly equivalent to" "foo, bar; baz=2".
    assert_eq!(
        parse_extensions("foo, bar; baz=2").unwrap(),
        [offer("foo", &[]), offer("bar", &[("baz", Some("2"))])]
    );
}

#[test]
fn whitespace_and_empty_elements() {
    assert_eq!(
        parse_extensions(" ,a ;\tb = 1 ;c, ,, d ,").unwrap(),
        [
            offer("a", &[("b", Some("1")), ("c", None)]),
            offer("d", &[])
        ]
    );
}

#[test]
fn quoted_strings_are_unescaped() {
    assert_eq!(
        parse_extensions(r#"x; a="10"; b = "v\-1";c="\"""#),
        Err(Error::InvalidExtension(
            "quoted parameter value is not a token"
        ))
    );
    assert_eq!(
        parse_extensions(r#"x; a="10"; b = "v\-1""#).unwrap(),
        [offer("x", &[("a", Some("10")), ("b", Some("v-1"))])]
    );
    // A comma inside quotes does not split the list, but is not a token.
    assert!(parse_extensions(r#"x; a="1,2""#).is_err());
}

#[test]
fn bad_grammar_is_rejected() {
    for bad in [
        "",
        " , ,",
        "a b",
        "a;",
        "a; =1",
        "a; b=",
        "a; b=\"",
        "a; b=\"x",
        "a; b=\"x\\",
        "a; b=\"\"",
        "a; b=\"x y\"",
        "a; b=1 2",
        "a; b=c=d",
        "@",
        "a/b",
        "a;; b",
        "a; b; ",
        "é",
    ] {
        assert!(parse_extensions(bad).is_err(), "{bad:?}");
        assert_eq!(
            parse_extensions(bad).map_err(|e| e.status()),
            Err(400),
            "{bad:?}"
        );
    }
}

#[test]
fn format_round_trips() {
    let offers = [
        offer("permessage-deflate", &[("client_max_window_bits", None)]),
        offer("x", &[("a", Some("1")), ("b", Some("two"))]),
    ];
    let text = format_extensions(&offers);
    assert_eq!(
        text,
        "permessage-deflate; client_max_window_bits, x; a=1; b=two"
    );
    assert_eq!(parse_extensions(&text).unwrap(), offers);
    // Values that are not tokens are quoted and escaped.
    assert_eq!(
        offer("x", &[("a", Some("a b\"\\"))]).to_string(),
        r#"x; a="a b\"\\""#
    );
}

#[test]
fn protocols() {
    assert_eq!(
        parse_protocols("chat, superchat").unwrap(),
        ["chat", "superchat"]
    );
    assert_eq!(parse_protocols(" ,a,,b ,").unwrap(), ["a", "b"]);
    for bad in ["", " , ", "a b", "a/b", "a, a", "é", "a;b"] {
        assert_eq!(
            parse_protocols(bad).map_err(|e| e.status()),
            Err(400),
            "{bad:?}"
        );
    }
}
