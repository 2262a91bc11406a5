"""Markdown of practices and comments: CommonMark without raw HTML, then an nh3 allow-list.

Two walls: markdown-it renders no raw HTML (``html: False``: tags are shown as text) and refuses
``javascript:``/``vbscript:``/``file:``/``data:`` links; nh3 (ammonia) then keeps only the tags,
attributes and URL schemes listed here and adds ``rel`` to every link. No images: a Markdown
image would make every reader's browser call a third-party server (photos are attachments).
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"style"},  # markdown-it writes column alignment as style="text-align:..."
    "td": {"style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow ugc"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # An image is shown as its alt text: no request to a server the author chose.
    parser.add_render_rule("image", _image_as_text)
    return parser


def _image_as_text(self, tokens, idx, options, env) -> str:
    return escapeHtml(tokens[idx].content)


_CLEAN_OPTIONS = {
    "tags": set(ALLOWED_TAGS),
    "attributes": {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    "url_schemes": set(URL_SCHEMES),
    "link_rel": LINK_REL,
    "filter_style_properties": {"text-align"},
    "strip_comments": True,
    # Absolute links only: "java%0Ascript:x" or "/logout" would pass as relative URLs.
    "url_relative": "deny",
}


@lru_cache(maxsize=1)
def _cleaner():
    try:
        return nh3.Cleaner(**_CLEAN_OPTIONS)  # nh3 >= 0.3: built once
    except (AttributeError, TypeError):  # older nh3: no reusable cleaner, no url_relative
        options = {k: v for k, v in _CLEAN_OPTIONS.items() if k != "url_relative"}
        options.pop("filter_style_properties")
        return _FunctionCleaner(options)


class _FunctionCleaner:
    def __init__(self, options: dict) -> None:
        self.options = options

    def clean(self, html: str) -> str:
        return nh3.clean(html, **self.options)


def sanitize_html(html: str) -> str:
    """The allow-list alone, for HTML from anywhere."""
    return _cleaner().clean(html)


def render_markdown(text: str) -> str:
    """Markdown → safe HTML (what ``Practice.body_html`` holds)."""
    return sanitize_html(_parser().render(text or ""))


def comment_html(comment) -> str:
    """A comment's body as safe HTML (rendered at read time; cached on the instance)."""
    cached = getattr(comment, "_body_html", None)
    if cached is None:
        cached = render_markdown(comment.body)
        comment._body_html = cached
    return cached
