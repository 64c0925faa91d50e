"""pandas, imported in one place with a message that says how to get it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError

if TYPE_CHECKING:
    import pandas as pd

MISSING = "investigate.api needs pandas: pip install 'investigate[api]'"


def frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame of ``rows`` with ``columns`` in that order (all of them even with no rows)."""
    try:
        import pandas as pd
    except ImportError:
        raise InvestigateError(MISSING) from None
    return pd.DataFrame(rows, columns=columns)
