"""Browser end-to-end fixtures: a demo warehouse, the real Streamlit server, Debian's Chromium via Playwright.

Never downloads a browser (docs/DEVELOPING.md): Chromium comes from Debian (`apt-get install chromium`).
When it is missing, the whole suite is skipped with a clear reason.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-quic", "--no-first-run", "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        "未找到 Chromium（/usr/bin/chromium）：跳过真实浏览器端到端测试。安装：apt-get install chromium fonts-wqy-microhei",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*args: str, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode in (0, 2), f"{args} failed: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory) -> dict:
    """A demo warehouse (a short, recent range so it builds quickly) and demo accounts."""
    work = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "WAREHOUSE": str(work / "warehouse.duckdb"), "DASHBOARD_TODAY": "2026-11-27"}
    demo = work / "demo"
    _run("-m", "etl", "demo", "--out", str(demo), "--start", "2025-01", "--end", "2026-10", env=env)
    for ref in sorted((demo / "reference").glob("five_hundred_*.csv")):
        _run("-m", "etl", "load-reference", "five-hundred", str(ref), env=env)
    _run("-m", "etl", "load-reference", "enterprises", str(demo / "reference" / "enterprises_gansu.csv"), env=env)
    _run("-m", "etl", "load", str(demo / "submissions"), "--manifest", str(demo / "manifest.csv"), env=env)
    from warehouse import accounts

    passwords = accounts.create_demo_accounts(env["WAREHOUSE"])
    return {"env": env, "demo": demo, "passwords": passwords, "warehouse": Path(env["WAREHOUSE"])}


@pytest.fixture(scope="session")
def server(demo_env):
    port = _free_port()
    log = open(demo_env["warehouse"].parent / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=demo_env["env"], stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("Streamlit 服务未能在 120 秒内启动")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def login(browser, server, demo_env):
    """login(username) -> a logged-in page; screenshots go to test-artifacts/e2e/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts = []

    def _login(username: str, path: str = "", viewport: dict | None = None):
        ctx = browser.new_context(viewport=viewport or {"width": 1440, "height": 1000}, locale="zh-CN",
                                  accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(server + path, wait_until="networkidle")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(demo_env["passwords"][username])
        page.get_by_role("button", name="登录").click()
        page.get_by_text("退出登录").wait_for(timeout=30_000, state="attached")
        return page

    yield _login
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
