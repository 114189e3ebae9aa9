"""HTML to PDF with WeasyPrint, fetching nothing but local files.

WeasyPrint needs system libraries (pango, harfbuzz) that a lean installation may lack; then
``PdfUnavailable`` says so and the caller answers 503 instead of failing."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask_babel import gettext as _

from opsplanner.config import BASE_DIR

STATIC_ROOT = BASE_DIR / "static"


class PdfUnavailable(RuntimeError):
    pass


class RefusedURL(ValueError):
    pass


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the package is there, pango is not
        raise PdfUnavailable(
            _(
                "PDF export is not available on this server (WeasyPrint or its system "
                "libraries are missing). Download the HTML version instead."
            )
        ) from exc
    return weasyprint


def check_local(url: str, root: Path = STATIC_ROOT) -> str:
    """Allow data: URLs and files under ``root``; refuse anything else (http, https, ftp,
    files elsewhere), so that a document never reaches out of the server or reads its
    secrets. Returns the URL when allowed."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return url
    if scheme == "file" and parts.netloc in ("", "localhost"):
        path = Path(unquote(parts.path)).resolve()
        if path.is_relative_to(root.resolve()):
            return url
    raise RefusedURL(f"refused a non-local URL in a PDF: {url[:200]}")


def local_fetcher(root: Path = STATIC_ROOT) -> Any:
    """A url_fetcher for WeasyPrint that refuses everything but local files. WeasyPrint 68
    replaced fetcher functions (returning dicts) with URLFetcher objects; both are served."""
    urls = _weasyprint().urls
    base = getattr(urls, "URLFetcher", None)
    if base is not None:

        class LocalOnly(base):  # type: ignore[misc, valid-type]
            def fetch(self, url: str, headers: Any = None) -> Any:
                return super().fetch(check_local(url, root), headers)

        return LocalOnly(allowed_protocols=("file", "data"), allow_redirects=False)

    def fetcher(url: str, *args: Any, **kwargs: Any) -> Any:  # WeasyPrint < 68
        return urls.default_url_fetcher(check_local(url, root), *args, **kwargs)

    return fetcher


def html_to_pdf(html: str, root: Path = STATIC_ROOT) -> bytes:
    weasyprint = _weasyprint()
    document = weasyprint.HTML(
        string=html, base_url=root.as_uri() + "/", url_fetcher=local_fetcher(root)
    )
    return document.write_pdf()
