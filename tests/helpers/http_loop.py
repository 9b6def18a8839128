"""A client that loops in one process (a new connection per request), bounded in
count and time, and prints one JSON object:

  http_loop.py count N URL          {"counts": {hostname: n}, "errors": n}
  http_loop.py burst N URL          the same, N requests from BURST_THREADS at once
  http_loop.py for SECONDS URL      {"results": [[time, "hostname" or null], ...]}
"""
import collections
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 1.0
BURST_THREADS = 8
BURST_TIMEOUT = 5.0   # a SYN lost to a full queue is sent again after a second


def fetch(url, timeout=TIMEOUT):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode()
    except OSError:
        return None


def main(mode, amount, url):
    if mode == "count":
        counts, errors = {}, 0
        for _ in range(int(amount)):
            answer = fetch(url)
            if answer is None:
                errors += 1
            else:
                counts[answer] = counts.get(answer, 0) + 1
        print(json.dumps({"counts": counts, "errors": errors}))
        return
    if mode == "burst":
        with ThreadPoolExecutor(BURST_THREADS) as pool:
            answers = list(pool.map(fetch, [url] * int(amount),
                                    [BURST_TIMEOUT] * int(amount)))
        counts = collections.Counter(a for a in answers if a is not None)
        print(json.dumps({"counts": counts, "errors": answers.count(None)}))
        return
    results, deadline = [], time.time() + float(amount)
    while time.time() < deadline:
        started = time.time()
        results.append([started, fetch(url)])
        time.sleep(max(0.0, 0.02 - (time.time() - started)))
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main(*sys.argv[1:])
