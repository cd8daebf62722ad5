//! The calendar: a month or a week of days (weeks start on Monday), each
//! with its first posts as chips coloured by status and a count of the
//! rest, which opens the day: every post of it, a page at a time. The date
//! arithmetic and the view's state are pure and tested natively; the page
//! supplies each day's posts (counted by the core in the user's zone) and
//! what a click on a chip does.

use std::rc::Rc;

use chrono::{Datelike, Days, Months, NaiveDate};
use yew::prelude::*;

/// Month, week or one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Month,
    Week,
    Day,
}

impl View {
    /// How the view is remembered ("nav-calendar/month").
    pub fn id(self) -> &'static str {
        match self {
            View::Month => "month",
            View::Week => "week",
            View::Day => "day",
        }
    }

    pub fn from_id(id: &str) -> Option<View> {
        [View::Month, View::Week, View::Day]
            .into_iter()
            .find(|v| v.id() == id)
    }

    /// How many posts of each day the view shows as chips.
    pub fn per_day(self) -> u32 {
        match self {
            View::Month => MONTH_CHIPS as u32,
            View::Week => MAX_CHIPS as u32,
            View::Day => 0,
        }
    }
}

/// How many posts one page of the day view lists.
pub const DAY_PAGE: u32 = 100;

/// What the calendar shows: the view, a day inside it, the post open in
/// the side panel, and in the day view how many posts come before the page.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarState {
    pub view: View,
    pub anchor: NaiveDate,
    pub selected: Option<String>,
    pub offset: u32,
    /// The view a day was opened from ("Back to the week").
    pub from: View,
}

pub enum CalendarAction {
    Previous,
    Next,
    Today(NaiveDate),
    SetView(View),
    Select(String),
    Close,
    /// Open one day, from its "+N more" (every post of it, paged).
    OpenDay(NaiveDate),
    /// The day view's next or previous page (of `total` posts).
    NextPage(u32),
    PreviousPage,
    /// Show the post `id` (a moved one, on `day`): selected, and the view
    /// goes to its day when that is not on screen.
    Follow {
        id: String,
        day: NaiveDate,
    },
}

impl CalendarState {
    #[cfg(test)]
    pub fn new(today: NaiveDate) -> CalendarState {
        CalendarState::in_view(today, View::Week)
    }

    /// On `today`, in `view` (the one remembered; a day view comes back
    /// as today's).
    pub fn in_view(today: NaiveDate, view: View) -> CalendarState {
        CalendarState {
            view,
            anchor: today,
            selected: None,
            offset: 0,
            from: View::Week,
        }
    }
}

impl Reducible for CalendarState {
    type Action = CalendarAction;

