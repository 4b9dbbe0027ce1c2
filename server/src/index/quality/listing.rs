//! The findings as the API and the pages show them: the counts per rule,
//! and pages in the order rule, state, id, each finding said in a sentence
//! with the names the index holds now (a renamed city is named anew).

use std::ops::Bound;

use app::domain::quality::facts::{alike, say, Alike};
use app::domain::quality::{
    finding_id, postal, EntityKind, EntityRef, Finding, FindingsPage, FindingsQuery, Other, QualitySummary, Rule,
    RuleCount, Status,
};

use super::data::Data;
use super::rules::Rules;
use super::{Findings, Found};
use crate::index::cities::{state_name, state_number};

/// A page's cursor: where the last finding of the page before is in the order.
fn cursor(f: &Found) -> String {
    format!("{}.{}.{}", f.rule.id(), f.state, finding_id(f.id))
}

fn read_cursor(cursor: &str) -> Option<(Rule, u8, u64)> {
    let mut parts = cursor.split('.');
    let rule = Rule::parse(parts.next()?)?;
    let state = parts.next()?.parse().ok()?;
    let id = app::domain::quality::parse_finding_id(parts.next()?)?;
    Some((rule, state, id))
}

impl Findings {
    /// Every rule's counts, and the open findings in all.
    pub fn summary(&self, rules: &Rules) -> QualitySummary {
        let counts = Rule::ALL.into_iter().map(|rule| {
            let count = self.count(rule);
            let not_checked = rules.not_checked(rule);
            RuleCount {
                id: rule,
                title: rule.title().into(),
                explanation: rule.explanation().into(),
                open: count.total - count.accepted,
                accepted: count.accepted,
                not_checked,
            }
        });
        QualitySummary { rules: counts.collect(), open: self.open() }
    }

    /// One page of findings, filtered by rule, state and status.
    pub fn page(&self, q: &FindingsQuery, data: &impl Data) -> FindingsPage {
        let state = q.state.as_deref().map(state_number);
        let after = q.cursor.as_deref().and_then(read_cursor);
        // A rule and a state are one range of the order; a rule alone, one too.
        let first = (q.rule.unwrap_or(Rule::ALL[0]), q.rule.and(state).unwrap_or(0), 0);
        let from = after.map_or(Bound::Included(first), Bound::Excluded);
        let fits =
            |&(rule, s, _): &(Rule, u8, u64)| q.rule.is_none_or(|r| r == rule) && state.is_none_or(|want| want == s);
        let keys: Box<dyn Iterator<Item = (Rule, u8, u64)> + '_> = match q.status {
            // Few are accepted: those, in the order, rather than every finding.
            Status::Accepted => {
                let mut keys: Vec<(Rule, u8, u64)> = self
                    .accepted
                    .keys()
                    .filter_map(|id| self.by_id.get(id).map(|f| (f.rule, f.state, *id)))
                    .filter(|k| fits(k) && after.is_none_or(|a| *k > a))
                    .collect();
                keys.sort_unstable();
                Box::new(keys.into_iter())
            }
            Status::Open => Box::new(
                self.order
                    .range((from, Bound::Unbounded))
                    .take_while(move |(rule, s, _)| {
                        q.rule.is_none_or(|r| r == *rule) && !(q.rule.is_some() && state.is_some_and(|want| *s > want))
                    })
                    .copied()
                    .filter(move |k| fits(k) && !self.accepted.contains_key(&k.2)),
            ),
        };
        let mut picked: Vec<&Found> = keys
            .filter_map(|(_, _, id)| self.by_id.get(&id))
            .filter(|f| q.bbox.is_none_or(|b| b.contains(f.latitude, f.longitude)))
            .take(q.limit + 1)
            .collect();
        let next_cursor = (picked.len() > q.limit).then(|| cursor(picked[q.limit - 1]));
        picked.truncate(q.limit);
        FindingsPage { findings: picked.into_iter().map(|f| self.shown(f, data)).collect(), next_cursor }
    }

    /// One finding by id, as shown.
    pub fn shown_by_id(&self, id: u64, data: &impl Data) -> Option<Finding> {
        self.by_id.get(&id).map(|f| self.shown(f, data))
    }

    /// A finding as shown: its sentence, its entity, its other end.
    pub fn shown(&self, f: &Found, data: &impl Data) -> Finding {
        let state = state_name(f.state);
        let name = |id: &str| data.city(id).map_or_else(|| id.to_string(), |p| p.name.to_string());
        let subject_name = name(&f.subject);
        let message = match f.rule {
            Rule::PincodeFarFromCity => {
                say::far_from_city(&f.subject, &name(f.other.as_deref().unwrap_or_default()), f.measure)
            }
            Rule::PincodeStateMismatch => postal::mismatch(&f.subject, state).unwrap_or_default(),
            Rule::PincodeUnlocated => say::unlocated(&f.subject),
            Rule::CityOutsideState => say::outside_state(&subject_name, state, f.measure),
            Rule::CityWithoutPincodes => say::without_pincodes(&subject_name),
            Rule::PossibleDuplicateCity => {
                let other = f.other.as_deref().unwrap_or_default();
                let how = match (data.city(&f.subject), data.city(other)) {
                    (Some(a), Some(b)) => alike((a.name, a.alternates), (b.name, b.alternates)),
                    _ => None,
                };
                say::duplicate(&subject_name, &name(other), f.measure, &how.unwrap_or(Alike::OneLetter))
            }
            Rule::SharedCoordinates => {
                let names: Vec<String> =
                    data.cities_at(f.latitude, f.longitude).iter().map(|p| p.name.to_string()).collect();
                say::shared(&names, f.measure as usize)
            }
        };
        let other = f.other.as_deref().and_then(|id| {
            let p = data.city(id)?;
            p.is_located().then(|| Other {
                entity: EntityRef { kind: EntityKind::City, id: id.to_string() },
                latitude: p.latitude,
                longitude: p.longitude,
            })
        });
        let accepted = self.accepted.get(&f.id).cloned();
        Finding {
            id: finding_id(f.id),
            rule: f.rule,
            entity: EntityRef { kind: f.rule.entity_kind(), id: f.subject.to_string() },
            state: state.to_string(),
            message,
            latitude: f.latitude.is_finite().then_some(f.latitude),
            longitude: f.longitude.is_finite().then_some(f.longitude),
            other,
            status: if accepted.is_some() { Status::Accepted } else { Status::Open },
            accepted,
        }
    }
}

