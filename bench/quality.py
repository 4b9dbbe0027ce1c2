"""The quality benchmark's measuring halves (see bench/quality).

changes BASE TOKEN N
    Moves N cities and N pincodes through the REST API one at a time (a city by
    a few hundred metres, a pincode to its city's point or 80 km north of it),
    each after the last was applied, so each is one batch of the materializer.
list BASE TOKEN REPEAT
    Asks for pages of findings (no filter, by rule, by state, by rule and state,
    accepted) and, as the baseline, pages of cities from the index; prints JSON.
evaluations LOG
    Reads a server's JSON log: the start-up (index loaded, findings evaluated)
    and each change's re-evaluation; prints JSON.
open-data BASE TOKEN
    The findings the open data opens, per rule, with examples; prints JSON.
section FILL_JSON EVAL_JSON LIST_JSON MEMORY_JSON OPEN_JSON
    Prints the Markdown section.
"""

import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

RULES = [
    "pincode_far_from_city",
    "pincode_state_mismatch",
    "possible_duplicate_city",
    "city_outside_state",
    "pincode_unlocated",
    "city_without_pincodes",
    "shared_coordinates",
]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


class Api:
    def __init__(self, base, token):
        url = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=self.headers)
        res = self.conn.getresponse()
        text = res.read()
        took = time.perf_counter() - started
        return res.status, (json.loads(text) if text else None), took


def changes(base, token, n):
    api = Api(base, token)
    rng = random.Random(7)
    _, page, _ = api.call("GET", "/api/v1/cities?limit=500&state=Rajasthan")
    cities = page["cities"]
    moved = 0
    for i in range(n):
        c = cities[i % len(cities)]
        lat = round(c["latitude"] + rng.uniform(-0.004, 0.004), 6)
        path = "/api/v1/location-updates/cities/{}/{}".format(
            urllib.parse.quote(c["name"]), urllib.parse.quote(c["state"]))
        status, _, _ = api.call("PUT", path, {"latitude": lat})
        if status == 202:
            moved += 1
        wait_applied(api, path.replace("/location-updates", ""), lambda b: abs(b["latitude"] - lat) < 1e-9)
    for i in range(n):
        c = cities[i % len(cities)]
        far = i % 2 == 0
        code = f"3{i:05d}"
        lat = c["latitude"] + (0.72 if far else 0.0)
        body = {"pincode": code, "city_name": c["name"], "state": c["state"],
                "latitude": round(min(lat, 37.0), 6), "longitude": c["longitude"]}
        status, _, _ = api.call("POST", "/api/v1/location-updates/pincodes", body)
        if status == 202:
            moved += 1
        wait_applied(api, f"/api/v1/pincodes/{code}", lambda b: abs(b["latitude"] - body["latitude"]) < 1e-9)
    print(json.dumps({"changes": moved}))


def wait_applied(api, path, ok, limit=30.0):
    started = time.time()
    while time.time() - started < limit:
        status, body, _ = api.call("GET", path)
        if status == 200 and ok(body):
            return
        time.sleep(0.01)
    raise SystemExit(f"{path} was not applied within {limit} s")


def listing(base, token, repeat):
    api = Api(base, token)
    asks = {
        "every rule": "/api/v1/quality/findings?limit=50",
        "one rule": "/api/v1/quality/findings?limit=50&rule=possible_duplicate_city",
        "one state": "/api/v1/quality/findings?limit=50&state=Kerala",
        "rule and state": "/api/v1/quality/findings?limit=50&rule=city_without_pincodes&state=Goa",
        "accepted": "/api/v1/quality/findings?limit=50&status=accepted",
        "the counts": "/api/v1/quality",
        "baseline: cities by id (the index)": "/api/v1/cities?limit=50",
    }
    out = {}
    for label, path in asks.items():
        took = []
        for _ in range(repeat):
            status, _, t = api.call("GET", path)
            assert status == 200, (path, status)
            took.append(t * 1000.0)
        out[label] = {"p50": statistics.median(took), "p95": percentile(took, 95)}
    print(json.dumps(out))