    fn reduce(self: Rc<Self>, action: CalendarAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            CalendarAction::Previous => {
                s.anchor = step(s.view, s.anchor, -1);
                s.offset = 0;
            }
            CalendarAction::Next => {
                s.anchor = step(s.view, s.anchor, 1);
                s.offset = 0;
            }
            CalendarAction::Today(d) => {
                s.anchor = d;
                s.offset = 0;
            }
            CalendarAction::SetView(v) => {
                if v == View::Day && s.view != View::Day {
                    s.from = s.view;
                }
                s.view = v;
                s.offset = 0;
            }
            CalendarAction::Select(id) => s.selected = Some(id),
            CalendarAction::Close => s.selected = None,
            CalendarAction::OpenDay(day) => {
                if s.view != View::Day {
                    s.from = s.view;
                }
                s.view = View::Day;
                s.anchor = day;
                s.offset = 0;
            }
            CalendarAction::NextPage(total) => {
                if s.offset + DAY_PAGE < total {
                    s.offset += DAY_PAGE;
                }
            }
            CalendarAction::PreviousPage => s.offset = s.offset.saturating_sub(DAY_PAGE),
            CalendarAction::Follow { id, day } => {
                s.selected = Some(id);
                if !visible_days(s.view, s.anchor).contains(&day) {
                    s.anchor = day;
                    s.offset = 0;
                }
            }
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
        View::Day => (anchor, anchor),
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
        (View::Day, true) => anchor + Days::new(1),
        (View::Day, false) => anchor - Days::new(1),
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

const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn short_month(d: NaiveDate) -> &'static str {
    &MONTHS[d.month0() as usize][..3]
}

/// The heading: "December 2026", or "30 Nov – 6 Dec 2026".
pub fn title(view: View, anchor: NaiveDate) -> String {
    match view {
        View::Day => format!(
            "{} {} {} {}",
            WEEKDAY_NAMES[anchor.weekday().num_days_from_monday() as usize],
            anchor.day(),
            MONTHS[anchor.month0() as usize],
            anchor.year()
        ),
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

/// One day on the grid: its first posts and how many it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCell {
    pub day: NaiveDate,
    pub total: u32,
    pub held: u32,
    pub failed: u32,
    pub chips: Vec<Chip>,
}

/// "+N more": the posts of a day not shown as chips.
pub fn hidden(cell: &DayCell) -> u32 {
    cell.total.saturating_sub(cell.chips.len() as u32)
}

#[derive(Properties, PartialEq)]
pub struct GridProps {
    pub view: View,
    pub anchor: NaiveDate,
    pub today: NaiveDate,
    /// The days with posts (the others are empty).
    pub cells: Rc<Vec<DayCell>>,
    pub selected: Option<String>,
    pub on_select: Callback<String>,
    pub on_open_day: Callback<NaiveDate>,
}

/// At most this many posts show in one day's cell of the week.
const MAX_CHIPS: usize = 20;
/// And of the month.
const MONTH_CHIPS: usize = 4;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[function_component(CalendarGrid)]
pub fn calendar_grid(p: &GridProps) -> Html {
    let days = visible_days(p.view, p.anchor);
    let class = match p.view {
        View::Month => "calendar-grid month",
        _ => "calendar-grid week",
    };
    let cells: std::collections::HashMap<NaiveDate, &DayCell> =
        p.cells.iter().map(|c| (c.day, c)).collect();
    html! {
        <div class={class} id="calendar-grid" role="grid" aria-label={title(p.view, p.anchor)}>
            { for WEEKDAYS.iter().map(|d| html! { <div class="weekday" role="columnheader">{ *d }</div> }) }
            { for days.into_iter().map(|day| {
                let other = p.view == View::Month && day.month() != p.anchor.month();
                let cell = cells.get(&day).copied();
                let more = cell.map(hidden).unwrap_or(0);
                let held = cell.map(|c| c.held).unwrap_or(0);
                let open = {
                    let on_open_day = p.on_open_day.clone();
                    Callback::from(move |_: MouseEvent| on_open_day.emit(day))
                };
                html! {
                    <div key={day.to_string()} role="gridcell" data-day={day.to_string()}
                        class={classes!("cell", other.then_some("other-month"), (day == p.today).then_some("today"))}>
                        <button type="button" class="cell-date link" title="Open the day" aria-label={format!("Open {}", title(View::Day, day))}
                            onclick={open.clone()}>{ day.day() }</button>
                        { for cell.iter().flat_map(|c| c.chips.iter()).map(|c| chip_button(c, p)) }
                        if more > 0 {
                            <button type="button" class="more link" data-day={day.to_string()} onclick={open}>
                                { format!("+{} more", thousands(more)) }
                            </button>
                        }
                        if held > 0 {
                            <div class="day-held" title="Open a post to see why and what lets it go">
                                { if held == 1 { "1 will not go out".to_string() } else { format!("{} will not go out", thousands(held)) } }
                            </div>
                        }
                    </div>
                }
            }) }
        </div>
    }
}

fn chip_button(c: &Chip, p: &GridProps) -> Html {
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
}

/// 1440 as "1,440".
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let lead = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    let (head, rest) = digits.split_at(lead.min(digits.len()));
    let mut out = head.to_string();
    for group in rest.as_bytes().chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or_default());
    }
    out
}

#[derive(Properties, PartialEq)]
pub struct DayListProps {
    pub day: NaiveDate,
    pub offset: u32,
    pub total: u32,
    pub chips: Rc<Vec<Chip>>,
    pub selected: Option<String>,
    pub on_select: Callback<String>,
    pub on_previous_page: Callback<()>,
    pub on_next_page: Callback<u32>,
    /// The view the day was opened from.
    pub back_to: View,
    pub on_back: Callback<View>,
}

/// "101–200 of 1,440".
pub fn page_words(offset: u32, shown: u32, total: u32) -> String {
    if total == 0 {
        return "No posts on this day.".into();
    }
    format!(
        "{}–{} of {}",
        thousands(offset + 1),
        thousands(offset + shown),
        thousands(total)
    )
}

