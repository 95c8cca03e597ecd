"""Errors a user can cause, located at ``file:line`` with the source line and a suggestion.

``DifferentiationError`` itself lives in ``retrograd.runtime`` so generated code can raise it
without importing the compiler; this module re-exports it and builds located instances.
"""
from retrograd.runtime import DifferentiationError

__all__ = ["DifferentiationError", "refuse", "InternalError"]


def refuse(context, node, message, hint=None):
    """A DifferentiationError pointing at ``node`` of the function described by ``context``."""
    line = getattr(node, "lineno", None) if node is not None else None
    if line is None:
        line = context.source.first_line
    return DifferentiationError(message, filename=context.source.filename, lineno=line,
                                source_line=context.source.line(line), hint=hint)


class InternalError(DifferentiationError):
    """A failure inside retrograd itself, reported against the user's source line."""