def evaluations(log):
    loaded = evaluated = None
    each = []
    findings = None
    with open(log, encoding="utf-8") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            fields = entry
            message = fields.get("message", "")
            if message == "read index loaded":
                loaded = fields["secs"]
            elif message == "quality findings evaluated":
                evaluated, findings = fields["secs"], fields["findings"]
            elif message == "quality findings evaluated again" and fields.get("changes", 0) > 0:
                each.append(fields["micros"] / 1000.0)
    print(json.dumps({"loaded_s": loaded, "evaluated_s": evaluated, "findings": findings,
                      "each_p50": statistics.median(each) if each else None,
                      "each_p95": percentile(each, 95) if each else None, "each_n": len(each)}))


def open_data(base, token):
    api = Api(base, token)
    _, summary, _ = api.call("GET", "/api/v1/quality")
    examples = {}
    for rule in RULES:
        _, page, _ = api.call("GET", f"/api/v1/quality/findings?limit=6&rule={rule}")
        examples[rule] = [(f["message"], f["latitude"], f["longitude"]) for f in page["findings"]]
    print(json.dumps({"summary": summary, "examples": examples}))


def section(fill_json, eval_json, list_json, memory_json, open_json):
    fill = json.load(open(fill_json))
    ev = json.load(open(eval_json))
    lists = json.load(open(list_json))
    memory = json.load(open(memory_json))
    opened = json.load(open(open_json))
    out = []
    out.append("## Quality findings\n")
    out.append(f"{fill['cities']:,} synthetic cities and {fill['pincodes']:,} pincodes (bench/read_index.py fill), "
               "a release server with India's state boundaries; every rule on.\n")
    out.append("| measure | quality | baseline, same run |")
    out.append("| --- | --- | --- |")
    # "read index loaded" times the whole load, the evaluation at its end included.
    out.append(f"| full evaluation at start | {ev['evaluated_s']:.1f} s, {ev['findings']:,} findings | "
               f"reading the cities and pincodes into the index: {ev['loaded_s'] - ev['evaluated_s']:.1f} s |")
    out.append(f"| one change's re-evaluation ({ev['each_n']} changes, one a batch) | p50 {ev['each_p50']:.2f} ms, "
               f"p95 {ev['each_p95']:.2f} ms | |")
    base = lists["baseline: cities by id (the index)"]
    for label, t in lists.items():
        if label.startswith("baseline"):
            continue
        what = label if label == "the counts" else f"a page of 50: {label}"
        out.append(f"| {what} | p50 {t['p50']:.1f} ms, p95 {t['p95']:.1f} ms | "
                   f"a page of 50 cities by id: p50 {base['p50']:.1f} ms, p95 {base['p95']:.1f} ms |")
    per = (memory["on_kb"] - memory["off_kb"]) * 1024 / max(ev["findings"], 1)
    out.append(f"| memory per finding | {per:.0f} B ({memory['on_kb'] / 1024:.0f} MB resident with every rule on) | "
               f"{memory['off_kb'] / 1024:.0f} MB with every rule off (GEOLEDGER_QUALITY_OFF) |")
    out.append("")
    out.append("On the open data (India's 5,933 cities, then India Post's directory), every rule on:\n")
    out.append("| rule | open findings |")
    out.append("| --- | --- |")
    for r in opened["summary"]["rules"]:
        out.append(f"| `{r['id']}` | {r['open']:,} |")
    out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "changes":
        changes(args[0], args[1], int(args[2]))
    elif cmd == "list":
        listing(args[0], args[1], int(args[2]))
    elif cmd == "evaluations":
        evaluations(args[0])
    elif cmd == "open-data":
        open_data(args[0], args[1])
    elif cmd == "section":
        section(*args)
    else:
        raise SystemExit(__doc__)
