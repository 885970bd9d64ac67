"""Check the rendered book as a reader sees it: every page loaded in headless Chromium.

Serves ``_build/html`` on 127.0.0.1 (an ephemeral port), opens every page in Debian's
Chromium through chromedriver (selenium), waits for MathJax to finish, and fails on

- a MathJax error, or math that MathJax did not typeset (raw TeX or ``$`` left in the text);
- an image that does not load;
- a code cell wider than its box at a 1280-pixel window (a horizontal scrollbar);
- an output (text, table, figure) wider than the text column at that window;
- a figure shown below 75% of its natural size, or without a numbered caption;
- a visible (not collapsed) code cell of more than 25 lines;
- a broken internal link or anchor (a page or an ``id`` that does not exist);
- a page whose notebook stores figures but whose HTML shows fewer of them;
- an uncaught script error or a resource that failed to load (browser console).

One full-page screenshot per page goes to ``_build/screens/`` for a person to look at.

Usage: ``python scripts/check_html.py [--html _build/html] [--screens _build/screens]``
(``make check-html`` runs it after a build). Needs the Debian packages ``chromium`` and
``chromium-driver``; exits with status 1 listing every problem found, 0 when none.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import socketserver
import sys
import tempfile
import threading
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",  # a common laptop width; code cells must fit at it
)
# Pages that Sphinx makes for navigation; they hold no book content to check for math.
SKIP_DIRS = {"_static", "_sources", "_images"}
MAX_SCREEN_HEIGHT = 20000
# The reader's view: figures shown at (nearly) their natural size, short visible cells.
MIN_FIGURE_SCALE = 0.75
MAX_VISIBLE_CODE_LINES = 25

# Runs in the page after load: waits for MathJax 3 and reports what a reader would see.
PAGE_PROBE = r"""
const done = arguments[arguments.length - 1];
const finish = () => {
  const main = document.querySelector("main") || document.body;
  const mathNodes = [...main.querySelectorAll(".math")];
  const untypeset = mathNodes.filter(n => !n.querySelector("mjx-container"))
    .map(n => n.textContent.trim().slice(0, 80));
  const errors = [...main.querySelectorAll("mjx-merror, [data-mjx-error]")]
    .map(n => (n.getAttribute("data-mjx-error") || n.textContent).slice(0, 120));
  // Raw dollars in prose: text nodes outside code, math and scripts.
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const rawDollar = [];
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const p = t.parentElement;
    if (!p || p.closest("pre, code, script, style, mjx-container, .math, .output")) {
      continue;
    }
    // a dollar, a \( \) \[ \] delimiter or a TeX command left in the text: math that
    // MyST did not parse (e.g. a $$ block glued to the paragraph above it)
    if (/\$|\\[()[\]]|\\[a-zA-Z]{2,}/.test(t.textContent)) {
      rawDollar.push(t.textContent.trim().slice(0, 80));
    }
  }
  const images = [...document.images].map(img => ({
    src: img.getAttribute("src"),
    ok: img.complete && img.naturalWidth > 0,
    inOutput: !!img.closest(".cell_output, .output"),
  }));
  // Code cells must fit their box: a horizontal scrollbar hides code from the reader.
  const wideCode = [...main.querySelectorAll("div.cell_input pre")]
    .filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split("\n").reduce((a, b) => (b.length > a.length ? b : a), ""));
  // Outputs must fit the column: text, tables and figures that overflow are cut or scroll.
  const column = document.querySelector("article.bd-article") || main;
  const colStyle = getComputedStyle(column);
  const colWidth = column.clientWidth - parseFloat(colStyle.paddingLeft)
    - parseFloat(colStyle.paddingRight);
  const colLeft = column.getBoundingClientRect().left + parseFloat(colStyle.paddingLeft);
  const wideOutputs = [];
  let widestOutput = 0;
  for (const out of main.querySelectorAll("div.cell_output")) {
    for (const el of [out, ...out.querySelectorAll("pre, table, img, div")]) {
      const r = el.getBoundingClientRect();
      if (["PRE", "TABLE", "IMG"].includes(el.tagName)) {
        widestOutput = Math.max(widestOutput, Math.round(Math.max(el.scrollWidth, r.width)));
      }
      if (el.scrollWidth > el.clientWidth + 1 || r.right > colLeft + colWidth + 1) {
        wideOutputs.push({width: Math.round(Math.max(el.scrollWidth, r.width)),
                          text: (el.textContent || el.getAttribute("src") || "").trim()
                            .split("\n")[0].slice(0, 60)});
        break;
      }
    }
  }
  // Figures: every image of the content is a numbered, captioned figure, shown at its size.
  const figures = [...main.querySelectorAll("img")]
    .filter(img => img.naturalWidth > 64 && img.clientWidth > 0
      && !img.closest("header, nav, .navbar-brand"))
    .map(img => {
      const fig = img.closest("figure");
      const cap = fig && fig.querySelector("figcaption");
      return {src: (img.getAttribute("src") || "").slice(-40),
              scale: img.naturalWidth ? img.clientWidth / img.naturalWidth : 1,
              captioned: !!(cap && cap.querySelector(".caption-number"))};
    });
  // Visible code: cells that are not collapsed (hide-input, hide-cell) or removed.
  const longCells = [...main.querySelectorAll("div.cell")]
    .filter(c => ![...c.classList].some(k => /^tag_(hide|remove)-(input|cell)$/.test(k)))
    .map(c => c.querySelector("div.cell_input pre"))
    .filter(p => p)
    .map(p => p.textContent.replace(/\n$/, "").split("\n"))
    .filter(lines => lines.length > %(max_lines)d)
    .map(lines => ({lines: lines.length, first: lines[0].slice(0, 60)}));
  const anchors = [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href"));
  const ids = [...document.querySelectorAll("[id]")].map(n => n.id)
    .concat([...document.querySelectorAll("a[name]")].map(n => n.getAttribute("name")));
  done({
    hasMathJax: !!(window.MathJax && window.MathJax.startup),
    mathCount: mathNodes.length, untypeset, errors, rawDollar, images, anchors, ids, wideCode,
    wideOutputs, widestOutput, colWidth: Math.round(colWidth), figures, longCells,
    height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
  });
};
if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
  MathJax.startup.promise.then(finish, finish);
} else {
  setTimeout(finish, 500);
}
"""


class _IdParser(HTMLParser):
    """Collect the ids (and legacy ``name`` anchors) of a static HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and (key == "id" or (tag == "a" and key == "name")):
                self.ids.add(value)