/// One day's posts, a page at a time, each opening the post detail.
#[function_component(DayList)]
pub fn day_list(p: &DayListProps) -> Html {
    let shown = p.chips.len() as u32;
    let prev = {
        let cb = p.on_previous_page.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let next = {
        let (cb, total) = (p.on_next_page.clone(), p.total);
        Callback::from(move |_: MouseEvent| cb.emit(total))
    };
    let back = {
        let (cb, to) = (p.on_back.clone(), p.back_to);
        Callback::from(move |_: MouseEvent| cb.emit(to))
    };
    let back_words = match p.back_to {
        View::Month => "Back to the month",
        _ => "Back to the week",
    };
    html! {
        <div class="day-list" id="calendar-day" data-day={p.day.to_string()}>
            <div class="row day-pager">
                <button type="button" class="secondary" id="day-back" onclick={back}>{ back_words }</button>
                <span class="spacer"></span>
                <span id="day-range" class="muted" aria-live="polite">{ page_words(p.offset, shown, p.total) }</span>
                <button type="button" class="secondary" id="day-prev-page" disabled={p.offset == 0} onclick={prev}>{ "Earlier" }</button>
                <button type="button" class="secondary" id="day-next-page" disabled={p.offset + shown >= p.total} onclick={next}>{ "Later" }</button>
            </div>
            <ol class="day-posts" start={(p.offset + 1).to_string()}>
                { for p.chips.iter().map(|c| {
                    let on_select = p.on_select.clone();
                    let id = c.id.clone();
                    html! {
                        <li key={c.id.clone()}>
                            <button type="button" data-id={c.id.clone()} title={c.hover.clone()}
                                class={classes!("chip", "post", "wide", c.status.clone(), c.warned.then_some("warned"),
                                    (p.selected.as_deref() == Some(c.id.as_str())).then_some("selected"))}
                                onclick={Callback::from(move |_| on_select.emit(id.clone()))}>
                                <span class="post-time">{ &c.time }</span>
                                <span class="chip-label">{ &c.label }</span>
                                <span class="chip-status">{ c.status.replace('_', " ") }</span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
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
    fn more_opens_the_day_and_pages_through_it() {
        let s = Rc::new(CalendarState::new(d(2026, 12, 9)))
            .reduce(CalendarAction::SetView(View::Month))
            .reduce(CalendarAction::OpenDay(d(2026, 12, 3)));
        assert_eq!(
            (s.view, s.anchor, s.offset, s.from),
            (View::Day, d(2026, 12, 3), 0, View::Month)
        );
        assert_eq!(visible_days(s.view, s.anchor), vec![d(2026, 12, 3)]);
        assert_eq!(title(s.view, s.anchor), "Thursday 3 December 2026");
        // 1,440 posts: pages of 100, never past the last.
        let mut s = s;
        for _ in 0..20 {
            s = s.reduce(CalendarAction::NextPage(1_440));
        }
        assert_eq!(s.offset, 1_400);
        assert_eq!(page_words(s.offset, 40, 1_440), "1,401–1,440 of 1,440");
        let s = s.reduce(CalendarAction::PreviousPage);
        assert_eq!(s.offset, 1_300);
        // Another day starts at its first page.
        let s = s.reduce(CalendarAction::Next);
        assert_eq!((s.anchor, s.offset), (d(2026, 12, 4), 0));
        let s = s.reduce(CalendarAction::PreviousPage);
        assert_eq!(s.offset, 0);
        // Back where the day was opened from.
        let back = s.from;
        let s = s.reduce(CalendarAction::SetView(back));
        assert_eq!(s.view, View::Month);
        assert_eq!(page_words(0, 0, 0), "No posts on this day.");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn a_moved_post_is_followed_to_its_day() {
        let s = Rc::new(CalendarState::new(d(2026, 12, 9)));
        // Within the week on screen: the view stays.
        let s = s.reduce(CalendarAction::Follow {
            id: "p2".into(),
            day: d(2026, 12, 11),
        });
        assert_eq!(
            (s.selected.as_deref(), s.anchor),
            (Some("p2"), d(2026, 12, 9))
        );
        // To another week: the view goes there.
        let s = s.reduce(CalendarAction::Follow {
            id: "p3".into(),
            day: d(2026, 12, 24),
        });
        assert_eq!(
            (s.selected.as_deref(), s.anchor),
            (Some("p3"), d(2026, 12, 24))
        );
        assert!(visible_days(s.view, s.anchor).contains(&d(2026, 12, 24)));
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
