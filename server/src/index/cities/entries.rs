//! A city's entry in the index (what a listing needs to know of it, and
//! what the map draws), and the entries by slot.

use std::sync::Arc;

/// A city's place in `CityIndex::entries`.
pub(super) type Slot = u32;

/// What a listing needs to know of a city, and what the map draws.
pub(super) struct Entry {
    pub(super) id: Arc<str>,
    pub(super) name: Box<str>,
    pub(super) latitude: f64,
    pub(super) longitude: f64,
    /// Meaningful when `has_population` (kept apart: an `Option<u64>` would take 16 bytes).
    pub(super) population: u64,
    /// Its place in `CityIndex::districts`; `NO_DISTRICT` when it has none.
    pub(super) district: u32,
    /// Its place in `STATES`.
    pub(super) state: u8,
    pub(super) has_population: bool,
    pub(super) is_metro: bool,
    pub(super) deleted: bool,
}

pub(super) const NO_DISTRICT: u32 = u32::MAX;

impl Entry {
    pub(super) fn position(&self) -> (f64, f64) {
        (self.longitude, self.latitude)
    }

    pub(super) fn population(&self) -> Option<u64> {
        self.has_population.then_some(self.population)
    }

    pub(super) fn district(&self) -> Option<u32> {
        (self.district != NO_DISTRICT).then_some(self.district)
    }
}

/// The entries by slot, in chunks: they grow a chunk at a time (a vector
/// doubling by copy would hold both copies at once, 40 MB more at 600,000).
#[derive(Default)]
pub(super) struct Entries {
    chunks: Vec<Vec<Option<Entry>>>,
    len: usize,
}

/// Entries per chunk: 4,096 (about 300 KB).
const CHUNK_SHIFT: u32 = 12;

impl Entries {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Adds an entry at a new slot, its own.
    pub(super) fn push(&mut self, entry: Entry) -> Slot {
        if self.len >> CHUNK_SHIFT == self.chunks.len() {
            self.chunks.push(Vec::with_capacity(1 << CHUNK_SHIFT));
        }
        self.chunks[self.len >> CHUNK_SHIFT].push(Some(entry));
        self.len += 1;
        (self.len - 1) as Slot
    }

    pub(super) fn place(&mut self, slot: Slot) -> &mut Option<Entry> {
        let slot = slot as usize;
        &mut self.chunks[slot >> CHUNK_SHIFT][slot & ((1 << CHUNK_SHIFT) - 1)]
    }

    pub(super) fn get(&self, slot: Slot) -> Option<&Entry> {
        let slot = slot as usize;
        self.chunks.get(slot >> CHUNK_SHIFT)?.get(slot & ((1 << CHUNK_SHIFT) - 1))?.as_ref()
    }

    pub(super) fn take(&mut self, slot: Slot) -> Option<Entry> {
        self.place(slot).take()
    }

    pub(super) fn put(&mut self, slot: Slot, entry: Entry) {
        *self.place(slot) = Some(entry);
    }
}
