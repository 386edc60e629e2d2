//! The query language against a small store: valid queries select the expected rows, invalid
//! ones fail with the right position.

use trailproof_events::model::{Actor, Event, Outcome, Provider};
use trailproof_events::query::{complete_field, field_names, parse};
use trailproof_events::store::{EventStore, Field, StoreBuilder};
use trailproof_events::time::parse_timestamp;
use trailproof_events::Error;

#[allow(clippy::too_many_arguments)]
fn ev(
    id: &str,
    time: &str,
    provider: Provider,
    actor: &str,
    action: &str,
    ip: &str,
    read_only: Option<bool>,
    error: Option<&str>,
) -> Event {
    Event {
        time_ms: parse_timestamp(time).unwrap(),
        provider,
        account: "111122223333".into(),
        region: if provider == Provider::Aws {
            "us-east-1".into()
        } else {
            "cn-hangzhou".into()
        },
        service: "s3.amazonaws.com".into(),
        action: action.into(),
        actor: Actor {
            kind: "IAMUser".into(),
            id: format!("arn:aws:iam::1:user/{actor}"),
            name: actor.into(),
            root: actor == "root",
            admin: actor == "root",
            access_key: format!("AKIA{}", actor.to_ascii_uppercase()),
        },
        source_ip: ip.into(),
        user_agent: "aws-cli/2.15.0".into(),
        read_only,
        outcome: match error {
            Some(c) => Outcome::Error {
                code: c.into(),
                message: format!("{c}: not allowed"),
            },
            None => Outcome::Success,
        },
        resources: vec![format!("arn:aws:s3:::bucket-{id}")],
        event_id: id.into(),
        raw: Default::default(),
    }
}

fn store() -> EventStore {
    let mut b = StoreBuilder::new();
    b.add_file("a.json");
    let events = [
        ev(
            "e1",
            "2024-05-01T00:00:00Z",
            Provider::Aws,
            "alice",
            "ListBuckets",
            "10.1.2.3",
            Some(true),
            None,
        ),
        ev(
            "e2",
            "2024-05-01T10:30:00Z",
            Provider::Aws,
            "alice",
            "PutBucketPolicy",
            "10.200.0.1",
            Some(false),
            Some("AccessDenied"),
        ),
        ev(
            "e3",
            "2024-05-02T08:00:00Z",
            Provider::Aws,
            "bob smith",
            "DeleteBucket",
            "192.168.1.5",
            Some(false),
            None,
        ),
        ev(
            "e4",
            "2024-04-30T23:59:59.500Z",
            Provider::Alibaba,
            "root",
            "GetObject",
            "2001:db8::7",
            None,
            None,
        ),
        ev(
            "e5",
            "2024-05-03T00:00:00Z",
            Provider::Alibaba,
            "carol",
            "DeleteObject",
            "ecs.aliyuncs.com",
            Some(false),
            Some("Forbidden"),
        ),
        ev(
            "11111111-2222-3333-4444-555555555555",
            "2024-05-01T12:00:00Z",
            Provider::Aws,
            "dave",
            "GetObject",
            "10.9.9.9",
            Some(true),
            None,
        ),
    ];
    for e in &events {
        b.push(e);
    }
    b.finish(true)
}

fn ids(store: &EventStore, q: &str) -> Vec<String> {
    let sel = store.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut v: Vec<String> = sel.iter().map(|r| store.text(r, Field::EventId)).collect();
    v.sort();
    v
}

const UUID: &str = "11111111-2222-3333-4444-555555555555";

#[test]
fn valid_queries_select_expected_rows() {
    let s = store();
    // Rows are in time order: e4 first.
    assert_eq!(s.text(0, Field::EventId), "e4");
    let cases: &[(&str, &[&str])] = &[
        ("", &["e1", "e2", "e3", "e4", "e5", UUID]),
        ("actor:alice", &["e1", "e2"]),
        ("user:ALICE", &["e1", "e2"]),
        ("actor:\"bob smith\"", &["e3"]),
        ("actor:bob", &[]),
        ("action:Delete*", &["e3", "e5"]),
        ("action:*bucket*", &["e1", "e2", "e3"]),
        ("-actor:alice", &["e3", "e4", "e5", UUID]),
        ("NOT actor:alice", &["e3", "e4", "e5", UUID]),
        ("actor:alice OR actor:carol", &["e1", "e2", "e5"]),
        ("actor:alice AND rw:write", &["e2"]),
        ("actor:alice rw:write", &["e2"]),
        ("(actor:alice OR actor:carol) -error:*", &["e1"]),
        ("error:*", &["e2", "e5"]),
        ("-error:*", &["e1", "e3", "e4", UUID]),
        ("error:AccessDenied", &["e2"]),
        ("outcome:error provider:alibaba", &["e5"]),
        ("read_only:true", &["e1", UUID]),
        ("ro:false", &["e2", "e3", "e5"]),
        ("rw:read OR rw:write", &["e1", "e2", "e3", "e5", UUID]),
        ("time>=2024-05-01", &["e1", "e2", "e3", "e5", UUID]),
        ("time<2024-05-01", &["e4"]),
        ("time:2024-05-01", &["e1", "e2", UUID]),
        ("time>2024-05-01", &["e3", "e5"]),
        ("time<=2024-05-01", &["e1", "e2", "e4", UUID]),
        (
            "time>=2024-05-01T10:00:00Z time<2024-05-01T12:00:00Z",
            &["e2"],
        ),
        ("time>2024-05-01T10:30:00Z time<2024-05-03", &["e3", UUID]),
        ("time:2024-04-30T23:59:59.500Z", &["e4"]),
        (
            "time>=2024-05-01T02:00:00+02:00 time<2024-05-01T01:00:00Z",
            &["e1"],
        ),
        ("ip:10.0.0.0/8", &["e1", "e2", UUID]),
        ("ip:10.1.0.0/16", &["e1"]),
        ("ip:2001:db8::/32", &["e4"]),
        ("ip:0.0.0.0/0", &["e1", "e2", "e3", UUID]),
        ("ip:192.168.1.5", &["e3"]),
        ("ip:10.*", &["e1", "e2", UUID]),
        ("ip:ecs.aliyuncs.com", &["e5"]),
        ("bucket", &["e1", "e2", "e3", "e4", "e5", UUID]),
        ("denied", &["e2"]),
        ("\"bob smith\"", &["e3"]),
        ("alice policy", &["e2"]),
        ("put*policy", &["e2"]),
        ("root:true", &["e4"]),
        ("admin:false provider:alibaba", &["e5"]),
        ("provider:aliyun", &["e4", "e5"]),
        ("region:cn-*", &["e4", "e5"]),
        ("resource:arn:aws:s3:::bucket-e3", &["e3"]),
        ("event_id:e3", &["e3"]),
        ("id:11111111-2222-3333-4444-555555555555", &[UUID]),
        ("event_id:11111111-2222-3333-4444-555555555555", &[UUID]),
        ("eventid:11111111-2222-3333-4444-555555555555", &[UUID]),
        ("11111111-2222-3333-4444-555555555555", &[UUID]),
        ("file:a.json", &["e1", "e2", "e3", "e4", "e5", UUID]),
        ("account:111122223333 -provider:aws", &["e4", "e5"]),
        ("((actor:alice))", &["e1", "e2"]),
        ("actor:alice OR actor:bob* rw:write", &["e1", "e2", "e3"]),
    ];
    for (q, want) in cases {
        let got = ids(&s, q);
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "query {q:?}");
    }
}

