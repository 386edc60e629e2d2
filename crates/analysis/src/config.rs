//! Analysis settings: allow-lists, rule switches and rule parameters.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IP network (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside the network (an IPv4 address never matches an IPv6 network).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// Whether the text is an address inside the network.
    pub fn contains_str(&self, ip: &str) -> bool {
        parse_ip(ip).is_some_and(|ip| self.contains(ip))
    }
}

/// Parses an IP address as recorded: plain, bracketed IPv6, or IPv4 with a port.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    let s = s.trim_start_matches('[');
    let s = s.split(']').next().unwrap_or(s);
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    // `203.0.113.9:443`
    let (host, _) = s.rsplit_once(':')?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("not an IP network: {s:?}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("bad prefix length in {s:?}"))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cidr, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Business hours for the after-hours logon rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BusinessHours {
    /// An IANA zone name (`Asia/Shanghai`; the tz database is bundled) or a fixed offset
    /// (`UTC`, `+08:00`, `UTC-05:00`).
    pub time_zone: String,
    /// First business hour, 0–23 (inclusive).
    pub start_hour: u8,
    /// End of business hours, 1–24 (exclusive): 18 means until 17:59.
    pub end_hour: u8,
    /// Business days, Monday first.
    pub weekdays: [bool; 7],
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours {
            time_zone: "UTC".into(),
            start_hour: 8,
            end_hour: 18,
            weekdays: [true, true, true, true, true, false, false],
        }
    }
}

/// Anomaly detector parameters (see `docs/rules.md`, "Anomalies").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnomalyConfig {
    /// Hours of history an actor needs before its spikes are judged.
    pub min_baseline_hours: u64,
    /// Calls in an hour below which no spike is reported.
    pub min_calls: u64,
    /// How many robust deviations (1.4826 × MAD, at least 1 and √median) above the median make
    /// a spike; also the binomial z-score of an error-rate spike.
    pub deviations: f64,
    /// Errors in an hour below which no error-rate spike is reported.
    pub min_errors: u64,
    /// Days at the start of the data that only teach which IPs and keys are known.
    pub learning_days: i64,
    /// Read every AWS/Alibaba event's raw record to learn access key IDs (costs a second pass
    /// over the inputs; off leaves the first-seen access key detector silent).
    pub access_keys: bool,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        AnomalyConfig {
            min_baseline_hours: 24,
            min_calls: 20,
            deviations: 6.0,
            min_errors: 5,
            learning_days: 7,
            access_keys: true,
        }
    }
}

/// Everything the detectors can be told. Deserialises from JSON with every member optional
/// (the browser page sends it to the worker).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleConfig {
    /// Rules switched off, by key: built-in ids (`root-logon`), anomaly ids
    /// (`call-rate-spike`) or `sigma:<id>`.
    pub disabled: BTreeSet<String>,
    /// Actors whose events no rule looks at (name or ID, ASCII case-insensitive; `*` wildcard).
    pub allow_actors: Vec<String>,
    /// Source networks whose events no rule looks at.
    pub allow_ips: Vec<Cidr>,
    /// Networks logons are expected from; empty switches the allowed-networks rule off.
    pub logon_networks: Vec<Cidr>,
    /// Consecutive failed logons that make a finding.
    pub failure_threshold: usize,
    /// Longest time from the first to the last of those failures, seconds.
    pub failure_window_secs: i64,
    /// Business hours for the after-hours rule.
    pub business_hours: BusinessHours,
    /// Anomaly parameters.
    pub anomaly: AnomalyConfig,
    /// Values of Sigma `expand` placeholders: name without `%` (`Administrators`) → values
    /// (Sigma strings: wildcards allowed). A rule using a placeholder missing here is not
    /// loaded (typed diagnostic).
    pub sigma_placeholders: BTreeMap<String, Vec<String>>,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            disabled: BTreeSet::new(),
            allow_actors: Vec::new(),
            allow_ips: Vec::new(),
            logon_networks: Vec::new(),
            failure_threshold: 5,
            failure_window_secs: 600,
            business_hours: BusinessHours::default(),
            anomaly: AnomalyConfig::default(),
            sigma_placeholders: BTreeMap::new(),
        }
    }
}

impl RuleConfig {
    /// Whether the rule with this key is on.
    pub fn enabled(&self, key: &str) -> bool {
        !self.disabled.contains(key)
    }

    /// Whether an event by `actor`/`actor_id` from `ip` is allow-listed.
    pub fn allowed(&self, actor: &str, actor_id: &str, ip: &str) -> bool {
        if self
            .allow_actors
            .iter()
            .any(|p| wildcard_eq(p, actor) || wildcard_eq(p, actor_id))
        {
            return true;
        }
        match parse_ip(ip) {
            Some(ip) => self.allow_ips.iter().any(|c| c.contains(ip)),
            None => false,
        }
    }
}

/// ASCII case-insensitive match where `*` in `pattern` stands for any run of characters.
/// An empty value never matches.
pub fn wildcard_eq(pattern: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let v: Vec<char> = value.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Iterative glob with one backtrack point: linear enough for short patterns, no recursion.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == v[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains_str("10.200.1.1"));
        assert!(!c.contains_str("11.0.0.1"));
        assert!(!c.contains_str("ec2.amazonaws.com"));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains_str("203.0.113.1:443"));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains_str("2001:db8::1"));
        assert!(!v6.contains_str("10.0.0.1"));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("x".parse::<Cidr>().is_err());
        assert_eq!(
            "192.0.2.1".parse::<Cidr>().unwrap().to_string(),
            "192.0.2.1/32"
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_eq("svc-*", "SVC-backup"));
        assert!(wildcard_eq("*", "x"));
        assert!(!wildcard_eq("a*b", "acbd"));
        assert!(wildcard_eq("a*b*", "acbd"));
        assert!(!wildcard_eq("x", ""));
    }
}
