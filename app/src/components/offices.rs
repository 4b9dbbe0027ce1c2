//! A pincode's post offices, folded: "3 offices", opened to each office's
//! name, kind and whether it delivers.

use leptos::prelude::*;

use crate::domain::pincode::{Office, OfficeKind};

fn kind(k: OfficeKind) -> &'static str {
    match k {
        OfficeKind::Head => "head office",
        OfficeKind::Sub => "sub office",
        OfficeKind::Branch => "branch office",
    }
}

#[component]
pub fn Offices(offices: Vec<Office>) -> impl IntoView {
    if offices.is_empty() {
        return ().into_any();
    }
    let count = if offices.len() == 1 { "1 office".to_string() } else { format!("{} offices", offices.len()) };
    view! {
        <details class="offices">
            <summary>{count}</summary>
            <ul>
                {offices.into_iter().map(|o| view! {
                    <li>
                        {o.name}
                        <span class="muted small">
                            {format!(" · {}{}", kind(o.kind), if o.delivery { ", delivers" } else { "" })}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
        </details>
    }
    .into_any()
}
