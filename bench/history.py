"""The history benchmark's halves (see bench/history).

fill-history URI N
    Writes N synthetic history entries (ten actors, every type, one in twenty
    from an import job) over the cities already filled; prints JSON.
export BASE TOKEN PID URI
    Exports every city as CSV, sampling the server's memory meanwhile; then, as
    the baseline, reads the same collection whole with pymongo; prints JSON.
activity BASE TOKEN URI REPEAT
    The activity feed's first page, filtered and not, and a page deep in it,
    REPEAT times each; the baseline: the sorted query MongoDB would answer
    (a few times: each is a scan here); prints JSON.
revert BASE TOKEN CSV
    Imports the CSV through the API until every change is applied, then
    reverts that import until every change is applied; prints JSON.
section FILL EXPORT ACTIVITY REVERT
    Prints the Markdown section.
"""

import datetime
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import uuid

import pymongo

ACTORS = [f"ops{i}@geoledger.test" for i in range(8)] + ["token:etl", "cli:root"]
TYPES = ["city.updated.v1", "city.created.v1", "city.deleted.v1", "city.restored.v1", "pincode.upserted.v1"]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def ms(values):
    return f"p50 {percentile(values, 50) * 1000:.1f} ms, p95 {percentile(values, 95) * 1000:.1f} ms"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0])


def connect(base):
    url = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=600)


def call(base, token, method, path, body=None, content_type="application/json"):
    conn = connect(base)
    conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    res = conn.getresponse()
    text = res.read()
    return res.status, json.loads(text) if text else None


