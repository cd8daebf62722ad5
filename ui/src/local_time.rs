//! The user's days and clock, as the browser knows them (its zone).

use chrono::{Datelike, NaiveDate};

/// Today in the user's zone.
pub fn today() -> NaiveDate {
    let d = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date())
        .unwrap_or_default()
}

/// Local midnight of `day` as an RFC 3339 instant.
pub fn midnight(day: NaiveDate) -> String {
    let d = js_sys::Date::new_with_year_month_day(
        day.year() as u32,
        day.month0() as i32,
        day.day() as i32,
    );
    d.to_iso_string().as_string().unwrap_or_default()
}

/// The instant `days` days before now, as RFC 3339.
pub fn days_ago(days: i64) -> String {
    let ms = js_sys::Date::now() - days as f64 * 86_400_000.0;
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms))
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

/// An RFC 3339 instant as this computer's short local date and time,
/// e.g. "Thu 3 Dec, 14:30"; the text itself when it is not a time.
pub fn short(at: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if d.get_time().is_nan() {
        return at.to_string();
    }
    let options = js_sys::Object::new();
    for (k, v) in [
        ("weekday", "short"),
        ("day", "numeric"),
        ("month", "short"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
    ] {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    }
    d.to_locale_string("default", &options)
        .as_string()
        .unwrap_or_else(|| at.to_string())
}

/// The browser's time zone (IANA), "UTC" when it does not say.
pub fn zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
        .filter(|z| !z.is_empty())
        .unwrap_or_else(|| "UTC".into())
}

/// Milliseconds since the page started, for timing.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}
