//! Reads of the read model: what pages and the API ask for.

use std::collections::HashMap;

use app::domain::city::City;
use app::domain::geo::BBox;
use app::domain::history::HistoryEntry;
use app::domain::pincode::Pincode;
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};

use super::documents::{city_from_doc, history_entry_from_doc, pincode_from_doc};
use super::{name_collation, Store};

/// A listing of cities, as the store runs it.
#[derive(Clone, Debug, Default)]
pub struct CityQuery {
    /// The official name of a state.
    pub state: Option<String>,
    pub name_prefix: Option<String>,
    pub bbox: Option<BBox>,
    pub include_deleted: bool,
    pub cursor: Option<String>,
    pub limit: usize,
}

impl Store {
    pub async fn city_by_id(&self, id: &str) -> mongodb::error::Result<Option<City>> {
        Ok(self.cities.find_one(doc! { "_id": id }).await?.map(|d| city_from_doc(&d)))
    }

    /// A city by its name (ignoring case) and the official name of its state.
    pub async fn city_by_name(&self, state: &str, name: &str) -> mongodb::error::Result<Option<City>> {
        let found = self.cities.find_one(doc! { "state": state, "name": name }).collation(name_collation()).await?;
        Ok(found.map(|d| city_from_doc(&d)))
    }

    /// The city with this id, or else the one with this name in this state: the
    /// one a new city would collide with.
    pub async fn city_by_id_or_name(&self, id: &str, state: &str, name: &str) -> mongodb::error::Result<Option<City>> {
        match self.city_by_id(id).await? {
            Some(city) => Ok(Some(city)),
            None => self.city_by_name(state, name).await,
        }
    }

    /// True when the read model holds no city and no pincode (a first start).
    pub async fn is_empty(&self) -> mongodb::error::Result<bool> {
        let city = self.cities.find_one(doc! {}).projection(doc! { "_id": 1 }).await?;
        let pincode = self.pincodes.find_one(doc! {}).projection(doc! { "_id": 1 }).await?;
        Ok(city.is_none() && pincode.is_none())
    }

    /// The cities with these ids, by id: one query for a batch.
    pub async fn cities_by_ids(&self, ids: &[String]) -> mongodb::error::Result<HashMap<String, City>> {
        let docs: Vec<Document> = self.cities.find(doc! { "_id": { "$in": ids } }).await?.try_collect().await?;
        Ok(docs.iter().map(city_from_doc).map(|c| (c.id.clone(), c)).collect())
    }

    /// The pincodes with these codes, by code: one query for a batch.
    pub async fn pincodes_by_codes(&self, codes: &[String]) -> mongodb::error::Result<HashMap<String, Pincode>> {
        let docs: Vec<Document> = self.pincodes.find(doc! { "_id": { "$in": codes } }).await?.try_collect().await?;
        Ok(docs.iter().map(pincode_from_doc).map(|p| (p.fields.pincode.clone(), p)).collect())
    }

    pub async fn pincode(&self, code: &str) -> mongodb::error::Result<Option<Pincode>> {
        Ok(self.pincodes.find_one(doc! { "_id": code }).await?.map(|d| pincode_from_doc(&d)))
    }

    /// Cities matching `query`, ordered by id, after `cursor` (an id), at most `limit`.
    pub async fn list_cities(&self, query: &CityQuery) -> mongodb::error::Result<Vec<City>> {
        let mut filter = Document::new();
        if let Some(state) = &query.state {
            filter.insert("state", state);
        }
        if !query.include_deleted {
            filter.insert("deleted_at", Bson::Null);
        }
        if let Some(q) = query.name_prefix.as_deref().filter(|q| !q.is_empty()) {
            filter.insert("name", doc! { "$regex": format!("^{}", regex_escape(q)), "$options": "i" });
        }
        if let Some(b) = query.bbox {
            filter.insert("location", within(b));
        }
        if let Some(after) = &query.cursor {
            filter.insert("_id", doc! { "$gt": after });
        }
        // A map view (a box, no paging) that holds more cities than the limit
        // shows the most populous ones: the map stays light and still useful.
        let order = if query.bbox.is_some() && query.cursor.is_none() {
            doc! { "population": -1, "_id": 1 }
        } else {
            doc! { "_id": 1 }
        };
        let docs: Vec<Document> =
            self.cities.find(filter).sort(order).limit(query.limit as i64).await?.try_collect().await?;
        Ok(docs.iter().map(city_from_doc).collect())
    }

    /// A city's (and its pincodes') history, newest first.
    pub async fn history_of(&self, id: &str, limit: i64) -> mongodb::error::Result<Vec<HistoryEntry>> {
        let docs: Vec<Document> = self
            .history
            .find(doc! { "entities": id })
            .sort(doc! { "time": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        Ok(docs.iter().map(history_entry_from_doc).collect())
    }

    /// Pincodes (not deleted) by code prefix or inside a box, ordered by code, after `cursor`.
    pub async fn list_pincodes(
        &self,
        prefix: &str,
        bbox: Option<BBox>,
        cursor: Option<&str>,
        limit: usize,
    ) -> mongodb::error::Result<Vec<Pincode>> {
        let mut filter = doc! { "deleted_at": Bson::Null };
        let mut id = Document::new();
        if !prefix.is_empty() {
            id.insert("$regex", format!("^{}", regex_escape(prefix)));
        }
        if let Some(after) = cursor {
            id.insert("$gt", after);
        }
        if !id.is_empty() {
            filter.insert("_id", id);
        }
        if let Some(b) = bbox {
            filter.insert("location", within(b));
        }
        let docs: Vec<Document> =
            self.pincodes.find(filter).sort(doc! { "_id": 1 }).limit(limit as i64).await?.try_collect().await?;
        Ok(docs.iter().map(pincode_from_doc).collect())
    }

    /// The pincodes of a city (deleted ones too), by code.
    pub async fn pincodes_of(&self, city_id: &str) -> mongodb::error::Result<Vec<Pincode>> {
        let docs: Vec<Document> =
            self.pincodes.find(doc! { "city_id": city_id }).sort(doc! { "_id": 1 }).await?.try_collect().await?;
        Ok(docs.iter().map(pincode_from_doc).collect())
    }
}

/// Inside a box on the map.
fn within(b: BBox) -> Document {
    doc! { "$geoWithin": { "$box": [[b.west, b.south], [b.east, b.north]] } }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
