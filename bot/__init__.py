"""arxiv-digest-bot: the platform-neutral core.

Nothing in this package imports a chat platform or an adapter; the import contract in
pyproject.toml is checked in CI.
"""

__version__ = "0.1.0"
