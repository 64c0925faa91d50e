"""``show`` prints what a run returned, bounded: a huge or hostile string cannot flood the terminal."""

from __future__ import annotations

from investigate.cli.main import main
from investigate.views.terminal import bounded
from tests.conftest import hypothesis

BIG_PY = """
def big(params, ctx):
    return {"blob": "x" * 11_534_336, "ansi": "\\x1b[2J\\x1b]0;owned\\x07ok", "loss": 0.5}
"""


def test_bounded_cuts_with_the_length_and_escapes_control_characters() -> None:
    assert bounded("abc") == "abc"
    assert bounded("y" * 300) == "y" * 200 + "… (300 characters)"
    assert bounded("\x1b[2J\r\nz\u2028") == "\\x1b[2J\\x0d\\x0az\\u2028"


def test_show_bounds_a_huge_string_metric(make_ws, capsys) -> None:
    root = make_ws({"exps/__init__.py": "", "exps/big.py": BIG_PY,
                    "hypotheses/H-BIG.yaml": hypothesis("H-BIG", "run: exps.big:big")})  # fmt: skip
    assert main(["--workspace", str(root), "run", "H-BIG"]) == 0
    capsys.readouterr()
    assert main(["--workspace", str(root), "show", "H-BIG"]) == 0
    out = capsys.readouterr().out
    assert len(out) < 5000
    assert "blob=" + "x" * 200 + "… (11534336 characters)" in out
    assert "\x1b" not in out and "ansi=\\x1b[2J\\x1b]0;owned\\x07ok" in out and "loss=0.5" in out
