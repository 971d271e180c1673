"""Make the Data Docs GX wrote render with no network: local copies instead of CDN addresses.

GX 1.24's page templates (``great_expectations/render/view/templates``) load jQuery, Bootstrap,
bootstrap-table, Font Awesome, vega and more from public CDNs, and the navbar logo from GX's S3
bucket with the data context id in the query string. No GX setting changes that: a site's
``custom_views`` folder is searched *after* GX's own templates, so it cannot replace them. So after
``build_data_docs`` we (1) copy the files the package ships in ``static/`` (same versions, from
npm, with their licences; ``static/THIRD_PARTY.md``) to ``<data_docs>/static/soepel/`` and
(2) rewrite every page's CDN addresses to relative paths to those copies. Nothing is downloaded.

A GX upgrade that adds an address we do not know is logged (and fails
tests/quality/test_data_docs_offline.py); the pages still work where a network exists.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

log = logging.getLogger(__name__)

TARGET = "static/soepel"           # inside the data_docs folder
V = "vendor/"

# CDN address in GX's templates -> file under static/ of this package
CDN = {
    "https://code.jquery.com/jquery-3.7.1.min.js": V + "jquery-3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        V + "popper.js-1.12.9/dist/umd/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": V + "bootstrap-4.3.1/dist/js/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": V + "bootstrap-4.3.1/dist/css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        V + "bootstrap-table-1.19.1/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        V + "bootstrap-table-1.19.1/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        V + "bootstrap-table-1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    # the templates ask for the 1.19.0 stylesheets of the extension; 1.19.1's are the same rules
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        V + "bootstrap-table-1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        V + "bootstrap-table-1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        V + "bootstrap-datepicker-1.9.0/dist/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        V + "bootstrap-datepicker-1.9.0/dist/css/bootstrap-datepicker.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        V + "bootstrap-dark-1.1.0/dist/css/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": V + "fontawesome-free-6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": V + "vega-5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": V + "vega-lite-5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": V + "vega-embed-6.29.0/build/vega-embed.min.js",
}
# vega draws GX's charts (profiling and metric plots). Our suites validate small reductions and no
# page we write calls vegaEmbed, so a page without a chart drops the three scripts (~830 KB a page
# view) and the site gets no copy of vega; a page with a chart gets the shipped copy like the rest.
VEGA = {url for url in CDN if "/npm/vega" in url}
CHART = "vegaEmbed("
# GX's logos on S3 (the navbar's carries the data context id and a timestamp: a tracking request);
# GX copies its own logo into data_docs/static/images/ anyway
S3_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"')\s]*/(?:logo-long|full_logo_dark)\.png[^\"')\s]*")
# Subresource integrity with crossorigin makes a CORS fetch, which file:// pages cannot make:
# the local copy would be refused. The files are the package's own, so the check adds nothing.
SRI = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin="[^"]*")')
# what a browser would fetch by itself (links a person clicks are not requests)
EXTERNAL = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\s(?:src|href)=["'](https?:)?//[^"']+"""
                      r"""|url\(\s*["']?(?:https?:)?//""", re.I)


def _copy_tree(source: Traversable, target: Path, skip: tuple[str, ...] = ()) -> int:
    target.mkdir(parents=True, exist_ok=True)
    copied = 0
    for item in source.iterdir():
        if item.is_dir():
            if not item.name.startswith(skip):
                copied += _copy_tree(item, target / item.name, skip)
        elif item.name != "__init__.py":
            (target / item.name).write_bytes(item.read_bytes())
            copied += 1
    return copied


def localise(html: str, prefix: str) -> str:
    """The page with every known CDN address replaced by ``prefix`` + its local copy."""
    if CHART not in html:
        for url in VEGA:
            html = re.sub(rf'<script src="{re.escape(url)}"></script>\s*', "", html)
    for url, local in CDN.items():
        html = html.replace(url, f"{prefix}{TARGET}/{local}")
    html = S3_LOGO.sub(f"{prefix}static/images/logo-long.png", html)
    return SRI.sub("", html)


def external_references(html: str) -> list[str]:
    return [m.group(0) for m in EXTERNAL.finditer(html)]


def make_offline(docs: Path) -> int:
    """Copy the shipped assets into ``docs`` and rewrite its pages; returns the pages rewritten."""
    texts = {page: page.read_text(encoding="utf-8") for page in sorted(docs.rglob("*.html"))
             if TARGET not in page.relative_to(docs).as_posix()}
    charts = any(CHART in text for text in texts.values())
    _copy_tree(resources.files(__package__) / "static", docs / TARGET, skip=() if charts else ("vega-",))
    pages = 0
    for page, text in texts.items():
        depth = len(page.relative_to(docs).parts) - 1
        new = localise(text, "../" * depth)
        left = external_references(new)
        if left:
            log.warning("data docs: %s still loads %d external resource(s), e.g. %s (a GX upgrade? see "
                        "soepel_etl/quality/offline_docs.py)", page.name, len(left), left[0])
        if new != text:
            page.write_text(new, encoding="utf-8")
            pages += 1
    return pages
