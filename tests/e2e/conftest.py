"""The browser tests' one demo server (Debian's chromium drives it through Playwright; skipped, saying what to
install, where chromium or Playwright is missing)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"


def browser_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip("browser tests need Debian's chromium and a CJK font: apt-get install chromium fonts-noto-cjk")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright for Python: pip install playwright (no browser download needed)")
    return sync_playwright


@pytest.fixture(scope="session")  # one demo server for every browser test: each starts in a few seconds
def demo_server(tmp_path_factory):
    sync_playwright = browser_or_skip()
    tmp = tmp_path_factory.mktemp("demo")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "BATON_DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "BATON_STORAGE_DIR": str(tmp / "files")}
    env.pop("BATON_SECRET_KEY", None)
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "demo", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/api/v1/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                pytest.fail("the demo server stopped:\n" + (tmp / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        else:
            pytest.fail("the demo server did not answer within 120 s:\n" + (tmp / "server.log").read_text()[-3000:])
        yield base, sync_playwright, tmp
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
