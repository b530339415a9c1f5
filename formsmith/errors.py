"""FormsmithError and its kinds; each kind carries the exit code the CLI uses."""
from __future__ import annotations


class FormsmithError(Exception):
    """Base of every error formsmith raises on purpose. Exit code 1: the operation failed."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The message as the lines a user should read (one per problem)."""
        return [str(self)]


class InputError(FormsmithError):
    """The user's input is wrong (bad data, unknown id, bad option). Exit code 2."""

    exit_code = 2


class NotFoundError(InputError):
    """A record, document, template or workspace named by the user does not exist."""


class WorkspaceError(InputError):
    """No workspace found, or its formsmith.toml is malformed."""


class SettingsError(WorkspaceError):
    """formsmith.toml holds a value formsmith cannot use; one line per bad setting."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def lines(self) -> list[str]:
        return list(self.problems)


class TemplateError(InputError):
    """A template's manifest or body is malformed."""


class TemplateSecurityError(TemplateError):
    """A template tried to reach Python internals, a file outside its folder, or the network."""


class ValidationError(InputError):
    """Data does not satisfy a template's field schema; carries every problem found."""

    def __init__(self, problems: list[str], record: str = ""):
        self.problems = list(problems)
        self.record = record
        prefix = f"{record}: " if record else ""
        super().__init__("; ".join(prefix + p for p in self.problems))

    def lines(self) -> list[str]:
        prefix = f"{self.record}: " if self.record else ""
        return [prefix + p for p in self.problems]


class MissingGlyphError(ValidationError):
    """Some characters of the data have no glyph in the configured fonts (would print as boxes)."""


class StateError(InputError):
    """A lifecycle transition that is not allowed (e.g. archived → printed)."""


class RenderError(FormsmithError):
    """The rendering engine failed. Exit code 1."""


class StoreError(FormsmithError):
    """The store is unreadable, of an unknown schema version, or could not be written."""


class VerificationFailed(FormsmithError):
    """A file is not byte-identical to a document formsmith issued. Exit code 3."""

    exit_code = 3
