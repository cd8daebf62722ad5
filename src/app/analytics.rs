//! Analytics composed: the metrics sources this build reads, and the
//! collector's tick beside the publisher's.

use chrono::{DateTime, Duration, Utc};
use reachloop_ipc::{AnalyticsFilter, Dashboard, FieldError, Platform, PostHistory};

use super::App;
use crate::analytics::dashboard::{self as dash, PostFigures};
use crate::collect::{self, CollectRound, Sources};
use crate::store::PostsFilter;
use crate::Error;

/// The longest period the dashboard covers at once.
pub const MAX_PERIOD: Duration = Duration::days(3 * 366);

fn bad(field: &str, code: &str, message: String) -> Error {
    Error::Validation(vec![FieldError {
        field: field.into(),
        code: code.into(),
        message,
    }])
}

/// A filter's period: `[from, to)`, by default the 30 days up to `now`.
pub fn period(
    f: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Error> {
    let instant = |field: &str, v: &Option<String>| -> Result<Option<DateTime<Utc>>, Error> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => crate::time::from_db(v).map(Some).map_err(|_| {
                bad(
                    field,
                    "not_a_time",
                    format!(
                        "\"{}\" is not a time: use RFC 3339, e.g. 2026-12-01T00:00:00Z.",
                        crate::text::echo(v, 40)
                    ),
                )
            }),
        }
    };
    let to = instant("to", &f.to)?.unwrap_or(now);
    let from = instant("from", &f.from)?.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(bad(
            "from",
            "empty_period",
            "The period starts after it ends: pick a start before the end.".into(),
        ));
    }
    if to - from > MAX_PERIOD {
        return Err(bad(
            "from",
            "period_too_long",
            "Pick a period of at most three years.".into(),
        ));
    }
    Ok((from, to))
}

impl App {
    /// Where metrics come from: the Sandbox always, X when its address is
    /// usable.
    pub fn metrics_sources(&self, keys: &crate::secrets::OsKeychain) -> Sources {
        self.metrics_sources_with(keys, |_| {})
    }

    /// [`App::metrics_sources`] with X's timings tuned (tests).
    pub fn metrics_sources_with(
        &self,
        keys: &crate::secrets::OsKeychain,
        tune_x: impl FnOnce(&mut crate::platforms::x::XConfig),
    ) -> Sources {
        let mut sources: Vec<Box<dyn crate::platforms::MetricsSource>> =
            vec![Box::new(self.sandbox())];
        match self.x(keys, tune_x) {
            Ok(x) => sources.push(Box::new(x)),
            Err(e) => tracing::warn!("reading X's metrics is off: {e}"),
        }
        Sources(sources)
    }

    /// One collecting round, by whoever holds the publisher lease (so the
    /// app and the agent never both spend a platform's read quota): `None`
    /// when `holder` does not hold it.
    pub async fn collecting_tick(
        &self,
        holder: &str,
        sources: &Sources,
        clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    ) -> Result<Option<CollectRound>, Error> {
        match self.store().publisher_lease(clock()).await? {
            Some(l) if l.holder == holder => Ok(Some(
                collect::round(self.store(), sources, clock, collect::ROUND_LIMIT).await?,
            )),
            _ => Ok(None),
        }
    }

