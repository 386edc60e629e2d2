//! File-name grammar of CloudTrail and CTS objects, and time helpers.
//!
//! Names are parsed from both ends because trail names may contain `_` (`docs/digests.md`, CloudTrail).

use jiff::Timestamp;

/// The parts of a CloudTrail digest file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsDigestName {
    /// Account id (everything before `_CloudTrail-Digest_`).
    pub account: String,
    /// Region that delivered the digest.
    pub source_region: String,
    /// Trail name (may contain `_`).
    pub trail: String,
    /// Trail's home region.
    pub home_region: String,
    /// The `YYYYMMDDTHHMMSSZ` stamp (= `digestEndTime`).
    pub stamp: String,
    /// Whether the name ends in `_backfill`.
    pub backfill: bool,
}

const AWS_DIGEST_MARK: &str = "_CloudTrail-Digest_";
const CTS_DIGEST_MARK: &str = "_CloudTrace-Digest_";

/// The last `/`-separated segment.
pub(crate) fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Everything before the last `/` (empty for a bare name).
pub(crate) fn dir_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Parses `<acct>_CloudTrail-Digest_<src>_<trail>_<home>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz`
/// (also accepts a plain `.json` ending, for uncompressed copies).
pub fn parse_aws_digest_name(name: &str) -> Option<AwsDigestName> {
    let name = base_name(name);
    let stem = name
        .strip_suffix(".json.gz")
        .or_else(|| name.strip_suffix(".json"))?;
    let (stem, backfill) = match stem.strip_suffix("_backfill") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let at = stem.find(AWS_DIGEST_MARK)?;
    let account = &stem[..at];
    let rest = &stem[at + AWS_DIGEST_MARK.len()..];
    let (source_region, rest) = rest.split_once('_')?;
    let (rest, stamp) = rest.rsplit_once('_')?;
    let (trail, home_region) = rest.rsplit_once('_')?;
    if account.is_empty() || source_region.is_empty() || trail.is_empty() || home_region.is_empty()
    {
        return None;
    }
    parse_compact(stamp)?;
    Some(AwsDigestName {
        account: account.to_owned(),
        source_region: source_region.to_owned(),
        trail: trail.to_owned(),
        home_region: home_region.to_owned(),
        stamp: stamp.to_owned(),
        backfill,
    })
}

/// The parts of a CTS digest file name `<prefix>_CloudTrace-Digest_<region>_<time>.json.gz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtsDigestName {
    /// The tracker's file prefix.
    pub prefix: String,
    /// Region (possibly with a project suffix).
    pub region: String,
    /// The `YYYY-MM-DDTHH-mm-ssZ` stamp.
    pub stamp: String,
}

/// Parses a CTS digest file name.
pub fn parse_cts_digest_name(name: &str) -> Option<CtsDigestName> {
    let name = base_name(name);
    let stem = name
        .strip_suffix(".json.gz")
        .or_else(|| name.strip_suffix(".json"))?;
    let at = stem.find(CTS_DIGEST_MARK)?;
    let prefix = &stem[..at];
    let rest = &stem[at + CTS_DIGEST_MARK.len()..];
    let (region, stamp) = rest.rsplit_once('_')?;
    parse_cts_time(stamp)?;
    Some(CtsDigestName {
        prefix: prefix.to_owned(),
        region: region.to_owned(),
        stamp: stamp.to_owned(),
    })
}

/// Whether the name is a CloudTrail digest (by name).
pub(crate) fn is_aws_digest_name(name: &str) -> bool {
    let n = base_name(name);
    n.contains(AWS_DIGEST_MARK) && (n.ends_with(".json.gz") || n.ends_with(".json"))
}

/// Whether the name is a CTS digest (by name).
pub(crate) fn is_cts_digest_name(name: &str) -> bool {
    let n = base_name(name);
    n.contains(CTS_DIGEST_MARK) && (n.ends_with(".json.gz") || n.ends_with(".json"))
}

/// Whether the name is a CloudTrail log file (events or Insights).
pub(crate) fn is_aws_log_name(name: &str) -> bool {
    let n = base_name(name);
    (n.contains("_CloudTrail_") || n.contains("_CloudTrail-Insight_"))
        && (n.ends_with(".json.gz") || n.ends_with(".gz") || n.ends_with(".json"))
}

/// A log's name for matching against digest listings: `.gz` dropped, so an uncompressed
/// copy (`X.json`) matches its listed key (`X.json.gz`); CloudTrail hashes content anyway.
pub(crate) fn log_match_name(path: &str) -> &str {
    let n = base_name(path);
    n.strip_suffix(".gz").unwrap_or(n)
}

/// Whether the name is a CTS trace file.
pub(crate) fn is_cts_trace_name(name: &str) -> bool {
    let n = base_name(name);
    n.contains("_CloudTrace_") && (n.ends_with(".json.gz") || n.ends_with(".json"))
}

