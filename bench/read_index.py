"""The read-index benchmark's two halves (see bench/read-index).

fill URI CITIES_CSV N_CITIES N_PINCODES
    Writes synthetic cities (each with one alternate name, "<name> Purana") and
    pincodes into the read model, with the indexes the seed's store queries had,
    then runs those queries (the baseline) on it; prints what it measured as JSON.
measure URI BASE TOKEN PID READY_S REPEAT FILL_JSON
    Asks the server the same questions, REPEAT times each; prints the Markdown
    section's rows as JSON (the last rows wait for `without`).
strip URI
    Takes every city's alternate names away (the store only), for a second start.
without PID ROWS_JSON
    Adds the memory the alternate names took (this server's RSS against the first's)
    and prints the Markdown section.
"""

import datetime
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

import pymongo

from synthetic import Cities, city_document, slug

# (label, box west,south,east,north, zoom): a view of the country, a state, a district.
VIEWS = [
    ("country", (68.0, 6.0, 98.0, 37.0), 5),
    ("state (Rajasthan)", (69.5, 23.0, 78.5, 30.2), 7),
    ("district (Jaipur)", (75.6, 26.7, 76.1, 27.1), 10),
]
PREFIXES = ["ram", "san", "kal", "sha", "ba", "m", "nag", "pur", "dev", "har"]


def ms(seconds):
    return seconds * 1000.0


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def fill(uri, cities_csv, n_cities, n_pincodes):
    synthetic = Cities(cities_csv)
    rng = synthetic.rng
    db = pymongo.MongoClient(uri).get_default_database()
    cities, pincodes = db["cities"], db["pincodes"]
    for coll in (cities, pincodes, db["history"]):
        coll.drop()
    # The indexes the seed's queries had (a real MongoDB would use them).
    cities.create_index([("name_key", 1)], name="name_key", unique=True)
    # GeoLedger's own, made here on the empty collection as a first start makes it: secantusd-rs
    # building it over 600,000 documents retried on write conflicts for minutes (see docs/operations.md).
    cities.create_index([("name_keys", 1)], name="name_keys")
    cities.create_index([("location", "2dsphere")], name="location_2dsphere")
    cities.create_index([("name", 1)], name="name_ci", collation={"locale": "en", "strength": 2})
    pincodes.create_index([("location", "2dsphere")], name="location_2dsphere")
    pincodes.create_index([("city_id", 1)], name="city_id")
    now = datetime.datetime.now(datetime.timezone.utc)

    started = time.perf_counter()
    batch = []
    for i in range(n_cities):
        city = synthetic.city(i)
        batch.append(city_document(city, now, [f"{city[1]} Purana"]))
        if len(batch) == 10_000:
            cities.insert_many(batch, ordered=False)
            batch = []
    if batch:
        cities.insert_many(batch, ordered=False)
    insert_s = time.perf_counter() - started
    docs = []
    for i in range(n_pincodes):
        name, state, lat, lon = synthetic.place(i)
        docs.append({"_id": str(110000 + i * 37 % 880000), "city_id": f"{slug(state)}/{slug(name)}",
                     "city_name": name, "state": state, "area_name": f"Office {i}",
                     "location": {"type": "Point", "coordinates": [lon + rng.uniform(-0.1, 0.1),
                                                                   lat + rng.uniform(-0.1, 0.1)]},
                     "offices": [], "created_at": now, "updated_at": now, "deleted_at": None})
    pincodes.insert_many(docs, ordered=False)

    # The baseline: the store queries the seed ran for the same answers (a few runs: each scans).
    baseline = {}
    for label, (w, s, e, n), _ in VIEWS:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            list(cities.find({"location": {"$geoWithin": {"$box": [[w, s], [e, n]]}}, "deleted_at": None})
                 .sort([("population", -1), ("_id", 1)]).limit(1000))
            times.append(time.perf_counter() - t)
        baseline[label] = times
    times = []
    for prefix in PREFIXES[:3]:
        t = time.perf_counter()
        list(cities.find({"name": {"$regex": f"^{prefix}", "$options": "i"}, "deleted_at": None})
             .sort("_id", 1).limit(50))
        times.append(time.perf_counter() - t)
    baseline["search"] = times
    # The nearest pincode and city, as a store answers it: $near on the 2dsphere indexes.
    for coll, label in ((pincodes, "nearest pincode"), (cities, "nearest city")):
        times = []
        for lat, lon in india_points(random.Random(7), 3):
            t = time.perf_counter()
            near = {"$near": {"$geometry": {"type": "Point", "coordinates": [lon, lat]}}}
            list(coll.find({"location": near, "deleted_at": None}).limit(1))
            times.append(time.perf_counter() - t)
        baseline[label] = times
    json.dump({"cities": n_cities, "pincodes": n_pincodes, "insert_s": insert_s, "baseline": baseline}, sys.stdout)


