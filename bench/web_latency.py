"""Time to the unit page and to an issued PDF through the counter's web app, next to the CLI.

Usage:  .venv/bin/python bench/web_latency.py [--runs N]

Against a fresh temporary demo workspace (`formsmith init --demo`), with one account:
1. the web app served by a real `formsmith serve` (uvicorn) process, warm (after one request of
   each kind), over HTTP from this process: the search, the unit page (GET /units/U), 今日待办,
   and issuing a 催缴函 (POST …/issue/dunning-letter, until the document page is back);
2. the CLI for the same work: `formsmith records show U` and `formsmith render dunning-letter
   --unit U --again` as whole processes (what a clerk at a terminal waits for);
3. the baseline `raw_weasyprint.py 1` (../shared/bench) as a whole process.
Median and min of N runs each, interleaved. It prints numbers and asserts nothing; the goal of
the issue is a clerk-facing page under 300 ms on the demo store.
"""
from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
FORMSMITH = str(BIN / "formsmith")
RAW = Path(__file__).resolve().parents[2] / "shared" / "bench" / "raw_weasyprint.py"
UNIT, USER, PASSWORD = "1-1-802", "bench", "bench-password-1"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _report(name: str, seconds: list[float]) -> None:
    print(f"  {name:<44} median {statistics.median(seconds) * 1000:8.1f} ms   min {min(seconds) * 1000:8.1f} ms"
          f"   (n={len(seconds)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    runs = ap.parse_args().runs
    tmp = Path(tempfile.mkdtemp(prefix="web-bench-"))
    home = tmp / "ws"
    subprocess.run([FORMSMITH, "init", "--demo", str(home)], check=True, capture_output=True)
    subprocess.run([FORMSMITH, "--home", str(home), "users", "add", USER, "--role", "主管", "--password-stdin"],
                   input=PASSWORD + "\n", check=True, capture_output=True, text=True)
    port = _port()
    server = subprocess.Popen([FORMSMITH, "--home", str(home), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        client = httpx.Client(base_url=base, follow_redirects=True, timeout=120)
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
        client.post("/login", data={"name": USER, "password": PASSWORD, "csrf": token, "next": "/"})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)

        def issue() -> None:
            r = client.post(f"/units/{UNIT}/issue/dunning-letter",
                            data={"csrf": csrf, "as_of": "2025-12-01", "again": "1"})
            assert r.status_code == 200 and "/documents/" in str(r.url), r.text[:300]

        web = {"search (GET /?q=宋)": lambda: client.get("/?q=宋"), "unit page (GET /units/U)":
               lambda: client.get(f"/units/{UNIT}"), "今日待办 (GET /today)": lambda: client.get("/today"),
               "issue 催缴函 through the app": issue}
        for fn in web.values():      # warm: templates, fonts, the engine loaded once
            fn()
        cli = {"CLI records show U (process)": [FORMSMITH, "--home", str(home), "records", "show", UNIT],
               "CLI render dunning-letter (process)": [FORMSMITH, "--home", str(home), "render", "dunning-letter",
                                                       "--unit", UNIT, "--as-of", "2025-12-01", "--again"]}
        got: dict[str, list[float]] = {k: [] for k in [*web, *cli, "raw_weasyprint.py 1 (process)"]}
        for _ in range(runs):
            for name, fn in web.items():
                got[name].append(_timed(fn))
            for name, argv in cli.items():
                got[name].append(_timed(lambda: subprocess.run(argv, check=True, capture_output=True)))
            if RAW.is_file():
                got["raw_weasyprint.py 1 (process)"].append(
                    _timed(lambda: subprocess.run([sys.executable, str(RAW), "1"], check=True, capture_output=True)))
        print(f"web app vs CLI on the demo store ({runs} runs each, warm server):")
        for name, seconds in got.items():
            if seconds:
                _report(name, seconds)
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
