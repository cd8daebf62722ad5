//! The dashboard's chart, drawn with plotters as SVG from the same series
//! the cards and tables come from: reach per day of publishing as bars,
//! engagements as a line on its own axis. A day without figures has no
//! bar (not a zero one).

use plotters::prelude::*;
use reachloop_ipc::{AgePoint, SeriesPoint};

/// The chart's size in pixels.
pub const WIDTH: u32 = 860;
pub const HEIGHT: u32 = 300;

const REACH: RGBColor = RGBColor(61, 90, 254);
const ENGAGED: RGBColor = RGBColor(230, 120, 20);

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// An SVG of `size` that `draw` fills.
fn render(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Drawn) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        // Drawing into a string cannot fail for want of space; a failure
        // leaves a partial chart, never a panic.
        let _ = draw(&root);
        let _ = root.present();
    }
    out
}

/// An SVG of `series` (an empty period still draws its axes).
pub fn svg(series: &[SeriesPoint], title: &str) -> String {
    render((WIDTH, HEIGHT), |root| draw(root, series, title))
}

fn draw(root: &Area<'_>, series: &[SeriesPoint], title: &str) -> Drawn {
    root.fill(&WHITE)?;
    let n = series.len().max(1);
    let top_reach = series
        .iter()
        .filter_map(|p| p.reach)
        .max()
        .unwrap_or(0)
        .max(1);
    let top_engaged = series
        .iter()
        .filter_map(|p| p.engagements)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(56)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0usize..n, 0u64..top_reach + top_reach / 10)?
        .set_secondary_coord(0usize..n, 0u64..top_engaged + top_engaged / 10);
    let day = |i: &usize| {
        series
            .get(*i)
            .map(|p| p.day.get(5..).unwrap_or(&p.day).to_string())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(10))
        .x_label_formatter(&day)
        .y_desc("Reach")
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("Engagements")
        .draw()?;
    chart
        .draw_series(series.iter().enumerate().filter_map(|(i, p)| {
            p.reach
                .map(|r| Rectangle::new([(i, 0), (i + 1, r)], REACH.mix(0.7).filled()))
        }))?
        .label("Reach")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], REACH.filled()));
    chart
        .draw_secondary_series(LineSeries::new(
            series
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.engagements.map(|e| (i, e))),
            ENGAGED.stroke_width(2),
        ))?
        .label("Engagements")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], ENGAGED.stroke_width(2)));
    // A dot per day with engagements: a line of one day is no line at all.
    chart.draw_secondary_series(series.iter().enumerate().filter_map(|(i, p)| {
        p.engagements
            .map(|e| Circle::new((i, e), 3, ENGAGED.filled()))
    }))?;
    chart
        .configure_series_labels()
        // The newest days are on the right: keep them clear.
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.2))
        .draw()?;
    Ok(())
}

/// One variant in the optimizer's chart: its estimate with a 95 % band,
/// none before its first mature post.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub label: String,
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub p_best: f64,
}

/// The optimizer's chart's size.
pub const ESTIMATES_WIDTH: u32 = 640;

/// An SVG of each variant's estimated figure per post (a dot) with its
/// 95 % band (a bar), one row per variant, the best by probability in
/// the accent colour; `percent`: the figures are rates, shown in %.
pub fn estimates_svg(rows: &[Estimate], percent: bool, title: &str) -> String {
    let height = 90 + 34 * rows.len().max(1) as u32;
    render((ESTIMATES_WIDTH, height), |root| {
        draw_estimates(root, rows, percent, title)
    })
}

