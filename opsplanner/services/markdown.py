"""Organiser-written Markdown (guidelines, agendas) rendered to sanitised HTML."""

from __future__ import annotations

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "dl", "dt", "dd", "abbr", "sup", "sub",
}  # fmt: skip


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML, then an allow-list sanitiser: raw HTML, scripts, event handlers,
    images (which would fetch from outside on a closed network) and javascript: links go."""
    if not text:
        return Markup("")
    html = md.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
