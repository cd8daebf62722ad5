//! KPI cards: a figure, and how it changed against the period before.

use yew::prelude::*;

/// The change from `before` to `now` in words: "+12 %", "−5 %", "no
/// change", "new" (nothing before), or nothing when either is unknown.
pub fn change(now: Option<f64>, before: Option<f64>) -> Option<String> {
    let (now, before) = (now?, before?);
    if before == 0.0 {
        return (now > 0.0).then(|| "new".to_string());
    }
    let pct = (now - before) / before * 100.0;
    Some(if pct.abs() < 0.5 {
        "no change".into()
    } else if pct > 0.0 {
        format!("+{pct:.0} %")
    } else {
        format!("−{:.0} %", -pct)
    })
}

/// A rate as a percentage with two decimals, "—" when unknown.
pub fn percent(v: Option<f64>) -> String {
    v.map(|r| format!("{:.2} %", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

#[derive(Properties, PartialEq)]
pub struct KpiProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: String,
    pub change: Option<String>,
}

#[function_component(Kpi)]
pub fn kpi(p: &KpiProps) -> Html {
    let trend = match p.change.as_deref() {
        Some(c) if c.starts_with('+') || c == "new" => "up",
        Some(c) if c.starts_with('−') => "down",
        _ => "flat",
    };
    html! {
        <div class="kpi card" id={p.id.clone()}>
            <div class="kpi-label">{ &p.label }</div>
            <div class="kpi-value">{ &p.value }</div>
            if let Some(c) = &p.change {
                <div class={classes!("kpi-change", trend)} title="Against the period before, as long">{ c }</div>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_people_say_them() {
        assert_eq!(change(Some(112.0), Some(100.0)).as_deref(), Some("+12 %"));
        assert_eq!(change(Some(95.0), Some(100.0)).as_deref(), Some("−5 %"));
        assert_eq!(
            change(Some(100.2), Some(100.0)).as_deref(),
            Some("no change")
        );
        assert_eq!(change(Some(5.0), Some(0.0)).as_deref(), Some("new"));
        assert_eq!(change(Some(0.0), Some(0.0)), None);
        assert_eq!(change(None, Some(3.0)), None);
        assert_eq!(percent(Some(0.01234)), "1.23 %");
        assert_eq!(percent(None), "—");
    }
}