/// The `YYYYMMDDTHHmmZ` delivery stamp of a CloudTrail log file name, as a timestamp.
pub(crate) fn aws_log_time(name: &str) -> Option<Timestamp> {
    let n = base_name(name);
    let at = n.find("_CloudTrail_").map(|i| i + "_CloudTrail_".len())?;
    let rest = &n[at..];
    let (_, rest) = rest.split_once('_')?;
    // YYYYMMDDTHHmmZ has no seconds: add them for the compact parser. `get` keeps
    // non-ASCII names from splitting a character.
    let stamp = rest.get(..13)?;
    parse_compact(&format!("{stamp}00Z"))
}

/// The account and region a CloudTrail log file name states
/// (`<acct>_CloudTrail_<region>_…`; Insights files `<acct>_CloudTrail-Insight_<region>_…`).
pub(crate) fn aws_log_scope(name: &str) -> Option<(&str, &str)> {
    let n = base_name(name);
    let (account, rest) = n
        .split_once("_CloudTrail_")
        .or_else(|| n.split_once("_CloudTrail-Insight_"))?;
    let region = rest.split('_').next()?;
    (!account.is_empty() && !region.is_empty()).then_some((account, region))
}

/// Whether a CloudTrail log file name marks an Insights file.
pub(crate) fn is_aws_insight_name(name: &str) -> bool {
    base_name(name).contains("_CloudTrail-Insight_")
}

/// The region and time a CTS trace file name states:
/// `<prefix>_CloudTrace_<region[-project]>_<YYYY-MM-DDTHH-mm-ssZ>_<random>.json[.gz]`.
pub(crate) fn cts_trace_name_parts(name: &str) -> Option<(&str, Timestamp)> {
    let n = base_name(name);
    let at = n.find("_CloudTrace_")? + "_CloudTrace_".len();
    let rest = n.get(at..)?;
    let (rest, _random) = rest.rsplit_once('_')?;
    let (region, stamp) = rest.rsplit_once('_')?;
    Some((region, parse_cts_time(stamp)?))
}

