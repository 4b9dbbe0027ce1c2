//! `/kafka/topics/{name}`: one topic: its configuration, its partitions
//! (leader, replicas, in-sync replicas, watermarks, messages), and a message
//! browser: the newest, from an offset or from a time (UTC); one partition
//! or all; older and newer. Keys, headers and values are shown as text.
//! `?partition=&offset=` opens the browser at one message (history links).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{get_kafka_messages, get_kafka_overview};
use crate::components::alert::Problem;
use crate::components::kafka::{count, refreshes, retention, time_of, MessageBody, Table};
use crate::domain::kafka::{KafkaMessage, MessagePage, MessageQuery, Start, Topic};

/// `2026-11-29T10:00` or `2026-11-29T10:00:30` (a datetime-local input), read as UTC.
pub fn utc_ms(text: &str) -> Option<i64> {
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text.trim(), f).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

#[component]
pub fn TopicPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let ticks = refreshes();
    let overview = Resource::new(move || ticks.get(), |_| get_kafka_overview());
    // The browser's shape (how many partitions to choose from), read once per
    // topic, inside its own Transition: the server renders the same options the
    // browser hydrates, and the browser keeps its place across refreshes.
    let shape = Resource::new(name, |_| get_kafka_overview());
    let partitions = move || {
        let found = shape.get()?.ok()?;
        found.cluster.topics.into_iter().find(|t| t.name == name()).map(|t| t.partitions.len())
    };
    view! {
        <Title text=move || name()/>
        <p class="crumbs"><a href="/kafka">"Kafka"</a> " / topics"</p>
        <h1 data-testid="topic-name">{name}</h1>
        <Transition fallback=|| view! { <p class="muted">"Reading the topic…"</p> }>
            {move || overview.get().map(|r| match r {
                Ok(o) => match o.cluster.topics.into_iter().find(|t| t.name == name()) {
                    Some(topic) => view! { <TopicView topic/> }.into_any(),
                    None => view! { <p class="muted">"Kafka has no such topic."</p> }.into_any(),
                },
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || partitions().map(|n| view! { <Browser topic=name() partitions=n/> })}
        </Transition>
    }
}

#[component]
fn TopicView(topic: Topic) -> impl IntoView {
    view! {
        <section class="card">
            <dl class="details" data-testid="topic-config">
                <dt>"Messages"</dt><dd>{count(topic.messages())}</dd>
                <dt>"Retention"</dt><dd>{retention(topic.config("retention.ms"))}</dd>
                <dt>"Cleanup policy"</dt><dd>{topic.config("cleanup.policy").unwrap_or("—").to_string()}</dd>
                <dt>"Min in-sync replicas"</dt><dd>{topic.config("min.insync.replicas").unwrap_or("—").to_string()}</dd>
                <dt>"Compression"</dt><dd>{topic.config("compression.type").unwrap_or("—").to_string()}</dd>
            </dl>
        </section>
        <h2>"Partitions"</h2>
        <Table testid="partitions" columns=&["Partition", "Leader", "Replicas", "In sync", "Low", "High", "Messages"]>
                    {topic.partitions.iter().map(|p| {
                        let ids = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
                        view! {
                            <tr class:warn=p.under_replicated()>
                                <td class="num">{p.id}</td><td class="num">{p.leader}</td>
                                <td>{ids(&p.replicas)}</td><td>{ids(&p.isr)}</td>
                                <td class="num">{count(p.low)}</td><td class="num">{count(p.high)}</td>
                                <td class="num">{count(p.messages())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </Table>
    }
}

/// The message browser.
#[component]
fn Browser(topic: String, partitions: usize) -> impl IntoView {
    // `?partition=&offset=` (a history entry's link) opens at that message.
    let asked = |key: &str| use_query_map().with_untracked(|m| m.get(key)).and_then(|v| v.parse::<i64>().ok());
    let (partition, from) = (asked("partition").map(|p| p as i32), asked("offset").filter(|o| *o >= 0));
    let start = from.map_or(Start::Latest, Start::Offset);
    let query = RwSignal::new(MessageQuery { partition, start, limit: 20 });
    let offset = RwSignal::new(from.map(|o| o.to_string()).unwrap_or_default());
    let time = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let ticks = refreshes();
    // The newest messages follow the topic; a look further back stays put.
    let key = move || {
        let q = query.get();
        let tick = if q.start == Start::Latest { ticks.get() } else { (0, 0) };
        (topic.clone(), q, tick)
    };
    let page = Resource::new(key, |(topic, q, _)| get_kafka_messages(topic, q));
    let set_start = move |start: Start| query.update(|q| q.start = start);
    let go_offset = move |_| match offset.get_untracked().trim().parse::<i64>() {
        Ok(o) if o >= 0 => {
            problem.set(None);
            set_start(Start::Offset(o));
        }
        _ => problem.set(Some("an offset is a whole number, 0 or more".into())),
    };
    let go_time = move |_| match utc_ms(&time.get_untracked()) {
        Some(ms) => {
            problem.set(None);
            set_start(Start::After(ms));
        }
        None => problem.set(Some("choose a date and time".into())),
    };
    view! {
        <h2>"Messages"</h2>
        <form class="filters browser" on:submit=|e| e.prevent_default()>
            <div>
                <label for="browse-partition">"Partition"</label>
                <select id="browse-partition" prop:value=partition.map(|p| p.to_string()).unwrap_or_default()
                    on:change=move |e| {
                    let p = event_target_value(&e).parse::<i32>().ok();
                    query.update(|q| q.partition = p);
                }>
                    <option value="">"All"</option>
                    {(0..partitions).map(|p| view! { <option value=p.to_string()>{p}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label for="browse-limit">"Show"</label>
                <select id="browse-limit" on:change=move |e| {
                    let n = event_target_value(&e).parse::<usize>().unwrap_or(20);
                    query.update(|q| q.limit = n);
                }>
                    <option value="20">"20"</option><option value="50">"50"</option><option value="100">"100"</option>
                </select>
            </div>
            <div>
                <label for="browse-offset">"From offset"</label>
                <input id="browse-offset" type="text" inputmode="numeric" placeholder="0" prop:value=offset
                    on:input=move |e| offset.set(event_target_value(&e))/>
            </div>
            <button class="button button-light" type="button" on:click=go_offset>"Go to offset"</button>
            <div>
                <label for="browse-time">"From time (UTC)"</label>
                <input id="browse-time" type="datetime-local" step="1" prop:value=time
                    on:input=move |e| time.set(event_target_value(&e))/>
            </div>
            <button class="button button-light" type="button" on:click=go_time>"Go to time"</button>
            <button class="button" type="button" on:click=move |_| set_start(Start::Latest)>"Newest"</button>
        </form>
        {move || problem.get().map(|p| view! { <p class="alert alert-down" role="alert">{p}</p> })}
        <Transition fallback=|| view! { <p class="muted">"Reading messages…"</p> }>
            {move || page.get().map(|r| match r {
                Ok(Some(p)) => view! { <Messages page=p query/> }.into_any(),
                Ok(None) => view! { <p class="muted">"No such topic or partition."</p> }.into_any(),
                Err(e) => view! { <Problem message=e.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Messages(page: MessagePage, query: RwSignal<MessageQuery>) -> impl IntoView {
    let MessagePage { messages, older, newer } = page;
    let pager = view! {
        <nav class="pager" aria-label="Messages">
            <button class="button button-light" disabled=newer.is_none()
                on:click=move |_| if let Some(q) = newer.clone() { query.set(q) }>"Newer"</button>
            <button class="button button-light" disabled=older.is_none()
                on:click=move |_| if let Some(q) = older.clone() { query.set(q) }>"Older"</button>
        </nav>
    };
    if messages.is_empty() {
        return view! { <p class="muted empty">"No message here."</p> {pager} }.into_any();
    }
    view! {
        <ol class="messages" data-testid="messages">
            {messages.into_iter().map(|m| view! { <MessageView message=m/> }).collect_view()}
        </ol>
        {pager}
    }
    .into_any()
}

#[component]
fn MessageView(message: KafkaMessage) -> impl IntoView {
    let m = message;
    let when = m.timestamp.map(time_of).unwrap_or_else(|| "no time".into());
    view! {
        <li class="message" data-partition=m.partition data-offset=m.offset>
            <header>
                <span class="where">{format!("partition {} · offset {}", m.partition, m.offset)}</span>
                <span class="muted small">{when}</span>
                <span class="key">"key " <code>{m.key.clone().unwrap_or_else(|| "—".into())}</code></span>
                {m.entity.clone().map(|e| view! { <a class="entity" href=e.href>{e.label}</a> })}
            </header>
            <MessageBody message=m.clone()/>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::utc_ms;

    #[test]
    fn a_chosen_time_is_read_as_utc() {
        assert_eq!(utc_ms("1970-01-01T00:01"), Some(60_000));
        assert_eq!(utc_ms("2026-11-29T10:00:30"), Some(1_795_946_430_000));
        assert_eq!(utc_ms("yesterday"), None);
    }
}
