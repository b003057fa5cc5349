"""Fixtures for the report tests: small real runs (dummy model, real MMLU/GSM8K data) made
once per session, and Debian's chromium driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_pytest

CHROMIUM = os.environ.get("BENCHGATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def make_run(folder: Path, data_dir: Path, home: Path, *args: str, check: bool = True) -> Path:
    """`pytest evals ... --output-dir folder` (in this process: `run_pytest`); returns the folder."""
    cmd = [str(ROOT / "evals"), "-q", "-p", "no:cacheprovider",
           "--dataset-dir", str(data_dir), "--output-dir", str(folder),
           "--cache-path", str(folder.parent / f"{folder.name}.sqlite"), *args]
    proc = run_pytest(cmd, env={"BENCHGATE_HOME": str(home)})
    if check and proc.returncode not in (0, 1):
        raise AssertionError(proc.stdout + proc.stderr)
    return folder


@pytest.fixture(scope="session")
def runs(tmp_path_factory, data_dir, benchgate_home) -> dict[str, Path]:
    """Two dummy-model runs with different seeds (so samples change between them)."""
    base = tmp_path_factory.mktemp("report-runs")
    small = ("--model", "dummy", "--datasets", "mmlu", "gsm8k", "--limit", "2")
    return {"a": make_run(base / "a", data_dir, benchgate_home, *small, "--seed", "1"),
            "b": make_run(base / "b", data_dir, benchgate_home, *small, "--seed", "2",
                          "--baseline", str(base / "a"), "--baseline-alpha", "0.5")}


@pytest.fixture
def chromium():
    """A headless Debian chromium (Playwright with executable_path; no `playwright install`).
    Per test: Playwright's sync API keeps an asyncio loop running in this thread while it is
    open, which would break later tests in the same process that call asyncio.run()."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium; "
                    f".ci/run does) or set BENCHGATE_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OpenedPage:
    """A page loaded from file:// with every other request blocked and recorded."""

    def __init__(self, browser, path: Path, ready: str = "body[data-ready]"):
        self.url = Path(path).resolve().as_uri()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})
        self.page = self.context.new_page()
        self.context.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url)
        if ready:
            self.page.wait_for_selector(ready, timeout=30_000)

    def _route(self, route):
        url = route.request.url
        if url == self.url or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(chromium):
    pages: list[OpenedPage] = []

    def opener(path: Path, ready: str = "body[data-ready]") -> OpenedPage:
        page = OpenedPage(chromium, path, ready)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()


@pytest.fixture(scope="session")
def scripted_perf(tmp_path_factory) -> Path:
    """Outputs of a real `benchgate perf` sweep against the scripted server on 127.0.0.1."""
    from benchgate.perf.scripted_server import Script, ScriptedServer

    out = tmp_path_factory.mktemp("perf")
    prompts = out / "qa.jsonl"
    prompts.write_text('{"question": "one"}\n{"question": "two"}\n')
    with ScriptedServer() as server:  # the CLI runs in its own process (its own event loop)
        proc = subprocess.run([sys.executable, "-m", "benchgate.perf", "--url",
                               server.url(Script(ttft=0.02, itl=0.005, n=6, chunk=2)), "--api", "openai",
                               "--parallel", "1", "2", "--number", "4", "4", "--dataset", "openqa",
                               "--dataset-path", str(prompts), "--max-tokens", "6", "--outputs-dir",
                               str(out / "o"), "--no-progress", "-q"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "o"
