//! The map's search box: states, pincodes and cities by any of their names
//! (`lookup_search`), picked with the keyboard (arrows, Enter, Escape) or the
//! mouse; the pick is where the map flies. An ARIA combobox, as the APG's
//! list autocomplete pattern has it.

use leptos::prelude::*;

use crate::api::lookup_search;
use crate::domain::lookup::{Hit, HitKind};

/// Where the map is asked to go: latitude, longitude, zoom.
pub type FlyTo = (f64, f64, f64);

/// The zoom a pick of this kind is shown at.
pub fn zoom_for(kind: HitKind) -> f64 {
    match kind {
        HitKind::State => 7.0,
        HitKind::City => 12.0,
        HitKind::Pincode => 14.0,
    }
}

/// The next option with the arrow keys: down from none is the first, up from
/// none the last; past either end, round to the other.
pub fn step(active: Option<usize>, len: usize, down: bool) -> Option<usize> {
    if len == 0 {
        return None;
    }
    Some(match (active, down) {
        (None, true) => 0,
        (None, false) => len - 1,
        (Some(i), true) => (i + 1) % len,
        (Some(i), false) => (i + len - 1) % len,
    })
}

#[component]
pub fn MapSearch(fly_to: RwSignal<Option<FlyTo>>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let hits = RwSignal::new(Vec::<Hit>::new());
    let active = RwSignal::new(None::<usize>);
    let open = RwSignal::new(false);
    // Each answer is for what was typed when asked: a late one for older text is dropped.
    let ask = move |q: String| {
        leptos::task::spawn_local(async move {
            let found = if q.trim().is_empty() { Ok(Default::default()) } else { lookup_search(q.clone()).await };
            if typed.get_untracked() != q {
                return;
            }
            if let Ok(found) = found {
                hits.set(found.results);
                active.set(None);
                open.set(true);
            }
        });
    };
    let pick = move |i: usize| {
        let Some(hit) = hits.with_untracked(|h| h.get(i).cloned()) else { return };
        typed.set(hit.label.clone());
        open.set(false);
        fly_to.set(Some((hit.latitude, hit.longitude, zoom_for(hit.kind))));
    };
    let on_key = move |e: leptos::ev::KeyboardEvent| match e.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            e.prevent_default();
            open.set(true);
            active.set(step(active.get_untracked(), hits.with_untracked(Vec::len), e.key() == "ArrowDown"));
        }
        "Enter" => {
            e.prevent_default();
            if let Some(i) = active.get_untracked().or_else(|| hits.with_untracked(|h| (!h.is_empty()).then_some(0))) {
                pick(i);
            }
        }
        "Escape" => open.set(false),
        _ => {}
    };
    let option_id = |i: usize| format!("map-search-option-{i}");

    view! {
        <div class="map-search" role="search">
            <label for="map-search" class="sr-only">"Find a place"</label>
            <input id="map-search" type="search" autocomplete="off" placeholder="Find a city, pincode or state"
                role="combobox" aria-autocomplete="list" aria-controls="map-search-options"
                aria-expanded=move || (open.get() && !hits.with(Vec::is_empty)).to_string()
                aria-activedescendant=move || active.get().map(option_id).unwrap_or_default()
                prop:value=typed
                on:input=move |e| {
                    let q = event_target_value(&e);
                    typed.set(q.clone());
                    ask(q);
                }
                on:keydown=on_key
                on:blur=move |_| open.set(false)/>
            <ul id="map-search-options" role="listbox" class="map-search-options" aria-label="Places found"
                hidden=move || !open.get() || hits.with(Vec::is_empty)>
                {move || hits.get().into_iter().enumerate().map(|(i, hit)| view! {
                    <li id=option_id(i) role="option" class=format!("hit hit-{}", kind_name(hit.kind))
                        aria-selected=move || (active.get() == Some(i)).to_string()
                        // mousedown, not click: it comes before the input's blur closes the list.
                        on:mousedown=move |e| { e.prevent_default(); pick(i); }>
                        <span class="hit-kind">{kind_name(hit.kind)}</span>" "{hit.label.clone()}
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

fn kind_name(kind: HitKind) -> &'static str {
    match kind {
        HitKind::State => "state",
        HitKind::City => "city",
        HitKind::Pincode => "pincode",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arrows_go_round_the_options() {
        assert_eq!(step(None, 3, true), Some(0));
        assert_eq!(step(None, 3, false), Some(2));
        assert_eq!(step(Some(2), 3, true), Some(0));
        assert_eq!(step(Some(0), 3, false), Some(2));
        assert_eq!(step(Some(1), 0, true), None);
    }

    #[test]
    fn a_pick_is_shown_closer_the_smaller_it_is() {
        assert!(zoom_for(HitKind::State) < zoom_for(HitKind::City));
        assert!(zoom_for(HitKind::City) < zoom_for(HitKind::Pincode));
    }
}
