//! The findings as the API and the pages show them: the counts per rule,
//! and pages in the order rule, state, id, each finding said in a sentence
//! with the names the index holds now (a renamed city is named anew).

use std::ops::Bound;

use app::domain::quality::facts::{alike, say, Alike};
use app::domain::quality::{
    finding_id, postal, EntityKind, EntityRef, Finding, FindingsPage, FindingsQuery, Other, QualitySummary, Rule,
    RuleCount, Status,
};
use app::domain::state::STATES;

use super::data::Data;
use super::rules::Rules;
use super::{Findings, Found};

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
        let state = q.state.as_deref().map(|s| STATES.iter().position(|known| known.name == s).unwrap_or(usize::MAX));
        let from = match q.cursor.as_deref().and_then(read_cursor) {
            Some(after) => Bound::Excluded(after),
            None => Bound::Included((q.rule.unwrap_or(Rule::ALL[0]), 0, 0)),
        };
        let mut picked: Vec<&Found> = self
            .order
            .range((from, Bound::Unbounded))
            .take_while(|(rule, _, _)| q.rule.is_none_or(|r| r == *rule))
            .filter(|(_, s, _)| state.is_none_or(|want| want == *s as usize))
            .filter(|(_, _, id)| (q.status == Status::Accepted) == self.accepted.contains_key(id))
            .filter_map(|(_, _, id)| self.by_id.get(id))
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
        let state = STATES.get(f.state as usize).map_or("", |s| s.name);
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
