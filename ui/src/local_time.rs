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
