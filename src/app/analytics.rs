//! Analytics composed: the metrics sources this build reads, and the
//! collector's tick beside the publisher's.

use chrono::{DateTime, Utc};

use super::App;
use crate::collect::{self, CollectRound, Sources};
use crate::Error;

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
}
