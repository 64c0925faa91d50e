"""``investigate mcp``: the investigation as tools for a coding agent (Model Context Protocol, stdio)."""
