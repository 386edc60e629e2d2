//! The built-in rules. Each rule's logic, per provider, is documented in `docs/rules.md`;
//! keep the two in step.

use std::collections::{BTreeMap, HashMap};

use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use serde_json::Value;
use trailproof_events::{EventStore, Field, Provider};

use crate::config::{parse_ip, RuleConfig};
use crate::finding::{BuiltinRule, Detail, Finding, Listing, RuleRef};
use crate::records::{string_leaves, text_at};

/// Actions that stop or change audit logging.
const LOGGING: &[(Provider, &str)] = &[
    (Provider::Aws, "StopLogging"),
    (Provider::Aws, "DeleteTrail"),
    (Provider::Aws, "UpdateTrail"),
    (Provider::Aws, "PutEventSelectors"),
    (Provider::Aws, "DeleteEventDataStore"),
    (Provider::Aws, "StopEventDataStoreIngestion"),
    (Provider::Alibaba, "StopLogging"),
    (Provider::Alibaba, "DeleteTrail"),
    (Provider::Alibaba, "UpdateTrail"),
    (Provider::Huawei, "deleteTracker"),
    (Provider::Huawei, "updateTracker"),
    (
        Provider::Gcp,
        "google.logging.v2.ConfigServiceV2.DeleteSink",
    ),
    (
        Provider::Gcp,
        "google.logging.v2.ConfigServiceV2.UpdateSink",
    ),
    (
        Provider::Gcp,
        "google.logging.v2.ConfigServiceV2.CreateExclusion",
    ),
    (
        Provider::Gcp,
        "google.logging.v2.ConfigServiceV2.UpdateExclusion",
    ),
    (
        Provider::Azure,
        "Microsoft.Insights/diagnosticSettings/delete",
    ),
    (
        Provider::Azure,
        "Microsoft.Insights/diagnosticSettings/write",
    ),
];

/// Permission and policy changes.
const PERMISSIONS: &[(Provider, &str)] = &[
    (Provider::Aws, "AttachUserPolicy"),
    (Provider::Aws, "AttachGroupPolicy"),
    (Provider::Aws, "AttachRolePolicy"),
    (Provider::Aws, "DetachUserPolicy"),
    (Provider::Aws, "DetachGroupPolicy"),
    (Provider::Aws, "DetachRolePolicy"),
    (Provider::Aws, "PutUserPolicy"),
    (Provider::Aws, "PutGroupPolicy"),
    (Provider::Aws, "PutRolePolicy"),
    (Provider::Aws, "DeleteUserPolicy"),
    (Provider::Aws, "DeleteGroupPolicy"),
    (Provider::Aws, "DeleteRolePolicy"),
    (Provider::Aws, "CreatePolicy"),
    (Provider::Aws, "CreatePolicyVersion"),
    (Provider::Aws, "SetDefaultPolicyVersion"),
    (Provider::Aws, "DeletePolicy"),
    (Provider::Aws, "AddUserToGroup"),
    (Provider::Aws, "RemoveUserFromGroup"),
    (Provider::Aws, "UpdateAssumeRolePolicy"),
    (Provider::Aws, "PutUserPermissionsBoundary"),
    (Provider::Aws, "PutRolePermissionsBoundary"),
    (Provider::Aws, "PutBucketPolicy"),
    (Provider::Aws, "DeleteBucketPolicy"),
    (Provider::Aws, "PutBucketAcl"),
    (Provider::Aws, "PutKeyPolicy"),
    (Provider::Alibaba, "AttachPolicyToUser"),
    (Provider::Alibaba, "AttachPolicyToGroup"),
    (Provider::Alibaba, "AttachPolicyToRole"),
    (Provider::Alibaba, "DetachPolicyFromUser"),
    (Provider::Alibaba, "DetachPolicyFromGroup"),
    (Provider::Alibaba, "DetachPolicyFromRole"),
    (Provider::Alibaba, "CreatePolicy"),
    (Provider::Alibaba, "CreatePolicyVersion"),
    (Provider::Alibaba, "SetDefaultPolicyVersion"),
    (Provider::Alibaba, "DeletePolicy"),
    (Provider::Alibaba, "AddUserToGroup"),
    (Provider::Alibaba, "RemoveUserFromGroup"),
    (Provider::Alibaba, "UpdateRole"),
    (Provider::Huawei, "addUserToGroup"),
    (Provider::Huawei, "removeUserFromGroup"),
    (Provider::Huawei, "createAgency"),
    (Provider::Huawei, "updateAgency"),
    (Provider::Huawei, "deleteAgency"),
    (Provider::Gcp, "SetIamPolicy"),
    (Provider::Gcp, "google.iam.admin.v1.CreateRole"),
    (Provider::Gcp, "google.iam.admin.v1.UpdateRole"),
    (
        Provider::Azure,
        "Microsoft.Authorization/roleAssignments/write",
    ),
    (
        Provider::Azure,
        "Microsoft.Authorization/roleAssignments/delete",
    ),
    (
        Provider::Azure,
        "Microsoft.Authorization/roleDefinitions/write",
    ),
    (
        Provider::Azure,
        "Microsoft.Authorization/policyAssignments/write",
    ),
];

