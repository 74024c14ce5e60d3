"""The built book in a real browser: headless Chromium (Debian's package) driven by Playwright.

Every page of the table of contents is served from localhost and opened, at the site's root and
under a sub-path (http://host/course/, as a static host such as GitHub Pages serves a project).
Each must load with no console error, every image must load, every formula must be typeset by
the MathJax copy served from the site, no request may leave the machine, no code line may need a
sideways scroll bar, every figure must say in words what it shows, and axe-core (the accessibility
checker, from the npm registry: `make test` installs it) must find no serious or critical violation.

CI (CI=true) installs Chromium and npm in .ci/run and fails here if either is missing; on a
developer's machine without them the tests are skipped with the command that installs them.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import urllib.error
import urllib.request
from urllib.parse import urlparse

import pytest
from conftest import ROOT, toc_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]
INSTALL_HINT = ("headless Chromium is needed for the browser tests: `sudo apt-get install chromium` "
                "(Debian/Ubuntu), or set CHROMIUM=/path/to/chromium")
# The flags the machine's probe used: no background traffic, no sandbox as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]
LOCAL_SCHEMES = {"data", "blob", "about"}
SUBPATH = "/course"  # where a project site lives on a static host: https://user.github.io/course/
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The window the page-width checks use: a laptop, with the book's left and right sidebars both shown.
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def serve(directory, prefix: str = ""):
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port) under ``prefix``; yield the site's URL."""
    handler = functools.partial(QuietHandler, directory=str(directory), prefix=prefix)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    server.shutdown()


@pytest.fixture(scope="module")
def site(html):
    """The built book served at the root of a local HTTP server, as a reader's browser sees it."""
    yield from serve(html)


@pytest.fixture(scope="module")
def site_under_subpath(html):
    """The same build served under /course/ only: a link that climbs to the server's root gets a 404."""
    yield from serve(html, SUBPATH)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, prefix: str = "", **kwargs):
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        if self.prefix:
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                return "/nonexistent-outside-the-site"  # answered with 404
            path = path[len(self.prefix):] or "/"
        return super().translate_path(path)

    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.is_file():
        hint = "axe-core is not installed: `make test` installs it (npm ci), or run `npm ci` here"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the accessibility checks: {hint}")
        pytest.skip(hint)
    return AXE.read_text()


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


def visit(browser, site: str, page_path: str, block: str | None = None, axe: str | None = None) -> dict:
    """Open one page; return what went wrong on it. ``block``: refuse local URLs containing it;
    ``axe``: the axe-core script, to run the accessibility checks."""
    context = browser.new_context(viewport=VIEWPORT)
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
    problems["links"] = page.evaluate("""(origin) => Array.from(new Set(Array.from(document.querySelectorAll('a[href]'))
        .map(a => a.href.split('#')[0]).filter(h => h.startsWith(origin))))""", f"http://{local_host}")
    problems["no_alt"] = page.evaluate(NO_ALT)
    if axe:  # on the page as it opens: opening the folded cells animates them, and axe would measure mid-fade
        page.add_script_tag(content=axe)
        problems["axe"] = page.evaluate(AXE_SERIOUS)
    problems["wide_code"] = page.evaluate(WIDE_CODE)
    context.close()
    return problems


# A figure's text alternative says what it shows: not missing, not the file's name (myst-nb's default).
NO_ALT = """() => Array.from(document.querySelectorAll('main img'))
    .filter(i => !(i.alt || '').trim() || /[.](png|jpe?g|svg)$/i.test(i.alt.trim())).map(i => i.src)"""
# Code a reader can take in: with the folded cells opened, no code block needs a sideways scroll bar.
WIDE_CODE = """() => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    return Array.from(document.querySelectorAll('div.cell_input pre, div.highlight pre'))
        .filter(p => !p.closest('.cell_output'))
        .filter(p => p.clientWidth > 0 && p.scrollWidth > p.clientWidth + 1)
        .map(p => p.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), ''));
}"""
# axe-core's serious and critical violations, one line each.
AXE_SERIOUS = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].target})`);
}"""


@pytest.mark.parametrize("page_path", toc_pages())
def test_page_renders_offline(browser, site, page_path, axe_script):
    seen = visit(browser, site, page_path, axe=axe_script)
    assert_renders(seen)
    assert seen["axe"] == [], f"accessibility violations (axe-core): {seen['axe']}"
    assert seen["no_alt"] == [], f"figures without a text alternative: {seen['no_alt']}"
    assert seen["wide_code"] == [], f"code lines wider than the page's column: {seen['wide_code']}"


@pytest.mark.parametrize("page_path", toc_pages())
def test_page_renders_under_a_subpath(browser, site_under_subpath, page_path):
    """Published as a project site (http://host/course/), every page still finds its assets and links."""
    seen = visit(browser, site_under_subpath, page_path)
    assert_renders(seen)
    broken = [url for url in seen["links"] if link_status(url) != 200]
    assert broken == [], f"links that do not resolve under {SUBPATH}/: {broken}"


@functools.cache
def link_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def assert_renders(seen: dict) -> None:
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
        if page_path.endswith(("references", "intro", "notation", "exercises")):
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


def test_a_climb_out_of_the_subpath_would_be_caught(site_under_subpath):
    """The sub-path server answers nothing outside /course/: an asset linked from the root would fail."""
    root = site_under_subpath[: -len(SUBPATH)]
    assert link_status(f"{site_under_subpath}/_static/mathjax/tex-chtml.js") == 200
    assert link_status(f"{root}/_static/mathjax/tex-chtml.js") == 404
    assert link_status(f"{root}/book/intro.html") == 404


def test_the_new_checks_can_fail(browser, site, axe_script):
    """A figure without a text alternative and a code line too wide for the column, planted in a real
    page, are each reported, and axe-core calls the image a critical violation."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{site}/book/intro.html", wait_until="load")
    assert page.evaluate(NO_ALT) == [] and page.evaluate(WIDE_CODE) == []
    page.evaluate("""() => {
        const main = document.querySelector('main');
        const img = document.createElement('img'); img.src = '../_static/planted.png'; main.appendChild(img);
        const cell = document.createElement('div'); cell.className = 'cell_input';
        const pre = document.createElement('pre'); pre.textContent = 'x = ' + '1 + '.repeat(60) + '1';
        cell.appendChild(pre); main.appendChild(cell); }""")
    page.add_script_tag(content=axe_script)
    no_alt, wide, violations = page.evaluate(NO_ALT), page.evaluate(WIDE_CODE), page.evaluate(AXE_SERIOUS)
    context.close()
    assert no_alt == [f"{site}/_static/planted.png"]
    assert wide == ["x = " + "1 + " * 60 + "1"]
    assert any(line.startswith("critical image-alt") for line in violations), violations
