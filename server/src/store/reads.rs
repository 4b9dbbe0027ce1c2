//! Reads of the read model: what pages and the API ask for.

use std::collections::HashMap;

use app::domain::city::{City, CityFields};
use app::domain::names;
use app::domain::pincode::Pincode;
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Collection;

use super::documents::{city_from_doc, pincode_from_doc, position_of, strings, NAME_KEY};
use super::Store;

impl Store {
    pub async fn city_by_id(&self, id: &str) -> mongodb::error::Result<Option<City>> {
        Ok(self.cities.find_one(doc! { "_id": id }).await?.map(|d| city_from_doc(&d)))
    }

    /// The cities bearing any of these name keys (`names::name_key`) as their
    /// current or an alternate name, deleted ones too: one query on a plain
    /// multikey index, for a name or a batch of them.
    pub async fn cities_named(&self, keys: &[String]) -> mongodb::error::Result<Vec<City>> {
        let filter = match keys {
            [] => return Ok(Vec::new()),
            [key] => doc! { "name_keys": key },
            keys => doc! { "name_keys": { "$in": keys } },
        };
        let docs: Vec<Document> = self.cities.find(filter).await?.try_collect().await?;
        Ok(docs.iter().map(city_from_doc).collect())
    }

    /// About how many cities the read model holds (deleted ones too), from the
    /// collection's metadata: no scan.
    pub async fn city_count_estimate(&self) -> mongodb::error::Result<usize> {
        Ok(self.cities.estimated_document_count().await? as usize)
    }

    /// True when the read model holds no city and no pincode (a first start).
    pub async fn is_empty(&self) -> mongodb::error::Result<bool> {
        let city = self.cities.find_one(doc! {}).projection(doc! { "_id": 1 }).await?;
        let pincode = self.pincodes.find_one(doc! {}).projection(doc! { "_id": 1 }).await?;
        Ok(city.is_none() && pincode.is_none())
    }

    /// The cities with these ids, by id: one query for a batch.
    pub async fn cities_by_ids(&self, ids: &[String]) -> mongodb::error::Result<HashMap<String, City>> {
        let docs = documents_by_id(&self.cities, ids, None).await?;
        Ok(docs.values().map(city_from_doc).map(|c| (c.id.clone(), c)).collect())
    }

    /// The pincodes with these codes, by code: one query for a batch.
    pub async fn pincodes_by_codes(&self, codes: &[String]) -> mongodb::error::Result<HashMap<String, Pincode>> {
        let docs = documents_by_id(&self.pincodes, codes, None).await?;
        Ok(docs.values().map(pincode_from_doc).map(|p| (p.fields.pincode.clone(), p)).collect())
    }

    /// The cities and pincodes with these ids, with only what the in-memory
    /// index keeps of them (a pincode's offices are most of its bytes): one
    /// query per kind.
    pub async fn indexed_by_ids(
        &self,
        city_ids: &[String],
        codes: &[String],
    ) -> mongodb::error::Result<(HashMap<String, City>, HashMap<String, Pincode>)> {
        let (cities, pincodes) = tokio::try_join!(
            documents_by_id(&self.cities, city_ids, Some(indexed_city_fields())),
            documents_by_id(&self.pincodes, codes, Some(indexed_pincode_fields())),
        )?;
        Ok((
            cities.values().map(city_from_doc).map(|c| (c.id.clone(), c)).collect(),
            pincodes.values().map(pincode_from_doc).map(|p| (p.fields.pincode.clone(), p)).collect(),
        ))
    }

    pub async fn pincode(&self, code: &str) -> mongodb::error::Result<Option<Pincode>> {
        Ok(self.pincodes.find_one(doc! { "_id": code }).await?.map(|d| pincode_from_doc(&d)))
    }

