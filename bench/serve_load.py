#!/usr/bin/env python3
"""bench/serve_load.py URL SWEEP_ID [CLIENTS] [INTERVAL] [SECONDS] [PID]: wb serve under the load
of CLIENTS open sweep pages (default 100), each doing what the page's script does every INTERVAL
seconds (default 2) for SECONDS (default 60), and for as long as process PID lives when given (a
sweep that takes longer): GET /api/state with the ETag it has; when that changed, GET
/api/sweep/ID with its ETag. Each client keeps its own HTTP/1.1 connection (as a
browser tab does) and starts at a random phase. Prints one JSON object: requests, errors (any
status but 200 and 304, or a failed connection), statuses, and latency percentiles in ms.
Standard library only; a benchmark, never run by make test."""
import http.client
import json
import os
import random
import sys
import threading
import time
from urllib.parse import urlsplit


def client(host, port, sweep, interval, stop, out, seed):
    rnd = random.Random(seed)
    tags = {}
    conn = None
    next_at = time.monotonic() + rnd.uniform(0, interval)
    while True:
        if stop.wait(max(0.0, next_at - time.monotonic())):
            break
        next_at += interval
        paths = ["/api/state"]
        while paths:
            path = paths.pop(0)
            headers = {"If-None-Match": tags[path]} if path in tags else {}
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                if status == 200:
                    tags[path] = resp.getheader("ETag")
                    if path == "/api/state":
                        paths.append("/api/sweep/%d" % sweep)
            except (OSError, http.client.HTTPException) as e:
                status = type(e).__name__
                conn = None
            out.append((path, status, (time.perf_counter() - t0) * 1000))


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def main():
    url = urlsplit(sys.argv[1])
    sweep = int(sys.argv[2])
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
    outlive = int(sys.argv[6]) if len(sys.argv) > 6 else None
    start = time.monotonic()
    stop = threading.Event()
    results = [[] for _ in range(clients)]
    threads = [threading.Thread(target=client, args=(url.hostname, url.port, sweep, interval, stop,
                                                     results[i], i)) for i in range(clients)]
    for t in threads:
        t.start()
    while time.monotonic() - start < seconds or (outlive and alive(outlive)):
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    rows = [r for rs in results for r in rs]
    statuses = {}
    for _, status, _ in rows:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    lat = sorted(ms for _, _, ms in rows)
    sweep_lat = sorted(ms for path, _, ms in rows if path.startswith("/api/sweep"))
    print(json.dumps({
        "clients": clients, "interval_s": interval, "seconds": seconds,
        "requests": len(rows),
        "errors": sum(n for s, n in statuses.items() if s not in ("200", "304")),
        "statuses": statuses,
        "latency_ms": {"p50": percentile(lat, 50), "p90": percentile(lat, 90),
                       "p99": percentile(lat, 99), "max": lat[-1] if lat else None},
        "sweep_latency_ms": {"p50": percentile(sweep_lat, 50), "p99": percentile(sweep_lat, 99),
                             "max": sweep_lat[-1] if sweep_lat else None},
    }))


if __name__ == "__main__":
    main()
