#!/usr/bin/env python3
"""What open connections cost the service in memory (docs/security.md, "Connections").

Runs under build/pg_harness (which sets PAYMENTS_TEST_PG), starts `payments serve`
on a fresh database, opens 2,000 connections that send nothing, then sends on
every one a request head and 30,000 of its 60,000 body bytes, and prints the
service's resident memory and open descriptors at each step, as JSON.

  build/pg_harness -- bench/connections/run.sh            # default cap, and none
  build/pg_harness -- python3 bench/connections/memory.py 100000
"""
import json
import os
import re
import socket
import subprocess
import sys
import time

BUILD = os.environ.get("BUILD_DIR", "build")
PUBLIC = 18480
ADMIN = 18490


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return -1


def main():
    pg = os.environ["PAYMENTS_TEST_PG"]
    subprocess.run(["psql", pg, "-qc", "DROP DATABASE IF EXISTS connections_bench"], check=True,
                   capture_output=True)
    subprocess.run(["psql", pg, "-qc", "CREATE DATABASE connections_bench"], check=True)
    url = re.sub(r"dbname=\S+", "dbname=connections_bench", pg)
    env = dict(os.environ, PAYMENTS_DATABASE_URL=url, PAYMENTS_LISTEN=f"127.0.0.1:{PUBLIC}",
               PAYMENTS_ADMIN_LISTEN=f"127.0.0.1:{ADMIN}",
               PAYMENTS_FINGERPRINT_KEY="bench-fingerprint-key-0123456789abcdef")
    if len(sys.argv) > 1:
        env["PAYMENTS_MAX_CONNECTIONS"] = sys.argv[1]
    subprocess.run([f"{BUILD}/payments", "migrate", "up"], env=env, check=True,
                   capture_output=True)
    service = subprocess.Popen([f"{BUILD}/payments", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", PUBLIC), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)  # let the first connection's close settle
        start = rss_mb(service.pid)
        clients = [socket.create_connection(("127.0.0.1", PUBLIC)) for _ in range(2000)]
        time.sleep(1.5)  # the accepts run
        idle = rss_mb(service.pid)
        head = b"POST /v1/payments HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n"
        for c in clients:
            c.send(head + b"x" * 30000)
        time.sleep(2)  # the reads run
        busy = rss_mb(service.pid)
        print(json.dumps({"max_connections": env.get("PAYMENTS_MAX_CONNECTIONS", "default"),
                          "rss_mb_started": start, "rss_mb_2000_idle": idle,
                          "rss_mb_2000_half_sent": busy,
                          "service_fds": len(os.listdir(f"/proc/{service.pid}/fd"))}))
        for c in clients:
            c.close()
    finally:
        service.terminate()
        service.wait()


if __name__ == "__main__":
    main()
