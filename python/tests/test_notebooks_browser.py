"""The notebooks as a person uses them: each one served by ``marimo run`` on
a loopback port and opened in headless Chromium (Debian's ``chromium``,
driven by Playwright with ``executable_path``; no browser download).

For every notebook the test waits until every cell has run, fails with the
cell's error text if any cell shows an error, and saves a screenshot under
``target/notebook-screenshots/``. In the benchmark it moves the size slider
and checks that the table and the chart change; in the tour it switches the
ISA (a re-run that replaces the Mandelbrot image) and checks that the server
logged no traceback (the "Virtual file not found" race).

Missing Chromium or Playwright: a loud SKIPPED, a failure under SIMDPAR_CI=1.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import simdpar

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "python" / "notebooks"
SHOTS = ROOT / "target" / "notebook-screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Seconds a notebook may take to run all its cells (a cold Mojo cache
# compiles the twins: the slowest case seen was about 5 s).
READY_TIMEOUT = 180

# What the page's state looks like to the test: cell count, cells still
# running or stale, the error text of every cell that shows one, the text.
STATE_JS = """() => {
  const app = document.querySelector('#App');
  const cells = [...document.querySelectorAll('.marimo-cell')];
  const errors = cells.filter(c => c.classList.contains('has-error')
                                   || c.querySelector('[role=alert]'))
                      .map(c => (c.id || '?') + ': ' + c.innerText.trim());
  return {
    connected: app ? app.getAttribute('data-connection-state') : null,
    cells: cells.length,
    busy: document.querySelectorAll('.marimo-output-loading, .marimo-output-stale').length,
    errors: errors,
    text: document.body.innerText,
  };
}"""


def skip_or_fail(what: str, why: str):
    """A loud skip; under SIMDPAR_CI=1 a failure (CI installs everything)."""
    msg = f"SKIPPED: {what} ({why})"
    print(f"\n!! {msg}", file=sys.stderr)
    if os.environ.get("SIMDPAR_CI") == "1":
        pytest.fail(f"SIMDPAR_CI=1: {msg}")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium context with a fresh profile."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        skip_or_fail("notebook browser test", f"playwright is not installed: {e}; pip install -r tools/requirements.txt")
    if not os.access(CHROMIUM, os.X_OK):
        skip_or_fail("notebook browser test", f"no Chromium at {CHROMIUM}; apt-get install chromium")
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="simdpar-chromium-") as profile:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield ctx
        finally:
            ctx.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(name: str, log_path: Path):
    """`marimo run` of notebook `name` on a free loopback port; yields its
    URL. The server's output goes to `log_path`."""
    port = free_port()
    cmd = [sys.executable, "-m", "marimo", "run", str(NOTEBOOKS / f"{name}.py"), "--headless",
           "--host", "127.0.0.1", "--port", str(port), "--no-token", "--show-tracebacks"]
    with open(log_path, "w") as log:
        # env= passes Python's view of the environment: a native library
        # loaded by an earlier test (the Mojo runtime) may have changed the
        # process' C environment, which a child would otherwise inherit.
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=dict(os.environ))
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"marimo run {name} exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"marimo run {name} did not answer on {url}:\n{log_path.read_text()[-3000:]}")
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def cell_count(name: str) -> int:
    return len(re.findall(r"^@app\.cell", (NOTEBOOKS / f"{name}.py").read_text(), flags=re.M))


def wait_ready(page, name: str, must_show: list[str]) -> dict:
    """Waits until every cell of the notebook has run (all cells present,
    none running or stale, the expected text shown, stable for ~0.75 s);
    fails at once with the error text of a cell that shows an error."""
    want_cells = cell_count(name)
    deadline = time.monotonic() + READY_TIMEOUT
    stable = 0
    state: dict = {}
    while time.monotonic() < deadline:
        state = page.evaluate(STATE_JS)
        if state["errors"]:
            pytest.fail(f"{name}: a cell shows an error:\n" + "\n---\n".join(state["errors"]))
        if "An internal error occurred" in state["text"]:
            pytest.fail(f"{name}: the page reports an internal error:\n{state['text'][-2000:]}")
        done = (state["connected"] == "OPEN" and state["cells"] == want_cells and state["busy"] == 0
                and all(w in state["text"] for w in must_show))
        stable = stable + 1 if done else 0
        if stable >= 3:
            return state
        time.sleep(0.25)
    missing = [w for w in must_show if w not in state.get("text", "")]
    pytest.fail(f"{name}: not finished after {READY_TIMEOUT} s: {state.get('cells')} of {want_cells} cells, "
                f"{state.get('busy')} busy, missing text {missing}")


