//! `/kafka/dead-letters`: the events the materializer could not apply, newest
//! first, each with where it came from, why it failed, how often it was sent
//! back before, and the event itself. An admin redrives one or a selection to
//! its topic, or discards it; handled letters are hidden unless asked for.
//! Read again every few seconds and whenever a change fails.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_dead_letters, handle_dead_letters};
use crate::components::alert::Problem;
use crate::components::form::Check;
use crate::components::kafka::{refreshes, time_of, MessageBody};
use crate::domain::dead_letter::{times, ActionOutcome, ActionResult, DeadLetter, DeadLetterPage, Handled, Handling};
use crate::format::{indian, plural};

/// What the page holds between reads (every few seconds): the letters chosen,
/// the messages unfolded, and the last action's outcome.
#[derive(Clone, Copy)]
struct Desk {
    chosen: RwSignal<BTreeSet<String>>,
    unfolded: RwSignal<BTreeSet<String>>,
    busy: RwSignal<bool>,
    outcomes: RwSignal<Option<Result<Vec<ActionOutcome>, String>>>,
    /// Moves after every action, so the list is read again.
    acted: RwSignal<u64>,
}

impl Desk {
    /// Redrives (or discards) these letters, then reads the list again.
    fn act(self, ids: Vec<String>, discard: bool) {
        if ids.is_empty() {
            return;
        }
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let done = handle_dead_letters(ids, discard).await.map_err(|e| e.to_string());
            self.chosen.set(BTreeSet::new());
            self.outcomes.set(Some(done));
            self.busy.set(false);
            self.acted.update(|n| *n += 1);
        });
    }
}

