//! Built-in rules: positive and negative events of every provider, in its real field names.

mod common;

use common::*;
use serde_json::json;
use trailproof_analysis::finding::{BuiltinRule, Detail};
use trailproof_analysis::{AnalysisOptions, SigmaRuleSet};

fn run(files: Files) -> trailproof_analysis::Analysis {
    run_with(files, AnalysisOptions::default())
}

fn run_with(files: Files, o: AnalysisOptions) -> trailproof_analysis::Analysis {
    analyze(&files, &SigmaRuleSet::new(), &o).1
}

fn f(name: &str, bytes: Vec<u8>) -> (String, Vec<u8>) {
    (name.to_string(), bytes)
}

const T: &str = "2024-05-06T03:00:00Z";

fn aws_login(time: &str, user: &str, ty: &str, ip: &str, ok: bool, mfa: &str) -> serde_json::Value {
    let mut extra = json!({"eventSource":"signin.amazonaws.com","eventType":"AwsConsoleSignIn",
        "responseElements":{"ConsoleLogin": if ok {"Success"} else {"Failure"}},
        "additionalEventData":{"MFAUsed":mfa,"LoginTo":"https://console.aws.amazon.com/"}});
    if !ok {
        extra["errorMessage"] = json!("Failed authentication");
    }
    let mut e = aws(
        time,
        "signin.amazonaws.com",
        "ConsoleLogin",
        user,
        ip,
        extra,
    );
    e["userIdentity"]["type"] = json!(ty);
    e
}

fn ali_login(time: &str, user: &str, ty: &str, ip: &str, ok: bool, mfa: &str) -> serde_json::Value {
    let mut extra = json!({"eventType":"ConsoleSignin","additionalEventData":{"isMFAChecked":mfa,"loginAccount":format!("{user}@1234567890123456.onaliyun.com")}});
    if !ok {
        extra["errorCode"] = json!("InvalidPassword");
        extra["errorMessage"] = json!("Password Error");
    }
    let mut e = ali(time, "AasSub", "ConsoleSignin", user, ip, extra);
    e["userIdentity"]["type"] = json!(ty);
    e
}

fn cts_login(time: &str, user: &str, ip: &str, ok: bool) -> serde_json::Value {
    let name = if ok { "login" } else { "loginFailed" };
    cts(
        time,
        "IAM",
        name,
        user,
        ip,
        json!({"trace_rating": if ok {"normal"} else {"warning"}}),
    )
}

fn at(min: i64) -> String {
    trailproof_events::time::format_rfc3339(
        trailproof_events::time::parse_timestamp(T).unwrap() + min * 60_000,
    )
}

#[test]
fn root_logon_every_provider() {
    let a = run(vec![
        f(
            "aws.json",
            aws_file(&[
                aws_login(T, "root", "Root", "198.51.100.1", true, "Yes"),
                aws_login(&at(1), "alice", "IAMUser", "198.51.100.1", true, "Yes"),
            ]),
        ),
        f(
            "ali.json",
            array_file(&[
                ali_login(T, "root", "root-account", "198.51.100.2", true, "true"),
                ali_login(&at(1), "bob", "ram-user", "198.51.100.2", true, "true"),
            ]),
        ),
        f(
            "cts.json",
            array_file(&[
                cts_login(T, "acme", "198.51.100.3", true),
                cts_login(&at(1), "carol", "198.51.100.3", true),
            ]),
        ),
        f(
            "gcp.json",
            ndjson(&[gcp(
                T,
                "login.googleapis.com",
                "google.login.LoginService.loginSuccess",
                "root@example.com",
                "198.51.100.4",
                json!({}),
            )]),
        ),
    ]);
    let roots: Vec<_> = a
        .findings
        .iter()
        .filter(|x| x.rule.key() == "root-logon")
        .collect();
    let providers: Vec<&str> = roots.iter().map(|x| x.provider.as_str()).collect();
    assert_eq!(providers, ["aws", "alibaba", "huawei"], "{:#?}", a.findings);
    assert!(roots
        .iter()
        .all(|x| x.detail == Detail::RootLogon { success: true }));
}