fn draw_estimates(root: &Area<'_>, rows: &[Estimate], percent: bool, title: &str) -> Drawn {
    root.fill(&WHITE)?;
    let scale = if percent { 100.0 } else { 1.0 };
    let top = rows
        .iter()
        .filter_map(|r| r.high.or(r.estimate))
        .fold(0.0f64, f64::max)
        * scale;
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let n = rows.len().max(1);
    let best = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.estimate.is_some())
        .max_by(|a, b| a.1.p_best.total_cmp(&b.1.p_best))
        .map(|(i, _)| i);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..top, 0.0..n as f64)?;
    let label = |y: &f64| {
        let i = (n as f64 - y - 0.5).round();
        if i >= 0.0 && (y.fract() - 0.5).abs() < 1e-6 {
            rows.get(i as usize)
                .map(|r| r.label.clone())
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    let x_desc = if percent {
        "per post (%), 95 % band"
    } else {
        "impressions per post, 95 % band"
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .x_labels(6)
        .y_labels(n * 2 + 1)
        .y_label_formatter(&label)
        .x_desc(x_desc)
        .draw()?;
    for (i, r) in rows.iter().enumerate() {
        let y = n as f64 - i as f64 - 0.5;
        let colour = if Some(i) == best { REACH } else { ENGAGED };
        if let (Some(lo), Some(hi)) = (r.low, r.high) {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(lo * scale, y - 0.12), (hi * scale, y + 0.12)],
                colour.mix(0.35).filled(),
            )))?;
        }
        if let Some(e) = r.estimate {
            chart.draw_series(std::iter::once(Circle::new(
                (e * scale, y),
                5,
                colour.filled(),
            )))?;
        }
    }
    Ok(())
}

/// The size of a post's chart by age: narrower, with larger text, as it
/// sits in the post's detail.
pub const AGE_WIDTH: u32 = 520;
pub const AGE_HEIGHT: u32 = 340;

/// An SVG of a post's reach and engagements by age (solid), beside the
/// median of the posts it is compared with (dashed, "others"). Ages without a
/// reading have no point.
pub fn age_svg(points: &[AgePoint], title: &str) -> String {
    render((AGE_WIDTH, AGE_HEIGHT), |root| {
        draw_ages(root, points, title)
    })
}

/// The height of the strip under the age chart that holds its legend.
const LEGEND_STRIP: u32 = 30;

fn draw_ages(root: &Area<'_>, points: &[AgePoint], title: &str) -> Drawn {
    root.fill(&WHITE)?;
    // The legend has a strip of its own under the plot: inside it, it
    // covered the lines wherever they ran.
    let (root, strip) = root.split_vertically(AGE_HEIGHT - LEGEND_STRIP);
    let root = &root;
    let n = points.len().max(1);
    let top = |pick: fn(&AgePoint) -> [Option<u64>; 2]| {
        points
            .iter()
            .flat_map(pick)
            .flatten()
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let top_reach = top(|p| [p.own.reach, p.peer_median.reach]);
    let top_engaged = top(|p| [p.own.engagements, p.peer_median.engagements]);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(64)
        .right_y_label_area_size(64)
        .build_cartesian_2d(0usize..n - 1, 0u64..top_reach + top_reach / 10)?
        .set_secondary_coord(0usize..n - 1, 0u64..top_engaged + top_engaged / 10);
    let label = |i: &usize| points.get(*i).map(|p| p.label.clone()).unwrap_or_default();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 15))
        .y_desc("Reach")
        .draw()?;
    chart
        .configure_secondary_axes()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 15))
        .y_desc("Engagements")
        .draw()?;
    let line = |pick: fn(&AgePoint) -> Option<u64>| -> Vec<(usize, u64)> {
        points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| pick(p).map(|v| (i, v)))
            .collect()
    };
    let own_reach = line(|p| p.own.reach);
    chart.draw_series(LineSeries::new(own_reach.clone(), REACH.stroke_width(2)))?;
    chart.draw_series(own_reach.iter().map(|p| Circle::new(*p, 3, REACH.filled())))?;
    chart.draw_series(DashedLineSeries::new(
        line(|p| p.peer_median.reach),
        6,
        4,
        REACH.mix(0.6).stroke_width(2),
    ))?;
    let own_engaged = line(|p| p.own.engagements);
    chart.draw_secondary_series(LineSeries::new(
        own_engaged.clone(),
        ENGAGED.stroke_width(2),
    ))?;
    chart.draw_secondary_series(
        own_engaged
            .iter()
            .map(|p| Circle::new(*p, 3, ENGAGED.filled())),
    )?;
    chart.draw_secondary_series(DashedLineSeries::new(
        line(|p| p.peer_median.engagements),
        6,
        4,
        ENGAGED.mix(0.6).stroke_width(2),
    ))?;
    draw_legend(
        &strip,
        &[
            ("Reach", REACH.to_rgba(), false),
            ("Reach, others", REACH.mix(0.6), true),
            ("Engagements", ENGAGED.to_rgba(), false),
            ("Engagements, others", ENGAGED.mix(0.6), true),
        ],
    )
}