def fill_history(uri, n):
    db = pymongo.MongoClient(uri).get_default_database()
    history = db["history"]
    # GeoLedger's own indexes, made on the empty collection as a first start makes them: secantusd-rs
    # building one over a million entries retries on write conflicts for minutes (docs/operations.md).
    history.create_index([("entities", 1), ("time", -1)], name="entities_time")
    history.create_index([("import_job", 1)], name="import_job")
    ids = [d["_id"] for d in db["cities"].find({}, {"_id": 1}).limit(100_000)]
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    started = time.perf_counter()
    batch = []
    for i in range(n):
        subject = ids[i % len(ids)]
        event_type = TYPES[i % len(TYPES)]
        entry = {
            "_id": str(uuid.UUID(int=(i << 64) | 0x7000_8000_0000_0000)),
            "type": event_type,
            "subject": subject,
            "entities": [subject],
            "actor": ACTORS[i % len(ACTORS)],
            "time": start + datetime.timedelta(seconds=i * 3),
            "summary": f"{event_type} of {subject}",
            "changes": [{"field": "population", "before": i, "after": i + 1}],
            "_pos": {"p": i % 3, "o": i // 3},
            "topic": "bench.city-updates",
        }
        if i % 20 == 0:
            entry["import_job"] = f"job-{i // 20_000}"
        batch.append(entry)
        if len(batch) == 10_000:
            history.insert_many(batch, ordered=False)
            batch = []
    if batch:
        history.insert_many(batch, ordered=False)
    took = time.perf_counter() - started
    print(json.dumps({"entries": n, "insert_s": took}))


def export(base, token, pid, uri):
    before = rss_kb(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    conn = connect(base)
    started = time.perf_counter()
    conn.request("GET", "/api/v1/export/cities?format=csv", headers={"Authorization": f"Bearer {token}"})
    res = conn.getresponse()
    offsets = res.getheader("GeoLedger-Offsets")
    size, lines = 0, 0
    while True:
        chunk = res.read(1 << 16)
        if not chunk:
            break
        size += len(chunk)
        lines += chunk.count(b"\n")
    took = time.perf_counter() - started
    done.set()
    sampler.join()
    coll = pymongo.MongoClient(uri).get_default_database()["cities"]
    started = time.perf_counter()
    read = sum(1 for _ in coll.find({}).batch_size(10_000))
    baseline = time.perf_counter() - started
    print(json.dumps({
        "status": res.status, "rows": lines - 1, "bytes": size, "export_s": took, "offsets": offsets,
        "rss_before_kb": before, "rss_peak_kb": peak[0], "baseline_rows": read, "baseline_s": baseline,
    }))


def activity(base, token, uri, repeat):
    conn = connect(base)
    headers = {"Authorization": f"Bearer {token}"}

    def timed(path, n=repeat):
        times, body = [], None
        for _ in range(n):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            res = conn.getresponse()
            body = json.loads(res.read())
            times.append(time.perf_counter() - started)
            assert res.status == 200, body
        return times, body

    first, page = timed("/api/v1/activity?limit=50")
    deep_cursor = None
    for _ in range(200):
        _, page = timed(f"/api/v1/activity?limit=200{'&before=' + deep_cursor if deep_cursor else ''}", 1)
        deep_cursor = page["next_cursor"]
    deep, _ = timed(f"/api/v1/activity?limit=50&before={deep_cursor}")
    actor, _ = timed("/api/v1/activity?limit=50&actor=cli:root")
    kind, _ = timed("/api/v1/activity?limit=50&type=pincode")
    job, body = timed("/api/v1/activity?limit=50&job=job-0")
    history = pymongo.MongoClient(uri).get_default_database()["history"]
    baseline = []
    for _ in range(5):
        started = time.perf_counter()
        list(history.find({}).sort([("time", -1), ("_id", -1)]).limit(50))
        baseline.append(time.perf_counter() - started)
    print(json.dumps({
        "entries": history.estimated_document_count(), "first": first, "deep": deep, "actor": actor,
        "kind": kind, "job": job, "job_entries": len(body["entries"]), "baseline": baseline,
    }))


def wait_job(base, token, job_id):
    while True:
        status, report = call(base, token, "GET", f"/api/v1/imports/{job_id}")
        job = report["job"]
        if job["status"] not in ("running", "applying"):
            return job
        time.sleep(0.25)


def revert(base, token, csv_path):
    with open(csv_path, "rb") as f:
        body = f.read()
    started = time.perf_counter()
    status, job = call(base, token, "POST", "/api/v1/imports?file_name=bench.csv", body, "text/csv")
    assert status == 202, job
    imported = wait_job(base, token, job["id"])
    import_s = time.perf_counter() - started
    started = time.perf_counter()
    status, job = call(base, token, "POST", f"/api/v1/imports/{imported['id']}/revert", b"{}")
    assert status == 202, job
    reverted = wait_job(base, token, job["id"])
    revert_s = time.perf_counter() - started
    print(json.dumps({"import": imported, "import_s": import_s, "revert": reverted, "revert_s": revert_s}))


def section(fill_json, export_json, activity_json, revert_json):
    fill = json.load(open(fill_json))
    ex = json.load(open(export_json))
    act = json.load(open(activity_json))
    rev = json.load(open(revert_json))
    growth = (ex["rss_peak_kb"] - ex["rss_before_kb"]) / 1024
    imported, reverted = rev["import"]["changes"], rev["revert"]["changes"]
    print("## History: exports, the activity feed, reverting an import (`bench/history`)")
    print()
    print(f"{ex['rows']:,} cities and {act['entries']:,} history entries ({fill['entries']:,} written by pymongo "
          f"in {fill['insert_s']:.0f} s) in one store; a release server. Targets: the CSV export of 600,000 "
          "cities ≤ 10 s with the server's memory growing by ≤ 50 MB; the feed's first page p95 ≤ 20 ms "
          "with a million entries.")
    print()
    print("| measure | GeoLedger | baseline, same run |")
    print("| --- | --- | --- |")
    print(f"| export, every city as CSV | {ex['export_s']:.1f} s, {ex['rows']:,} rows, "
          f"{ex['bytes'] / 1e6:.0f} MB; memory {ex['rss_before_kb'] / 1024:.0f} MB → peak "
          f"{ex['rss_peak_kb'] / 1024:.0f} MB (+{growth:.0f} MB) | pymongo reading the collection whole: "
          f"{ex['baseline_s']:.1f} s ({ex['baseline_s'] / ex['export_s']:.2f} × the export's time) |")
    base = ms(act["baseline"])
    print(f"| activity, first page (50) | {ms(act['first'])} | the sorted query: {base} |")
    print(f"| activity, a page 40,000 entries back | {ms(act['deep'])} | – |")
    print(f"| activity, by actor (1 in 10) | {ms(act['actor'])} | – |")
    print(f"| activity, by kind (pincode, 1 in 5) | {ms(act['kind'])} | – |")
    print(f"| activity, by import job (1,000 of a million) | {ms(act['job'])} | – |")
    print(f"| import of {imported['published']:,} cities, to applied | {rev['import_s']:.1f} s | – |")
    print(f"| its revert, to applied ({reverted['published']:,} soft deletes) | {rev['revert_s']:.1f} s "
          f"({rev['revert_s'] / rev['import_s']:.2f} × the import) | the import beside it |")
    print()


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "fill-history":
        fill_history(args[0], int(args[1]))
    elif command == "export":
        export(args[0], args[1], int(args[2]), args[3])
    elif command == "activity":
        activity(args[0], args[1], args[2], int(args[3]))
    elif command == "revert":
        revert(args[0], args[1], args[2])
    elif command == "section":
        section(*args)
    else:
        sys.exit(f"unknown command {command}")