#[test]
fn invalid_queries_report_positions() {
    let cases: &[(&str, usize, &str)] = &[
        ("actor:alice )", 12, "unmatched"),
        ("(actor:alice", 0, "never closed"),
        ("actor:", 6, "missing value"),
        ("foo:bar", 0, "unknown field"),
        ("actor:alice AND", 15, "term"),
        ("OR actor:alice", 0, "both sides"),
        ("time>=tomorrow", 6, "not a date"),
        ("time>=2024-13-01", 6, "not a date"),
        ("ip:10.0.0.0/33", 12, "prefix length"),
        ("ip:10.0.0.x/8", 3, "not an IP"),
        ("ip:2001:db8::/129", 14, "prefix length"),
        ("actor:\"unterminated", 6, "unterminated"),
        ("action>=x", 6, "time only"),
        ("rw:maybe", 3, "read or write"),
        ("outcome:meh", 8, "success or error"),
        ("provider:ibm", 9, "provider"),
        ("a ( )", 4, "empty"),
        ("NOT", 0, "needs a term"),
    ];
    for (q, pos, msg) in cases {
        match parse(q) {
            Err(Error::Query { position, message }) => {
                assert_eq!(position, *pos, "{q:?}: {message}");
                assert!(message.contains(msg), "{q:?}: {message}");
                assert!(position <= q.len());
            }
            other => panic!("{q:?} should fail, got {other:?}"),
        }
    }
}

#[test]
fn never_panics_on_odd_input() {
    let s = store();
    let odd = [
        "\"",
        "\\",
        "((((",
        "))))",
        "-",
        "--x",
        "- x",
        ":",
        "a:b:c:d",
        "time>",
        "time>=",
        "ip:/",
        "ip:::/0",
        "🙂:x",
        "actor:🙂*",
        "*",
        "**",
        "x*y*z",
        "AND OR NOT",
        "\u{0}",
        "actor:\"\\\"\"",
        "(a OR (b AND -c)) d",
        "ip:1.2.3.4/0",
        "time:2024-02-29",
    ];
    for q in odd {
        let _ = s.query(q);
    }
    // Every prefix of a valid query is either valid or an error, never a panic.
    let q = "(actor:\"bob smith\" OR ip:10.0.0.0/8) -error:* time>=2024-05-01T00:00:00Z";
    for i in 0..=q.len() {
        if q.is_char_boundary(i) {
            let _ = s.query(&q[..i]);
        }
    }
}

#[test]
fn facets_and_completion() {
    let s = store();
    let all = s.query("").unwrap();
    let actors = s.facet(Field::Actor, &all, 2);
    assert_eq!(actors[0].value, "alice");
    assert_eq!(actors[0].count, 2);
    assert_eq!(actors.len(), 2);
    let sel = s.query("provider:aws").unwrap();
    let rw = s.facet(Field::ReadWrite, &sel, 10);
    assert_eq!(
        rw.iter()
            .map(|f| (f.value.as_str(), f.count))
            .collect::<Vec<_>>(),
        vec![("read", 2), ("write", 2)]
    );
    let out = s.facet(Field::Outcome, &all, 10);
    assert_eq!(out[0].value, "success");
    assert_eq!(out[0].count, 4);
    let res = s.facet(Field::Resource, &all, 1);
    assert_eq!(res[0].count, 1);
    assert_eq!(s.facet(Field::Provider, &all, 10)[0].value, "aws");
    let sug = s.suggest(Field::Action, "del", 5);
    assert_eq!(sug.len(), 2);
    assert!(complete_field("ac").contains(&"actor"));
    assert!(field_names()
        .iter()
        .any(|f| f.name == "ip" && f.aliases.contains(&"source_ip")));
}