@functools.cache
def _static_ids(path: Path) -> frozenset[str]:
    parser = _IdParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def _serve(directory: Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def _notebook_figure_count(page: Path, html_root: Path) -> int | None:
    """Number of stored image outputs of the notebook a page was built from, if any."""
    # the book's sources sit two levels above its HTML (<root>/_build/html)
    source = html_root.parent.parent / page.relative_to(html_root).with_suffix(".ipynb")
    if not source.exists():
        return None
    cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
    return sum(
        any(key.startswith("image/") for key in output.get("data", {}))
        for cell in cells
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
    )


def _check_link(href: str, page: Path, html_root: Path) -> str | None:
    """Return a description of what is wrong with an internal link, or None."""
    parsed = urllib.parse.urlsplit(href)
    if parsed.scheme or parsed.netloc or href.startswith(("mailto:", "javascript:")):
        return None  # external: this machine has no network, and it is not ours to check
    target = page if not parsed.path else (page.parent / urllib.parse.unquote(parsed.path))
    target = target.resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.exists():
        return f"broken link {href!r} (no file {target.relative_to(html_root.resolve())})"
    fragment = urllib.parse.unquote(parsed.fragment)
    if fragment and target.suffix == ".html" and fragment not in _static_ids(target):
        return f"broken anchor {href!r} (no id {fragment!r} in {target.name})"
    return None


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        sys.exit(
            "check_html: needs Chromium and its driver. On Debian/Ubuntu, as root:\n"
            "  apt-get update && apt-get install -y chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="check-html-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_script_timeout(60)
    driver.set_page_load_timeout(60)
    return driver, profile


# (widest output in px, column width in px, page) of every page checked, for the summary
WIDEST: list[tuple[int, int, str]] = []


def check_page(driver, url: str, page: Path, html_root: Path, screens: Path) -> list[str]:
    """Load one page and return the problems found on it."""
    driver.get(url)
    seen = driver.execute_async_script(PAGE_PROBE % {"max_lines": MAX_VISIBLE_CODE_LINES})
    # a redirect page (index.html) shows another page: resolve links against that one
    landed = urllib.parse.urlsplit(driver.current_url).path.lstrip("/")
    page = html_root / urllib.parse.unquote(landed or "index.html")
    problems = []
    WIDEST.append((seen["widestOutput"], seen["colWidth"], page.name))
    problems += [
        f"output wider than the {seen['colWidth']} px column ({o['width']} px): {o['text']!r}"
        for o in seen["wideOutputs"]
    ]
    problems += [
        f"figure shown at {f['scale']:.0%} of its size (below {MIN_FIGURE_SCALE:.0%}): "
        f"...{f['src']}"
        for f in seen["figures"]
        if f["scale"] < MIN_FIGURE_SCALE
    ]
    problems += [
        f"figure without a numbered caption: ...{f['src']}"
        for f in seen["figures"]
        if not f["captioned"]
    ]
    problems += [
        f"visible code cell of {c['lines']} lines (at most {MAX_VISIBLE_CODE_LINES}): "
        f"{c['first']!r}"
        for c in seen["longCells"]
    ]
    if seen["mathCount"] and not seen["hasMathJax"]:
        problems.append(f"{seen['mathCount']} formulas but MathJax did not load")
    problems += [f"MathJax error: {text!r}" for text in seen["errors"]]
    problems += [f"math not typeset: {text!r}" for text in seen["untypeset"]]
    problems += [f"raw TeX in the text: {text!r}" for text in seen["rawDollar"]]
    problems += [f"image does not load: {img['src']}" for img in seen["images"] if not img["ok"]]
    problems += [
        f"code cell scrolls sideways ({len(line)} characters): {line.strip()[:60]!r}"
        for line in seen["wideCode"]
    ]
    for href in sorted(set(seen["anchors"])):
        if href.startswith("#"):
            if href[1:] and urllib.parse.unquote(href[1:]) not in seen["ids"]:
                problems.append(f"broken anchor {href!r} on the page itself")
            continue
        issue = _check_link(href, page, html_root)
        if issue:
            problems.append(issue)
    expected = _notebook_figure_count(page, html_root)
    shown = sum(img["ok"] and img["inOutput"] for img in seen["images"])
    if expected and shown < expected:
        problems.append(f"the notebook stores {expected} figures, the page shows {shown}")
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        # Uncaught script errors and failed loads count; console.error chatter from the theme
        # (e.g. "invalid theme mode" on a fresh profile) and the browser's own favicon
        # request (Sphinx makes no favicon) do not.
        failed_load = "Failed to load resource" in message and "favicon.ico" not in message
        if entry.get("level") == "SEVERE" and ("Uncaught" in message or failed_load):
            problems.append(f"browser console: {message[:200]}")
    name = url.split("/", 3)[-1].removesuffix(".html").replace("/", "__")
    shot = screens / f"{name}.png"
    driver.set_window_size(1280, min(max(int(seen["height"]), 900), MAX_SCREEN_HEIGHT))
    driver.save_screenshot(str(shot))
    driver.set_window_size(1280, 900)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screens", type=Path, default=ROOT / "_build" / "screens")
    args = parser.parse_args(argv)
    html_root = args.html.resolve()
    if not (html_root / "index.html").exists():
        sys.exit(f"check_html: {html_root}/index.html is missing: build the book first")
    pages = sorted(
        p
        for p in html_root.rglob("*.html")
        if not SKIP_DIRS.intersection(p.relative_to(html_root).parts)
    )
    args.screens.mkdir(parents=True, exist_ok=True)
    server = _serve(html_root)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    driver, profile = _driver()
    failures = 0
    try:
        for page in pages:
            rel = page.relative_to(html_root).as_posix()
            problems = check_page(driver, base + rel, page, html_root, args.screens)
            failures += len(problems)
            print(f"{'FAIL' if problems else 'ok  '} {rel}")
            for problem in problems:
                print(f"     - {problem}")
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    if WIDEST:
        widest, column, name = max(WIDEST)
        print(f"widest output: {widest} px on {name} (column {column} px)")
    print(f"{len(pages)} pages checked, {failures} problems; screenshots in {args.screens}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