/// One row of legend entries, a line sample (dashed for "others") and its
/// name each, centred in `strip`.
fn draw_legend(strip: &Area<'_>, entries: &[(&str, RGBAColor, bool)]) -> Drawn {
    // About 7.5 px per character at 14 px, a 20 px sample and gaps.
    let widths: Vec<i32> = entries
        .iter()
        .map(|(name, _, _)| 20 + 6 + (name.chars().count() as f64 * 7.5) as i32 + 18)
        .collect();
    let (w, h) = strip.dim_in_pixel();
    let mut x = ((w as i32) - widths.iter().sum::<i32>()).max(0) / 2;
    let y = (h / 2) as i32;
    for ((name, color, dashed), width) in entries.iter().zip(widths) {
        let style = color.stroke_width(2);
        if *dashed {
            strip.draw(&PathElement::new(vec![(x, y), (x + 8, y)], style))?;
            strip.draw(&PathElement::new(vec![(x + 12, y), (x + 20, y)], style))?;
        } else {
            strip.draw(&PathElement::new(vec![(x, y), (x + 20, y)], style))?;
        }
        strip.draw(&Text::new(
            name.to_string(),
            (x + 26, y - 7),
            ("sans-serif", 14).into_font(),
        ))?;
        x += width;
    }
    Ok(())
}

/// The families tried, in order, for the charts' "sans-serif" labels.
const SANS: [&str; 5] = [
    "DejaVu Sans",
    "Liberation Sans",
    "Noto Sans",
    "Cantarell",
    "Arial",
];

/// Fonts for [`png`]: `load` fills the database (the system's fonts, in
/// the app); "sans-serif" becomes the first of a few common families there
/// is, else any. A database with no font is an error, not a chart without
/// labels.
pub fn fonts(
    load: impl FnOnce(&mut resvg::usvg::fontdb::Database),
) -> Result<std::sync::Arc<resvg::usvg::fontdb::Database>, String> {
    let mut db = resvg::usvg::fontdb::Database::new();
    load(&mut db);
    let families: Vec<String> = db
        .faces()
        .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
        .collect();
    let sans = SANS
        .iter()
        .map(|s| s.to_string())
        .find(|s| families.contains(s))
        .or_else(|| families.first().cloned())
        .ok_or_else(|| {
            "No font is installed to draw the chart's labels: install one \
             (on Debian or Ubuntu: apt-get install fonts-dejavu-core), or export as SVG."
                .to_string()
        })?;
    db.set_sans_serif_family(sans);
    Ok(std::sync::Arc::new(db))
}

