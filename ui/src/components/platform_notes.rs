//! What each platform's analytics can give today, said where the figures
//! are, so a "—" or a short history is not a surprise.

use reachloop_ipc::Platform;

/// The note for `platform`'s figures.
pub fn note(platform: Platform) -> &'static str {
    match platform {
        Platform::X => "X: impressions and link clicks exist only for a post's first 30 days, so Reachloop fetches them before then; afterwards only public counts.",
        Platform::Youtube => "YouTube: views, likes and comments are near-live; watch time and shares from YouTube Analytics arrive 48 to 72 hours late.",
        Platform::Facebook => "Facebook Pages: post impressions became views in November 2025; insights update about daily.",
        Platform::Instagram => "Instagram: impressions and plays were removed in April 2025 (views replace them); figures can be up to 48 hours late.",
        Platform::Tiktok => "TikTok: views, likes, comments and shares only (no reach, saves or watch time).",
        Platform::Sandbox => "Sandbox: a simulated audience; its figures follow the world's seed (Settings).",
    }
}

/// The notes for the platforms in view (all when none is picked), in
/// Reachloop's platform order.
pub fn notes_for(picked: &[String]) -> Vec<&'static str> {
    Platform::ALL
        .iter()
        .filter(|p| picked.is_empty() || picked.iter().any(|q| q == p.as_str()))
        .map(|p| note(*p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_says_what_it_gives_and_only_the_picked_ones_show() {
        assert!(note(Platform::X).contains("30 days"));
        assert!(note(Platform::Instagram).contains("views"));
        assert!(note(Platform::Tiktok).contains("only"));
        assert_eq!(notes_for(&[]).len(), Platform::ALL.len());
        let x = notes_for(&["x".to_string()]);
        assert_eq!(x, vec![note(Platform::X)]);
    }
}
