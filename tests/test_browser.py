"""The built book in a real browser: headless Chromium (Debian's package) driven by Playwright.

Every page of the table of contents is served from localhost and opened. Each must load
with no console error, every image must load, every formula must be typeset by the
MathJax copy served from the site, and no request may leave the machine.

CI (CI=true) installs Chromium in .ci/run and fails here if it is missing; on a
developer's machine without it the tests are skipped with the command that installs it.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from urllib.parse import urlparse

import pytest
from conftest import toc_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]
INSTALL_HINT = ("headless Chromium is needed for the browser tests: `sudo apt-get install chromium` "
                "(Debian/Ubuntu), or set CHROMIUM=/path/to/chromium")
# The flags the machine's probe used: no background traffic, no sandbox as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]
LOCAL_SCHEMES = {"data", "blob", "about"}


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(html):
    """The built book served over HTTP on 127.0.0.1 (a free port), as a reader's browser sees it."""
    handler = functools.partial(QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def visit(browser, site: str, page_path: str, block: str | None = None) -> dict:
    """Open one page; return what went wrong on it. ``block``: refuse local URLs containing it."""
    context = browser.new_context()
    page = context.new_page()
    problems = {"console": [], "remote": [], "failed": []}
    local_host = urlparse(site).netloc

    def route(route_):
        url = urlparse(route_.request.url)
        if block and block in route_.request.url:
            route_.abort()
        elif url.scheme in LOCAL_SCHEMES or url.netloc == local_host:
            route_.continue_()
        else:
            problems["remote"].append(route_.request.url)
            route_.abort()

    page.route("**/*", route)
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on("requestfailed", lambda r: problems["failed"].append(r.url))
    response = page.goto(f"{site}/{page_path}.html", wait_until="load")
    problems["status"] = response.status if response else None
    # Typesetting is asynchronous: wait for MathJax's startup promise where the page has maths.
    problems["math_elements"] = page.evaluate("document.querySelectorAll('.math').length")
    if problems["math_elements"] and not block:
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
        page.evaluate("MathJax.startup.promise")
    problems["typeset"] = page.evaluate("document.querySelectorAll('mjx-container').length")
    # The prose as a reader sees it: code listings (which may quote TeX for plot labels) left out.
    problems["text"] = page.evaluate("""() => {
        const main = (document.querySelector('main') || document.body).cloneNode(true);
        main.querySelectorAll('pre, code, .cell_input, .highlight').forEach(e => e.remove());
        return main.innerText; }""")
    problems["broken_images"] = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    problems["images"] = page.evaluate("document.images.length")
    context.close()
    return problems


@pytest.mark.parametrize("page_path", toc_pages())
def test_page_renders_offline(browser, site, page_path):
    seen = visit(browser, site, page_path)
    assert seen["status"] == 200
    assert seen["remote"] == [], f"requests left the machine: {seen['remote']}"
    assert seen["failed"] == [], f"requests failed: {seen['failed']}"
    assert seen["console"] == [], f"console errors: {seen['console']}"
    assert seen["broken_images"] == [], f"images that did not load: {seen['broken_images']}"
    if seen["math_elements"]:
        assert seen["typeset"] >= seen["math_elements"], "some formulas were not typeset"
    for raw in ("$$", "\\frac", "\\begin{", "\\sigma"):
        assert raw not in seen["text"], f"raw TeX {raw!r} visible on the page"
    for raw in ("|---", "| ---", "|:--"):
        assert raw not in seen["text"], f"a Markdown table was shown as text ({raw!r}), not rendered"


def test_chapters_have_figures_and_maths(browser, site):
    """Every chapter (not the references page) shows at least one figure and one typeset formula."""
    for page_path in toc_pages():
        if page_path.endswith(("references", "intro")):
            continue
        seen = visit(browser, site, page_path)
        assert seen["images"] >= 1, f"{page_path} has no figure"
        assert seen["typeset"] >= 1, f"{page_path} has no typeset formula"


def test_a_remote_request_would_be_caught(browser, site, tmp_path):
    """The route guard is not vacuous: a page that asks for a remote script is reported."""
    context = browser.new_context()
    page = context.new_page()
    remote = []
    page.route("**/*", lambda r: (remote.append(r.request.url), r.abort()) if "example.invalid" in r.request.url
               else r.continue_())
    page.goto(f"{site}/book/intro.html")
    page.evaluate("() => { const s = document.createElement('script'); s.src = 'https://example.invalid/x.js';"
                  " document.head.appendChild(s); }")
    page.wait_for_timeout(500)
    context.close()
    assert remote == ["https://example.invalid/x.js"]


def test_untypeset_maths_would_be_caught(browser, site):
    """Without MathJax the same checks see raw TeX: the typesetting assertions can fail."""
    seen = visit(browser, site, "book/03_backpropagation", block="mathjax")
    assert seen["math_elements"] > 0 and seen["typeset"] == 0
    assert "\\frac" in seen["text"]
