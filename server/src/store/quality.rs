//! What admins accepted of the quality findings (`quality_acceptances`): by
//! finding id, with who, when and why. Few (each is an admin's decision),
//! read whole with the read index, and one by id when another instance
//! says it accepted one.

use std::collections::HashMap;

use app::domain::quality::{finding_id, parse_finding_id, Acceptance, EntityKind, Finding};
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};

use super::Store;

fn acceptance(d: &Document) -> Option<(u64, Acceptance)> {
    let id = parse_finding_id(d.get_str("_id").ok()?)?;
    let text = |key| d.get_str(key).map(str::to_string).unwrap_or_default();
    Some((id, Acceptance { by: text("by"), at: text("at"), reason: text("reason") }))
}

impl Store {
    /// Every acceptance.
    pub async fn acceptances(&self) -> mongodb::error::Result<HashMap<u64, Acceptance>> {
        let docs: Vec<Document> = self.acceptances.find(doc! {}).await?.try_collect().await?;
        Ok(docs.iter().filter_map(acceptance).collect())
    }

    /// One acceptance, by finding id.
    pub async fn acceptance(&self, id: u64) -> mongodb::error::Result<Option<Acceptance>> {
        let found = self.acceptances.find_one(doc! { "_id": finding_id(id) }).await?;
        Ok(found.as_ref().and_then(acceptance).map(|(_, a)| a))
    }

    /// Keeps an acceptance of `finding` (its facts too, for whoever reads
    /// the collection); accepting it again replaces who, when and why.
    pub async fn accept(&self, finding: &Finding, a: &Acceptance) -> mongodb::error::Result<()> {
        let kind = match finding.entity.kind {
            EntityKind::City => "city",
            EntityKind::Pincode => "pincode",
        };
        let d = doc! {
            "_id": &finding.id, "rule": finding.rule.id(), "entity_kind": kind,
            "entity_id": &finding.entity.id, "message": &finding.message,
            "by": &a.by, "at": &a.at, "reason": &a.reason,
        };
        self.acceptances.replace_one(doc! { "_id": &finding.id }, d).upsert(true).await?;
        Ok(())
    }
}
