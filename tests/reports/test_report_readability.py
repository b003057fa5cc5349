"""What a person reads renders on a headless Debian without an emoji font: every character of
the HTML report is in an installed font (fontconfig: DejaVu and Liberation, as Debian's
chromium has them), none is an emoji; fewer than three dimensions are drawn as bars, not a
radar that collapses to a line."""
import json
import subprocess

import pytest

from benchgate.reports.summary import summary_markdown
from tests.reports.conftest import make_run
from tests.reports.test_html_report import report

pytestmark = pytest.mark.slow

# Unicode's Emoji_Presentation=Yes code points below U+1F000 (emoji-data.txt): they render as
# an emoji (an empty box without an emoji font) even without U+FE0F
EMOJI_PRESENTATION_BMP = [
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3), (0x25FD, 0x25FE),
    (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F), (0x2693, 0x2693), (0x26A1, 0x26A1),
    (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4),
    (0x26EA, 0x26EA), (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C), (0x274E, 0x274E),
    (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797), (0x27B0, 0x27B0), (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55),
]


def emoji(text: str) -> set[str]:
    """The characters of `text` that need an emoji font."""
    return {c for c in text if ord(c) >= 0x1F000 or ord(c) == 0xFE0F
            or any(lo <= ord(c) <= hi for lo, hi in EMOJI_PRESENTATION_BMP)}


def without_font(text: str) -> set[str]:
    """The characters of `text` that no installed font has (fontconfig, as chromium asks it)."""
    return {c for c in set(text) if ord(c) > 0x7E and not subprocess.run(
        ["fc-list", f":charset={ord(c):x}", "family"], capture_output=True, text=True).stdout.strip()}


def test_the_checks_find_emoji():
    assert emoji("✅ passed ❌ failed ⚪ 🟢") == {"✅", "❌", "⚪", "🟢"} and emoji("✓ ✗ – → − ≥") == set()
    assert "✓" not in without_font("✓ ✗")  # DejaVu Sans has the marks used instead


# a TreeWalker over the page's visible text nodes and SVG <title> tooltips (scripts and styles left out)
PAGE_TEXT = """() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = []; let n; while ((n = w.nextNode())) {
    if (!["SCRIPT", "STYLE"].includes(n.parentNode.nodeName)) out.push(n.textContent); }
  return out.join("\\n"); }"""


@pytest.fixture(scope="module")
def gated(tmp_path_factory, data_dir, benchgate_home):
    """A run with passed and failed gates and a baseline: every status mark the report draws."""
    base = tmp_path_factory.mktemp("glyph-runs")
    small = ("--model", "dummy", "--datasets", "mmlu", "gsm8k", "--limit", "2")
    first = make_run(base / "a", data_dir, benchgate_home, *small, "--seed", "1")
    return first, make_run(base / "b", data_dir, benchgate_home, *small, "--seed", "2", "--baseline", str(first),
                    "--baseline-alpha", "0.5", "--gate", "mmlu=0.9", "--gate", "gsm8k=0.0")


def test_report_marks_need_no_emoji_font(gated, tmp_path, open_page):
    baseline, run = gated
    opened = open_page(report(run, tmp_path / "r.html", "--compare", str(baseline)))
    text = opened.page.evaluate(PAGE_TEXT)
    assert "✗ mmlu" in text and "✓ gsm8k" in text and "no significant drop" in text  # the marks are drawn
    assert emoji(text) == set() and without_font(text) == set()
    # pixels: the mark differs from a character no font has (U+E000 draws the missing-glyph box)
    cell = opened.page.locator(".bench-table td", has_text="✗ mmlu").first.element_handle()
    drawn = cell.screenshot()
    cell.evaluate("c => { c.textContent = c.textContent.replace('✗', '\\uE000'); }")
    assert "\uE000" in cell.inner_text() and cell.screenshot() != drawn


def test_github_summary_marks_need_no_emoji_font(gated):
    text = summary_markdown(gated[1], gated[0])
    assert "✗" in text and "✓" in text
    assert emoji(text) == set() and without_font(text) == set()


def test_two_dimensions_are_bars_not_a_flat_radar(tmp_path, safety_dir, benchgate_home, open_page):
    """Safety (xstest) and Bias (bbq) only: a radar of two axes is a line, so bars are drawn,
    one per dimension, at the scores of results.json."""
    run = make_run(tmp_path / "run", safety_dir, benchgate_home, "--model", "dummy",
                   "--datasets", "xstest", "bbq", "--limit", "2")
    dims = json.loads((run / "results.json").read_text())["dimensions"]
    assert sorted(dims) == ["Bias", "Safety"]
    page = open_page(report(run, tmp_path / "r.html")).page
    assert page.locator("svg.radar").count() == 0
    bars = page.eval_on_selector_all("svg.dim-bars rect.dim-bar",
                                     "rs => rs.map(r => [r.dataset.axis, JSON.parse(r.dataset.value), +r.getAttribute('width')])")
    assert {axis: value for axis, value, _ in bars} == {d: dims[d]["score"] for d in dims}
    # bar lengths are proportional to the scores (the 0 and 1 grid lines give the scale)
    ticks = page.eval_on_selector_all("svg.dim-bars line", "ls => ls.map(l => +l.getAttribute('x1'))")
    full = max(ticks) - min(ticks)
    assert all(w == pytest.approx(max(1, full * dims[a]["score"]), abs=0.5) for a, _, w in bars)
