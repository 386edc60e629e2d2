//! Coverage by content: which supplied digests span the time a log was delivered.
//!
//! A CloudTrail digest lists every log file delivered in its `[digestStartTime,
//! digestEndTime)` window (CTS likewise, per hour and service folder). So a log that no
//! digest lists, although a digest of its own account and region whose signature verified
//! spans its delivery time, was not delivered by the provider under that name: it is
//! `invalid/not-listed`. The rule and its tolerances are in `docs/report.md` ("Logs no
//! digest lists"); the constants here are the numbers it states.

use std::collections::HashMap;

use jiff::Timestamp;

/// A log's name states its delivery minute (CloudTrail) or second (CTS). The object may be
/// written a little after that stamp, so its delivery is taken to lie anywhere in
/// `[stamp, stamp + NAME_SLACK_SECS]`.
pub(crate) const NAME_SLACK_SECS: i64 = 5 * 60;

/// Without a usable name, the newest record time is the earliest the file can have been
/// delivered; providers deliver within minutes (CloudTrail: about 5 on average, rarely more
/// than 15), so delivery is taken to lie in `[newest, newest + RECORD_SLACK_SECS]`.
pub(crate) const RECORD_SLACK_SECS: i64 = 15 * 60;

/// What a digest chain covers: CloudTrail per account and source region, CTS per region and
/// service folder (`None`: the tracker does not sort by service, so one chain covers all).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Scope {
    Aws {
        account: String,
        region: String,
    },
    Cts {
        region: String,
        service: Option<String>,
    },
}

impl Scope {
    pub(crate) fn describe(&self) -> String {
        match self {
            Scope::Aws { account, region } => format!("account {account}, region {region}"),
            Scope::Cts {
                region,
                service: Some(s),
            } => format!("region {region}, service {s}"),
            Scope::Cts {
                region,
                service: None,
            } => format!("region {region}"),
        }
    }
}

/// One digest's window.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    /// The digest's item path.
    pub(crate) digest: String,
    /// Its chain id.
    pub(crate) chain: String,
    /// Its signature verified (so its list of logs is authentic).
    pub(crate) verified: bool,
    /// Where its trail delivers, when the digest's key says ([`trail_root`]).
    pub(crate) root: Option<String>,
}

/// Where the delivery time came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Basis {
    /// The stamp in the file name.
    Name(Timestamp),
    /// The newest record time (no usable name).
    Records(Timestamp),
}

/// The interval the delivery instant lies in (inclusive bounds).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delivery {
    pub(crate) lo: Timestamp,
    pub(crate) hi: Timestamp,
    pub(crate) basis: Basis,
}

impl Delivery {
    /// From the name's stamp when there is one, else from the newest record time.
    pub(crate) fn of(name: Option<Timestamp>, newest_record: Option<i64>) -> Option<Delivery> {
        let (t, slack, basis) = match (name, newest_record) {
            (Some(t), _) => (t, NAME_SLACK_SECS, Basis::Name(t)),
            (None, Some(s)) => {
                let t = Timestamp::from_second(s).ok()?;
                (t, RECORD_SLACK_SECS, Basis::Records(t))
            }
            (None, None) => return None,
        };
        let hi = Timestamp::from_second(t.as_second().checked_add(slack)?).ok()?;
        Some(Delivery { lo: t, hi, basis })
    }
}

/// The judgement on a log no digest lists.
#[derive(Debug)]
pub(crate) enum Judgement {
    /// Verified digests of its scope span its whole delivery interval and none lists it.
    NotListed {
        /// Item paths of the verified digests whose windows meet the interval.
        digests: Vec<String>,
        chain: String,
        scope: Scope,
    },
    /// A digest of its scope that could not be verified spans (part of) its delivery time.
    Unverified { digest: String, chain: String },
    /// Delivered at or after the end of the newest supplied digest (or within the slack of
    /// it): the next digest will list it.
    After,
    /// Delivered before the oldest supplied digest.
    Before,
    /// Between supplied digests, where none of its scope covers it (a restart or a
    /// deleted digest, which is reported on its own).
    Gap,
    /// No supplied digest has its scope.
    NoChain,
    /// Digests of its scope were supplied, but for another trail location than the folder
    /// the file was found in (their root): they do not speak for it.
    OtherTrail { root: String },
    /// Neither its name nor its records tell when it was delivered.
    NoTime,
}

