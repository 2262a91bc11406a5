"""Markdown rendering: normal Markdown kept, every way of smuggling script neutralised."""

from html.parser import HTMLParser

import pytest

from grove.practices.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    comment_html,
    render_markdown,
)


def elements(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The real elements of ``html`` (text that looks like a tag is not one)."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_it_keeps_normal_markdown():
    html = render_markdown(
        "# Title\n\n**bold** *em* ~~gone~~ `code`\n\n- one\n- two\n\n"
        "> quote\n\n[site](https://example.com) [mail](mailto:a@example.com)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    for fragment in (
        "<h1>Title</h1>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<s>gone</s>",
        "<code>code</code>",
        "<li>one</li>",
        "<blockquote>",
        '<a href="https://example.com" rel="noopener noreferrer nofollow ugc">site</a>',
        'href="mailto:a@example.com"',
        "<td>1</td>",
    ):
        assert fragment in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](java%0Ascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
        '<div onclick="alert(1)">raw block</div>',
        "<iframe src=https://evil.example></iframe>",
        "<style>body{display:none}</style>",
        "[x](<javascript:alert(1)>)",
        '[x](https://ok.example "t" onmouseover="alert(1)")',
        "<!-- comment --><svg onload=alert(1)>",
    ],
)
def test_it_neutralises_script(source):
    html = render_markdown(source)
    for tag, attributes in elements(html):
        assert tag in ALLOWED_TAGS
        for name, value in attributes:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
            if name == "href":
                assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"}
    assert "<script" not in html.lower()


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"


def test_images_are_shown_as_their_alt_text_without_a_request():
    html = render_markdown("![a photo](https://tracker.example/pixel.png)")
    assert "tracker" not in html and "a photo" in html


def test_comments_render_the_same_way():
    class FakeComment:
        body = "**ok** <script>x</script>"

    html = comment_html(FakeComment())
    assert "<strong>ok</strong>" in html and "<script>" not in html
