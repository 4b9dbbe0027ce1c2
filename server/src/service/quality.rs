//! The data quality findings, for both doors: the counts, a page of
//! findings, and accepting one with a reason. The findings themselves are
//! the read index's (`index::quality`); an acceptance is kept in MongoDB,
//! then told to the other instances over the notices topic.

use std::sync::Arc;

use app::domain::error::AppError;
use app::domain::notice::{ChangeNotice, Outcome};
use app::domain::quality::{
    check_reason, parse_finding_id, Acceptance, Finding, FindingsPage, FindingsQuery, QualitySummary,
};

use super::Actor;
use crate::error::Error;
use crate::index::ReadIndex;
use crate::pipeline::fanout::QUALITY_ACCEPTED;
use crate::pipeline::Fanout;
use crate::store::Store;

#[derive(Clone)]
pub struct Quality {
    store: Store,
    index: Arc<ReadIndex>,
    fanout: Fanout,
}

/// What a listing asks, as text (each part is checked and named).
#[derive(Debug, Default)]
pub struct FindingsAsked<'a> {
    pub rule: Option<&'a str>,
    pub state: Option<&'a str>,
    pub status: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<&'a str>,
}

impl Quality {
    pub fn new(store: Store, index: Arc<ReadIndex>, fanout: Fanout) -> Self {
        Quality { store, index, fanout }
    }

    pub fn summary(&self) -> QualitySummary {
        self.index.quality_summary()
    }

    pub fn findings(&self, asked: &FindingsAsked<'_>) -> Result<FindingsPage, Error> {
        let q = FindingsQuery::read(asked.rule, asked.state, asked.status, asked.cursor, asked.limit)
            .map_err(Error::invalid)?;
        Ok(self.index.findings(&q))
    }

    /// Accepts the finding `id` with a reason: it leaves the open list, on every instance.
    pub async fn accept(&self, id: &str, reason: Option<&str>, actor: &Actor) -> Result<Finding, Error> {
        let unknown = || Error::not_found(format!("no finding {id}: it was fixed, or its facts changed"));
        let digest = parse_finding_id(id).ok_or_else(unknown)?;
        let finding = self.index.finding(digest).ok_or_else(unknown)?;
        let reason = check_reason(reason).map_err(Error::invalid)?;
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let acceptance = Acceptance { by: actor.name.clone(), at, reason };
        self.store.accept(&finding, &acceptance).await?;
        self.index.accepted(digest, acceptance.clone());
        let (rule, by) = (finding.rule.id(), &acceptance.by);
        tracing::info!(finding = %finding.id, rule, by = %by, "a quality finding accepted");
        self.fanout.publish(&ChangeNotice {
            event_id: uuid::Uuid::now_v7().to_string(),
            event_type: QUALITY_ACCEPTED.into(),
            entity_id: finding.id.clone(),
            latitude: None,
            longitude: None,
            topic: String::new(),
            partition: -1,
            offset: -1,
            outcome: Outcome::Applied,
        });
        self.index.finding(digest).ok_or_else(|| AppError::NotFound(format!("no finding {id}")).into())
    }
}
