//! The dashboard's chart, drawn with plotters as SVG from the same series
//! the cards and tables come from: reach per day of publishing as bars,
//! engagements as a line on its own axis. A day without figures has no
//! bar (not a zero one).

use plotters::prelude::*;
use reachloop_ipc::SeriesPoint;

/// The chart's size in pixels.
pub const WIDTH: u32 = 860;
pub const HEIGHT: u32 = 300;

const REACH: RGBColor = RGBColor(61, 90, 254);
const ENGAGED: RGBColor = RGBColor(230, 120, 20);

/// An SVG of `series` (an empty period still draws its axes).
pub fn svg(series: &[SeriesPoint], title: &str) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        // Drawing into a string cannot fail for want of space; a failure
        // leaves a partial chart, never a panic.
        let _ = draw(&root, series, title);
        let _ = root.present();
    }
    out
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    series: &[SeriesPoint],
    title: &str,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
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
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.2))
        .draw()?;
    Ok(())
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
        // The title is escaped, not markup.
        assert!(svg.contains("Reach &amp; engagements"));
        let bars = svg.matches("fill=\"#3D5AFE\"").count();
        assert_eq!(bars, 2 + 1, "two days with reach, plus the legend's swatch");
        // An empty period still draws.
        assert!(svg_is_whole(&super::svg(&[], "Nothing yet")));
    }

    fn svg_is_whole(s: &str) -> bool {
        s.starts_with("<svg") && s.trim_end().ends_with("</svg>")
    }
}
