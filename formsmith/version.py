"""The version of formsmith: written here only (pyproject.toml reads it, CHANGELOG.md says what it holds)."""

__version__ = "0.3.0"
