"""The ``investigate`` program: an argv scan decides only whether to start the store survey early."""

import pytest

from investigate.cli.console import command_and_workspace, start_survey


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status"], ("status", None)),
        (["--workspace", "w", "list", "--json"], ("list", "w")),
        (["status", "--workspace", "w"], ("status", "w")),
        (["--debug", "--workspace=w", "status"], ("status", "w")),
        (["run", "H-A", "--where", "status=ok"], ("run", None)),
        (["--", "status"], (None, None)),
        (["--workspace"], (None, None)),
        ([], (None, None)),
    ],
)
def test_command_and_workspace(argv, expected) -> None:
    assert command_and_workspace(argv) == expected


def test_only_status_and_list_start_a_survey(numpy_ws) -> None:
    assert start_survey(["--workspace", str(numpy_ws), "run", "H-A"]) is None
    assert start_survey(["--workspace", str(numpy_ws / "nowhere"), "status"]) is None  # no workspace: none