def screenshot(page, name: str) -> Path:
    """The whole notebook (the app scrolls inside #App, so the viewport is
    grown to its height first)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("() => document.querySelector('#App').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(max(900, int(height) + 40), 6000)})
    time.sleep(0.5)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    return path


def server_tracebacks(log: Path) -> str:
    text = log.read_text(errors="replace")
    return text if ("Traceback" in text or "Virtual file not found" in text) else ""


def test_tour_in_a_browser(browser, tmp_path):
    """The tour: every kernel row checked, the Mandelbrot image at its native
    size; switching the ISA re-runs it without a server traceback."""
    log = tmp_path / "tour.log"
    with served("tour", log) as url:
        page = browser.new_page()
        page.goto(url)
        state = wait_ready(page, "tour", ["bitwise equal", "Mandelbrot on", "SIMD lanes"])
        assert state["text"].count("bitwise equal") >= 6
        img = page.locator("img[alt^='Mandelbrot set']")
        box = img.bounding_box()
        assert box and (round(box["width"]), round(box["height"])) == (480, 300), box
        screenshot(page, "tour")
        isas = simdpar.available_isas()
        if len(isas) > 1:
            other = isas[0] if simdpar.active_isa() != isas[0] else isas[1]
            page.locator("select").first.select_option(other)
            wait_ready(page, "tour", [f"Mandelbrot on {other}", "bitwise equal"])
            screenshot(page, "tour-after-isa-switch")
        page.close()
    assert not server_tracebacks(log), server_tracebacks(log)[-3000:]


def test_benchmark_in_a_browser(browser, tmp_path):
    """The benchmark: the chart and table render; moving the size slider
    re-runs it and both change to the new size."""
    log = tmp_path / "benchmark.log"
    with served("benchmark", log) as url:
        page = browser.new_page()
        page.goto(url)
        # (the chart is drawn on a canvas: its text is checked in its spec)
        state = wait_ready(page, "benchmark", ["mandelbrot 256×16", "leaky_relu", "row_sums 512×512"])
        chart = page.locator("marimo-vega").first
        page.locator(".vega-embed").first.wait_for(state="visible")  # drawn by vega-embed
        spec_before = chart.get_attribute("data-spec")
        assert "262,144 elements" in spec_before
        table_before = page.locator("table").last.inner_text()
        assert "µs" in table_before or "ms" in table_before
        screenshot(page, "benchmark")
        slider = page.locator("[role=slider]").first
        slider.focus()
        page.keyboard.press("ArrowLeft")  # 2**18 -> 2**17 elements
        state = wait_ready(page, "benchmark", ["mandelbrot 256×8", "row_sums 256×512"])
        assert "mandelbrot 256×16" not in state["text"]
        spec_after = chart.get_attribute("data-spec")
        assert spec_after != spec_before and "131,072 elements" in spec_after
        table_after = page.locator("table").last.inner_text()
        assert table_after != table_before and "mandelbrot 256×8" in table_after
        screenshot(page, "benchmark-after-slider")
        page.close()
    assert not server_tracebacks(log), server_tracebacks(log)[-3000:]


def test_mojo_playground_in_a_browser(browser, tmp_path):
    """The playground compiles its kernel and compares it with simdpar (or,
    without Mojo, says how to install it)."""
    import simdpar.mojo as mj

    log = tmp_path / "playground.log"
    want = ["bitwise equal", "cache"] if mj.available() else ["Mojo is not installed", "pip install mojo==1.2.0"]
    with served("mojo_playground", log) as url:
        page = browser.new_page()
        page.goto(url)
        wait_ready(page, "mojo_playground", ["leaky_relu_f32(x, dst, n)", *want])
        screenshot(page, "mojo_playground")
        page.close()
    assert not server_tracebacks(log), server_tracebacks(log)[-3000:]


def test_mojo_frontends_in_a_browser(browser, tmp_path):
    """The three Mojo front ends side by side: all three compute the same
    sum and the call-cost table renders (or, without Mojo, it says so)."""
    import simdpar.mojo as mj

    log = tmp_path / "frontends.log"
    want = (["All three computed 1 + 2 + ... + 100", "extension module", "cost per call"]
            if mj.available() else ["Mojo is not installed"])
    with served("mojo_frontends", log) as url:
        page = browser.new_page()
        page.goto(url)
        state = wait_ready(page, "mojo_frontends", want)
        if mj.available():
            assert "5050" in state["text"]
        screenshot(page, "mojo_frontends")
        page.close()
    assert not server_tracebacks(log), server_tracebacks(log)[-3000:]
