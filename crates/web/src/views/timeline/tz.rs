//! Time zones through the browser's `Intl.DateTimeFormat` (wasm carries no tz database).
//!
//! Every call into `Intl` goes through `Reflect`, which turns a thrown `RangeError` (an unknown
//! zone from a shared link, say) into an `Err` instead of unwinding through wasm.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Date, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The default zone.
pub const UTC: &str = "UTC";

thread_local! {
    /// `formatToParts` bound to a formatter, per zone (`None`: the browser rejects the zone).
    static FORMATS: RefCell<HashMap<String, Option<Function>>> = RefCell::new(HashMap::new());
}

fn intl_ctor() -> Option<Function> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()
}

fn build(zone: &str) -> Option<Function> {
    let ctor = intl_ctor()?;
    let opts = Object::new();
    for (k, v) in [
        ("timeZone", zone),
        ("year", "numeric"),
        ("month", "2-digit"),
        ("day", "2-digit"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("second", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(&opts, &k.into(), &v.into()).ok()?;
    }
    let dtf = Reflect::construct(&ctor, &Array::of2(&"en-US".into(), &opts)).ok()?;
    let parts: Function = Reflect::get(&dtf, &"formatToParts".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Some(parts.bind0(&dtf))
}

fn formatter(zone: &str) -> Option<Function> {
    FORMATS.with_borrow_mut(|m| {
        m.entry(zone.to_owned())
            .or_insert_with(|| build(zone))
            .clone()
    })
}

/// Whether the browser knows `zone`.
pub fn is_valid(zone: &str) -> bool {
    zone == UTC || formatter(zone).is_some()
}

/// Epoch ms as `YYYY-MM-DD HH:MM:SS.mmm` in `zone` (without the zone's name).
pub fn format(ms: i64, zone: &str) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    if zone == UTC {
        return t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string();
    }
    let Some(f) = formatter(zone) else {
        return t.strftime("%Y-%m-%d %H:%M:%S%.3f UTC").to_string();
    };
    let Ok(parts) = f.call1(&JsValue::NULL, &Date::new(&JsValue::from_f64(ms as f64))) else {
        return ms.to_string();
    };
    let mut v = [
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ];
    for part in Array::from(&parts).iter() {
        let kind = Reflect::get(&part, &"type".into())
            .ok()
            .and_then(|k| k.as_string());
        let value = Reflect::get(&part, &"value".into())
            .ok()
            .and_then(|k| k.as_string())
            .unwrap_or_default();
        let i = match kind.as_deref() {
            Some("year") => 0,
            Some("month") => 1,
            Some("day") => 2,
            Some("hour") => 3,
            Some("minute") => 4,
            Some("second") => 5,
            _ => continue,
        };
        v[i] = value;
    }
    format!(
        "{}-{}-{} {}:{}:{}.{:03}",
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        v[5],
        ms.rem_euclid(1000)
    )
}

/// `format` followed by the zone's name: every time shown is labelled.
pub fn labelled(ms: i64, zone: &str) -> String {
    format!("{} {zone}", format(ms, zone))
}

/// The browser's own zone, if it reports one.
pub fn local() -> Option<String> {
    let ctor = intl_ctor()?;
    let dtf = Reflect::construct(&ctor, &Array::new()).ok()?;
    let resolved: Function = Reflect::get(&dtf, &"resolvedOptions".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let opts = resolved.call0(&dtf).ok()?;
    Reflect::get(&opts, &"timeZone".into()).ok()?.as_string()
}

/// Zones to offer: UTC, the browser's zone, then every IANA zone the browser supports.
pub fn zones() -> Vec<String> {
    let mut out = vec![UTC.to_owned()];
    if let Some(l) = local().filter(|l| l != UTC) {
        out.push(l);
    }
    let all = Reflect::get(&js_sys::global(), &"Intl".into())
        .ok()
        .and_then(|intl| {
            let f: Function = Reflect::get(&intl, &"supportedValuesOf".into())
                .ok()?
                .dyn_into()
                .ok()?;
            f.call1(&intl, &"timeZone".into()).ok()
        });
    if let Some(all) = all {
        for z in Array::from(&all).iter().filter_map(|z| z.as_string()) {
            if !out.contains(&z) {
                out.push(z);
            }
        }
    }
    out
}
