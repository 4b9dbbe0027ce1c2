#!/usr/bin/env python3
"""Writes public/geo/south-asia.geojson: India and the countries around it, from
Natural Earth's 1:50m countries (public domain) as npm world-atlas 2.0.2 ships
them (TopoJSON), for the map to draw when it has no tiles. Run once; the output
is committed:

  npm pack world-atlas@2.0.2 && tar -xzf world-atlas-2.0.2.tgz package/countries-50m.json
  python3 scripts/open-data/outline.py package/countries-50m.json public/geo/south-asia.geojson

The boundaries are Natural Earth's de facto ones, not an official map of India.
"""
import json
import sys

# What a map of India shows around it: west, south, east, north, in degrees.
AROUND = (50.0, -12.0, 112.0, 50.0)


def decode_arcs(topology):
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs, indexes):
    points = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(arc if not points else arc[1:])
    rounded = []
    for x, y in points:
        p = [round(x, 3), round(y, 3)]
        if not rounded or rounded[-1] != p:
            rounded.append(p)
    return rounded


def polygons(geometry, arcs):
    if geometry["type"] == "Polygon":
        return [[ring(arcs, r) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring(arcs, r) for r in polygon] for polygon in geometry["arcs"]]
    return []


def near(polys):
    xs = [p[0] for poly in polys for r in poly for p in r]
    ys = [p[1] for poly in polys for r in poly for p in r]
    w, s, e, n = AROUND
    return xs and min(xs) < e and max(xs) > w and min(ys) < n and max(ys) > s


def main(source, target):
    with open(source, encoding="utf-8") as f:
        topology = json.load(f)
    arcs = decode_arcs(topology)
    features = []
    for g in topology["objects"]["countries"]["geometries"]:
        # Only the parts near India (France and Russia reach far).
        polys = [poly for poly in polygons(g, arcs) if near([poly])]
        if not polys:
            continue
        name = g["properties"]["name"]
        features.append({
            "type": "Feature",
            "properties": {"name": name, "india": name == "India"},
            "geometry": {"type": "MultiPolygon", "coordinates": polys},
        })
    features.sort(key=lambda f: (f["properties"]["india"], f["properties"]["name"]))
    collection = {
        "type": "FeatureCollection",
        "attribution": "Natural Earth (public domain), via world-atlas 2.0.2",
        "features": features,
    }
    with open(target, "w", encoding="utf-8") as out:
        json.dump(collection, out, separators=(",", ":"))
    print(f"{target}: {len(features)} countries", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
