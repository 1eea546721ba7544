"""The one root of every error a user may see.

Each error the product raises for users (an unreadable file, a refused
upload, an unaskable question, a busy or mismatched index, a failing model
service, a missing model) subclasses ``ReasonError`` and carries a Chinese
``reason`` to show as is. The UI, the command lines and the evals catch
``ReasonError`` alone and print ``.reason``.
"""
from __future__ import annotations


class ReasonError(Exception):
    """An error whose ``reason`` is a Chinese message to show users as is."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CorpusNotFoundError(ReasonError):
    """The documents folder does not exist."""