#[component]
pub fn DeadLettersPage() -> impl IntoView {
    let show_handled = RwSignal::new(false);
    let desk = Desk {
        chosen: RwSignal::new(BTreeSet::new()),
        unfolded: RwSignal::new(BTreeSet::new()),
        busy: RwSignal::new(false),
        outcomes: RwSignal::new(None),
        acted: RwSignal::new(0),
    };
    let ticks = refreshes();
    let letters =
        Resource::new(move || (ticks.get(), desk.acted.get(), show_handled.get()), |(_, _, all)| get_dead_letters(all));
    view! {
        <Title text="Dead letters"/>
        <p class="crumbs"><a href="/kafka">"Kafka"</a></p>
        <div class="page-head">
            <h1>"Dead letters"</h1>
            <Check checked=show_handled label="Show handled" testid="show-handled"/>
        </div>
        <Outcomes desk/>
        <Transition fallback=|| view! { <p class="muted">"Reading the dead letters…"</p> }>
            {move || letters.get().map(|r| match r {
                Ok(page) => view! { <Letters page desk/> }.into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

/// What the last redrive or discard did, letter by letter.
#[component]
fn Outcomes(desk: Desk) -> impl IntoView {
    move || {
        desk.outcomes.get().map(|outcomes| match outcomes {
            Err(e) => view! { <Problem message=e/> }.into_any(),
            Ok(outcomes) => {
                let refused = outcomes.iter().filter(|o| matches!(o.result, ActionResult::Refused(_))).count();
                let class = if refused == 0 { "alert alert-ok outcomes" } else { "alert alert-down outcomes" };
                view! {
                    <div class=class role="status" data-testid="outcomes">
                        <ul>
                            {outcomes.into_iter().map(|o| view! { <li>{said(&o)}</li> }).collect_view()}
                        </ul>
                    </div>
                }
                .into_any()
            }
        })
    }
}

/// One outcome in words.
fn said(o: &ActionOutcome) -> String {
    match &o.result {
        ActionResult::Done(Handled::Redriven { topic, landed: Some((p, off)) }) => {
            format!("{}: sent back to {topic}, partition {p}, offset {off}", o.id)
        }
        ActionResult::Done(Handled::Redriven { topic, landed: None }) => format!("{}: sent back to {topic}", o.id),
        ActionResult::Done(Handled::Discarded) => format!("{}: discarded", o.id),
        ActionResult::Refused(why) => format!("Not done: {why}"),
    }
}

/// "Redrive chosen" while none is chosen, then "Redrive 2 letters".
fn chosen_label(verb: &str, chosen: usize) -> String {
    match chosen {
        0 => format!("{verb} chosen"),
        n => format!("{verb} {}", plural(n as i64, "letter")),
    }
}

#[component]
fn Letters(page: DeadLetterPage, desk: Desk) -> impl IntoView {
    let DeadLetterPage { letters, read, handled, in_topic, max_redrives } = page;
    let waiting: Vec<String> = letters.iter().filter(|l| l.handling.is_none()).map(|l| l.id.clone()).collect();
    let summary = format!(
        "{} waiting · {} handled · a letter may be sent back {} at most",
        indian((read - handled) as u64),
        indian(handled as u64),
        times(max_redrives),
    );
    let partial = (in_topic > read as i64)
        .then(|| format!("The topic holds {}; the newest {} are shown.", indian(in_topic as u64), indian(read as u64)));
    let chosen = desk.chosen;
    let count = move || chosen.with(|c| c.len());
    let all = waiting.clone();
    let toolbar = (!waiting.is_empty()).then(|| {
        view! {
            <div class="toolbar letters-toolbar">
                <label class="check">
                    <input type="checkbox" data-testid="choose-all"
                        prop:checked=move || chosen.with(|c| !all.is_empty() && all.iter().all(|id| c.contains(id)))
                        on:change={
                            let all = waiting.clone();
                            move |e| chosen.set(if event_target_checked(&e) {
                                all.iter().cloned().collect()
                            } else {
                                BTreeSet::new()
                            })
                        }/>
                    " All waiting"
                </label>
                <button class="button" type="button" data-testid="redrive-chosen"
                    disabled=move || count() == 0 || desk.busy.get()
                    on:click=move |_| desk.act(chosen.get_untracked().into_iter().collect(), false)>
                    {move || chosen_label("Redrive", count())}
                </button>
                <button class="button button-light" type="button" data-testid="discard-chosen"
                    disabled=move || count() == 0 || desk.busy.get()
                    on:click=move |_| desk.act(chosen.get_untracked().into_iter().collect(), true)>
                    {move || chosen_label("Discard", count())}
                </button>
            </div>
        }
    });
    view! {
        <p class="muted" data-testid="dead-letter-summary">{summary}</p>
        {partial.map(|p| view! { <p class="muted">{p}</p> })}
        {toolbar}
        {if letters.is_empty() {
            view! { <p class="muted empty">"No dead letter is waiting: every event was applied."</p> }.into_any()
        } else {
            view! {
                <ol class="letters" data-testid="dead-letters">
                    {letters.into_iter().map(|l| view! { <Letter letter=l desk max_redrives/> }).collect_view()}
                </ol>
            }
            .into_any()
        }}
    }
}

#[component]
fn Letter(letter: DeadLetter, desk: Desk, max_redrives: u32) -> impl IntoView {
    let id = letter.id.clone();
    let from = match (&letter.original_topic, letter.original_partition, letter.original_offset) {
        (Some(t), Some(p), Some(o)) => format!("{t} · partition {p} · offset {o}"),
        (Some(t), _, _) => t.clone(),
        _ => "an unknown topic".into(),
    };
    let when = letter.message.timestamp.map(time_of).unwrap_or_else(|| "no time".into());
    let refusal = letter.redrive_refusal(max_redrives);
    let waiting = letter.handling.is_none();
    let chosen = desk.chosen;
    let (shown, unfold) = (id.clone(), id.clone());
    let choose = waiting.then(|| {
        let (id, label) = (id.clone(), format!("Choose dead letter {}", letter.id));
        let checked = id.clone();
        view! {
            <input type="checkbox" class="choose" aria-label=label
                prop:checked=move || chosen.with(|c| c.contains(&checked))
                on:change=move |e| {
                    let on = event_target_checked(&e);
                    chosen.update(|c| {
                        if on { c.insert(id.clone()); } else { c.remove(&id); }
                    })
                }/>
        }
    });
    let actions = waiting.then(|| {
        let (redrive, discard) = (id.clone(), id.clone());
        let reason = refusal.clone().unwrap_or_default();
        view! {
            <div class="letter-actions">
                <button class="button" type="button" title=reason
                    disabled=move || refusal.is_some() || desk.busy.get()
                    on:click=move |_| desk.act(vec![redrive.clone()], false)>"Redrive"</button>
                <button class="button button-light" type="button"
                    disabled=move || desk.busy.get()
                    on:click=move |_| desk.act(vec![discard.clone()], true)>"Discard"</button>
            </div>
        }
    });
    view! {
        <li class="message letter" class:handled=!waiting data-id=letter.id.clone()>
            {view! { <header>
                {choose}
                <span class="where">"From " {from}</span>
                <span class="muted small">{when}</span>
                {(letter.redrives > 0).then(|| view! {
                    <span class="pill pill-busy">{format!("sent back {} before", times(letter.redrives))}</span>
                })}
                {letter.message.entity.clone().map(|e| view! { <a class="entity" href=e.href>{e.label}</a> })}
            </header> }.into_any()}
            <p class="letter-error" data-testid="letter-error">{letter.error.clone()}</p>
            {letter.handling.clone().map(|h| view! { <HandlingNote handling=h/> })}
            {actions}
            <details class="letter-event" prop:open=move || desk.unfolded.with(|u| u.contains(&shown))>
                <summary on:click=move |e| {
                    e.prevent_default();
                    desk.unfolded.update(|u| if !u.remove(&unfold) { u.insert(unfold.clone()); });
                }>{format!("The message (dead letter {})", letter.id)}</summary>
                <MessageBody message=letter.message.clone()/>
            </details>
        </li>
    }
    .into_any()
}

/// Who handled a letter, how and when.
#[component]
fn HandlingNote(handling: Handling) -> impl IntoView {
    let Handling { handled, by, at, outcome } = handling;
    let what = match handled {
        Handled::Redriven { topic, landed: Some((p, o)) } => {
            format!("Sent back to {topic} (partition {p}, offset {o})")
        }
        Handled::Redriven { topic, landed: None } => format!("Being sent back to {topic}"),
        Handled::Discarded => "Discarded".into(),
    };
    let outcome = outcome.map(|o| format!(" — {}", o.describe())).unwrap_or_default();
    let note = format!("{what} by {by}, {}{outcome}", time_of(at));
    view! { <p class="handled-note" data-testid="handled-note">{note}</p> }
}
