//! What every background loop (token renewal, generation jobs, and the
//! publisher to come) does with one item: run it so that neither an error
//! nor a panic in it stops the loop. The loop logs the failure, marks that
//! item, and goes on with the rest.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

/// How one item of a background round ended badly.
#[derive(Debug)]
pub enum ItemFailure<E> {
    /// It returned an error.
    Error(E),
    /// It panicked; the text is the panic message, for the log only (it is
    /// never shown or stored, since it may quote any value).
    Panicked(String),
}

impl<E: std::fmt::Display> std::fmt::Display for ItemFailure<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemFailure::Error(e) => write!(f, "{e}"),
            ItemFailure::Panicked(_) => write!(f, "an internal error (a bug in Reachloop)"),
        }
    }
}

/// Runs one item, turning a panic into [`ItemFailure::Panicked`].
pub async fn isolate<T, E>(fut: impl Future<Output = Result<T, E>>) -> Result<T, ItemFailure<E>> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ItemFailure::Error(e)),
        Err(payload) => Err(ItemFailure::Panicked(panic_text(payload.as_ref()))),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_item_is_reported_not_propagated() {
        let mut done = Vec::new();
        for i in 0..3 {
            let r = isolate(async move {
                if i == 1 {
                    panic!("item {i} broke");
                }
                Ok::<_, String>(i)
            })
            .await;
            match r {
                Ok(v) => done.push(v),
                Err(ItemFailure::Panicked(m)) => assert_eq!(m, "item 1 broke"),
                Err(ItemFailure::Error(e)) => panic!("unexpected error {e}"),
            }
        }
        assert_eq!(done, vec![0, 2], "the items after the panic still ran");
        let e = isolate(async { Err::<(), _>("nope") }).await;
        assert!(matches!(e, Err(ItemFailure::Error("nope"))));
    }
}