/// Access key creation.
const ACCESS_KEYS: &[(Provider, &str)] = &[
    (Provider::Aws, "CreateAccessKey"),
    (Provider::Alibaba, "CreateAccessKey"),
    (Provider::Huawei, "addCredential"),
    (Provider::Gcp, "google.iam.admin.v1.CreateServiceAccountKey"),
];

/// Password changes and resets.
const PASSWORDS: &[(Provider, &str)] = &[
    (Provider::Aws, "ChangePassword"),
    (Provider::Aws, "UpdateLoginProfile"),
    (Provider::Aws, "CreateLoginProfile"),
    (Provider::Alibaba, "ChangePassword"),
    (Provider::Alibaba, "UpdateLoginProfile"),
    (Provider::Alibaba, "CreateLoginProfile"),
    (Provider::Huawei, "changePassword"),
    (Provider::Huawei, "updateUserPwd"),
    (Provider::Huawei, "modifyUserPassword"),
    (Provider::Huawei, "setPasswordByAdmin"),
    (Provider::Huawei, "fpwdResetSuccess"),
];

/// Actions that add inbound network rules.
const INGRESS: &[(Provider, &str)] = &[
    (Provider::Aws, "AuthorizeSecurityGroupIngress"),
    (Provider::Aws, "ModifySecurityGroupRules"),
    (Provider::Alibaba, "AuthorizeSecurityGroup"),
    (Provider::Alibaba, "ModifySecurityGroupRule"),
    (Provider::Huawei, "createSecurityGroupRule"),
    (Provider::Gcp, "v1.compute.firewalls.insert"),
    (Provider::Gcp, "v1.compute.firewalls.patch"),
    (Provider::Gcp, "v1.compute.firewalls.update"),
    (Provider::Gcp, "beta.compute.firewalls.insert"),
    (Provider::Gcp, "beta.compute.firewalls.patch"),
];

/// Huawei IAM logon trace names; the ones ending in `Failed` are failures.
const HUAWEI_LOGONS: &[&str] = &[
    "login",
    "loginFailed",
    "scanQRCodeLogin",
    "scanQRCodeLoginFailed",
    "oidcLoginSuccess",
    "oidcLoginFailed",
    "iamUserSsoLoginSuccess",
    "iamUserSsoLoginFailed",
];

fn in_table(table: &[(Provider, &str)], provider: Provider, action: &str) -> bool {
    table.iter().any(|(p, a)| {
        *p == provider
            && (a.eq_ignore_ascii_case(action)
                // GCP IAM methods carry a service prefix (`google.iam.v1.IAMPolicy.SetIamPolicy`,
                // `SetIamPolicy` on projects): match the last segment for the bare names.
                || (provider == Provider::Gcp
                    && !a.contains('.')
                    && action.rsplit('.').next().is_some_and(|l| l.eq_ignore_ascii_case(a))))
    })
}

/// Whether `action` of `provider` is a logon (console sign-in).
fn is_logon_action(provider: Provider, action: &str) -> bool {
    match provider {
        Provider::Aws => action == "ConsoleLogin",
        Provider::Alibaba => action == "ConsoleSignin",
        Provider::Huawei => HUAWEI_LOGONS.contains(&action),
        _ => false,
    }
}