/// `svg` (one of this module's charts) as PNG, at `scale` times its size
/// (2 for sharp text on high-density screens and in documents).
pub fn png(
    svg: &str,
    fonts: std::sync::Arc<resvg::usvg::fontdb::Database>,
    scale: f32,
) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let options = usvg::Options {
        fontdb: fonts,
        font_family: "sans-serif".into(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| format!("The chart could not be read: {e}"))?;
    let scale = if scale.is_finite() {
        scale.clamp(0.25, 8.0)
    } else {
        1.0
    };
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("The chart has no size.")?;
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("The chart has no size.")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| format!("The chart could not be encoded as PNG: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(day: &str, reach: Option<u64>, engagements: Option<u64>) -> SeriesPoint {
        SeriesPoint {
            day: day.into(),
            posts: u32::from(reach.is_some()),
            reach,
            engagements,
            clicks: None,
        }
    }

    #[test]
    fn the_chart_is_an_svg_with_a_bar_per_day_that_has_figures() {
        let series = [
            point("2026-12-01", Some(1200), Some(80)),
            point("2026-12-02", None, None),
            point("2026-12-03", Some(300), Some(20)),
        ];
        let svg = svg(&series, "Reach & engagements");
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("12-01") && svg.contains("12-03"));
        // Engagements are dotted per day: one day alone still shows.
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
        let one = svg_one_day();
        assert_eq!(one.matches("<circle").count(), 1, "{one}");
        // The title is escaped, not markup.
        assert!(svg.contains("Reach &amp; engagements"));
        let bars = svg.matches("fill=\"#3D5AFE\"").count();
        assert_eq!(bars, 2 + 1, "two days with reach, plus the legend's swatch");
        // An empty period still draws.
        assert!(svg_is_whole(&super::svg(&[], "Nothing yet")));
    }

    fn svg_one_day() -> String {
        svg(&[point("2026-12-01", Some(1200), Some(80))], "One day")
    }

    #[test]
    fn the_age_chart_marks_each_reading_of_the_post() {
        let point = |label: &str, own: Option<u64>, peers: Option<u64>| AgePoint {
            label: label.into(),
            own: reachloop_ipc::Reading {
                reach: own,
                engagements: own.map(|r| r / 10),
                clicks: None,
            },
            peer_median: reachloop_ipc::Reading {
                reach: peers,
                ..Default::default()
            },
            ..AgePoint::default()
        };
        let points = [
            point("1 h", Some(100), Some(80)),
            point("6 h", Some(400), Some(300)),
            point("24 h", None, Some(700)),
        ];
        let svg = age_svg(&points, "This post by age");
        assert!(svg_is_whole(&svg));
        assert!(svg.contains("6 h") && svg.contains("24 h"));
        assert!(svg.contains("Reach, others") && svg.contains("Engagements, others"));
        // A dot per reading: two for reach, two for engagements.
        assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
        // The legend is under the plot, never over its lines: each name's
        // text sits in the strip below it.
        for name in [
            "Reach",
            "Reach, others",
            "Engagements",
            "Engagements, others",
        ] {
            let at = svg
                // The last: the axes are named "Reach" and "Engagements" too.
                .rfind(&format!(">\n{name}\n</text>"))
                .unwrap_or_else(|| panic!("{name} in the legend"));
            let tag = &svg[svg[..at].rfind("<text").expect("its tag")..at];
            let y: f64 = tag
                .split("y=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("y of {tag}"));
            assert!(
                y >= f64::from(AGE_HEIGHT - LEGEND_STRIP),
                "{name} at y {y}: {tag}"
            );
        }
        assert!(svg_is_whole(&age_svg(&[], "Nothing yet")));
    }

    #[test]
    fn a_png_is_the_svg_drawn_with_its_labels() {
        let series = [point("2026-12-01", Some(1200), Some(80))];
        let chart = svg(&series, "Reach");
        let Ok(fonts) = fonts(|db| db.load_system_fonts()) else {
            panic!("no system font: `cargo xtask setup` installs fonts-dejavu-core");
        };
        let png = png(&chart, fonts.clone(), 2.0).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // Twice the size, from the header's width and height.
        let dim = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        assert_eq!((dim(16), dim(20)), (2 * WIDTH, 2 * HEIGHT));
        // The labels are drawn: without fonts the picture has fewer dark
        // pixels, and the empty database is refused outright.
        let empty = super::png(
            &chart,
            std::sync::Arc::new(resvg::usvg::fontdb::Database::new()),
            2.0,
        )
        .expect("png without text");
        assert_ne!(png, empty);
        let err = super::fonts(|_| {}).expect_err("no fonts");
        assert!(err.contains("fonts-dejavu-core"), "{err}");
        assert!(super::png("<svg", fonts, 1.0).is_err());
    }

    fn svg_is_whole(s: &str) -> bool {
        s.starts_with("<svg") && s.trim_end().ends_with("</svg>")
    }

    #[test]
    fn the_optimizer_chart_has_a_dot_per_estimate_and_a_band_per_interval() {
        let row = |label: &str, e: Option<(f64, f64, f64)>, p: f64| Estimate {
            label: label.into(),
            estimate: e.map(|e| e.0),
            low: e.map(|e| e.1),
            high: e.map(|e| e.2),
            p_best: p,
        };
        let rows = [
            row("v1", Some((0.026, 0.023, 0.029)), 0.0),
            row("v2", Some((0.060, 0.056, 0.064)), 1.0),
            row("v3", None, 0.0),
        ];
        let svg = estimates_svg(&rows, true, "Estimated engagement per post");
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "no dot without an estimate"
        );
        for label in ["v1", "v2", "v3", "per post (%)"] {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        // The leader in the accent colour, the others not.
        assert_eq!(
            svg.matches("#3D5AFE").count() + svg.matches("#3d5afe").count(),
            2,
            "{svg}"
        );
    }
}