#[test]
fn consecutive_logon_failures_every_provider() {
    let mut o = AnalysisOptions::default();
    o.rules.failure_threshold = 3;
    o.rules.failure_window_secs = 600;
    let ip = "198.51.100.9";
    // Positive: 3 failures within 4 minutes. Negative: 2 failures, a success, 2 failures; and
    // 3 failures spread over two hours.
    let aws_pos: Vec<_> = (0..3)
        .map(|i| aws_login(&at(i * 2), "alice", "IAMUser", ip, false, "No"))
        .collect();
    let mut aws_neg = vec![
        aws_login(&at(0), "bob", "IAMUser", ip, false, "No"),
        aws_login(&at(1), "bob", "IAMUser", ip, false, "No"),
    ];
    aws_neg.push(aws_login(&at(2), "bob", "IAMUser", ip, true, "Yes"));
    aws_neg.extend((3..5).map(|i| aws_login(&at(i), "bob", "IAMUser", ip, false, "No")));
    aws_neg
        .extend((0..3).map(|i| aws_login(&at(100 + i * 60), "dave", "IAMUser", ip, false, "No")));
    let ali_pos: Vec<_> = (0..3)
        .map(|i| ali_login(&at(i), "erin", "ram-user", ip, false, "false"))
        .collect();
    let ali_neg: Vec<_> = (0..2)
        .map(|i| ali_login(&at(i), "frank", "ram-user", ip, false, "false"))
        .collect();
    let cts_pos: Vec<_> = (0..4)
        .map(|i| cts_login(&at(i), "grace", ip, false))
        .collect();
    let cts_neg = vec![
        cts_login(&at(0), "heidi", ip, false),
        cts_login(&at(1), "heidi", ip, true),
        cts_login(&at(2), "heidi", ip, false),
    ];
    let a = run_with(
        vec![
            f("a1.json", aws_file(&aws_pos)),
            f("a2.json", aws_file(&aws_neg)),
            f("l1.json", array_file(&ali_pos)),
            f("l2.json", array_file(&ali_neg)),
            f("c1.json", array_file(&cts_pos)),
            f("c2.json", array_file(&cts_neg)),
        ],
        o,
    );
    let hits: Vec<_> = a
        .findings
        .iter()
        .filter(|x| x.rule.key() == "logon-failures")
        .collect();
    let actors: Vec<&str> = hits.iter().map(|x| x.actor.as_str()).collect();
    assert_eq!(actors, ["alice", "erin", "grace"], "{hits:#?}");
    assert_eq!(hits[0].evidence.len(), 3);
    assert_eq!(
        hits[0].detail,
        Detail::LogonFailures {
            count: 3,
            within_secs: 240
        }
    );
    // The evidence rows are the store rows of those events (the timeline links them).
    let (store, _) = analyze(
        &vec![f("a1.json", aws_file(&aws_pos))],
        &SigmaRuleSet::new(),
        &AnalysisOptions::default(),
    );
    assert_eq!(store.len(), 3);
}

#[test]
fn logon_outside_allowed_networks() {
    let mut o = AnalysisOptions::default();
    o.rules.logon_networks = vec![
        "10.0.0.0/8".parse().unwrap(),
        "2001:db8::/32".parse().unwrap(),
    ];
    let a = run_with(
        vec![
            f(
                "aws.json",
                aws_file(&[
                    aws_login(T, "alice", "IAMUser", "203.0.113.5", true, "Yes"),
                    aws_login(&at(1), "bob", "IAMUser", "10.1.2.3", true, "Yes"),
                ]),
            ),
            f(
                "ali.json",
                array_file(&[
                    ali_login(T, "carl", "ram-user", "203.0.113.6", true, "true"),
                    ali_login(&at(1), "dina", "ram-user", "2001:db8::7", true, "true"),
                ]),
            ),
            f(
                "cts.json",
                array_file(&[
                    cts_login(T, "ed", "203.0.113.7", true),
                    cts_login(&at(1), "fay", "10.9.9.9", true),
                ]),
            ),
        ],
        o,
    );
    let hits: Vec<String> = a
        .findings
        .iter()
        .filter(|x| x.rule.key() == "logon-outside-allowed-networks")
        .map(|x| format!("{}:{}", x.provider, x.actor))
        .collect();
    assert_eq!(hits, ["aws:alice", "alibaba:carl", "huawei:ed"]);
    // Without allowed networks the rule is off.
    let a = run(vec![f(
        "aws.json",
        aws_file(&[aws_login(T, "alice", "IAMUser", "203.0.113.5", true, "Yes")]),
    )]);
    assert_eq!(count(&a, "logon-outside-allowed-networks"), 0);
}