/// Whether the built-in rules need the raw record of `row`.
pub(crate) fn wants_raw(store: &EventStore, row: usize, cfg: &RuleConfig) -> bool {
    let p = store.provider(row);
    let action = store.text(row, Field::Action);
    let on = |r: BuiltinRule| cfg.enabled(r.id());
    (is_logon_action(p, &action)
        && matches!(p, Provider::Aws | Provider::Alibaba)
        && (on(BuiltinRule::LogonFailures)
            || on(BuiltinRule::ConsoleLogonWithoutMfa)
            || on(BuiltinRule::RootLogon)
            || on(BuiltinRule::LogonOutsideAllowedNetworks)
            || on(BuiltinRule::LogonOutsideBusinessHours)))
        || (on(BuiltinRule::SecurityGroupOpenToWorld) && in_table(INGRESS, p, &action))
}

/// Whether a logon event failed. AWS records a failed console sign-in with an `errorMessage`
/// and `responseElements.ConsoleLogin = "Failure"`, often without an `errorCode`, so the raw
/// record is asked too.
fn logon_failed(store: &EventStore, row: usize, raw: Option<&Value>) -> bool {
    if store.failed(row) {
        return true;
    }
    match store.provider(row) {
        Provider::Aws => raw.is_some_and(|v| {
            text_at(v, "responseElements.ConsoleLogin").as_deref() == Some("Failure")
                || text_at(v, "errorMessage").is_some_and(|m| !m.is_empty())
        }),
        Provider::Alibaba => raw.is_some_and(|v| {
            text_at(v, "errorMessage").is_some_and(|m| !m.is_empty())
                || text_at(v, "errorCode").is_some_and(|m| !m.is_empty())
        }),
        Provider::Huawei => store.text(row, Field::Action).ends_with("Failed"),
        _ => false,
    }
}

/// Identity types whose console sign-in is federated: MFA, if any, happened at the identity
/// provider, so a missing AWS MFA flag says nothing.
const FEDERATED: &[&str] = &[
    "AssumedRole",
    "FederatedUser",
    "SAMLUser",
    "WebIdentityUser",
    "IdentityCenterUser",
];

