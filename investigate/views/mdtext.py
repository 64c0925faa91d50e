"""Text from runs and files placed into markdown as text: it can never become a link, an image or a heading.

The summary template joins three kinds of string. ``Markdown`` marks the few that are markdown
on purpose: the narrative the human wrote in the initiative file, what this package composes
(a command in a code span, a link to a run directory), the Mermaid block. Every other value, which
is everything a run or a file said (titles, metric names and values, arms, rows, questions,
errors), goes through ``text``: its line breaks (``\\r`` and the Unicode ones too) become spaces,
and each character that could start markup is backslash-escaped (CommonMark lets any ASCII
punctuation be escaped), so ``![p](http://x/t.png)`` stays those characters. Underscores inside a
word (``gs1_ideal``) cannot start emphasis and are left as they are, so the raw text stays readable.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

# Everywhere: code, emphasis, links and images, entities, tables, strikethrough, math.
_ALWAYS = re.compile(r"([\\`*\[\]&|~$!])")
# '<' only where it could open a tag or an autolink (``< 0.3`` stays as it is).
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
# An underscore that a word character does not surround on both sides could open or close emphasis.
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# At the start of a line: a heading, a list item, a quote, a setext underline, an ordered list.
_LEADING = re.compile(r"^([#+\-=>]|\d+[.)])")


class Markdown(str):
    """A string that is markdown on purpose; the template passes it through unescaped."""


def text(value: Any, leading: bool = True) -> str:
    """``value`` as markdown that renders as exactly its characters, on one line.

    ``leading=False`` where no block can start (a table cell), so ``-0.5`` stays ``-0.5`` there.
    """
    flat = " ".join(str(value).split())
    escaped = _ALWAYS.sub(r"\\\1", flat)
    escaped = _TAG_OPEN.sub(r"\\<", escaped)
    escaped = _LOOSE_UNDERSCORE.sub(r"\\_", escaped)
    escaped = escaped.replace("://", "\\://")  # no bare-URL autolink (GitHub's extension)
    if not leading:
        return escaped
    return _LEADING.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], escaped)


def code(value: Any) -> Markdown:
    """``value`` as an inline code span, fenced by more backticks than it holds."""
    flat = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return Markdown(f"{fence}{pad}{flat}{pad}{fence}")


def link_target(path: str) -> Markdown:
    """A relative path as a link destination: spaces, brackets and parentheses percent-encoded."""
    return Markdown(quote(path, safe="/._-~=+,:@"))


def compose(pattern: str, *parts: Any) -> Markdown:
    """``pattern`` (markdown) with each ``{}`` filled by a part: ``Markdown`` as it is, anything else as text."""
    return Markdown(pattern.format(*(p if isinstance(p, Markdown) else text(p) for p in parts)))


def finalize(value: Any) -> str:
    """The template's output hook: every ``{{ value }}`` is text unless it is ``Markdown``."""
    return value if isinstance(value, Markdown) else text(value)


def cell(value: Any) -> Markdown:
    """A table cell: one line, ``|`` escaped (already done by ``text`` for plain values)."""
    if isinstance(value, Markdown):
        return Markdown(" ".join(value.split()).replace("\\|", "|").replace("|", "\\|"))
    return Markdown(text(value, leading=False))


def trim(value: Any) -> str:
    """Jinja's ``trim`` that keeps ``Markdown`` markdown."""
    stripped = str(value).strip()
    return Markdown(stripped) if isinstance(value, Markdown) else stripped
