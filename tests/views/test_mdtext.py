"""Strings from runs and files reach markdown as text: rendered, they are exactly their characters."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from investigate.views.mdtext import Markdown, cell, code, compose, link_target, text

HOSTILE = [
    "![p](http://127.0.0.1:9/t.png)",
    "[x](http://127.0.0.1:9/)",
    "<img src=x onerror=alert(1)>",
    "# heading",
    "1. ordered",
    "- item",
    "> quote",
    "*strong* _em_ __b__ ~~gone~~",
    "`code` ``two``",
    "a | b",
    "&amp; &#x41;",
    "$x$ and $$y$$",
    "back\\slash\\",
    "see http://127.0.0.1:9/",
    "[ref]: http://127.0.0.1:9/",
    "gs1_ideal has_nan post_hoc",
]


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


@pytest.mark.parametrize("value", HOSTILE)
def test_text_renders_as_exactly_its_characters(value: str) -> None:
    for place in ("{}", "- {}", "> {}", "para {} end"):
        out = rendered(place.format(text(value)))
        assert "<img" not in out and "<a " not in out and "<h1" not in out and "<em" not in out
        assert "<code" not in out and "<strong" not in out and "<ol" not in out and "<s>" not in out
        assert value in html.unescape(re.sub(r"<[^>]+>", "", out)), (place, out)


def test_line_breaks_of_every_kind_become_spaces() -> None:
    value = "ok?\r```\r# Injected\nheading\u2028x\x0by\x85z"
    assert text(value) == "ok? \\`\\`\\` # Injected heading x y z"
    out = rendered(f"para {text(value)}\n")
    assert out.count("<p>") == 1 and "<h1" not in out and "<pre" not in out


def test_word_underscores_stay_readable_and_cells_keep_their_numbers() -> None:
    assert text("gs1_ideal") == "gs1_ideal" and text("_x_") == "\\_x\\_"
    assert cell("-0.5 [-1, 0]") == "-0.5 \\[-1, 0\\]" and text("-0.5") == "\\-0.5"
    assert cell("a\r\nb|c") == "a b\\|c"


def test_markdown_on_purpose_passes_and_parts_are_escaped() -> None:
    made = compose("{} is untested — run {}.", "H-*X*", code("investigate run H-X"))
    assert isinstance(made, Markdown) and made == "H-\\*X\\* is untested — run `investigate run H-X`."
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``"
    assert link_target("reports/a b/(x)") == "reports/a%20b/%28x%29"
    assert cell(made) == made
