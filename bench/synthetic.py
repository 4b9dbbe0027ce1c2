"""Synthetic cities for the benchmarks: India's 5,933 cities from the open data, each
repeated around its place (±0.25°) under numbered names ("Pune", "Pune 1", "Pune 2",
…), so that any number of them have unique ids and lie where India's cities lie.
Seeded: every run writes the same cities.

Used by read_index.py (written straight into the read model) and import_synthetic.py
(written as a CSV file that GeoLedger imports, and as the same documents for the
baselines).
"""

import csv
import random
import unicodedata


def slug(s):
    """GeoLedger's slug (app/src/domain): lower case, punctuation and spaces to one hyphen."""
    out, hyphen = [], False
    for c in s:
        keep = c.isalnum() if c.isascii() else not (c.isspace() or unicodedata.category(c).startswith("P"))
        if keep:
            if hyphen and out:
                out.append("-")
            hyphen = False
            out.append(c.lower())
        else:
            hyphen = True
    return "".join(out)


def fold(s):
    """Latin accents folded, as GeoLedger folds them when it matches a state."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


class Cities:
    """The i-th synthetic city, for i from 0 up: a name, its state, a place and a population."""

    def __init__(self, cities_csv, seed=42):
        with open(cities_csv, newline="", encoding="utf-8") as f:
            rows = [(fold(r["city_name"]), fold(r["state"]), float(r["latitude"]), float(r["longitude"]))
                    for r in csv.DictReader(f) if r["latitude"] and r["longitude"] and r["state"]]
        # One place per name in a state (the file repeats a few): ids are unique.
        self.places = list({(slug(r[1]), slug(r[0])): r for r in rows}.values())
        self.rng = random.Random(seed)

    def place(self, i):
        """(name, state, lat, lon) of the place the i-th city repeats."""
        return self.places[i % len(self.places)]

    def city(self, i):
        """(id, name, state, latitude, longitude, population) of the i-th city."""
        name, state, lat, lon = self.place(i)
        name = f"{name} {i // len(self.places)}" if i >= len(self.places) else name
        jitter = self.rng.uniform
        return (f"{slug(state)}/{slug(name)}", name, state, round(lat + jitter(-0.25, 0.25), 5),
                round(lon + jitter(-0.25, 0.25), 5), self.rng.randint(500, 5_000_000))


def search_key(name):
    """GeoLedger's search key (app/src/domain/fold.rs), for the ASCII names written here:
    lower case, runs of anything else one space."""
    return " ".join("".join(c if c.isalnum() else " " for c in fold(name).lower()).split())


def name_keys(state, names):
    """Every key a city is found by (app/src/domain/names.rs): its state's slug and each name folded."""
    keys = []
    for n in names:
        k = f"{slug(state)}/{search_key(n)}"
        if k not in keys:
            keys.append(k)
    return keys


def city_document(city, now, alternate_names=()):
    """A city as the read model keeps it (server/src/store/documents.rs)."""
    key, name, state, lat, lon, population = city
    return {"_id": key, "name": name, "name_key": key, "name_keys": name_keys(state, [name, *alternate_names]),
            "state": state, "district": None, "location": {"type": "Point", "coordinates": [lon, lat]},
            "is_metro": False, "is_capital": False, "population": population,
            "area_sq_km": None, "alternate_names": list(alternate_names), "metadata": {}, "pincodes": [],
            "created_at": now, "updated_at": now, "deleted_at": None}
