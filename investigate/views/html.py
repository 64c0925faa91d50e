"""The summary as one self-contained HTML page: no script, no stylesheet or font to fetch.

The page is the markdown summary rendered with markdown-it (CommonMark + tables; raw HTML in the
text is escaped, never passed through; every string from a run or a file already reaches it as
escaped text, see ``mdtext``), with two substitutions: the Mermaid block becomes the decision tree
drawn as inline SVG (``svgtree``), and each figure becomes a base64 ``data:`` URI. Any other image
(the narrative may name one) becomes a link, so the page fetches nothing.
Links to run directories and files stay relative to the page, as in the markdown.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any, cast

CSS = """
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; max-width: 76rem;
       margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1 { border-bottom: 2px solid #1f5fbf; padding-bottom: .3rem; }
h2 { margin-top: 2rem; color: #1f3f7f; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .88rem; }
th, td { border: 1px solid #c8c8c8; padding: .3rem .5rem; vertical-align: top; text-align: left; }
th { background: #eef2fa; }
tbody tr:nth-child(even) { background: #fafafa; }
blockquote { border-left: 4px solid #b08800; background: #fff8e1; margin: 1rem 0; padding: .2rem 1rem; }
code { background: #f2f2f2; padding: 0 .2rem; border-radius: 3px; }
img { max-width: 100%; display: block; margin: .8rem 0; border: 1px solid #e2e2e2; }
figure.tree { overflow-x: auto; margin: 1rem 0; }
hr { border: 0; border-top: 1px solid #ddd; margin: 2rem 0; }
"""


def summary_html(markdown: str, context: dict[str, Any]) -> str:
    """The page for ``markdown``, rendered from ``context`` (its figures and tree walk)."""
    from markdown_it import MarkdownIt

    from investigate.views.svgtree import render_svg

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    # the figures, the history curves and the runs' images the summary drew or chose (each size-capped)
    drawn = [*context.get("figures", []), *context.get("curves", [])]
    drawn += [i for group in context.get("images", []) for i in group["shown"] if "file" in i]
    figures = {f["path"]: Path(f["file"]) for f in drawn}
    walk = context.get("tree_walk")
    rules: dict[str, Any] = cast(Any, md.renderer).rules  # the HTML renderer's; the protocol omits them
    default_fence = rules.get("fence")
    default_image = rules.get("image")

    def fence(_renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        if tokens[idx].info.strip() == "mermaid" and walk is not None:
            return f'<figure class="tree">\n{render_svg(walk)}\n</figure>\n'
        return str(default_fence(tokens, idx, options, env)) if default_fence else ""

    def image(_renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        src = str(tokens[idx].attrGet("src") or "")
        path = figures.get(src)
        if path is None or not path.is_file():
            # Not one of the summary's figures (an image the narrative names, or one a figure file
            # lacks): a link, never an <img> that would fetch from elsewhere in a self-contained page.
            alt = html.escape(tokens[idx].content or src)
            return f'<a href="{html.escape(src)}">[image: {alt}]</a>'
        tokens[idx].attrSet("src", "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode())
        return str(default_image(tokens, idx, options, env)) if default_image else ""

    md.add_render_rule("fence", fence)
    md.add_render_rule("image", image)
    body = md.render(_without_comment(markdown))
    title = html.escape(f"{context['initiative']['id']} Final Summary")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _without_comment(markdown: str) -> str:
    # the stdout note is an HTML comment, which the escaping renderer would print as text
    first, _, rest = markdown.partition("\n")
    return rest if first.startswith("<!--") and first.endswith("-->") else markdown