    /// The cities with these ids, in the order of `ids` (ids the store lacks are left out).
    pub async fn cities_in_order(&self, ids: &[String]) -> mongodb::error::Result<Vec<City>> {
        let mut found = self.cities_by_ids(ids).await?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// The pincodes with these codes, in the order of `codes`.
    pub async fn pincodes_in_order(&self, codes: &[String]) -> mongodb::error::Result<Vec<Pincode>> {
        let mut found = self.pincodes_by_codes(codes).await?;
        Ok(codes.iter().filter_map(|c| found.remove(c)).collect())
    }

    /// The cities with these ids, in the order of `ids`, each with the
    /// position (partition, offset) of the last event applied to it: one query.
    pub async fn cities_at(&self, ids: &[String]) -> mongodb::error::Result<Vec<(City, Option<(i32, i64)>)>> {
        let mut docs = documents_by_id(&self.cities, ids, None).await?;
        Ok(ids.iter().filter_map(|id| docs.remove(id)).map(|d| (city_from_doc(&d), position_of(&d))).collect())
    }

    /// The pincodes with these codes, in the order of `codes`, each with the
    /// position of the last event applied to it: one query.
    pub async fn pincodes_at(&self, codes: &[String]) -> mongodb::error::Result<Vec<(Pincode, Option<(i32, i64)>)>> {
        let mut docs = documents_by_id(&self.pincodes, codes, None).await?;
        Ok(codes.iter().filter_map(|c| docs.remove(c)).map(|d| (pincode_from_doc(&d), position_of(&d))).collect())
    }

    /// Every city, deleted ones too, with what the in-memory index keeps of
    /// it (no metadata or pincode lists), to `each`.
    pub async fn each_city(&self, mut each: impl FnMut(City)) -> mongodb::error::Result<()> {
        let mut cursor = self.cities.find(doc! {}).projection(indexed_city_fields()).batch_size(10_000).await?;
        while let Some(d) = cursor.try_next().await? {
            each(city_from_doc(&d));
        }
        Ok(())
    }

    /// Every pincode, deleted ones too, without its offices, to `each`.
    pub async fn each_pincode(&self, mut each: impl FnMut(Pincode)) -> mongodb::error::Result<()> {
        let mut cursor = self.pincodes.find(doc! {}).projection(indexed_pincode_fields()).batch_size(10_000).await?;
        while let Some(d) = cursor.try_next().await? {
            each(pincode_from_doc(&d));
        }
        Ok(())
    }

    /// Gives the cities of an earlier version their `name_keys`, and their
    /// `name_key` where they have none (before its unique index is made). A
    /// scan, found empty on every start after the first.
    pub async fn backfill_name_keys(&self) -> mongodb::error::Result<()> {
        let missing = doc! { "$or": [{ NAME_KEY: { "$exists": false } }, { "name_keys": { "$exists": false } }] };
        let wanted = doc! { "name": 1, "state": 1, "alternate_names": 1, NAME_KEY: 1 };
        let docs: Vec<Document> = self.cities.find(missing).projection(wanted).await?.try_collect().await?;
        for d in &docs {
            let fields = CityFields {
                name: d.get_str("name").unwrap_or_default().into(),
                state: d.get_str("state").unwrap_or_default().into(),
                alternate_names: strings(d, "alternate_names"),
                ..CityFields::default()
            };
            let id = d.get("_id").cloned().unwrap_or(Bson::Null);
            let mut set = doc! { "name_keys": names::name_keys(&fields) };
            if !d.contains_key(NAME_KEY) {
                set.insert(NAME_KEY, id.clone());
            }
            self.cities.update_one(doc! { "_id": id }, doc! { "$set": set }).await?;
        }
        if !docs.is_empty() {
            tracing::info!(cities = docs.len(), "cities given their name keys");
        }
        Ok(())
    }

    /// The pincodes of a city (deleted ones too), by code.
    pub async fn pincodes_of(&self, city_id: &str) -> mongodb::error::Result<Vec<Pincode>> {
        let docs: Vec<Document> =
            self.pincodes.find(doc! { "city_id": city_id }).sort(doc! { "_id": 1 }).await?.try_collect().await?;
        Ok(docs.iter().map(pincode_from_doc).collect())
    }
}

/// What the in-memory index keeps of a city.
fn indexed_city_fields() -> Document {
    doc! {
        "name": 1, "state": 1, "district": 1, "location": 1, "population": 1, "is_metro": 1, "deleted_at": 1,
        "alternate_names": 1,
    }
}

/// What the in-memory index keeps of a pincode.
fn indexed_pincode_fields() -> Document {
    doc! { "area_name": 1, "city_id": 1, "state": 1, "location": 1, "deleted_at": 1 }
}

/// The documents with these ids, by id: one `$in` (none for no ids), with only
/// the fields of `projection` when there is one.
pub(super) async fn documents_by_id(
    collection: &Collection<Document>,
    ids: &[impl AsRef<str>],
    projection: Option<Document>,
) -> mongodb::error::Result<HashMap<String, Document>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
    let mut options = mongodb::options::FindOptions::default();
    options.projection = projection;
    let found = collection.find(doc! { "_id": { "$in": ids } }).with_options(options);
    let docs: Vec<Document> = found.await?.try_collect().await?;
    Ok(docs.into_iter().filter_map(|d| Some((d.get_str("_id").ok()?.to_string(), d))).collect())
}