#[test]
fn logon_outside_business_hours_with_tz_database() {
    let mut o = AnalysisOptions::default();
    o.rules.business_hours.time_zone = "Asia/Shanghai".into();
    o.rules.business_hours.start_hour = 9;
    o.rules.business_hours.end_hour = 18;
    // 2024-05-06 is a Monday: 02:00Z = 10:00 in Shanghai (inside), 14:00Z = 22:00 (outside);
    // 2024-05-04 03:00Z = Saturday 11:00 (outside).
    let (inside, night, weekend) = (
        "2024-05-06T02:00:00Z",
        "2024-05-06T14:00:00Z",
        "2024-05-04T03:00:00Z",
    );
    let files = vec![
        f(
            "aws.json",
            aws_file(&[
                aws_login(inside, "a1", "IAMUser", "198.51.100.1", true, "Yes"),
                aws_login(night, "a2", "IAMUser", "198.51.100.1", true, "Yes"),
            ]),
        ),
        f(
            "ali.json",
            array_file(&[
                ali_login(inside, "l1", "ram-user", "198.51.100.1", true, "true"),
                ali_login(weekend, "l2", "ram-user", "198.51.100.1", true, "true"),
            ]),
        ),
        f(
            "cts.json",
            array_file(&[
                cts_login(inside, "c1", "198.51.100.1", true),
                cts_login(night, "c2", "198.51.100.1", true),
            ]),
        ),
    ];
    let a = run_with(files.clone(), o.clone());
    let hits: Vec<_> = a
        .findings
        .iter()
        .filter(|x| x.rule.key() == "logon-outside-business-hours")
        .collect();
    let actors: Vec<&str> = hits.iter().map(|x| x.actor.as_str()).collect();
    assert_eq!(actors, ["l2", "a2", "c2"]);
    assert!(
        matches!(&hits[1].detail, Detail::LogonOutsideBusinessHours { local_time, .. } if local_time == "2024-05-06 22:00 Mon")
    );
    // A fixed offset gives the same answer.
    o.rules.business_hours.time_zone = "UTC+08:00".into();
    assert_eq!(
        count(
            &run_with(files.clone(), o.clone()),
            "logon-outside-business-hours"
        ),
        3
    );
    // An unknown zone is a diagnostic, not a panic or a silent pass.
    o.rules.business_hours.time_zone = "Mars/Olympus".into();
    let a = run_with(files, o);
    assert_eq!(count(&a, "logon-outside-business-hours"), 0);
    assert!(
        a.diagnostics.iter().any(|d| d.contains("Mars/Olympus")),
        "{:?}",
        a.diagnostics
    );
}

#[test]
fn console_logon_without_mfa() {
    let mut role = aws_login(
        &at(2),
        "ops/jane",
        "AssumedRole",
        "198.51.100.1",
        true,
        "No",
    );
    role["userIdentity"]["sessionContext"] = json!({"attributes":{"mfaAuthenticated":"false"}});
    let a = run(vec![
        f(
            "aws.json",
            aws_file(&[
                aws_login(T, "nomfa", "IAMUser", "198.51.100.1", true, "No"),
                aws_login(&at(1), "withmfa", "IAMUser", "198.51.100.1", true, "Yes"),
                role,
                aws_login(&at(3), "failed", "IAMUser", "198.51.100.1", false, "No"),
            ]),
        ),
        f(
            "ali.json",
            array_file(&[
                ali_login(T, "alinomfa", "ram-user", "198.51.100.1", true, "false"),
                ali_login(&at(1), "alimfa", "ram-user", "198.51.100.1", true, "true"),
            ]),
        ),
        f(
            "cts.json",
            array_file(&[cts_login(T, "ctsuser", "198.51.100.1", true)]),
        ),
    ]);
    let hits: Vec<String> = a
        .findings
        .iter()
        .filter(|x| x.rule.key() == "console-logon-without-mfa")
        .map(|x| x.actor.clone())
        .collect();
    assert_eq!(hits, ["nomfa", "alinomfa"]);
}

