"""The synthetic import benchmark's file and store baselines (see bench/import-synthetic).

csv CITIES_CSV N OUT
    Writes N synthetic cities (synthetic.py) as a GeoLedger cities CSV.
insert URI CITIES_CSV N
    Baseline (b): pymongo insert_many of the same N cities, as the read model keeps
    them, 1,000 at a time, into a fresh collection with the cities' unique name
    index. Prints documents per second.
one-by-one URI CITIES_CSV N
    Baseline (c): the same cities written the way the seed's materializer applied
    events: one update_one per event, an upsert behind the event's position guard
    (server/src/store/apply.rs), each awaited before the next. Prints events per
    second.
"""

import csv
import datetime
import sys
import time

import pymongo

from synthetic import Cities, city_document


def write_csv(cities_csv, n, out):
    cities = Cities(cities_csv)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["city_name", "state", "district", "latitude", "longitude", "population"])
        for i in range(n):
            _, name, state, lat, lon, population = cities.city(i)
            w.writerow([name, state, "", lat, lon, population])


def fresh(uri, name):
    coll = pymongo.MongoClient(uri).get_default_database()[name]
    coll.drop()
    coll.create_index([("name_key", 1)], name="name_key", unique=True)
    return coll


def documents(cities_csv, n):
    cities, now = Cities(cities_csv), datetime.datetime.now(datetime.timezone.utc)
    return [city_document(cities.city(i), now) for i in range(n)]


def insert(uri, cities_csv, n):
    docs, coll = documents(cities_csv, n), fresh(uri, "raw_cities")
    started = time.perf_counter()
    for i in range(0, n, 1000):
        coll.insert_many(docs[i:i + 1000], ordered=False)
    print(f"{n / (time.perf_counter() - started):.0f}")
    coll.drop()


def one_by_one(uri, cities_csv, n):
    docs, coll = documents(cities_csv, n), fresh(uri, "raw_cities_one_by_one")
    started = time.perf_counter()
    for offset, d in enumerate(docs):
        key, created = d.pop("_id"), d.pop("created_at")
        guard = {"$or": [{"_pos": {"$exists": False}}, {"_pos.p": {"$ne": 0}}, {"_pos.o": {"$lt": offset}}]}
        d["_pos"] = {"p": 0, "o": offset}
        coll.update_one({"$and": [{"_id": key}, guard]},
                        {"$set": d, "$setOnInsert": {"created_at": created}}, upsert=True)
    print(f"{n / (time.perf_counter() - started):.0f}")
    coll.drop()


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "csv":
        write_csv(args[0], int(args[1]), args[2])
    elif command == "insert":
        insert(args[0], args[1], int(args[2]))
    elif command == "one-by-one":
        one_by_one(args[0], args[1], int(args[2]))
    else:
        sys.exit(f"unknown command {command}")