def india_points(rng, n):
    """n places anywhere in India's box (its edges, the sea and the neighbours too)."""
    return [(round(rng.uniform(6.0, 37.6), 5), round(rng.uniform(68.0, 97.5), 5)) for _ in range(n)]


class Client:
    def __init__(self, base, token):
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, gzip_ok=False, body=None):
        headers = dict(self.headers)
        if gzip_ok:
            headers["Accept-Encoding"] = "gzip"
        if body is not None:
            headers["Content-Type"] = "application/json"
        t = time.perf_counter()
        self.conn.request("GET" if body is None else "POST", path, body=body, headers=headers)
        r = self.conn.getresponse()
        body = r.read()
        took = time.perf_counter() - t
        if r.status != 200:
            raise SystemExit(f"GET {path}: {r.status} {body[:300]!r}")
        return took, body, r.getheader("Content-Encoding")


def rss_kb(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def measure(uri, base, token, pid, ready_s, repeat, fill_json):
    filled = json.load(open(fill_json))
    # At ready, before any request: what the second start (without alternate names) is compared with.
    at_ready, _ = rss_kb(pid)
    api = Client(base, token)
    rows = []

    def timed(path, n=repeat):
        times, body = [], b""
        for _ in range(n):
            took, body, _ = api.get(path)
            times.append(took)
        return times, body

    def cell(times):
        return f"p50 {ms(statistics.median(times)):.1f} ms, p95 {ms(percentile(times, 95)):.1f} ms"

    for label, (w, s, e, n), zoom in VIEWS:
        path = f"/api/v1/map?bbox={w},{s},{e},{n}&zoom={zoom}"
        times, body = timed(path)
        view = json.loads(body)
        features = sum(len(view[k]["clusters"]) + len(view[k]["points"]) for k in ("cities", "pincodes"))
        _, zipped, encoding = api.get(path, gzip_ok=True)
        assert encoding == "gzip", encoding
        what = f"{features} features, {len(body) / 1024:.0f} KB ({len(zipped) / 1024:.0f} KB gzip)"
        rows.append((f"map, {label}, zoom {zoom}", f"{cell(times)}; {what}", cell(filled["baseline"][label])))
    pin_path = "/api/v1/map?bbox=77.0,28.4,77.4,28.8&zoom=11"
    times, body = timed(pin_path)
    view = json.loads(body)
    rows.append(("map, Delhi with pincodes, zoom 11",
                 f"{cell(times)}; {view['pincodes']['in_view']} pincodes in view", "–"))
    times = []
    for i in range(repeat):
        took, _, _ = api.get(f"/api/v1/cities?q={PREFIXES[i % len(PREFIXES)]}&limit=50")
        times.append(took)
    rows.append(("name search, first 50 by prefix", cell(times), cell(filled["baseline"]["search"])))
    times, cursor = [], None
    for _ in range(repeat):
        path = "/api/v1/cities?limit=50" + (f"&cursor={urllib.parse.quote(cursor, safe='')}" if cursor else "")
        took, body, _ = api.get(path)
        times.append(took)
        cursor = json.loads(body)["next_cursor"]
    rows.append(("city list, 50 a page, following the cursor", cell(times), "–"))
    times = []
    for i in range(repeat):
        took, _, _ = api.get(f"/api/v1/cities?q={PREFIXES[i % len(PREFIXES)]}%20purana&limit=50")
        times.append(took)
    rows.append(("name search by an alternate name", cell(times), "–"))
    rng = random.Random(11)
    times = []
    for lat, lon in india_points(rng, repeat):
        took, _, _ = api.get(f"/api/v1/lookup/nearest?lat={lat}&lon={lon}")
        times.append(took)
    rows.append(("nearest pincode and city, anywhere in India", cell(times), cell(filled["baseline"]["nearest pincode"])
                 + " (pincode); " + cell(filled["baseline"]["nearest city"]) + " (city)"))
    times = []
    for _ in range(max(5, repeat // 10)):
        points = [{"lat": lat, "lon": lon} for lat, lon in india_points(rng, 1000)]
        took, body, _ = api.get("/api/v1/lookup/nearest", body=json.dumps({"points": points}))
        assert len(json.loads(body)["results"]) == 1000
        times.append(took)
    rows.append(("nearest for a batch of 1,000 places", cell(times), "–"))
    times = []
    words = PREFIXES + ["1100", "4000", "56", "maha", "tamil"]
    for i in range(repeat):
        took, _, _ = api.get(f"/api/v1/lookup?q={words[i % len(words)]}")
        times.append(took)
    rows.append(("search box (states, pincodes, cities by any name)", cell(times), "–"))
    rss, peak = rss_kb(pid)
    rows.append(("memory (RSS) with every index loaded", f"{rss / 1024:.0f} MB (peak {peak / 1024:.0f} MB)", "–"))
    rows.append((f"start-up to ready, {filled['cities']:,} cities", f"{ready_s} s", "–"))
    rows.append(("raw insert_many of the cities (pymongo)", f"{filled['cities'] / filled['insert_s']:.0f} docs/s", "–"))
    json.dump({"rows": rows, "rss_kb": at_ready, "cities": filled["cities"], "pincodes": filled["pincodes"],
               "repeat": repeat}, sys.stdout)


def strip(uri):
    db = pymongo.MongoClient(uri).get_default_database()
    cities = db["cities"]
    batch = []
    for d in cities.find({}, {"_id": 1, "name_keys": 1}):
        batch.append(pymongo.UpdateOne({"_id": d["_id"]}, {"$set": {"alternate_names": [],
                                                                    "name_keys": d["name_keys"][:1]}}))
        if len(batch) == 10_000:
            cities.bulk_write(batch, ordered=False)
            batch = []
    if batch:
        cities.bulk_write(batch, ordered=False)


def without(pid, rows_json):
    measured = json.load(open(rows_json))
    rows = measured["rows"]
    rss, _ = rss_kb(pid)
    per_city = (measured["rss_kb"] - rss) * 1024 / measured["cities"]
    rows.insert(-2, ("memory for alternate names (RSS at ready, with and without)", f"{per_city:.0f} bytes a "
                     f"city with one ({measured['rss_kb'] / 1024:.0f} MB with, {rss / 1024:.0f} MB without)", "–"))
    print(f"## Map, search and lookups from the read indexes (`bench/read-index`)\n")
    print(f"{measured['cities']:,} synthetic cities (each with one alternate name) and {measured['pincodes']:,} "
          f"pincodes in the store; {measured['repeat']} requests per measure (a tenth of that for batches) to a "
          "release server over one kept-alive connection, from random places in India's box for the lookups. "
          "Beside each, the store query the seed ran for the same answer (pymongo, same store, same run, "
          "3 runs: each one scans; `$near` on the 2dsphere indexes for the nearest).\n")
    print("| measure | GeoLedger | the seed's store query |")
    print("| --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print()


if __name__ == "__main__":
    if sys.argv[1] == "fill":
        fill(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], int(sys.argv[7]), sys.argv[8])
    elif sys.argv[1] == "strip":
        strip(sys.argv[2])
    else:
        without(int(sys.argv[2]), sys.argv[3])