#[cfg(test)]
mod tests {
    use app::domain::quality::{finding_id, Acceptance};
    use app::domain::state::STATES;

    use super::super::data::Indexes;
    use super::super::Owner;
    use super::*;
    use crate::index::cities::CityIndex;
    use crate::index::pincodes::PincodeIndex;

    #[test]
    fn pages_follow_each_other_in_order_for_every_filter() {
        let mut findings = Findings::default();
        let mut all = Vec::new();
        for n in 0..40u64 {
            let (rule, state) = (Rule::ALL[(n % 3) as usize], (n % 5) as u8);
            let subject: std::sync::Arc<str> = format!("s{n}").into();
            let f = Found {
                rule,
                id: n * 7919 % 1000,
                state,
                subject: subject.clone(),
                other: None,
                latitude: 20.0,
                longitude: 78.0,
                measure: 0.0,
            };
            all.push((rule, state, f.id));
            findings.replace(&Owner::City(subject), vec![f]);
        }
        for id in all.iter().map(|k| k.2).filter(|id| id % 3 == 0) {
            findings.accept(id, Acceptance { by: "a".into(), at: "t".into(), reason: "r".into() });
        }
        all.sort();
        let (cities, pincodes) = (CityIndex::build([]), PincodeIndex::build([]));
        let data = Indexes { cities: &cities, pincodes: &pincodes };
        for rule in [None, Some(Rule::ALL[1])] {
            for state in [None, Some(STATES[2].name.to_string())] {
                for status in [Status::Open, Status::Accepted] {
                    let want: Vec<String> = all
                        .iter()
                        .filter(|(r, s, id)| {
                            rule.is_none_or(|want| want == *r)
                                && state.is_none() | (*s == 2)
                                && (status == Status::Accepted) == (id % 3 == 0)
                        })
                        .map(|k| finding_id(k.2))
                        .collect();
                    let mut q = FindingsQuery { rule, state: state.clone(), status, limit: 2, ..Default::default() };
                    let mut got = Vec::new();
                    loop {
                        let page = findings.page(&q, &data);
                        got.extend(page.findings.into_iter().map(|f| f.id));
                        match page.next_cursor {
                            Some(c) => q.cursor = Some(c),
                            None => break,
                        }
                    }
                    assert_eq!(got, want, "{rule:?} {state:?} {status:?}");
                }
            }
        }
    }
}
