//! Timestamps as the providers write them, to UTC epoch milliseconds and back.
//!
//! A hand-written parser covers the shapes seen in exports (it runs once per event, so it
//! avoids a general-purpose parser on the hot path); anything else falls back to `jiff`.

/// Parses a timestamp string into milliseconds since the Unix epoch (UTC).
///
/// Accepted: RFC 3339 / ISO 8601 with `T` or a space between date and time, `-` or `/` in the
/// date, any number of fractional digits (truncated to milliseconds), and a zone of `Z`, `UTC`,
/// `GMT`, `±HH:MM`, `±HHMM`, `±HH` or `GMT±HH:MM` (Huawei CTS: `2016/12/08 11:07:28 GMT+08:00`);
/// no zone means UTC. A date alone is midnight UTC. Digit-only strings are epoch values (see
/// [`epoch_number_to_ms`]).
///
/// Only instants in the years 0000 to 9999 (UTC) are accepted: that is what RFC 3339 can
/// write, so every accepted time formats back ([`format_rfc3339`]) to a string that parses
/// to the same instant. ISO 8601's expanded years (`-004100-11-02`) are refused.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
    {
        return s.parse::<f64>().ok().and_then(epoch_number_to_ms);
    }
    fast(s.as_bytes())
        .or_else(|| {
            let ts: jiff::Timestamp = s.parse().ok()?;
            Some(ts.as_millisecond())
        })
        .filter(|ms| (MIN_MS..=MAX_MS).contains(ms))
}

/// 0000-01-01T00:00:00Z, the earliest instant RFC 3339 can write.
const MIN_MS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z, the latest.
const MAX_MS: i64 = 253_402_300_799_999;

/// Interprets an epoch number: values above 10^11 are milliseconds (10^11 seconds is the year
/// 5138), smaller ones seconds (CLI output prints `1644272617.0`).
pub fn epoch_number_to_ms(v: f64) -> Option<i64> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let ms = if v >= 1e11 { v } else { v * 1000.0 };
    if ms > MAX_MS as f64 {
        return None;
    }
    Some(ms as i64)
}

/// Formats epoch milliseconds as RFC 3339 UTC (`2024-05-01T00:01:10Z`, with `.mmm` when the
/// milliseconds are not zero).
pub fn format_rfc3339(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    }
}

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v = 0i64;
        for _ in 0..n {
            let c = *self.b.get(self.i)?;
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
            self.i += 1;
        }
        Some(v)
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
}

fn fast(b: &[u8]) -> Option<i64> {
    let mut c = Cur { b, i: 0 };
    let year = c.digits(4)?;
    let sep = c.peek()?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    c.i += 1;
    let month = one_or_two(&mut c)?;
    if !c.eat(sep) {
        return None;
    }
    let day = one_or_two(&mut c)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    if c.peek().is_none() {
        return Some(ms);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let h = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let mi = c.digits(2)?;
    let s = if c.eat(b':') { c.digits(2)? } else { 0 };
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + s) * 1000;
    if c.eat(b'.') || c.eat(b',') {
        let start = c.i;
        let mut frac = 0i64;
        while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
            if c.i - start < 3 {
                frac = frac * 10 + (d - b'0') as i64;
            }
            c.i += 1;
        }
        let n = c.i - start;
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            frac *= 10;
        }
        ms += frac;
    }
    while c.eat(b' ') {}
    let rest = &b[c.i..];
    let offset_min = zone(rest)?;
    Some(ms - offset_min * 60_000)
}

fn one_or_two(c: &mut Cur<'_>) -> Option<i64> {
    let first = c.digits(1)?;
    match c.peek() {
        Some(d) if d.is_ascii_digit() => {
            c.i += 1;
            Some(first * 10 + (d - b'0') as i64)
        }
        _ => Some(first),
    }
}

/// Zone suffix → offset east of UTC in minutes.
fn zone(rest: &[u8]) -> Option<i64> {
    let rest = match rest {
        [] | b"Z" | b"z" | b"UTC" | b"GMT" => return Some(0),
        [b'G', b'M', b'T', tail @ ..] | [b'U', b'T', b'C', tail @ ..] => tail,
        other => other,
    };
    let (sign, digits) = match rest.split_first()? {
        (b'+', d) => (1, d),
        (b'-', d) => (-1, d),
        _ => return None,
    };
    let mut c = Cur { b: digits, i: 0 };
    let hh = c.digits(2)?;
    let mm = if c.peek().is_none() {
        0
    } else {
        c.eat(b':');
        c.digits(2)?
    };
    if c.peek().is_some() || hh > 23 || mm > 59 {
        return None;
    }
    Some(sign * (hh * 60 + mm))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let base = parse_timestamp("2017-12-11T15:01:51Z").unwrap();
        assert_eq!(base, 1_513_004_511_000);
        assert_eq!(format_rfc3339(base), "2017-12-11T15:01:51Z");
        assert_eq!(
            parse_timestamp("2022-02-08 09:23:37+11:00"),
            parse_timestamp("2022-02-07T22:23:37Z")
        );
        assert_eq!(
            parse_timestamp("2016/12/08 11:07:28 GMT+08:00"),
            parse_timestamp("2016-12-08T03:07:28Z")
        );
        assert_eq!(
            parse_timestamp("2021-10-19T02:43:48.064377809Z"),
            Some(1_634_611_428_064)
        );
        assert_eq!(parse_timestamp("1714525200000"), Some(1_714_525_200_000));
        assert_eq!(parse_timestamp("1644272617.5"), Some(1_644_272_617_500));
        assert_eq!(parse_timestamp("2024-05-01"), Some(1_714_521_600_000));
        assert_eq!(parse_timestamp("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_timestamp("nonsense"), None);
        assert_eq!(
            format_rfc3339(1_634_611_428_064),
            "2021-10-19T02:43:48.064Z"
        );
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }

    /// Fuzz finding (events_timestamp): jiff accepts ISO 8601 expanded years, which RFC 3339
    /// cannot write back. Such years are refused; the edges of 0000–9999 round-trip.
    #[test]
    fn years_outside_rfc3339_are_refused_and_edges_round_trip() {
        assert_eq!(parse_timestamp("-004100-11-02 201150,59000410-00"), None);
        assert_eq!(parse_timestamp("+010000-01-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp("0000-01-01T00:00:00+01:00"), None);
        for s in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "0001-02-03T04:05:06.007Z",
        ] {
            let ms = parse_timestamp(s).unwrap();
            assert_eq!(format_rfc3339(ms), s);
            assert_eq!(parse_timestamp(&format_rfc3339(ms)), Some(ms));
        }
    }
}