/// `Some(true)` when a logon was made without MFA, `Some(false)` with MFA, `None` unknown.
fn logon_without_mfa(store: &EventStore, row: usize, raw: &Value) -> Option<bool> {
    match store.provider(row) {
        Provider::Aws => {
            if FEDERATED.contains(&store.text(row, Field::ActorType).as_str()) {
                return None;
            }
            match text_at(raw, "additionalEventData.MFAUsed")?.as_str() {
                "No" => Some(true),
                "Yes" => Some(false),
                _ => None,
            }
        }
        Provider::Alibaba => {
            match text_at(raw, "additionalEventData.isMFAChecked")
                .or_else(|| text_at(raw, "addionalEventData.isMFAChecked"))?
                .to_ascii_lowercase()
                .as_str()
            {
                "false" => Some(true),
                "true" => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A parsed time zone, or why it could not be.
pub(crate) fn time_zone(name: &str) -> Result<TimeZone, String> {
    let t = name.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
        return Ok(TimeZone::UTC);
    }
    let off = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    if let Some(sign) = off.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits = &off[1..];
        let (h, m) = match digits.split_once(':') {
            Some((h, m)) => (h, m),
            None if digits.len() == 4 => (&digits[..2], &digits[2..]),
            None => (digits, "0"),
        };
        if let (Ok(h), Ok(m)) = (h.parse::<i32>(), m.parse::<i32>()) {
            if h <= 18 && m < 60 {
                let secs = (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 };
                if let Ok(o) = Offset::from_seconds(secs) {
                    return Ok(TimeZone::fixed(o));
                }
            }
        }
        return Err(format!("unknown time zone {name:?}"));
    }
    TimeZone::get(t).map_err(|_| format!("unknown time zone {name:?}"))
}

/// Runs the enabled built-in rules over `rows` (already filtered by the allow-lists).
pub(crate) fn run(
    store: &EventStore,
    rows: &[usize],
    raw: &BTreeMap<usize, Value>,
    cfg: &RuleConfig,
    diagnostics: &mut Vec<String>,
    out: &mut Listing,
) {
    let on = |r: BuiltinRule| cfg.enabled(r.id());
    let tz = if on(BuiltinRule::LogonOutsideBusinessHours) {
        match time_zone(&cfg.business_hours.time_zone) {
            Ok(tz) => Some(tz),
            Err(e) => {
                diagnostics.push(format!(
                    "{}: {e}; rule skipped",
                    BuiltinRule::LogonOutsideBusinessHours.id()
                ));
                None
            }
        }
    } else {
        None
    };
    // Failure streaks per (provider, account, actor): rows of the current streak.
    let mut streaks: BTreeMap<(Provider, String, String), Vec<usize>> = BTreeMap::new();
    let finding = |rule: BuiltinRule, detail: Detail, message: String, rows: &[usize]| {
        Finding::from_rows(
            store,
            RuleRef::Builtin { rule },
            rule.level(),
            detail,
            message,
            rows,
        )
    };
    // Whether any action table holds each (provider, action): there are few distinct actions,
    // and rows holding none (most of them) need nothing more, not even their actor and IP.
    let mut in_any: HashMap<Provider, HashMap<String, bool>> = HashMap::new();
    for &row in rows {
        let p = store.provider(row);
        let action = store.text(row, Field::Action);
        if !is_logon_action(p, &action) {
            let by_action = in_any.entry(p).or_default();
            let any = match by_action.get(action.as_str()) {
                Some(&any) => any,
                None => {
                    let any = [LOGGING, PERMISSIONS, ACCESS_KEYS, PASSWORDS, INGRESS]
                        .iter()
                        .any(|t| in_table(t, p, &action));
                    by_action.insert(action.clone(), any);
                    any
                }
            };
            if !any {
                continue;
            }
        }
        let record = raw.get(&row);
        let actor = store.text(row, Field::Actor);
        let ip = store.text(row, Field::SourceIp);
        if is_logon_action(p, &action) {
            let failed = logon_failed(store, row, record);
            let outcome = if failed { "failed" } else { "succeeded" };
            if on(BuiltinRule::RootLogon) && store.text(row, Field::Root) == "true" {
                out.push(finding(
                    BuiltinRule::RootLogon,
                    Detail::RootLogon { success: !failed },
                    format!(
                        "{p} root/primary account logon {outcome} from {}",
                        or_unknown(&ip)
                    ),
                    &[row],
                ));
            }
            if on(BuiltinRule::LogonFailures) {
                let key = (
                    p,
                    store.text(row, Field::Account),
                    actor.to_ascii_lowercase(),
                );
                let streak = streaks.entry(key).or_default();
                if failed {
                    // Keep only failures inside the window ending at this one.
                    let t = store.time_ms(row);
                    streak.retain(|&r| t - store.time_ms(r) <= cfg.failure_window_secs * 1000);
                    streak.push(row);
                    if streak.len() >= cfg.failure_threshold.max(1) {
                        let first = streak[0];
                        let within = (t - store.time_ms(first)) / 1000;
                        out.push(finding(
                            BuiltinRule::LogonFailures,
                            Detail::LogonFailures {
                                count: streak.len(),
                                within_secs: within,
                            },
                            format!(
                                "{} failed logons in a row for {} within {}s",
                                streak.len(),
                                or_unknown(&actor),
                                within
                            ),
                            streak,
                        ));
                        streak.clear();
                    }
                } else {
                    streak.clear();
                }
            }
            if !failed {
                if on(BuiltinRule::LogonOutsideAllowedNetworks) && !cfg.logon_networks.is_empty() {
                    // Only addresses are judged: a service name is not a network location.
                    if let Some(addr) = parse_ip(&ip) {
                        if !cfg.logon_networks.iter().any(|c| c.contains(addr)) {
                            out.push(finding(
                                BuiltinRule::LogonOutsideAllowedNetworks,
                                Detail::LogonOutsideAllowedNetworks { ip: ip.clone() },
                                format!(
                                    "{} logged on from {ip}, outside the allowed networks",
                                    or_unknown(&actor)
                                ),
                                &[row],
                            ));
                        }
                    }
                }
                if let Some(tz) = &tz {
                    if let Some(local) = outside_hours(store.time_ms(row), tz, cfg) {
                        out.push(finding(
                            BuiltinRule::LogonOutsideBusinessHours,
                            Detail::LogonOutsideBusinessHours {
                                local_time: local.clone(),
                                time_zone: cfg.business_hours.time_zone.clone(),
                            },
                            format!(
                                "{} logged on at {local} ({}), outside business hours",
                                or_unknown(&actor),
                                cfg.business_hours.time_zone
                            ),
                            &[row],
                        ));
                    }
                }
                if on(BuiltinRule::ConsoleLogonWithoutMfa) {
                    if let Some(true) = record.and_then(|v| logon_without_mfa(store, row, v)) {
                        out.push(finding(
                            BuiltinRule::ConsoleLogonWithoutMfa,
                            Detail::ConsoleLogonWithoutMfa,
                            format!(
                                "{} signed in to the console without MFA",
                                or_unknown(&actor)
                            ),
                            &[row],
                        ));
                    }
                }
            }
            continue;
        }
        let failed = store.failed(row);
        if on(BuiltinRule::LoggingTampered) && in_table(LOGGING, p, &action) {
            let note = if failed { " (attempt failed)" } else { "" };
            out.push(finding(
                BuiltinRule::LoggingTampered,
                Detail::Action {
                    action: action.clone(),
                },
                format!("{} called {action}{note}", or_unknown(&actor)),
                &[row],
            ));
        }
        if failed {
            continue;
        }
        for (rule, table, what) in [
            (
                BuiltinRule::PermissionChange,
                PERMISSIONS,
                "changed permissions with",
            ),
            (
                BuiltinRule::AccessKeyCreated,
                ACCESS_KEYS,
                "created an access key with",
            ),
            (
                BuiltinRule::PasswordChanged,
                PASSWORDS,
                "changed a password with",
            ),
        ] {
            if on(rule) && in_table(table, p, &action) {
                out.push(finding(
                    rule,
                    Detail::Action {
                        action: action.clone(),
                    },
                    format!("{} {what} {action}", or_unknown(&actor)),
                    &[row],
                ));
            }
        }
        if on(BuiltinRule::SecurityGroupOpenToWorld) && in_table(INGRESS, p, &action) {
            if let Some(cidr) = record.and_then(|v| world_open(p, v)) {
                out.push(finding(
                    BuiltinRule::SecurityGroupOpenToWorld,
                    Detail::OpenToWorld {
                        action: action.clone(),
                        cidr: cidr.clone(),
                    },
                    format!(
                        "{} opened inbound access to {cidr} with {action}",
                        or_unknown(&actor)
                    ),
                    &[row],
                ));
            }
        }
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() {
        "(unknown)"
    } else {
        s
    }
}

/// The request payload of a record, per provider.
const REQUEST_PATHS: &[(Provider, &str)] = &[
    (Provider::Aws, "requestParameters"),
    (Provider::Alibaba, "requestParameters"),
    (Provider::Alibaba, "requestParameterJson"),
    (Provider::Huawei, "request"),
    (Provider::Gcp, "protoPayload.request"),
];

/// The world-open range in the request, if any (`0.0.0.0/0` before `::/0`).
fn world_open(p: Provider, raw: &Value) -> Option<String> {
    let mut leaves = Vec::new();
    for (_, path) in REQUEST_PATHS.iter().filter(|(q, _)| *q == p) {
        for v in crate::records::lookup(raw, path) {
            string_leaves(v.value(), &mut leaves);
        }
    }
    ["0.0.0.0/0", "::/0"]
        .into_iter()
        .find(|w| leaves.iter().any(|l| l.trim() == *w))
        .map(String::from)
}

/// The local time text when `ms` is outside business hours.
fn outside_hours(ms: i64, tz: &TimeZone, cfg: &RuleConfig) -> Option<String> {
    let z = Timestamp::from_millisecond(ms).ok()?.to_zoned(tz.clone());
    let day = usize::try_from(z.weekday().to_monday_zero_offset()).ok()?;
    let bh = &cfg.business_hours;
    let working_day = bh.weekdays.get(day).copied().unwrap_or(false);
    let hour = z.hour();
    let in_hours = hour >= i8::try_from(bh.start_hour).unwrap_or(0)
        && hour < i8::try_from(bh.end_hour).unwrap_or(24);
    if working_day && in_hours {
        return None;
    }
    Some(z.strftime("%Y-%m-%d %H:%M %a").to_string())
}
