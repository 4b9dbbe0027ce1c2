//! "What's here?": a right-click on the map (a long press on touch) asks
//! which live pincode and city are nearest that place (`lookup_nearest`),
//! and a panel says, with how far each is.

use leptos::prelude::*;

use crate::api::lookup_nearest;
use crate::domain::lookup::Nearest;

/// "350 m" under a kilometre, "4.2 km" under a hundred, "118 km" past that.
pub fn distance_text(km: f64) -> String {
    if km < 1.0 {
        format!("{} m", (km * 1000.0).round())
    } else if km < 100.0 {
        format!("{km:.1} km")
    } else {
        format!("{} km", km.round())
    }
}

#[component]
pub fn WhatsHere(asked: RwSignal<Option<(f64, f64)>>) -> impl IntoView {
    let answer = Resource::new(
        move || asked.get(),
        |asked| async move {
            match asked {
                Some((lat, lon)) => Some(lookup_nearest(lat, lon).await),
                None => None,
            }
        },
    );
    let shown = move |near: Nearest| {
        let pincode = near.pincodes.into_iter().next().map(|p| {
            let area = p.area_name.map(|a| format!(" {a}")).unwrap_or_default();
            format!("{}{area}, {} · {}", p.pincode, p.city_name, distance_text(p.distance_km))
        });
        let city = near
            .cities
            .into_iter()
            .next()
            .map(|c| format!("{}, {} · {}", c.name, c.state, distance_text(c.distance_km)));
        view! {
            <dl class="whats-here-list">
                <dt>"Pincode"</dt>
                <dd data-testid="here-pincode">{pincode.unwrap_or_else(|| "none yet".into())}</dd>
                <dt>"City"</dt>
                <dd data-testid="here-city">{city.unwrap_or_else(|| "none yet".into())}</dd>
            </dl>
        }
    };
    move || {
        asked.get().map(|(lat, lon)| {
            view! {
                <div class="panel here whats-here" data-testid="whats-here" role="status">
                    <strong>{format!("What's here? {lat:.5}, {lon:.5}")}</strong>
                    <Suspense fallback=|| view! { <p class="muted">"Looking…"</p> }>
                        {move || answer.get().flatten().map(|a| match a {
                            Ok(near) => shown(near).into_any(),
                            Err(e) => view! { <p class="alert alert-down">{e.to_string()}</p> }.into_any(),
                        })}
                    </Suspense>
                    <button class="button button-light" on:click=move |_| asked.set(None)>"Close"</button>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::distance_text;

    #[test]
    fn distances_read_as_people_say_them() {
        assert_eq!(distance_text(0.35), "350 m");
        assert_eq!(distance_text(4.24), "4.2 km");
        assert_eq!(distance_text(118.4), "118 km");
    }
}
