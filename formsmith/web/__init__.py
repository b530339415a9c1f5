"""The counter's web app (`formsmith serve`): server-rendered pages on the library, behind
sign-in with roles, CSRF-checked forms and the audit log; no business logic of its own."""
from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
