//! The activity feed's index: every history entry by time, newest first,
//! with what the feed filters by (who, which type, which import job), so a
//! page of the feed is a walk back from a cursor here, then one `$in` by
//! `_id` for the entries themselves: no sort or range for the store to scan.
//!
//! Invariant: it holds only entries the store holds (read whole at start,
//! then each applied change's entry read back by id before it is taken in).
//! Actors, types and jobs are interned: an entry costs its key and 12 bytes.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use crate::store::Logged;

/// One entry as the feed filters it.
#[derive(Clone, Copy, Debug)]
struct Meta {
    actor: u32,
    event_type: u32,
    /// 0: none.
    job: u32,
}

/// Distinct texts, each a number (0 is none).
#[derive(Default)]
struct Names {
    numbers: HashMap<Box<str>, u32>,
    texts: Vec<Box<str>>,
}

impl Names {
    fn number(&mut self, text: &str) -> u32 {
        if let Some(n) = self.numbers.get(text) {
            return *n;
        }
        self.texts.push(text.into());
        let n = self.texts.len() as u32;
        self.numbers.insert(text.into(), n);
        n
    }

    fn find(&self, text: &str) -> Option<u32> {
        self.numbers.get(text).copied()
    }

    fn text(&self, n: u32) -> &str {
        n.checked_sub(1).and_then(|i| self.texts.get(i as usize)).map_or("", |t| t)
    }
}

/// What a page asks for: each filter exact (a type filter may be a kind,
/// `city`), all of them holding.
#[derive(Clone, Debug, Default)]
pub struct Wanted<'a> {
    pub actor: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub job: Option<&'a str>,
    /// Older than this (time, event id).
    pub before: Option<(i64, &'a str)>,
    pub limit: usize,
}

#[derive(Default)]
pub struct ActivityIndex {
    by_time: BTreeMap<(i64, Box<str>), Meta>,
    actors: Names,
    types: Names,
    jobs: Names,
}

impl ActivityIndex {
    pub fn len(&self) -> usize {
        self.by_time.len()
    }

    /// Takes an entry in (again: no change).
    pub fn insert(&mut self, e: &Logged) {
        let meta = Meta {
            actor: self.actors.number(&e.actor),
            event_type: self.types.number(&e.event_type),
            job: e.job.as_deref().map_or(0, |j| self.jobs.number(j)),
        };
        self.by_time.insert((e.time_millis, e.event_id.as_str().into()), meta);
    }

    /// The (time, event id) of one page, newest first.
    pub fn page(&self, q: &Wanted) -> Vec<(i64, String)> {
        // A filter naming what no entry has finds nothing, without a walk.
        let exact = |names: &Names, wanted: Option<&str>| wanted.map(|w| names.find(w).ok_or(()));
        let (Ok(actor), Ok(job)) = (exact(&self.actors, q.actor).transpose(), exact(&self.jobs, q.job).transpose())
        else {
            return Vec::new();
        };
        let types: Option<Vec<u32>> = q.event_type.map(|wanted| {
            (1..=self.types.texts.len() as u32)
                .filter(|n| app::domain::activity::type_matches(wanted, self.types.text(*n)))
                .collect()
        });
        let upper = match q.before {
            Some((millis, id)) => Bound::Excluded((millis, Box::<str>::from(id))),
            None => Bound::Unbounded,
        };
        self.by_time
            .range((Bound::Unbounded, upper))
            .rev()
            .filter(|(_, m)| {
                actor.is_none_or(|a| m.actor == a)
                    && job.is_none_or(|j| m.job == j)
                    && types.as_ref().is_none_or(|t| t.contains(&m.event_type))
            })
            .take(q.limit)
            .map(|((millis, id), _)| (*millis, id.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(time_millis: i64, id: &str, actor: &str, event_type: &str, job: Option<&str>) -> Logged {
        Logged {
            time_millis,
            event_id: id.into(),
            actor: actor.into(),
            event_type: event_type.into(),
            job: job.map(str::to_string),
        }
    }

    fn index() -> ActivityIndex {
        let mut index = ActivityIndex::default();
        for e in [
            logged(10, "a", "ops@x.in", "city.created.v1", None),
            logged(20, "b", "token:etl", "pincode.upserted.v1", Some("job1")),
            logged(20, "c", "token:etl", "city.updated.v1", Some("job1")),
            logged(30, "d", "ops@x.in", "city.deleted.v1", None),
        ] {
            index.insert(&e);
        }
        index.insert(&logged(30, "d", "ops@x.in", "city.deleted.v1", None));
        index
    }

    fn ids(page: Vec<(i64, String)>) -> Vec<String> {
        page.into_iter().map(|(_, id)| id).collect()
    }

    #[test]
    fn newest_first_and_paged_by_cursor() {
        let index = index();
        assert_eq!(index.len(), 4, "an entry taken in twice is one");
        let first = ids(index.page(&Wanted { limit: 2, ..Wanted::default() }));
        assert_eq!(first, ["d", "c"]);
        let next = ids(index.page(&Wanted { limit: 2, before: Some((20, "c")), ..Wanted::default() }));
        assert_eq!(next, ["b", "a"], "the same millisecond, ordered by id");
    }

    #[test]
    fn each_filter_holds_and_an_unknown_name_finds_nothing() {
        let index = index();
        let page = |w: Wanted| ids(index.page(&Wanted { limit: 10, ..w }));
        assert_eq!(page(Wanted { actor: Some("token:etl"), ..Wanted::default() }), ["c", "b"]);
        assert_eq!(page(Wanted { event_type: Some("city"), ..Wanted::default() }), ["d", "c", "a"]);
        assert_eq!(page(Wanted { event_type: Some("city.deleted.v1"), ..Wanted::default() }), ["d"]);
        let both = Wanted { job: Some("job1"), event_type: Some("pincode"), ..Wanted::default() };
        assert_eq!(page(both), ["b"]);
        assert!(page(Wanted { actor: Some("nobody"), ..Wanted::default() }).is_empty());
        assert!(page(Wanted { job: Some("job9"), ..Wanted::default() }).is_empty());
    }
}
