//! The calendar: a month or a week of days (weeks start on Monday), each
//! with its posts as chips coloured by status. The date arithmetic and the
//! view's state are pure and tested natively; the page supplies each post's
//! local day (from the browser's zone) and what a click on a chip does.

use std::rc::Rc;

use chrono::{Datelike, Days, Months, NaiveDate};
use yew::prelude::*;

/// Month or week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Month,
    Week,
}

/// What the calendar shows: the view, a day inside it, the post open in
/// the side panel.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarState {
    pub view: View,
    pub anchor: NaiveDate,
    pub selected: Option<String>,
}

pub enum CalendarAction {
    Previous,
    Next,
    Today(NaiveDate),
    SetView(View),
    Select(String),
    Close,
}

impl CalendarState {
    pub fn new(today: NaiveDate) -> CalendarState {
        CalendarState {
            view: View::Week,
            anchor: today,
            selected: None,
        }
    }
}

impl Reducible for CalendarState {
    type Action = CalendarAction;

    fn reduce(self: Rc<Self>, action: CalendarAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            CalendarAction::Previous => s.anchor = step(s.view, s.anchor, -1),
            CalendarAction::Next => s.anchor = step(s.view, s.anchor, 1),
            CalendarAction::Today(d) => s.anchor = d,
            CalendarAction::SetView(v) => s.view = v,
            CalendarAction::Select(id) => s.selected = Some(id),
            CalendarAction::Close => s.selected = None,
        }
        Rc::new(s)
    }
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// The days on screen: whole weeks, Monday to Sunday, covering the month
/// (or the one week) of `anchor`.
pub fn visible_days(view: View, anchor: NaiveDate) -> Vec<NaiveDate> {
    let (first, last) = match view {
        View::Week => {
            let m = monday_of(anchor);
            (m, m + Days::new(6))
        }
        View::Month => {
            let start = anchor.with_day(1).unwrap_or(anchor);
            let end = start + Months::new(1) - Days::new(1);
            (monday_of(start), monday_of(end) + Days::new(6))
        }
    };
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// The anchor one view earlier (`-1`) or later (`1`).
pub fn step(view: View, anchor: NaiveDate, dir: i32) -> NaiveDate {
    match (view, dir >= 0) {
        (View::Week, true) => anchor + Days::new(7),
        (View::Week, false) => anchor - Days::new(7),
        (View::Month, true) => anchor.with_day(1).unwrap_or(anchor) + Months::new(1),
        (View::Month, false) => anchor.with_day(1).unwrap_or(anchor) - Months::new(1),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn short_month(d: NaiveDate) -> &'static str {
    &MONTHS[d.month0() as usize][..3]
}

/// The heading: "December 2026", or "30 Nov – 6 Dec 2026".
pub fn title(view: View, anchor: NaiveDate) -> String {
    match view {
        View::Month => format!("{} {}", MONTHS[anchor.month0() as usize], anchor.year()),
        View::Week => {
            let m = monday_of(anchor);
            let s = m + Days::new(6);
            if m.year() != s.year() {
                format!(
                    "{} {} {} – {} {} {}",
                    m.day(),
                    short_month(m),
                    m.year(),
                    s.day(),
                    short_month(s),
                    s.year()
                )
            } else if m.month() != s.month() {
                format!(
                    "{} {} – {} {} {}",
                    m.day(),
                    short_month(m),
                    s.day(),
                    short_month(s),
                    s.year()
                )
            } else {
                format!("{} – {} {} {}", m.day(), s.day(), short_month(s), s.year())
            }
        }
    }
}

/// One post on the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    pub id: String,
    pub day: NaiveDate,
    /// Local time, e.g. "14:00".
    pub time: String,
    pub label: String,
    pub status: String,
    /// The hover text: the time in the schedule's zone, the error, warnings.
    pub hover: String,
    pub warned: bool,
}

#[derive(Properties, PartialEq)]
pub struct GridProps {
    pub view: View,
    pub anchor: NaiveDate,
    pub today: NaiveDate,
    pub chips: Vec<Chip>,
    pub selected: Option<String>,
    pub on_select: Callback<String>,
}

/// At most this many posts show in one day's cell.
const MAX_CHIPS: usize = 20;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[function_component(CalendarGrid)]
pub fn calendar_grid(p: &GridProps) -> Html {
    let days = visible_days(p.view, p.anchor);
    let class = match p.view {
        View::Month => "calendar-grid month",
        View::Week => "calendar-grid week",
    };
    html! {
        <div class={class} id="calendar-grid" role="grid" aria-label={title(p.view, p.anchor)}>
            { for WEEKDAYS.iter().map(|d| html! { <div class="weekday" role="columnheader">{ *d }</div> }) }
            { for days.into_iter().map(|day| {
                let other = p.view == View::Month && day.month() != p.anchor.month();
                let all: Vec<&Chip> = p.chips.iter().filter(|c| c.day == day).collect();
                // A dense cadence would bury the day: the first ones, and a count.
                let hidden = all.len().saturating_sub(MAX_CHIPS);
                let held = all.iter().filter(|c| c.status == "held").count();
                let chips = all.into_iter().take(MAX_CHIPS);
                html! {
                    <div key={day.to_string()} role="gridcell" data-day={day.to_string()}
                        class={classes!("cell", other.then_some("other-month"), (day == p.today).then_some("today"))}>
                        <div class="cell-date">{ day.day() }</div>
                        { for chips.map(|c| {
                            let on_select = p.on_select.clone();
                            let id = c.id.clone();
                            html! {
                                <button type="button" key={c.id.clone()} data-id={c.id.clone()} title={c.hover.clone()}
                                    class={classes!("chip", "post", c.status.clone(), c.warned.then_some("warned"),
                                        (p.selected.as_deref() == Some(c.id.as_str())).then_some("selected"))}
                                    onclick={Callback::from(move |_| on_select.emit(id.clone()))}>
                                    <span class="post-time">{ &c.time }</span>
                                    <span class="chip-label">{ &c.label }</span>
                                    <span class="visually-hidden">{ c.status.replace('_', " ") }</span>
                                </button>
                            }
                        }) }
                        if hidden > 0 { <div class="more muted">{ format!("+{hidden} more") }</div> }
                        if held > 0 {
                            <div class="day-held" title="Open a post to see why and what lets it go">
                                { if held == 1 { "1 will not go out".to_string() } else { format!("{held} will not go out") } }
                            </div>
                        }
                    </div>
                }
            }) }
        </div>
    }
}

/// A publishing post's upload in words: "Uploading media: 12.5 of 50.0 MB
/// (25 %)", then "X is processing the media".
pub fn upload_line(u: &reachloop_ipc::Upload, platform: &str) -> String {
    if u.processing {
        return format!(
            "All {} up; {platform} is processing the media.",
            megabytes(u.total)
        );
    }
    let sent = u.sent.min(u.total);
    let share = (sent * 100).checked_div(u.total).unwrap_or(0);
    format!(
        "Uploading media: {:.1} of {} ({share} %)",
        sent as f64 / 1_000_000.0,
        megabytes(u.total)
    )
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn an_upload_reads_in_megabytes_and_a_share() {
        let u = |sent, total, processing| reachloop_ipc::Upload {
            sent,
            total,
            processing,
        };
        assert_eq!(
            upload_line(&u(12_500_000, 50_000_000, false), "X"),
            "Uploading media: 12.5 of 50.0 MB (25 %)"
        );
        assert_eq!(
            upload_line(&u(0, 0, false), "X"),
            "Uploading media: 0.0 of 0.0 MB (0 %)"
        );
        // More than announced never reads as more than everything.
        assert_eq!(
            upload_line(&u(60, 50, false), "X"),
            "Uploading media: 0.0 of 0.0 MB (100 %)"
        );
        assert_eq!(
            upload_line(&u(50_000_000, 50_000_000, true), "X"),
            "All 50.0 MB up; X is processing the media."
        );
    }

    #[test]
    fn a_month_is_whole_weeks_from_monday() {
        // December 2026 starts on a Tuesday and ends on a Thursday.
        let days = visible_days(View::Month, d(2026, 12, 15));
        assert_eq!(days.first(), Some(&d(2026, 11, 30)));
        assert_eq!(days.last(), Some(&d(2027, 1, 3)));
        assert_eq!(days.len(), 35);
        // February 2027 starts on a Monday: exactly four weeks.
        assert_eq!(visible_days(View::Month, d(2027, 2, 10)).len(), 28);
        // March 2026 needs six weeks.
        assert_eq!(visible_days(View::Month, d(2026, 3, 1)).len(), 42);
    }

    #[test]
    fn a_week_runs_monday_to_sunday_around_the_anchor() {
        let days = visible_days(View::Week, d(2026, 12, 6));
        assert_eq!(days.first(), Some(&d(2026, 11, 30)));
        assert_eq!(days.last(), Some(&d(2026, 12, 6)));
        assert_eq!(title(View::Week, d(2026, 12, 6)), "30 Nov – 6 Dec 2026");
        assert_eq!(
            title(View::Week, d(2026, 12, 30)),
            "28 Dec 2026 – 3 Jan 2027"
        );
        assert_eq!(title(View::Week, d(2026, 12, 9)), "7 – 13 Dec 2026");
        assert_eq!(title(View::Month, d(2026, 12, 9)), "December 2026");
    }

    #[test]
    fn previous_and_next_move_by_the_view() {
        let s = Rc::new(CalendarState::new(d(2026, 1, 31)));
        let s = s.reduce(CalendarAction::SetView(View::Month));
        let s = s.reduce(CalendarAction::Next);
        // From 31 January the next month is February, not 3 March.
        assert_eq!((s.anchor.year(), s.anchor.month()), (2026, 2));
        let s = s
            .reduce(CalendarAction::Previous)
            .reduce(CalendarAction::Previous);
        assert_eq!((s.anchor.year(), s.anchor.month()), (2025, 12));
        let s = s.reduce(CalendarAction::SetView(View::Week));
        let before = s.anchor;
        let s = s.reduce(CalendarAction::Next);
        assert_eq!(s.anchor - before, chrono::Duration::days(7));
        let s = s.reduce(CalendarAction::Select("p1".into()));
        assert_eq!(s.selected.as_deref(), Some("p1"));
        let s = s
            .reduce(CalendarAction::Close)
            .reduce(CalendarAction::Today(d(2026, 12, 1)));
        assert_eq!((s.selected.clone(), s.anchor), (None, d(2026, 12, 1)));
    }
}
