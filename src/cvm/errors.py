"""The errors a user can act on: one root, :class:`CvmError`.

Every error that cvm raises because of what it was given (a file that cannot be read, a column
mapping or a setting that is wrong, a workspace, run or customer that is not there, an optional
engine that is not installed, a model asked for predictions before it was fitted) is a
:class:`CvmError`; its message is one sentence that says what is wrong and what to do. The
command line catches :class:`CvmError` once and prints that sentence (exit code 2); anything
else is a fault in cvm and keeps its traceback.

Each error stays in the module that raises it (``cvm.ingest.readers.SourceError``,
``cvm.workspace.WorkspaceError`` …) and keeps the built-in base that callers may already catch
(``ValueError`` for bad input, ``LookupError`` for something not found …), with
:class:`CvmError` as its first base::

    class SourceError(CvmError, ValueError):
        "A source file cannot be read; the message says which and why."

A new capability adds its own error the same way. This module imports nothing from cvm, so any
module can import it.
"""

from __future__ import annotations

__all__ = ["CvmError", "ConfigError"]


class CvmError(Exception):
    """An error the user can act on; the message says what is wrong and how to fix it."""


class ConfigError(CvmError, ValueError):
    """A setting or a mapping file is wrong; the message says which and how to fix it."""