    /// The Analytics page for `filter`, days in `zone` (IANA name; the
    /// computer's when empty or unknown).
    pub async fn dashboard(
        &self,
        filter: &AnalyticsFilter,
        zone: &str,
        now: DateTime<Utc>,
    ) -> Result<Dashboard, Error> {
        let (from, to) = period(filter, now)?;
        for p in &filter.platforms {
            if Platform::parse(p).is_none() {
                return Err(bad(
                    "platforms",
                    "unknown_platform",
                    format!("Unknown platform \"{}\".", crate::text::echo(p, 20)),
                ));
            }
        }
        let zone: chrono_tz::Tz = zone
            .parse()
            .or_else(|_| crate::time::local_zone_name().parse())
            .unwrap_or(chrono_tz::UTC);
        let narrow = |from, to| PostsFilter {
            from,
            to,
            platforms: &filter.platforms,
            campaign_id: filter.campaign_id.as_deref().filter(|c| !c.is_empty()),
            account_id: filter.account_id.as_deref().filter(|a| !a.is_empty()),
        };
        // One read serves the period, the period before and the heat
        // map's history (all the filter allows): the rows come in order
        // of publishing, so each is a slice.
        let (pfrom, pto) = dash::previous_period(from, to);
        let all = self
            .store()
            .published_figures(&narrow(pfrom.min(to - MAX_PERIOD), to))
            .await?;
        let between = |lo: DateTime<Utc>, hi: DateTime<Utc>| {
            let start = all.partition_point(|p| p.published_at < lo);
            let end = all.partition_point(|p| p.published_at < hi);
            &all[start..end.max(start)]
        };
        let posts = between(from, to);
        let before = between(pfrom, pto);
        let history = between(to - MAX_PERIOD, to);
        let last_day = to - Duration::milliseconds(1);
        let variant_ids: Vec<&str> = {
            let mut ids: Vec<&str> = posts
                .iter()
                .filter_map(|p| p.variant_id.as_deref())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let bodies = self.store().variant_bodies(&variant_ids).await?;
        let by_variant = dash::rows(
            posts,
            |p: &PostFigures| p.variant_id.clone().map(|v| (p.platform.clone(), v)),
            |v| match bodies.get(v) {
                Some(body) => crate::text::excerpt(body, 60),
                None => "A deleted variant".into(),
            },
        );
        Ok(Dashboard {
            from: crate::time::to_db(from),
            to: crate::time::to_db(to),
            figures: dash::figures(posts),
            previous: dash::figures(before),
            series: dash::series(
                posts,
                zone,
                dash::day_of(from, zone),
                dash::day_of(last_day, zone),
            ),
            by_platform: dash::rows(
                posts,
                |p: &PostFigures| Some((p.platform.clone(), p.platform.clone())),
                |k| Platform::parse(k).map_or(k.to_string(), |p| p.label().to_string()),
            ),
            by_variant,
            fetched_at: posts
                .iter()
                .filter_map(|p| p.fetched_at)
                .max()
                .map(crate::time::to_db),
            heatmap: dash::heatmap(history, zone),
        })
    }

    /// A campaign's report as CSV (`analytics::report`): the dashboard's
    /// per-variant and per-platform rows, then the totals. Without `from`
    /// it starts when the campaign was created.
    pub async fn campaign_csv(
        &self,
        filter: &AnalyticsFilter,
        zone: &str,
        now: DateTime<Utc>,
    ) -> Result<String, Error> {
        let Some(id) = filter.campaign_id.as_deref().filter(|c| !c.is_empty()) else {
            return Err(bad(
                "campaign_id",
                "required",
                "Pick the campaign to report on.".into(),
            ));
        };
        let campaign = self.campaign(id).await?;
        let mut filter = filter.clone();
        if filter.from.as_deref().is_none_or(|f| f.trim().is_empty()) {
            filter.from = Some(campaign.created_at.clone());
        }
        let d = self.dashboard(&filter, zone, now).await?;
        let ids: Vec<&str> = d.by_variant.iter().map(|r| r.key.as_str()).collect();
        let bodies = self.store().variant_bodies(&ids).await?;
        Ok(crate::analytics::report::csv(&d, |r| {
            bodies
                .get(&r.key)
                .cloned()
                .unwrap_or_else(|| r.label.clone())
        }))
    }

    /// A published post's figures by age (`analytics::age`), beside the
    /// median of its campaign's other posts on the same platform, with
    /// their chart.
    pub async fn post_history(
        &self,
        post_id: &str,
        now: DateTime<Utc>,
    ) -> Result<PostHistory, Error> {
        // The Sandbox's audience may live faster (demos, tests); its ages
        // follow the collector's.
        let mut speedup = 1.0;
        let found = self
            .store()
            .post_with_peers(post_id, |platform| {
                if Platform::parse(platform) == Some(Platform::Sandbox) {
                    speedup = crate::platforms::MetricsSource::speedup(&self.sandbox());
                }
                crate::analytics::age::windows(speedup)
            })
            .await?;
        let Some(found) = found else {
            return Err(crate::store::StoreError::NotFound.into());
        };
        let platform = Platform::parse(&found.platform).ok_or_else(|| {
            crate::store::StoreError::Corrupt(format!(
                "a post on an unknown platform \"{}\"",
                crate::text::echo(&found.platform, 20)
            ))
        })?;
        let (Some(published_at), "published") = (found.published_at, found.status.as_str()) else {
            return Err(bad(
                "post_id",
                "not_published",
                format!(
                    "This post is not published ({}): its figures start once it is.",
                    found.status.replace('_', " ")
                ),
            ));
        };
        let own = found
            .histories
            .iter()
            .find(|h| h.post_id == post_id)
            .cloned()
            .unwrap_or(crate::analytics::age::History {
                post_id: post_id.to_string(),
                published_at,
                snapshots: Vec::new(),
            });
        let ages = crate::analytics::age::by_age(&own, &found.histories, now, speedup);
        let others = found.histories.len().saturating_sub(1);
        let compared_with = match others {
            0 => format!(
                "No other {} post of this campaign to compare with yet.",
                platform.label()
            ),
            1 => format!(
                "Compared with the campaign's other {} post.",
                platform.label()
            ),
            n => format!(
                "Compared with the median of the campaign's {n} other {} posts.",
                platform.label()
            ),
        };
        Ok(PostHistory {
            post_id: post_id.to_string(),
            platform,
            published_at: crate::time::to_db(published_at),
            compared_with,
            chart_svg: crate::analytics::chart::age_svg(
                &ages,
                "This post (solid) and the others (dashed)",
            ),
            ages,
        })
    }

    /// The dashboard's chart as SVG (plotters), from the same figures.
    pub async fn dashboard_svg(
        &self,
        filter: &AnalyticsFilter,
        zone: &str,
        now: DateTime<Utc>,
    ) -> Result<String, Error> {
        let d = self.dashboard(filter, zone, now).await?;
        Ok(crate::analytics::chart::svg(
            &d.series,
            "Reach and engagements by day of publishing",
        ))
    }
}

/// A chart (one of `analytics::chart`'s SVGs) as PNG at twice its size,
/// its labels drawn with the system's fonts.
pub fn chart_png(svg: &str) -> Result<Vec<u8>, Error> {
    let fonts = crate::analytics::chart::fonts(|db| db.load_system_fonts()).map_err(Error::File)?;
    crate::analytics::chart::png(svg, fonts, 2.0).map_err(Error::File)
}

/// How a chart is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    Svg,
    Png,
}

