//! Sigma value modifiers, keywords, special values and per-logsource field names, as tables of
//! (rule fragment, event, expected). Rules are written here in the style of the Sigma
//! specification's examples.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use trailproof_analysis::sigma::{Issue, Placeholders};
use trailproof_analysis::SigmaRuleSet;
use trailproof_events::Provider;

fn rule_for(product: &str, detection: &str, placeholders: Placeholders) -> SigmaRuleSet {
    let mut s = SigmaRuleSet::with_placeholders(placeholders);
    s.load(
        "t.yml",
        &format!("title: t\nid: r1\nlogsource:\n  product: {product}\ndetection:\n{detection}"),
    );
    assert!(
        s.diagnostics().is_empty(),
        "{detection}: {:#?}",
        s.diagnostics()
    );
    s
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// `(selection item, event, matches)`, each for an AWS rule `sel: {item}`.
fn cases() -> Vec<(&'static str, Value, bool)> {
    let mut c = vec![
        // fieldref: two fields of the same event, case-insensitive; with endswith.
        (
            "userIdentity.userName|fieldref: requestParameters.userName",
            json!({"userIdentity":{"userName":"Bob"},"requestParameters":{"userName":"bob"}}),
            true,
        ),
        (
            "userIdentity.userName|fieldref: requestParameters.userName",
            json!({"userIdentity":{"userName":"bob"},"requestParameters":{"userName":"eve"}}),
            false,
        ),
        (
            "userIdentity.userName|fieldref: requestParameters.userName",
            json!({"userIdentity":{"userName":"bob"}}),
            false,
        ),
        (
            "userIdentity.arn|fieldref|endswith: requestParameters.userName",
            json!({"userIdentity":{"arn":"arn:aws:iam::1:user/bob"},"requestParameters":{"userName":"bob"}}),
            true,
        ),
        (
            "userIdentity.userName|fieldref|cased: requestParameters.userName",
            json!({"userIdentity":{"userName":"Bob"},"requestParameters":{"userName":"bob"}}),
            false,
        ),
        // exists: presence, whatever the value.
        ("errorCode|exists: true", json!({"errorCode":null}), true),
        ("errorCode|exists: true", json!({}), false),
        ("errorCode|exists: false", json!({}), true),
        ("errorCode|exists: false", json!({"errorCode":""}), false),
        // cidr, IPv4 and IPv6.
        (
            "sourceIPAddress|cidr: 192.0.2.0/24",
            json!({"sourceIPAddress":"192.0.2.77"}),
            true,
        ),
        (
            "sourceIPAddress|cidr: 192.0.2.0/24",
            json!({"sourceIPAddress":"192.0.3.1"}),
            false,
        ),
        (
            "sourceIPAddress|cidr: '2001:db8:1::/48'",
            json!({"sourceIPAddress":"2001:db8:1::5"}),
            true,
        ),
        (
            "sourceIPAddress|cidr: '2001:db8:1::/48'",
            json!({"sourceIPAddress":"2001:db8:2::5"}),
            false,
        ),
        (
            "sourceIPAddress|cidr: '2001:db8:1::/48'",
            json!({"sourceIPAddress":"192.0.2.1"}),
            false,
        ),
        // windash: flag dashes interchangeable, other dashes not.
        (
            "requestParameters.command|windash|contains: ' -enc '",
            json!({"requestParameters":{"command":"powershell /enc ZQ=="}}),
            true,
        ),
        (
            "requestParameters.command|windash|contains: ' -enc '",
            json!({"requestParameters":{"command":"powershell \u{2013}enc ZQ=="}}),
            true,
        ),
        (
            "requestParameters.command|windash|contains: ' -enc '",
            json!({"requestParameters":{"command":"powershell xenc ZQ=="}}),
            false,
        ),
        (
            "requestParameters.command|windash: 'a-b'",
            json!({"requestParameters":{"command":"a/b"}}),
            false,
        ),
        // re and its flags.
        (
            "requestParameters.s|re: '^a.b$'",
            json!({"requestParameters":{"s":"a\nb"}}),
            false,
        ),
        (
            "requestParameters.s|re|s: '^a.b$'",
            json!({"requestParameters":{"s":"a\nb"}}),
            true,
        ),
        (
            "requestParameters.s|re: '^b$'",
            json!({"requestParameters":{"s":"a\nb"}}),
            false,
        ),
        (
            "requestParameters.s|re|m: '^b$'",
            json!({"requestParameters":{"s":"a\nb"}}),
            true,
        ),
        (
            "requestParameters.s|re: '^A'",
            json!({"requestParameters":{"s":"abc"}}),
            false,
        ),
        (
            "requestParameters.s|re|i: '^A'",
            json!({"requestParameters":{"s":"abc"}}),
            true,
        ),
        // all with lists.
        (
            "userAgent|contains|all: [python, boto]",
            json!({"userAgent":"Boto3/1 Python/3"}),
            true,
        ),
        (
            "userAgent|contains|all: [python, boto]",
            json!({"userAgent":"python-requests"}),
            false,
        ),
        (
            "userAgent|contains: [python, boto]",
            json!({"userAgent":"python-requests"}),
            true,
        ),
        // numbers (JSON numbers and numeric text).
        (
            "requestParameters.n|lt: 5",
            json!({"requestParameters":{"n":5}}),
            false,
        ),
        (
            "requestParameters.n|lte: 5",
            json!({"requestParameters":{"n":5}}),
            true,
        ),
        (
            "requestParameters.n|gt: 4",
            json!({"requestParameters":{"n":"5"}}),
            true,
        ),
        (
            "requestParameters.n|gte: 6",
            json!({"requestParameters":{"n":5}}),
            false,
        ),
        (
            "requestParameters.n|gte: 6",
            json!({"requestParameters":{"n":"x"}}),
            false,
        ),
        // cased, startswith, endswith.
        (
            "eventName|cased: StopLogging",
            json!({"eventName":"stoplogging"}),
            false,
        ),
        (
            "eventName|cased: StopLogging",
            json!({"eventName":"StopLogging"}),
            true,
        ),
        (
            "eventName|startswith: stop",
            json!({"eventName":"StopLogging"}),
            true,
        ),
        (
            "eventName|startswith: Logging",
            json!({"eventName":"StopLogging"}),
            false,
        ),
        (
            "eventName|endswith: logging",
            json!({"eventName":"StopLogging"}),
            true,
        ),
        (
            "eventName|endswith: stop",
            json!({"eventName":"StopLogging"}),
            false,
        ),
        // Objects and arrays: compact JSON text for contains/startswith/endswith; array
        // elements each.
        (
            "requestParameters|contains: '\"bucketName\":\"secret'",
            json!({"requestParameters":{"bucketName":"secret-1"}}),
            true,
        ),
        (
            "requestParameters|startswith: '{\"bucketName\"'",
            json!({"requestParameters":{"bucketName":"x"}}),
            true,
        ),
        (
            "requestParameters|endswith: '\"x\"}'",
            json!({"requestParameters":{"bucketName":"x"}}),
            true,
        ),
        (
            "resources|contains: 'arn:aws:s3:::b'",
            json!({"resources":[{"ARN":"arn:aws:s3:::b"}]}),
            true,
        ),
        (
            "resources.ARN: 'arn:aws:s3:::b'",
            json!({"resources":[{"ARN":"arn:aws:s3:::a"},{"ARN":"arn:aws:s3:::b"}]}),
            true,
        ),
        (
            "requestParameters|contains: 'nothere'",
            json!({"requestParameters":{"bucketName":"x"}}),
            false,
        ),
        // null and the empty string.
        ("errorCode: null", json!({}), true),
        ("errorCode: null", json!({"errorCode":null}), true),
        (
            "errorCode: null",
            json!({"errorCode":"AccessDenied"}),
            false,
        ),
        ("errorMessage: ''", json!({"errorMessage":""}), true),
        ("errorMessage: ''", json!({}), false),
        ("errorMessage: ''", json!({"errorMessage":"x"}), false),
        // base64 and base64offset (with contains), alone and after utf16 encodings.
        (
            "requestParameters.data|base64: hello",
            json!({"requestParameters":{"data":"aGVsbG8="}}),
            true,
        ),
        (
            "requestParameters.data|base64: hello",
            json!({"requestParameters":{"data":"aGVsbG9v"}}),
            false,
        ),
        (
            "requestParameters.data|base64offset|contains: barfoo",
            json!({"requestParameters":{"data":b64(b"xbarfooyy")}}),
            true,
        ),
    ];
    for prefix in ["", "a", "ab"] {
        c.push((
            "requestParameters.data|base64offset|contains: foobar",
            json!({"requestParameters":{"data":b64(format!("{prefix}foobar!").as_bytes())}}),
            true,
        ));
        c.push((
            "requestParameters.data|utf16le|base64offset|contains: 'cmd /c'",
            json!({"requestParameters":{"data":b64(&utf16le(&format!("{prefix}cmd /c whoami")))}}),
            true,
        ));
        c.push((
            "requestParameters.data|wide|base64offset|contains: 'cmd /c'",
            json!({"requestParameters":{"data":b64(&utf16le(&format!("{prefix}cmd /c whoami")))}}),
            true,
        ));
        c.push((
            "requestParameters.data|utf16le|base64offset|contains: 'cmd /c'",
            json!({"requestParameters":{"data":b64(format!("{prefix}cmd /c whoami").as_bytes())}}),
            false,
        ));
    }
    c.push((
        "requestParameters.data|base64offset|contains: foobar",
        json!({"requestParameters":{"data":b64(b"xxbarfoo")}}),
        false,
    ));
    let be: Vec<u8> = "cmd".encode_utf16().flat_map(u16::to_be_bytes).collect();
    c.push((
        "requestParameters.data|utf16be|base64: cmd",
        json!({"requestParameters":{"data":b64(&be)}}),
        true,
    ));
    let mut bom = vec![0xFF, 0xFE];
    bom.extend(utf16le("cmd"));
    c.push((
        "requestParameters.data|utf16|base64: cmd",
        json!({"requestParameters":{"data":b64(&bom)}}),
        true,
    ));
    c.push((
        "requestParameters.data|utf16|base64: cmd",
        json!({"requestParameters":{"data":b64(&utf16le("cmd"))}}),
        false,
    ));
    c.extend(neq_and_time_cases());
    c
}

/// Modifiers appendix v2.1.0: `neq` ("the field is different from the specified values",
/// strings or numbers, with `fieldref`) and the time parts `minute` … `year` ("extracts a
/// numeric value from a date"); pySigma's spelled-out regex flags.
fn neq_and_time_cases() -> Vec<(&'static str, Value, bool)> {
    // 2024-05-01T03:15:00Z, a Wednesday of ISO week 18.
    let at = || json!({"eventTime":"2024-05-01T03:15:00Z","eventName":"ConsoleLogin"});
    vec![
        ("eventName|neq: GetObject", at(), true),
        // Case-insensitive like every Sigma string comparison.
        ("eventName|neq: consolelogin", at(), false),
        ("eventName|neq: [GetObject, ConsoleLogin]", at(), false),
        ("eventName|neq: [GetObject, PutObject]", at(), true),
        // An absent or null field is not "different": there is nothing to compare.
        ("errorCode|neq: AccessDenied", at(), false),
        (
            "errorCode|neq: AccessDenied",
            json!({"errorCode":null}),
            false,
        ),
        // Numbers.
        (
            "requestParameters.maxItems|neq: 5",
            json!({"requestParameters":{"maxItems":5}}),
            false,
        ),
        (
            "requestParameters.maxItems|neq: 5",
            json!({"requestParameters":{"maxItems":6}}),
            true,
        ),
        // With fieldref: the two fields differ.
        (
            "userIdentity.userName|fieldref|neq: requestParameters.userName",
            json!({"userIdentity":{"userName":"bob"},"requestParameters":{"userName":"eve"}}),
            true,
        ),
        (
            "userIdentity.userName|fieldref|neq: requestParameters.userName",
            json!({"userIdentity":{"userName":"Bob"},"requestParameters":{"userName":"bob"}}),
            false,
        ),
        // Time parts, in UTC.
        ("eventTime|minute: 15", at(), true),
        ("eventTime|hour: 3", at(), true),
        ("eventTime|hour: 4", at(), false),
        ("eventTime|day: 1", at(), true),
        ("eventTime|week: 18", at(), true),
        ("eventTime|month: 5", at(), true),
        ("eventTime|year: 2024", at(), true),
        ("eventTime|hour: [1, 2, 3]", at(), true),
        // An offset is converted: 05:15+02:00 is 03:15 UTC.
        (
            "eventTime|hour: 3",
            json!({"eventTime":"2024-05-01T05:15:00+02:00"}),
            true,
        ),
        // Epoch numbers (seconds or milliseconds) are dates too.
        (
            "requestParameters.at|hour: 3",
            json!({"requestParameters":{"at":1714533300}}),
            true,
        ),
        (
            "requestParameters.at|hour: 3",
            json!({"requestParameters":{"at":1714533300000u64}}),
            true,
        ),
        ("eventTime|hour: 3", json!({"eventTime":"soon"}), false),
        // Beyond the appendix: a time part compared (night-time activity), or negated.
        ("eventTime|hour|lt: 6", at(), true),
        ("eventTime|hour|gte: 22", at(), false),
        ("eventTime|hour|neq: 3", at(), false),
        // pySigma's spelled-out regex flags.
        ("eventName|re|ignorecase: '^consolelogin$'", at(), true),
        ("eventName|re: '^consolelogin$'", at(), false),
    ]
}

#[test]
fn modifiers_table() {
    for (item, event, want) in cases() {
        let s = rule_for(
            "aws",
            &format!("  sel:\n    {item}\n  condition: sel\n"),
            Placeholders::new(),
        );
        assert_eq!(
            s.rules()[0].matches(Provider::Aws, &event),
            want,
            "{item} on {event}"
        );
    }
}

#[test]
fn expand_takes_placeholders_from_the_settings() {
    let mut p = Placeholders::new();
    p.insert(
        "Administrators".into(),
        vec!["admin*".into(), "root".into()],
    );
    let det = "  sel:\n    userIdentity.userName|expand: '%Administrators%'\n  condition: sel\n";
    let s = rule_for("aws", det, p.clone());
    for (user, want) in [("admin-7", true), ("ROOT", true), ("bob", false)] {
        assert_eq!(
            s.rules()[0].matches(Provider::Aws, &json!({"userIdentity":{"userName":user}})),
            want,
            "{user}"
        );
    }
    // Escaped percent signs are text; a placeholder inside a longer value.
    let s = rule_for(
        "aws",
        "  sel:\n    requestParameters.x|expand: '\\%50 of %Administrators%'\n  condition: sel\n",
        p.clone(),
    );
    assert!(s.rules()[0].matches(
        Provider::Aws,
        &json!({"requestParameters":{"x":"%50 of root"}})
    ));
    // Unknown placeholder: typed diagnostic, rule not loaded.
    let mut s = SigmaRuleSet::new();
    s.load(
        "t.yml",
        &format!("title: t\nlogsource: {{product: aws}}\ndetection:\n{det}"),
    );
    assert!(s.rules().is_empty());
    assert!(
        matches!(&s.diagnostics()[0].issue, Issue::UnknownPlaceholder { name, .. } if name == "Administrators")
    );
    // The same texts with the settings' values.
    let again = s.reloaded_with(&p).expect("reloaded");
    assert_eq!(again.rules().len(), 1);
    assert!(again.diagnostics().is_empty());
    assert!(
        again.reloaded_with(&p).is_none(),
        "same values: nothing to do"
    );
}

/// `(detection, event, matches)` for keyword (value-only) selections.
#[test]
fn keywords_table() {
    let cases: Vec<(&str, Value, bool)> = vec![
        ("  keywords:\n    - 'evil.example'\n  condition: keywords\n", json!({"requestParameters":{"p":"https://EVIL.example/x"}}), true),
        ("  keywords:\n    - 'evil.example'\n  condition: keywords\n", json!({"evil.example":"member names are not searched"}), false),
        ("  keywords: 4625\n  condition: keywords\n", json!({"n":[1,4625]}), true),
        ("  keywords:\n    '|all':\n      - OabVirtualDirectory\n      - ' -ExternalUrl '\n  condition: keywords\n", json!({"a":"Set-OabVirtualDirectory","b":"x -ExternalUrl y"}), true),
        ("  keywords:\n    '|all':\n      - OabVirtualDirectory\n      - ' -ExternalUrl '\n  condition: keywords\n", json!({"a":"Set-OabVirtualDirectory"}), false),
        ("  keywords:\n    '|re': 'AKIA[0-9A-Z]{16}'\n  condition: keywords\n", json!({"k":"key AKIAABCDEFGHIJKLMNOP used"}), true),
        ("  keywords:\n    '|re': 'AKIA[0-9A-Z]{16}'\n  condition: keywords\n", json!({"k":"akiaabcdefghijklmnop"}), false),
        ("  keywords:\n    '|cased': Secret\n  condition: keywords\n", json!({"k":"a secret"}), false),
        ("  keywords:\n    - a\n  sel:\n    eventName: X\n  condition: sel and not keywords\n", json!({"eventName":"X","m":"zzz"}), true),
        // JSON text inside a string is searched as text and as its own values.
        ("  keywords:\n    - '\"k\":\"v\"'\n  condition: keywords\n", json!({"req":"{\"k\":\"v\"}"}), true),
    ];
    for (det, event, want) in cases {
        let s = rule_for("aws", det, Placeholders::new());
        assert_eq!(
            s.rules()[0].matches(Provider::Aws, &event),
            want,
            "{det} on {event}"
        );
    }
}

/// SigmaHQ's field names per log source, on the providers' raw records.
#[test]
fn logsource_field_names_table() {
    let gcp = json!({"insertId":"1","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "resource":{"type":"gcs_bucket"},
        "protoPayload":{"serviceName":"storage.googleapis.com","methodName":"storage.buckets.list",
            "authenticationInfo":{"principalEmail":"a@example.com"},"requestMetadata":{"callerIp":"192.0.2.1"},
            "authorizationInfo":[{"permission":"storage.buckets.list","granted":true}]}});
    let gcp_bq = json!({"protopayload_auditlog":{"methodName":"storage.buckets.list"}});
    let az_export = json!({"operationName":"MICROSOFT.KEYVAULT/VAULTS/SECRETS/WRITE","category":"Administrative",
        "resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/V","properties":{"message":"Delete device"}});
    let az_rest = json!({"operationName":{"value":"Microsoft.KeyVault/vaults/secrets/write","localizedValue":"Write secret"},
        "category":{"value":"Administrative"},"resourceProviderName":{"value":"Microsoft.KeyVault"},"resourceId":"/subscriptions/s/x"});
    let aws_rec = json!({"eventName":"CreateUser"});
    let cases: Vec<(&str, &str, Provider, &Value, bool)> = vec![
        (
            "gcp",
            "gcp.audit.method_name: storage.buckets.list",
            Provider::Gcp,
            &gcp,
            true,
        ),
        (
            "gcp",
            "gcp.audit.method_name: storage.buckets.list",
            Provider::Gcp,
            &gcp_bq,
            true,
        ),
        (
            "gcp",
            "gcp.audit.authentication_info.principal_email: a@example.com",
            Provider::Gcp,
            &gcp,
            true,
        ),
        (
            "gcp",
            "gcp.audit.request_metadata.caller_ip|cidr: 192.0.2.0/24",
            Provider::Gcp,
            &gcp,
            true,
        ),
        (
            "gcp",
            "data.protoPayload.serviceName: storage.googleapis.com",
            Provider::Gcp,
            &gcp,
            true,
        ),
        (
            "gcp",
            "data.protoPayload.authorizationInfo.granted: 'true'",
            Provider::Gcp,
            &gcp,
            true,
        ),
        (
            "gcp",
            "data.resource.type: gcs_bucket",
            Provider::Gcp,
            &gcp,
            true,
        ),
        // logsource filtering: a GCP rule never sees another provider's record.
        (
            "gcp",
            "gcp.audit.method_name: storage.buckets.list",
            Provider::Aws,
            &gcp,
            false,
        ),
        (
            "azure",
            "operationName: MICROSOFT.KEYVAULT/VAULTS/SECRETS/WRITE",
            Provider::Azure,
            &az_export,
            true,
        ),
        (
            "azure",
            "operationName: MICROSOFT.KEYVAULT/VAULTS/SECRETS/WRITE",
            Provider::Azure,
            &az_rest,
            true,
        ),
        (
            "azure",
            "operationName|endswith: /WRITE",
            Provider::Azure,
            &az_rest,
            true,
        ),
        (
            "azure",
            "CategoryValue: Administrative",
            Provider::Azure,
            &az_rest,
            true,
        ),
        (
            "azure",
            "CategoryValue: Administrative",
            Provider::Azure,
            &az_export,
            true,
        ),
        (
            "azure",
            "ResourceProviderValue: Microsoft.KeyVault",
            Provider::Azure,
            &az_rest,
            true,
        ),
        (
            "azure",
            "OperationNameValue: Microsoft.KeyVault/vaults/secrets/write",
            Provider::Azure,
            &az_export,
            true,
        ),
        (
            "azure",
            "ResourceId|contains: keyvault",
            Provider::Azure,
            &az_export,
            true,
        ),
        (
            "azure",
            "properties.message: Delete device",
            Provider::Azure,
            &az_export,
            true,
        ),
        (
            "azure",
            "operationName: MICROSOFT.KEYVAULT/VAULTS/SECRETS/WRITE",
            Provider::Gcp,
            &az_export,
            false,
        ),
        (
            "aws",
            "eventName: CreateUser",
            Provider::Azure,
            &aws_rec,
            false,
        ),
    ];
    for (product, item, provider, event, want) in cases {
        let s = rule_for(
            product,
            &format!("  sel:\n    {item}\n  condition: sel\n"),
            Placeholders::new(),
        );
        assert_eq!(
            s.rules()[0].matches(provider, event),
            want,
            "{product}: {item} on {provider:?}"
        );
    }
}

#[test]
fn unsupported_constructs_table() {
    type IsIssue = fn(&Issue) -> bool;
    let cases: Vec<(&str, IsIssue)> = vec![
        (
            "  sel:\n    eventTime|fortnight: 5\n  condition: sel\n",
            |i| matches!(i, Issue::UnsupportedModifier { modifier, .. } if modifier == "fortnight"),
        ),
        (
            "  sel:\n    eventTime|hour|contains: 5\n  condition: sel\n",
            |i| matches!(i, Issue::UnsupportedCombination { .. }),
        ),
        (
            "  sel:\n    eventTime|hour|minute: 5\n  condition: sel\n",
            |i| matches!(i, Issue::UnsupportedCombination { .. }),
        ),
        ("  sel:\n    eventTime|hour: 3.5\n  condition: sel\n", |i| {
            matches!(i, Issue::BadValue { .. })
        }),
        (
            "  sel:\n    eventTime|hour: soon\n  condition: sel\n",
            |i| matches!(i, Issue::BadValue { .. }),
        ),
        (
            "  sel:\n    eventName|neq|all: [a, b]\n  condition: sel\n",
            |i| matches!(i, Issue::UnsupportedCombination { .. }),
        ),
        ("  sel:\n    eventName|neq|gt: 1\n  condition: sel\n", |i| {
            matches!(i, Issue::UnsupportedCombination { .. })
        }),
        ("  keywords:\n    '|neq': x\n  condition: keywords\n", |i| {
            matches!(i, Issue::BadValue { .. })
        }),
        ("  sel:\n    eventName|wide: x\n  condition: sel\n", |i| {
            matches!(i, Issue::UnsupportedCombination { .. })
        }),
        (
            "  sel:\n    eventName|base64|utf16le: x\n  condition: sel\n",
            |i| matches!(i, Issue::UnsupportedCombination { .. }),
        ),
        (
            "  sel:\n    eventName|re|contains: x\n  condition: sel\n",
            |i| matches!(i, Issue::UnsupportedCombination { .. }),
        ),
        (
            "  sel:\n    eventName|cidr|gt: 1\n  condition: sel\n",
            |i| matches!(i, Issue::UnsupportedCombination { .. }),
        ),
        (
            "  sel:\n    eventName|base64: 'a*'\n  condition: sel\n",
            |i| matches!(i, Issue::BadValue { .. }),
        ),
        (
            "  sel:\n    eventName|expand: '%nope%'\n  condition: sel\n",
            |i| matches!(i, Issue::UnknownPlaceholder { name, .. } if name == "nope"),
        ),
        (
            "  sel:\n    eventName|fieldref: [1]\n  condition: sel\n",
            |i| matches!(i, Issue::BadValue { .. }),
        ),
        (
            "  keywords:\n    '|exists': true\n  condition: keywords\n",
            |i| matches!(i, Issue::BadValue { .. }),
        ),
        (
            "  keywords:\n    - {a: b}\n    - c\n  condition: keywords\n",
            |i| matches!(i, Issue::BadValue { .. }),
        ),
    ];
    for (det, is) in cases {
        let mut s = SigmaRuleSet::new();
        s.load(
            "t.yml",
            &format!("title: t\nlogsource: {{product: aws}}\ndetection:\n{det}"),
        );
        assert!(s.rules().is_empty(), "{det}");
        let d = s.diagnostics();
        assert_eq!(d.len(), 1, "{det}: {d:#?}");
        assert!(is(&d[0].issue), "{det}: {:?}", d[0].issue);
        assert!(!d[0].message().is_empty());
        let report = s.load_report();
        assert!(matches!(
            report[0].outcome,
            trailproof_analysis::sigma::LoadOutcome::NotLoaded { .. }
        ));
    }
}