#[test]
fn mfa_flag_read_through_lookup_events_wrapper() {
    let inner = aws_login(T, "wrapped", "IAMUser", "198.51.100.1", true, "No");
    let wrapper = json!({"Events":[{"EventId":inner["eventID"],"EventName":"ConsoleLogin","EventTime":T,"Username":"wrapped",
        "CloudTrailEvent": serde_json::to_string(&inner).unwrap()}]});
    let a = run(vec![f(
        "lookup.json",
        serde_json::to_vec(&wrapper).unwrap(),
    )]);
    assert_eq!(count(&a, "console-logon-without-mfa"), 1, "{:#?}", a);
}

#[test]
fn logging_tampered_every_provider() {
    let a = run(vec![
        f(
            "aws.json",
            aws_file(&[
                aws(
                    T,
                    "cloudtrail.amazonaws.com",
                    "StopLogging",
                    "u1",
                    "198.51.100.1",
                    json!({}),
                ),
                aws(
                    &at(1),
                    "cloudtrail.amazonaws.com",
                    "DeleteTrail",
                    "u1",
                    "198.51.100.1",
                    json!({"errorCode":"AccessDenied"}),
                ),
                aws(
                    &at(2),
                    "cloudtrail.amazonaws.com",
                    "DescribeTrails",
                    "u1",
                    "198.51.100.1",
                    json!({"readOnly":true}),
                ),
            ]),
        ),
        f(
            "ali.json",
            array_file(&[
                ali(
                    T,
                    "Actiontrail",
                    "StopLogging",
                    "u2",
                    "198.51.100.2",
                    json!({}),
                ),
                ali(
                    &at(1),
                    "Actiontrail",
                    "DescribeTrails",
                    "u2",
                    "198.51.100.2",
                    json!({}),
                ),
            ]),
        ),
        f(
            "cts.json",
            array_file(&[
                cts(T, "CTS", "deleteTracker", "u3", "198.51.100.3", json!({})),
                cts(
                    &at(1),
                    "CTS",
                    "listTrackers",
                    "u3",
                    "198.51.100.3",
                    json!({}),
                ),
            ]),
        ),
        f(
            "gcp.json",
            ndjson(&[
                gcp(
                    T,
                    "logging.googleapis.com",
                    "google.logging.v2.ConfigServiceV2.DeleteSink",
                    "u4@example.com",
                    "198.51.100.4",
                    json!({}),
                ),
                gcp(
                    &at(1),
                    "logging.googleapis.com",
                    "google.logging.v2.ConfigServiceV2.ListSinks",
                    "u4@example.com",
                    "198.51.100.4",
                    json!({}),
                ),
            ]),
        ),
        f(
            "azure.json",
            ndjson(&[
                azure(
                    T,
                    "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE",
                    "u5@example.com",
                    "198.51.100.5",
                ),
                azure(
                    &at(1),
                    "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/READ",
                    "u5@example.com",
                    "198.51.100.5",
                ),
            ]),
        ),
    ]);
    let hits: Vec<String> = a
        .findings
        .iter()
        .filter(|x| x.rule.key() == "logging-tampered")
        .map(|x| format!("{}:{}", x.provider, x.message))
        .collect();
    assert_eq!(hits.len(), 6, "{hits:#?}");
    assert!(hits
        .iter()
        .any(|h| h.contains("DeleteTrail (attempt failed)")));
    for p in ["aws", "alibaba", "huawei", "gcp", "azure"] {
        assert!(hits.iter().any(|h| h.starts_with(p)), "{p}: {hits:#?}");
    }
}