/// The tracker and service folders of a CTS trace path
/// (`CloudTraces/<region>/<Y>/<M>/<D>/<tracker>/<service>/file`), when the layout has them.
pub(crate) fn cts_trace_service_folder(path: &str) -> Option<&str> {
    let parts: Vec<&str> = dir_name(path).split('/').collect();
    let i = parts.iter().position(|p| *p == "CloudTraces")?;
    parts.get(i + 6).copied().filter(|s| !s.is_empty())
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (what CloudTrail digests record).
pub(crate) fn parse_iso(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    // Strict shape first: jiff alone would also accept offsets and fractions, which digests
    // never contain; accepting them would hide a malformed file.
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    s.parse().ok()
}

/// Parses CTS's `YYYY-MM-DDTHH-mm-ssZ` (hyphens in the time part).
pub(crate) fn parse_cts_time(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 20 || b[13] != b'-' || b[16] != b'-' {
        return None;
    }
    let mut iso = s.to_owned();
    iso.replace_range(13..14, ":");
    iso.replace_range(16..17, ":");
    parse_iso(&iso)
}

/// Parses `YYYYMMDDTHHMMSSZ`.
pub(crate) fn parse_compact(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    if !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit) {
        return None;
    }
    parse_iso(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    ))
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn fmt_iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The key a CloudTrail digest ending at `end` would have, derived from a known key of the
/// same chain (`template`): same prefix and name stem, date folders and stamp replaced.
pub(crate) fn aws_digest_key_at(template: &str, end: Timestamp) -> Option<String> {
    let name = base_name(template);
    let parsed = parse_aws_digest_name(name)?;
    let dir = dir_name(template);
    // The last three folders are the end date (YYYY/MM/DD); keep whatever is above them.
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    let dated = parts.len() >= 3
        && parts[parts.len() - 3..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if dated {
        parts.truncate(parts.len() - 3);
    }
    let stamp = end.strftime("%Y%m%dT%H%M%SZ").to_string();
    let file = format!(
        "{}_CloudTrail-Digest_{}_{}_{}_{}{}.json.gz",
        parsed.account,
        parsed.source_region,
        parsed.trail,
        parsed.home_region,
        stamp,
        if parsed.backfill { "_backfill" } else { "" }
    );
    let mut key = parts.join("/");
    if dated {
        if !key.is_empty() {
            key.push('/');
        }
        key.push_str(&end.strftime("%Y/%m/%d").to_string());
    }
    if !key.is_empty() {
        key.push('/');
    }
    key.push_str(&file);
    Some(key)
}

/// The key a CTS digest ending at `end` would have, derived from a known key of the same
/// chain. Date folders are not zero-padded in CTS (`2016/5/19`).
pub(crate) fn cts_digest_key_at(template: &str, end: Timestamp) -> Option<String> {
    let name = base_name(template);
    let parsed = parse_cts_digest_name(name)?;
    let stamp = end.strftime("%Y-%m-%dT%H-%M-%SZ").to_string();
    let file = format!(
        "{}_CloudTrace-Digest_{}_{}.json.gz",
        parsed.prefix, parsed.region, stamp
    );
    let dir = dir_name(template);
    let mut parts: Vec<String> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').map(str::to_owned).collect()
    };
    // CloudTraces/<region>/<Y>/<M>/<D>/...: replace the date folders after the region.
    if let Some(i) = parts.iter().position(|p| p == "CloudTraces") {
        if parts.len() > i + 4 {
            let date = end.strftime("%Y/%-m/%-d").to_string();
            let mut d = date.split('/');
            for j in 2..5 {
                parts[i + j] = d.next().unwrap_or_default().to_owned();
            }
        }
    }
    parts.push(file);
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_names_parse_from_both_ends() {
        let n = parse_aws_digest_name(
            "327878933619_CloudTrail-Digest_ap-northeast-1_llm-guard_trail_x_us-west-2_20231015T230404Z.json.gz",
        )
        .unwrap();
        assert_eq!(n.account, "327878933619");
        assert_eq!(n.source_region, "ap-northeast-1");
        assert_eq!(n.trail, "llm-guard_trail_x");
        assert_eq!(n.home_region, "us-west-2");
        assert_eq!(n.stamp, "20231015T230404Z");
        assert!(!n.backfill);
        let b =
            parse_aws_digest_name("1_CloudTrail-Digest_r_t_h_20231015T230404Z_backfill.json.gz")
                .unwrap();
        assert!(b.backfill);
        assert!(
            parse_aws_digest_name("1_CloudTrail-Digest_r_t_h_2023101XT230404Z.json.gz").is_none()
        );
        assert!(parse_aws_digest_name("x.json.gz.string-to-sign.txt").is_none());
    }

    #[test]
    fn inferred_keys() {
        let t = "p/AWSLogs/o-1/1/CloudTrail-Digest/r/2024/05/01/1_CloudTrail-Digest_r_t_h_20240501T010000Z.json.gz";
        let end = parse_iso("2024-04-30T23:00:00Z").unwrap();
        assert_eq!(
            aws_digest_key_at(t, end).unwrap(),
            "p/AWSLogs/o-1/1/CloudTrail-Digest/r/2024/04/30/1_CloudTrail-Digest_r_t_h_20240430T230000Z.json.gz"
        );
        let c = "CloudTraces/eu-de/2024/5/1/system/Digest/EVS/mylog_CloudTrace-Digest_eu-de_2024-05-01T01-00-00Z.json.gz";
        let end = parse_iso("2024-04-30T23:00:00Z").unwrap();
        assert_eq!(
            cts_digest_key_at(c, end).unwrap(),
            "CloudTraces/eu-de/2024/4/30/system/Digest/EVS/mylog_CloudTrace-Digest_eu-de_2024-04-30T23-00-00Z.json.gz"
        );
    }

    #[test]
    fn odd_names_do_not_panic() {
        assert_eq!(
            aws_log_time("1_CloudTrail_r_2024050\u{e9}T0215Z_x.json.gz"),
            None
        );
        assert_eq!(
            aws_log_time("1_CloudTrail_r_\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}_x.json.gz"),
            None
        );
        assert_eq!(parse_cts_time("2024-05-01T01\u{e9}00Z"), None);
        assert!(parse_aws_digest_name(
            "\u{e9}_CloudTrail-Digest_\u{e9}_\u{e9}_\u{e9}_\u{e9}.json.gz"
        )
        .is_none());
    }

    #[test]
    fn log_names() {
        assert_eq!(
            aws_log_scope("x/tampered_111122223333_CloudTrail_us-east-1_20240501T0005Z_A.json.gz"),
            Some(("tampered_111122223333", "us-east-1"))
        );
        assert_eq!(
            aws_log_scope("1_CloudTrail-Insight_eu-west-1_20240501T0005Z_A.json.gz"),
            Some(("1", "eu-west-1"))
        );
        let p = "CloudTraces/eu-de/2024/5/1/system/EVS/mylog_CloudTrace_eu-de_2024-05-01T01-05-00Z_0faa86bc40071242.json.gz";
        assert_eq!(
            cts_trace_name_parts(p),
            Some(("eu-de", parse_iso("2024-05-01T01:05:00Z").unwrap()))
        );
        assert_eq!(cts_trace_service_folder(p), Some("EVS"));
        assert_eq!(cts_trace_service_folder("flat/x.json.gz"), None);
        assert_eq!(cts_trace_name_parts("a_CloudTrace_\u{e9}.json"), None);
    }

    #[test]
    fn times() {
        assert!(parse_iso("2024-05-01T00:00:00Z").is_some());
        assert!(parse_iso("2024-05-01T00:00:00+01:00").is_none());
        assert_eq!(
            parse_cts_time("2024-05-01T01-00-00Z"),
            parse_iso("2024-05-01T01:00:00Z")
        );
        assert_eq!(
            aws_log_time(
                "111122223333_CloudTrail_us-east-1_20240501T0215Z_QrStUvWxYz012345.json.gz"
            ),
            parse_iso("2024-05-01T02:15:00Z")
        );
    }
}
