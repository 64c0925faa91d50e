"""``investigate serve``: a read-only local web UI over the live store (Starlette, Jinja2 templates)."""