/// Every supplied digest window, by scope.
#[derive(Default)]
pub(crate) struct Coverage {
    windows: HashMap<Scope, Vec<Window>>,
}

impl Coverage {
    pub(crate) fn add(&mut self, scope: Scope, window: Window) {
        self.windows.entry(scope).or_default().push(window);
    }

    /// Judges a log whose possible scopes are `scopes` (from its name and its records) and
    /// whose delivery lies in `delivery`.
    /// `root` is the trail location of the folder the file was found in, when its path
    /// has one: digests delivered under another root belong to another trail.
    pub(crate) fn judge(
        &self,
        scopes: &[Scope],
        root: Option<&str>,
        delivery: Option<Delivery>,
    ) -> Judgement {
        let other_trail =
            |w: &Window| matches!((root, w.root.as_deref()), (Some(a), Some(b)) if a != b);
        let scoped: Vec<(&Scope, &Vec<Window>)> = scopes
            .iter()
            .filter_map(|s| self.windows.get_key_value(s))
            .collect();
        if scoped.is_empty() {
            return Judgement::NoChain;
        }
        let mine: Vec<(&Scope, Vec<&Window>)> = scoped
            .iter()
            .map(|(s, ws)| {
                (
                    *s,
                    ws.iter().filter(|w| !other_trail(w)).collect::<Vec<_>>(),
                )
            })
            .filter(|(_, ws)| !ws.is_empty())
            .collect();
        if mine.is_empty() {
            let other = scoped
                .iter()
                .flat_map(|(_, ws)| ws.iter())
                .find_map(|w| w.root.clone())
                .unwrap_or_default();
            return Judgement::OtherTrail { root: other };
        }
        let Some(d) = delivery else {
            return Judgement::NoTime;
        };
        let meets = |w: &Window| w.start <= d.hi && d.lo < w.end;
        // Covered: within one run of contiguous (or overlapping) verified windows of one
        // scope. Runs of different scopes are not joined: each chain speaks for its own.
        for (scope, windows) in &mine {
            let mut verified: Vec<&Window> =
                windows.iter().copied().filter(|w| w.verified).collect();
            verified.sort_by_key(|w| (w.start, w.end));
            let mut run: Option<(Timestamp, Timestamp)> = None;
            let mut covered = false;
            for w in &verified {
                run = match run {
                    Some((s, e)) if w.start <= e => Some((s, e.max(w.end))),
                    _ => Some((w.start, w.end)),
                };
                if let Some((s, e)) = run {
                    if s <= d.lo && d.hi < e {
                        covered = true;
                        break;
                    }
                }
            }
            if covered {
                let listing: Vec<&Window> = verified.into_iter().filter(|w| meets(w)).collect();
                let chain = listing.first().map(|w| w.chain.clone()).unwrap_or_default();
                return Judgement::NotListed {
                    digests: listing.iter().map(|w| w.digest.clone()).collect(),
                    chain,
                    scope: (*scope).clone(),
                };
            }
        }
        let all = mine.iter().flat_map(|(_, ws)| ws.iter().copied());
        if let Some(w) = all.clone().find(|w| !w.verified && meets(w)) {
            return Judgement::Unverified {
                digest: w.digest.clone(),
                chain: w.chain.clone(),
            };
        }
        let newest = all.clone().map(|w| w.end).max();
        let oldest = all.map(|w| w.start).min();
        match (oldest, newest) {
            (_, Some(n)) if d.hi >= n => Judgement::After,
            (Some(o), _) if d.lo < o => Judgement::Before,
            _ => Judgement::Gap,
        }
    }
}

