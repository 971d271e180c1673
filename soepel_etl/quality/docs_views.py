"""Data Docs page views that compile GX's page templates once per process.

GX's ``DefaultJinjaView`` makes a ``jinja2.Environment`` when it is made, and the site builder makes
its views anew at every build, so every run compiled every page template again (in a profile of
three small ingest runs, 1.4 of the 3.1 s of Data Docs). These views take the environment of the
first view made with the same custom folders. Nothing of a page depends on the view that made the
environment: its filters are the view class's methods, which read no state of their own but the
environment. The pages are the same; ``context.py`` names these classes in the site's configuration.
"""

from __future__ import annotations

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView

_ENVIRONMENTS: dict[tuple, object] = {}


class _OneEnvironment:
    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        folders = (custom_styles_directory, custom_views_directory)
        if folders not in _ENVIRONMENTS:
            super().__init__(custom_styles_directory, custom_views_directory)
            _ENVIRONMENTS[folders] = self.env
            return
        self.custom_styles_directory, self.custom_views_directory = folders
        self.env = _ENVIRONMENTS[folders]


class PageView(_OneEnvironment, DefaultJinjaPageView):
    """A suite's or a validation's page."""


class IndexPageView(_OneEnvironment, DefaultJinjaIndexPageView):
    """The site's index."""


def page_view() -> dict:
    return {"module_name": __name__, "class_name": PageView.__name__}


def index_page_view() -> dict:
    return {"module_name": __name__, "class_name": IndexPageView.__name__}