impl ChartFormat {
    /// `svg` or `png` (any case); anything else is a clear error.
    pub fn parse(s: &str) -> Result<ChartFormat, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "svg" => Ok(ChartFormat::Svg),
            "png" => Ok(ChartFormat::Png),
            "" => Err(bad(
                "format",
                "unknown_format",
                "A chart is saved as svg or png: end the file's name with .svg or .png.".into(),
            )),
            other => Err(bad(
                "format",
                "unknown_format",
                format!(
                    "A chart is saved as svg or png, not \"{}\".",
                    crate::text::echo(other, 20)
                ),
            )),
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Svg => "svg",
            ChartFormat::Png => "png",
        }
    }

    /// `svg` as this format's bytes.
    pub fn encode(self, svg: String) -> Result<Vec<u8>, Error> {
        match self {
            ChartFormat::Svg => Ok(svg.into_bytes()),
            ChartFormat::Png => chart_png(&svg),
        }
    }
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file
/// beside it, then renamed over it.
pub fn save_bytes(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let cannot =
        |e: &dyn std::fmt::Display| Error::File(format!("Could not save {}: {e}", path.display()));
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| cannot(&e))?;
    tmp.write_all(bytes).map_err(|e| cannot(&e))?;
    tmp.as_file().sync_all().map_err(|e| cannot(&e))?;
    tmp.persist(path).map_err(|e| cannot(&e.error))?;
    Ok(())
}
