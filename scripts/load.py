#!/usr/bin/env python3
"""Load tool (issue 15): enrols N kiosks on a running server and has them
sync back to back for a while, as devices do after a network outage.

    scripts/load.py --url http://127.0.0.1:3000 --devices 200 --seconds 20

Standard library only; talks to 127.0.0.1 only (refuses anything else);
bounded in devices (<= 1000), time (<= 300 s) and batch size. The server
must allow enrolment from one address (HCP_LIMIT_ENROL_ADDRESS=0) and know
the demo accounts (HCP_DEMO=1, the password in --password). Prints
`BENCH <name> <value> <unit>` lines: latency percentiles, ratings/s,
errors (any answer that is not 200, split 4xx / 5xx / transport), and the
server's resident memory when its pid is given (--pid).
"""

import argparse
import http.client
import json
import os
import threading
import time
import urllib.parse
import uuid

DEMO_ADMIN = "admin"


def request(conn, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = {"content-type": "application/json"} if data is not None else {}
    h.update(headers or {})
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    raw = r.read()
    return r.status, r.getheaders(), raw


def sign_in(host, port, password):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    status, headers, raw = request(
        conn, "POST", "/api/v1/staff/login", {"username": DEMO_ADMIN, "password": password}
    )
    if status != 200:
        raise SystemExit(f"sign-in as {DEMO_ADMIN}: {status} {raw[:200]!r}")
    cookies = "; ".join(
        v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"
    )
    csrf = json.loads(raw)["csrf_token"]
    return conn, {"cookie": cookies, "x-csrf-token": csrf}


def enrol(host, port, password, n, place, run, notices):
    conn, auth = sign_in(host, port, password)
    if notices:
        # As in a deployed hall: its administrator is told of each bad
        # rating at once, by SMS (the outbox), so ticket notices are part
        # of the load.
        status, _, raw = request(
            conn, "PUT", "/api/v1/staff/settings",
            {"phone": "13800000000", "notify": "instant"}, auth,
        )
        if status != 200:
            raise SystemExit(f"notice settings: {status} {raw[:200]!r}")
    devices = []
    for i in range(n):
        code = f"KIOSK-LOAD-{run}-{i:04d}"
        status, _, raw = request(
            conn, "POST", "/api/v1/admin/devices",
            {"code": code, "kind": "kiosk", "place_code": place}, auth,
        )
        if status not in (200, 201):
            raise SystemExit(f"registering {code}: {status} {raw[:200]!r}")
        enrol_code = json.loads(raw)["enrol_code"]
        c2 = http.client.HTTPConnection(host, port, timeout=30)
        status, _, raw = request(
            c2, "POST", "/api/v1/devices/enrol", {"device_code": code, "enrol_code": enrol_code}
        )
        c2.close()
        if status != 200:
            raise SystemExit(f"enrolling {code}: {status} {raw[:200]!r}")
        r = json.loads(raw)
        devices.append((r["config"], r["token"]))
    conn.close()
    return devices


def uuid7():
    """A UUIDv7, as devices make them (time-ordered)."""
    ms = int(time.time() * 1000)
    rnd = int.from_bytes(os.urandom(10), "big")
    n = (ms & ((1 << 48) - 1)) << 80
    n |= 0x7 << 76
    n |= ((rnd >> 62) & 0xFFF) << 64
    n |= 0b10 << 62
    n |= rnd & ((1 << 62) - 1)
    return str(uuid.UUID(int=n))


def rating(cfg, seq, bad, case_no):
    level = "dissatisfied" if bad else "satisfied"
    return {
        "id": uuid7(),
        "device_id": cfg["device_id"],
        "seq": seq,
        "device_time": int(time.time() * 1000),
        "channel": "kiosk",
        "place_id": cfg["place_id"],
        "level": level,
        "dimension_set": cfg.get("dimension_set", "basic3"),
        "items": [{"dimension": "attitude", "level": level}],
        "reasons": ["slow"] if bad else [],
        "comment": "等了一个小时" if bad else "",
        **({"case_no": case_no} if case_no else {}),
    }


def device_loop(host, port, cfg, token, until, per_batch, bad_every, cases, out, lock, trace=None):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    seq = 0
    lat, ok, e4, e5, et, rated = [], 0, 0, 0, 0, 0
    samples = []
    while time.monotonic() < until:
        items = []
        for _ in range(per_batch):
            seq += 1
            case_no = f"SP-LOAD-{cfg['device_id'][:8]}-{seq}" if cases else None
            items.append(rating(cfg, seq, bad_every and seq % bad_every == 0, case_no))
        body = {"device_id": cfg["device_id"], "sent_at": int(time.time() * 1000), "items": items}
        t0 = time.monotonic()
        try:
            status, _, raw = request(conn, "POST", "/api/v1/sync", body, {"authorization": f"Bearer {token}"})
        except (OSError, http.client.HTTPException):
            et += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
            continue
        lat.append(time.monotonic() - t0)
        if trace is not None:
            trace.append((t0, lat[-1]))
        if status == 200:
            ok += 1
            rated += per_batch
        elif status >= 500:
            e5 += 1
            if len(samples) < 3:
                samples.append(f"{status} {raw[:600].decode('utf-8', 'replace')}")
        else:
            e4 += 1
            if len(samples) < 3:
                samples.append(f"{status} {raw[:600].decode('utf-8', 'replace')}")
    conn.close()
    with lock:
        out["lat"].extend(lat)
        out["ok"] += ok
        out["e4"] += e4
        out["e5"] += e5
        out["et"] += et
        out["rated"] += rated
        out["samples"].extend(samples)


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def pct(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:3000")
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--batch", type=int, default=20, help="ratings per sync")
    ap.add_argument("--bad-every", type=int, default=10, help="one bad rating in this many (0: none)")
    ap.add_argument("--no-cases", action="store_true", help="ratings without a case number")
    ap.add_argument("--no-notices", action="store_true",
                    help="the hall's administrator asks for no SMS notices")
    ap.add_argument("--password", default=os.environ.get("HCP_DEMO_PASSWORD", ""))
    ap.add_argument("--place", default="HALL-DC")
    ap.add_argument("--name", default="sync", help="prefix of the BENCH names")
    ap.add_argument("--pid", type=int, help="the server's pid, for its memory")
    ap.add_argument("--trace", help="write each sync's start (s into the run) and latency (ms) to this CSV")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only: this tool never loads another machine")
    if not (1 <= a.devices <= 1000 and 0 < a.seconds <= 300 and 1 <= a.batch <= 500):
        raise SystemExit("bounds: 1..1000 devices, up to 300 s, 1..500 ratings a batch")
    host, port = u.hostname, u.port or 80
    run = uuid.uuid4().hex[:6]
    devices = enrol(host, port, a.password, a.devices, a.place, run, not a.no_notices)
    out = {"lat": [], "ok": 0, "e4": 0, "e5": 0, "et": 0, "rated": 0, "samples": []}
    trace = [] if a.trace else None
    lock = threading.Lock()
    start = time.monotonic()
    until = start + a.seconds
    threads = [
        threading.Thread(target=device_loop, args=(host, port, cfg, tok, until, a.batch, a.bad_every, not a.no_cases, out, lock, trace))
        for cfg, tok in devices
    ]
    for t in threads:
        t.start()
    peak = 0
    while any(t.is_alive() for t in threads):
        if a.pid:
            peak = max(peak, rss_kb(a.pid) or 0)
        time.sleep(0.2)
    elapsed = time.monotonic() - start
    if trace is not None:
        with open(a.trace, "w") as f:
            f.write("start_s,latency_ms\n")
            for t0, l in sorted(trace):
                f.write(f"{t0 - start:.3f},{l * 1000:.1f}\n")
    n = a.name
    ms = lambda s: f"{s * 1000:.0f}"
    print(f"BENCH {n}_{a.devices}dev_p50 {ms(pct(out['lat'], 50))} ms")
    print(f"BENCH {n}_{a.devices}dev_p95 {ms(pct(out['lat'], 95))} ms")
    print(f"BENCH {n}_{a.devices}dev_p99 {ms(pct(out['lat'], 99))} ms")
    print(f"BENCH {n}_{a.devices}dev_max {ms(max(out['lat'], default=0))} ms")
    print(f"BENCH {n}_{a.devices}dev_throughput {out['rated'] / elapsed:.0f} ratings/s")
    print(f"BENCH {n}_{a.devices}dev_batches {out['ok']} ok")
    print(f"BENCH {n}_{a.devices}dev_errors_5xx {out['e5']} count")
    print(f"BENCH {n}_{a.devices}dev_errors_4xx {out['e4']} count")
    print(f"BENCH {n}_{a.devices}dev_errors_transport {out['et']} count")
    if a.pid:
        print(f"BENCH {n}_{a.devices}dev_server_rss_peak {peak / 1024:.0f} MiB")
    for s in out["samples"][:3]:
        print(f"# e.g. {s}")


if __name__ == "__main__":
    main()
