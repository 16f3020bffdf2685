"""Operator subcommands: stats, review, vary, replay (the learning loop and the cost report)."""

from __future__ import annotations


def register(sub) -> None:
    """Add the operator subcommands to the `botan-line` parser."""