#[test]
fn permission_access_key_and_password_every_provider() {
    let a = run(vec![
        f(
            "aws.json",
            aws_file(&[
                aws(
                    T,
                    "iam.amazonaws.com",
                    "AttachUserPolicy",
                    "u1",
                    "198.51.100.1",
                    json!({}),
                ),
                aws(
                    &at(1),
                    "iam.amazonaws.com",
                    "AttachRolePolicy",
                    "u1",
                    "198.51.100.1",
                    json!({"errorCode":"AccessDenied"}),
                ),
                aws(
                    &at(2),
                    "iam.amazonaws.com",
                    "ListPolicies",
                    "u1",
                    "198.51.100.1",
                    json!({}),
                ),
                aws(
                    &at(3),
                    "iam.amazonaws.com",
                    "CreateAccessKey",
                    "u1",
                    "198.51.100.1",
                    json!({}),
                ),
                aws(
                    &at(4),
                    "iam.amazonaws.com",
                    "ListAccessKeys",
                    "u1",
                    "198.51.100.1",
                    json!({}),
                ),
                aws(
                    &at(5),
                    "iam.amazonaws.com",
                    "ChangePassword",
                    "u1",
                    "198.51.100.1",
                    json!({}),
                ),
                aws(
                    &at(6),
                    "iam.amazonaws.com",
                    "GetLoginProfile",
                    "u1",
                    "198.51.100.1",
                    json!({}),
                ),
            ]),
        ),
        f(
            "ali.json",
            array_file(&[
                ali(
                    T,
                    "Ram",
                    "AttachPolicyToUser",
                    "u2",
                    "198.51.100.2",
                    json!({}),
                ),
                ali(
                    &at(1),
                    "Ram",
                    "ListPolicies",
                    "u2",
                    "198.51.100.2",
                    json!({}),
                ),
                ali(
                    &at(2),
                    "Ram",
                    "CreateAccessKey",
                    "u2",
                    "198.51.100.2",
                    json!({}),
                ),
                ali(
                    &at(3),
                    "Ram",
                    "ChangePassword",
                    "u2",
                    "198.51.100.2",
                    json!({}),
                ),
            ]),
        ),
        f(
            "cts.json",
            array_file(&[
                cts(T, "IAM", "addUserToGroup", "u3", "198.51.100.3", json!({})),
                cts(
                    &at(1),
                    "IAM",
                    "addCredential",
                    "u3",
                    "198.51.100.3",
                    json!({}),
                ),
                cts(
                    &at(2),
                    "IAM",
                    "deleteCredential",
                    "u3",
                    "198.51.100.3",
                    json!({}),
                ),
                cts(
                    &at(3),
                    "IAM",
                    "changePassword",
                    "u3",
                    "198.51.100.3",
                    json!({}),
                ),
                cts(&at(4), "IAM", "createUser", "u3", "198.51.100.3", json!({})),
            ]),
        ),
        f(
            "gcp.json",
            ndjson(&[
                gcp(
                    T,
                    "cloudresourcemanager.googleapis.com",
                    "SetIamPolicy",
                    "u4@example.com",
                    "198.51.100.4",
                    json!({}),
                ),
                gcp(
                    &at(1),
                    "cloudresourcemanager.googleapis.com",
                    "GetIamPolicy",
                    "u4@example.com",
                    "198.51.100.4",
                    json!({}),
                ),
                gcp(
                    &at(2),
                    "iam.googleapis.com",
                    "google.iam.admin.v1.CreateServiceAccountKey",
                    "u4@example.com",
                    "198.51.100.4",
                    json!({}),
                ),
            ]),
        ),
        f(
            "azure.json",
            ndjson(&[azure(
                T,
                "Microsoft.Authorization/roleAssignments/write",
                "u5@example.com",
                "198.51.100.5",
            )]),
        ),
    ]);
    let by = |rule: &str| -> Vec<String> {
        let mut v: Vec<String> = a
            .findings
            .iter()
            .filter(|x| x.rule.key() == rule)
            .map(|x| format!("{}:{}", x.provider, x.detail_action()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        by("permission-change"),
        [
            "alibaba:AttachPolicyToUser",
            "aws:AttachUserPolicy",
            "azure:Microsoft.Authorization/roleAssignments/write",
            "gcp:SetIamPolicy",
            "huawei:addUserToGroup"
        ]
    );
    assert_eq!(
        by("access-key-created"),
        [
            "alibaba:CreateAccessKey",
            "aws:CreateAccessKey",
            "gcp:google.iam.admin.v1.CreateServiceAccountKey",
            "huawei:addCredential"
        ]
    );
    assert_eq!(
        by("password-changed"),
        [
            "alibaba:ChangePassword",
            "aws:ChangePassword",
            "huawei:changePassword"
        ]
    );
}

trait DetailAction {
    fn detail_action(&self) -> String;
}

impl DetailAction for trailproof_analysis::Finding {
    fn detail_action(&self) -> String {
        match &self.detail {
            Detail::Action { action } | Detail::OpenToWorld { action, .. } => action.clone(),
            d => format!("{d:?}"),
        }
    }
}

#[test]
fn security_group_open_to_world_every_provider() {
    let perm = |cidr: &str| {
        json!({"requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,
        "ipRanges":{"items":[{"cidrIp":cidr}]}}]}}})
    };
    let v6 = json!({"requestParameters":{"groupId":"sg-2","ipPermissions":{"items":[{"ipProtocol":"-1","ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}}]}}});
    let a = run(vec![
        f(
            "aws.json",
            aws_file(&[
                aws(
                    T,
                    "ec2.amazonaws.com",
                    "AuthorizeSecurityGroupIngress",
                    "u1",
                    "198.51.100.1",
                    perm("0.0.0.0/0"),
                ),
                aws(
                    &at(1),
                    "ec2.amazonaws.com",
                    "AuthorizeSecurityGroupIngress",
                    "u1",
                    "198.51.100.1",
                    perm("10.0.0.0/8"),
                ),
                aws(
                    &at(2),
                    "ec2.amazonaws.com",
                    "AuthorizeSecurityGroupIngress",
                    "u1",
                    "198.51.100.1",
                    v6,
                ),
                aws(
                    &at(3),
                    "ec2.amazonaws.com",
                    "DescribeSecurityGroups",
                    "u1",
                    "198.51.100.1",
                    json!({"requestParameters":{"filter":"0.0.0.0/0"}}),
                ),
            ]),
        ),
        f(
            "ali.json",
            array_file(&[
                ali(
                    T,
                    "Ecs",
                    "AuthorizeSecurityGroup",
                    "u2",
                    "198.51.100.2",
                    json!({"requestParameters":{"SecurityGroupId":"sg-a","IpProtocol":"tcp","PortRange":"22/22","SourceCidrIp":"0.0.0.0/0"}}),
                ),
                ali(
                    &at(1),
                    "Ecs",
                    "AuthorizeSecurityGroup",
                    "u2",
                    "198.51.100.2",
                    json!({"requestParameters":{"SecurityGroupId":"sg-a","SourceCidrIp":"192.168.0.0/16"}}),
                ),
            ]),
        ),
        f(
            "cts.json",
            array_file(&[
                cts(
                    T,
                    "VPC",
                    "createSecurityGroupRule",
                    "u3",
                    "198.51.100.3",
                    json!({"request":"{\"security_group_rule\":{\"direction\":\"ingress\",\"remote_ip_prefix\":\"0.0.0.0/0\"}}"}),
                ),
                cts(
                    &at(1),
                    "VPC",
                    "createSecurityGroupRule",
                    "u3",
                    "198.51.100.3",
                    json!({"request":{"security_group_rule":{"remote_ip_prefix":"172.16.0.0/12"}}}),
                ),
            ]),
        ),
        f(
            "gcp.json",
            ndjson(&[
                gcp(
                    T,
                    "compute.googleapis.com",
                    "v1.compute.firewalls.insert",
                    "u4@example.com",
                    "198.51.100.4",
                    json!({"name":"allow-ssh","sourceRanges":["0.0.0.0/0"]}),
                ),
                gcp(
                    &at(1),
                    "compute.googleapis.com",
                    "v1.compute.firewalls.insert",
                    "u4@example.com",
                    "198.51.100.4",
                    json!({"name":"internal","sourceRanges":["10.128.0.0/9"]}),
                ),
            ]),
        ),
    ]);
    let hits: Vec<String> = a
        .findings
        .iter()
        .filter(|x| x.rule.key() == "security-group-open-to-world")
        .map(|x| match &x.detail {
            Detail::OpenToWorld { cidr, .. } => format!("{}:{cidr}", x.provider),
            d => format!("{d:?}"),
        })
        .collect();
    assert_eq!(
        hits,
        [
            "aws:0.0.0.0/0",
            "alibaba:0.0.0.0/0",
            "huawei:0.0.0.0/0",
            "gcp:0.0.0.0/0",
            "aws:::/0"
        ]
    );
}

#[test]
fn allow_lists_and_switches() {
    let files = vec![f(
        "aws.json",
        aws_file(&[
            aws(
                T,
                "cloudtrail.amazonaws.com",
                "StopLogging",
                "automation",
                "10.0.0.5",
                json!({}),
            ),
            aws(
                &at(1),
                "cloudtrail.amazonaws.com",
                "StopLogging",
                "mallory",
                "203.0.113.9",
                json!({}),
            ),
            aws(
                &at(2),
                "iam.amazonaws.com",
                "CreateAccessKey",
                "mallory",
                "203.0.113.9",
                json!({}),
            ),
        ]),
    )];
    let a = run(files.clone());
    assert_eq!(count(&a, "logging-tampered"), 2);
    let mut o = AnalysisOptions::default();
    o.rules.allow_actors = vec!["auto*".into()];
    let a = run_with(files.clone(), o);
    assert_eq!(count(&a, "logging-tampered"), 1);
    assert_eq!(a.allow_listed_events, 1);
    let mut o = AnalysisOptions::default();
    o.rules.allow_ips = vec!["203.0.113.0/24".parse().unwrap()];
    let a = run_with(files.clone(), o);
    assert_eq!(keys(&a), ["logging-tampered"]);
    let mut o = AnalysisOptions::default();
    o.rules
        .disabled
        .insert(BuiltinRule::AccessKeyCreated.id().into());
    let a = run_with(files, o);
    assert_eq!(count(&a, "access-key-created"), 0);
    assert_eq!(count(&a, "logging-tampered"), 2);
}

#[test]
fn rule_ids_round_trip() {
    for r in BuiltinRule::ALL {
        assert_eq!(BuiltinRule::parse(r.id()), Some(r));
        assert!(!r.title().is_empty());
    }
}

#[test]
fn options_from_json() {
    let o: AnalysisOptions = serde_json::from_str(
        r#"{"rules":{"disabled":["root-logon"],"allow_ips":["10.0.0.0/8"],"business_hours":{"time_zone":"Asia/Shanghai"}},
            "coverage":{"requirements":[{"preset":"mlps2"},{"preset":"custom","days":30}],"expected_regions":["cn-hangzhou"]}}"#,
    )
    .unwrap();
    assert!(!o.rules.enabled("root-logon"));
    assert_eq!(o.rules.business_hours.start_hour, 8);
    assert_eq!(o.rules.failure_threshold, 5);
    assert_eq!(o.coverage.min_gap_hours, 24);
    assert_eq!(o.coverage.requirements.len(), 2);
    assert_eq!(
        serde_json::from_str::<AnalysisOptions>("{}").unwrap(),
        AnalysisOptions::default()
    );
    assert!(
        serde_json::from_str::<AnalysisOptions>(r#"{"rules":{"allow_ips":["nope"]}}"#).is_err()
    );
}

#[test]
fn raw_records_collected_separately_give_the_same_analysis() {
    use trailproof_analysis::{Analyzer, RawRecords};
    let files = vec![
        f(
            "aws.json",
            aws_file(&[
                aws_login(T, "nomfa", "IAMUser", "198.51.100.1", true, "No"),
                aws(
                    &at(1),
                    "ec2.amazonaws.com",
                    "AuthorizeSecurityGroupIngress",
                    "u1",
                    "198.51.100.1",
                    json!({"requestParameters":{"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}}),
                ),
            ]),
        ),
        f(
            "ali.json",
            array_file(&[ali_login(
                T,
                "alinomfa",
                "ram-user",
                "198.51.100.1",
                true,
                "false",
            )]),
        ),
    ];
    let store = load(&files);
    let sigma = SigmaRuleSet::new();
    let o = AnalysisOptions::default();
    let as_of = store.time_span().unwrap().1;
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let expected = trailproof_analysis::analyze_in_memory(&store, &sigma, &o, None, as_of, &refs);
    // Phase 1: the plan, then the analyzer is dropped (a worker awaits file reads here).
    let plan = Analyzer::new(&store, &sigma, &o).plan().clone();
    assert!(plan.rows() >= 3);
    let mut raw = RawRecords::new(plan.clone());
    for (&file, path) in &plan.files_named {
        let bytes = &files.iter().find(|(n, _)| n == path).unwrap().1;
        raw.load_file(file, &mut &bytes[..], &Default::default());
    }
    assert!(raw.errors().is_empty());
    let got = Analyzer::new(&store, &sigma, &o)
        .with_raw(raw)
        .finish(None, as_of);
    assert_eq!(got, expected);
    assert_eq!(count(&got, "console-logon-without-mfa"), 2);
    assert_eq!(count(&got, "security-group-open-to-world"), 1);
    // Nothing read back: the rules that need raw fields stay silent and say so.
    let none = Analyzer::new(&store, &sigma, &o).finish(None, as_of);
    assert_eq!(count(&none, "console-logon-without-mfa"), 0);
    assert!(
        none.diagnostics
            .iter()
            .any(|d| d.contains("could not be re-read")),
        "{:?}",
        none.diagnostics
    );
}
