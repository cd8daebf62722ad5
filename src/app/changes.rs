//! Live updates: what changed in the data since the last look, whoever
//! changed it (this process, the agent, the CLI). The shell turns each
//! change into a Tauri event the window listens to.

use std::time::Duration;

use reachloop_ipc::events;

use super::App;
use crate::Error;

/// A kind of data that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Posts were planned, published, moved, failed...
    Posts,
    /// New metrics arrived.
    Metrics,
    /// An account was connected, renewed, disconnected.
    Accounts,
    /// A generation job started, progressed or ended.
    Generation,
    /// Something was recorded in the audit log.
    Activity,
}

impl Change {
    /// The event's stable name (see `reachloop_ipc::events`).
    pub fn event(self) -> &'static str {
        match self {
            Change::Posts => events::POSTS_CHANGED,
            Change::Metrics => events::METRICS_UPDATED,
            Change::Accounts => events::ACCOUNTS_CHANGED,
            Change::Generation => events::GENERATION_PROGRESS,
            Change::Activity => events::ACTIVITY_CHANGED,
        }
    }
}

/// Where each kind of data stood at the last look.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Marks {
    seen: Option<(crate::store::ChangeMarks, String)>,
}

impl App {
    /// What changed since `marks` were taken (nothing on the first look),
    /// taking them anew.
    pub async fn changes(&self, marks: &mut Marks) -> Result<Vec<Change>, Error> {
        let now = self.store().change_marks().await?;
        let progress = {
            let live = super::lock(&self.job_progress);
            let mut entries: Vec<_> = live.iter().collect();
            entries.sort();
            format!("{entries:?}")
        };
        let mut out = Vec::new();
        if let Some((before, before_progress)) = &marks.seen {
            if (&now.posts, now.post_count) != (&before.posts, before.post_count) {
                out.push(Change::Posts);
            }
            if now.metrics != before.metrics {
                out.push(Change::Metrics);
            }
            if (&now.accounts, now.account_count) != (&before.accounts, before.account_count) {
                out.push(Change::Accounts);
            }
            if now.jobs != before.jobs || &progress != before_progress {
                out.push(Change::Generation);
            }
            if now.audit != before.audit {
                out.push(Change::Activity);
            }
        }
        marks.seen = Some((now, progress));
        Ok(out)
    }

    /// Looks every `every` and sends each change, until `tx` closes. A
    /// failed look is logged and the next one tries again.
    pub async fn watch_changes(self, every: Duration, tx: tokio::sync::mpsc::Sender<Change>) {
        let mut marks = Marks::default();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            match self.changes(&mut marks).await {
                Ok(changes) => {
                    for c in changes {
                        if tx.send(c).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => tracing::debug!("looking for changes failed: {e}"),
            }
        }
    }
}
