#!/usr/bin/env python3
"""Replays the flood of issue 12 against a running server on 127.0.0.1.

Start the product with `make run` (demo data), then in another terminal:

    python3 scripts/attack.py               # http://127.0.0.1:3000
    python3 scripts/attack.py http://127.0.0.1:3300

It sends, as an anonymous phone would (no session):
  1. one rating dated a year back to window W02 (expected: 200; the server
     dates web ratings itself, so the month it lands in is today's);
  2. one batch of 500 bad ratings (expected: 422, too many in one batch);
  3. 400 batches of 5 bad ratings to window W01 as fast as it can
     (expected: 2 accepted, the rest 429 with Retry-After; the address is
     then refused everywhere for a minute).
Bounded: 402 requests, 127.0.0.1 only. Standard library only.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlparse

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000"
if urlparse(BASE).hostname not in ("127.0.0.1", "localhost"):
    sys.exit("attack.py talks to 127.0.0.1 only")


def uuid7():
    ms = int(time.time() * 1000)
    r = bytearray(os.urandom(16))
    r[0:6] = ms.to_bytes(6, "big")
    r[6] = 0x70 | (r[6] & 0x0F)
    r[8] = 0x80 | (r[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(r)))


def req(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(
        BASE + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def device(path):
    return json.loads(req("GET", path)[2])["device"]


def rating(d, at=None):
    return {
        "id": uuid7(),
        "device_id": d["device_id"],
        "seq": 1,
        "device_time": at or int(time.time() * 1000),
        "channel": "qr_static",
        "place_id": d["place_id"],
        "window_id": d["window_id"],
        "level": "very_dissatisfied",
        "dimension_set": d["dimension_set"],
        "items": [],
        "reasons": ["attitude"],
        "comment": "刷",
    }


def batch(d, n, at=None):
    now = int(time.time() * 1000)
    return {"device_id": d["device_id"], "sent_at": at or now, "items": [rating(d, at) for _ in range(n)]}


w02 = device("/api/v1/rate/place/HALL-DC/W02")
year_ago = int(time.time() * 1000) - 365 * 86_400_000
s, _, _ = req("POST", "/api/v1/sync", batch(w02, 1, year_ago))
print("a rating dated a year back:", s)

w01 = device("/api/v1/rate/place/HALL-DC/W01")
t0 = time.time()
s, _, b = req("POST", "/api/v1/sync", batch(w01, 500))
print("500 in one batch:", s, json.loads(b).get("error", {}).get("code"))

codes, retry_after = [], None
for _ in range(400):
    s, h, _ = req("POST", "/api/v1/sync", batch(w01, 5))
    codes.append(s)
    retry_after = h.get("Retry-After") or retry_after
print(
    "400 batches of 5 to window W01:",
    {c: codes.count(c) for c in sorted(set(codes))},
    "in",
    round(time.time() - t0, 2),
    "s; Retry-After",
    retry_after,
)

