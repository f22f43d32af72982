"""Load on results day: N concurrent browser sessions open the live ranking on the real server.

One visitor goes first (cold cache: the ranking is computed); then N sessions log in and open it at once.

Prints the median and p95 time from "log-in clicked" to "ranking table visible", and the server's peak RSS.
Uses a demo warehouse (built with `make demo` or given with --warehouse) and Debian's Chromium; traffic stays on
127.0.0.1. Not a test: run `python bench/bench_browser_load.py --sessions 10`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import BROWSER_ARGS, CHROMIUM, _free_port  # noqa: E402
from warehouse import accounts  # noqa: E402

PASSWORD = "bench-load-password-1"


def rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def session(url: str, username: str, results: list, errors: list, page_name: str = "overview") -> None:
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, wait_until="networkidle")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            t0 = time.monotonic()
            page.get_by_role("button", name="登录").click()
            if page_name == "overview":  # a leader lands on the 总览: wait for its last tile's content
                page.get_by_text("最近动态").first.wait_for(timeout=180_000)
            else:
                page.get_by_role("link", name="实时排名", exact=True).click()
                page.get_by_role("heading", name="综合排名").wait_for(timeout=180_000)
                # the grid's cells live in an accessibility table that is attached, not "visible"
                page.locator("[data-testid='stDataFrame'] [role='gridcell']").first.wait_for(state="attached",
                                                                                              timeout=180_000)
            results.append(time.monotonic() - t0)
            browser.close()
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        errors.append(repr(exc))


def _descendants(pid: int) -> list[int]:
    out = []
    for c in _children(pid):
        out += [c, *_descendants(c)]
    return out


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (from /proc/PID/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, IndexError):
            pass
    return total / tick


def _total_cpu() -> float:
    """CPU seconds the whole machine spent busy (user + nice + system), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return (int(fields[0]) + int(fields[1]) + int(fields[2])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", default=os.environ.get("WAREHOUSE", "data/warehouse.duckdb"))
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--page", choices=("overview", "ranking"), default="overview")
    args = ap.parse_args()
    wh = Path(args.warehouse).resolve()
    if not wh.exists():
        print(f"未找到数据仓库 {wh}：请先运行 make demo", file=sys.stderr)
        return 1
    store = accounts.open_accounts(wh)
    for i in range(args.sessions):
        name = f"bench{i:02d}"
        if store.account(name) is None:
            store.add_user(name, "leader", PASSWORD)
    port = _free_port()
    env = {**os.environ, "WAREHOUSE": str(wh)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        peak = [rss_mb(server.pid)]
        stop = threading.Event()

        def sample_rss():
            while not stop.is_set():
                peak.append(rss_mb(server.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample_rss)
        sampler.start()
        first, errors = [], []
        session(url, "bench00", first, errors, args.page)  # the first visitor computes; the rest find it cached
        results = []
        threads = [threading.Thread(target=session, args=(url, f"bench{i:02d}", results, errors, args.page))
                   for i in range(args.sessions)]
        server_cpu0, all_cpu0 = _cpu_seconds([server.pid, *_descendants(server.pid)]), _total_cpu()
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        server_cpu = _cpu_seconds([server.pid, *_descendants(server.pid)]) - server_cpu0
        all_cpu = _total_cpu() - all_cpu0
        stop.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    results.sort()
    if first:
        print(f"首位访问者（缓存为空）：登录到内容可见 {first[0]:.2f} s")
    print(f"并发会话 {args.sessions}：成功 {len(results)}，失败 {len(errors)}，总用时 {wall:.1f} s")
    if results:
        p95 = results[min(len(results) - 1, int(round(0.95 * (len(results) - 1))))]
        print(f"登录到内容可见：中位数 {statistics.median(results):.2f} s，p95 {p95:.2f} s，最慢 {results[-1]:.2f} s")
    print(f"服务器内存峰值（RSS）：{max(peak):.0f} MB（空闲时 {peak[0]:.0f} MB）")
    if all_cpu > 0:
        print(f"并发期间 CPU 时间：全机 {all_cpu:.1f} s，其中服务器 {server_cpu:.1f} s，浏览器等其余进程 "
              f"{all_cpu - server_cpu:.1f} s（占 {1 - server_cpu / all_cpu:.0%}）")
    for e in errors:
        print("错误：", e)
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