/// The trail location a path belongs to, compared from the layout's anchor on (so a copy
/// synced with or without bucket folder and key prefix agrees): CloudTrail
/// `AWSLogs/[o-id/]<account>` (the part before `/CloudTrail/` or `/CloudTrail-Digest/`),
/// CTS the tracker folder (`CloudTraces/<region>/<Y>/<M>/<D>/<tracker>/…`). `None` for a
/// path without the layout (a flat folder), which any trail may have produced.
pub(crate) fn trail_root(path: &str) -> Option<String> {
    if let Some(a) = path.find("AWSLogs/") {
        let rest = &path[a..];
        let end = [
            "/CloudTrail/",
            "/CloudTrail-Digest/",
            "/CloudTrail-Insight/",
        ]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()?;
        return Some(rest[..end].to_owned());
    }
    let parts: Vec<&str> = path.split('/').collect();
    let i = parts.iter().position(|p| *p == "CloudTraces")?;
    // The tracker folder is followed by at least the file name.
    (parts.len() > i + 6).then(|| parts[i + 5].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64, m: i64) -> Timestamp {
        Timestamp::from_second(1_714_521_600 + h * 3600 + m * 60).unwrap()
    }

    fn scope() -> Scope {
        Scope::Aws {
            account: "1".into(),
            region: "r".into(),
        }
    }

    fn cov(verified: &[bool]) -> Coverage {
        let mut c = Coverage::default();
        for (i, v) in verified.iter().enumerate() {
            c.add(
                scope(),
                Window {
                    start: t(i as i64, 0),
                    end: t(i as i64 + 1, 0),
                    digest: format!("d{i}"),
                    chain: "c".into(),
                    verified: *v,
                    root: Some("AWSLogs/1".into()),
                },
            );
        }
        c
    }

    fn judge(c: &Coverage, at: Timestamp) -> Judgement {
        c.judge(&[scope()], Some("AWSLogs/1"), Delivery::of(Some(at), None))
    }

    #[test]
    fn rule_and_tolerance() {
        let c = cov(&[true, true, false]);
        assert!(
            matches!(judge(&c, t(0, 5)), Judgement::NotListed { ref digests, .. } if digests == &["d0"])
        );
        // Straddling two verified windows: both named.
        assert!(
            matches!(judge(&c, t(0, 58)), Judgement::NotListed { ref digests, .. } if digests.len() == 2)
        );
        // Within the slack of an unverified window: not held against it.
        assert!(
            matches!(judge(&c, t(1, 57)), Judgement::Unverified { ref digest, .. } if digest == "d2")
        );
        assert!(matches!(judge(&c, t(3, 0)), Judgement::After));
        assert!(matches!(judge(&c, t(-1, 0)), Judgement::Before));
        let c = cov(&[true]);
        // The last minutes of the newest digest may belong to the next one.
        assert!(matches!(judge(&c, t(0, 56)), Judgement::After));
        assert!(matches!(c.judge(&[scope()], None, None), Judgement::NoTime));
        assert!(matches!(
            c.judge(
                &[Scope::Aws {
                    account: "2".into(),
                    region: "r".into()
                }],
                None,
                Delivery::of(Some(t(0, 5)), None)
            ),
            Judgement::NoChain
        ));
        // From records: 15 minutes of slack.
        let d = Delivery::of(None, Some(t(0, 40).as_second()));
        assert!(matches!(
            c.judge(&[scope()], None, d),
            Judgement::NotListed { .. }
        ));
        // Found under another trail's folder: these digests do not speak for it.
        assert!(matches!(
            c.judge(&[scope()], Some("AWSLogs/o-1/1"), d),
            Judgement::OtherTrail { ref root } if root == "AWSLogs/1"
        ));
        let d = Delivery::of(None, Some(t(0, 50).as_second()));
        assert!(matches!(c.judge(&[scope()], None, d), Judgement::After));
    }

    #[test]
    fn roots() {
        assert_eq!(
            trail_root("b/p/AWSLogs/o-1/111/CloudTrail/us-east-1/2024/05/01/x.json.gz").as_deref(),
            Some("AWSLogs/o-1/111")
        );
        assert_eq!(
            trail_root("AWSLogs/111/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz").as_deref(),
            Some("AWSLogs/111")
        );
        assert_eq!(
            trail_root("CloudTraces/eu-de/2024/5/1/system/EVS/t.json.gz").as_deref(),
            Some("system")
        );
        assert_eq!(
            trail_root("CloudTraces/eu-de/2024/5/1/system/Digest/EVS/d.json.gz").as_deref(),
            Some("system")
        );
        assert_eq!(trail_root("flat/x.json.gz"), None);
        assert_eq!(trail_root("AWSLogs/x.json.gz"), None);
    }

    #[test]
    fn gap_between_runs() {
        let mut c = cov(&[true]);
        c.add(
            scope(),
            Window {
                start: t(3, 0),
                end: t(4, 0),
                digest: "d3".into(),
                chain: "c".into(),
                verified: true,
                root: None,
            },
        );
        assert!(matches!(judge(&c, t(1, 30)), Judgement::Gap));
        assert!(matches!(judge(&c, t(3, 30)), Judgement::NotListed { .. }));
    }
}
