"""Argument types shared by several verbs: each refuses bad text with one line."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A whole number ``>= 1``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def formats(text: str) -> list[str]:
    """``html``, ``pdf`` or ``html,pdf``."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in parts if p not in ("html", "pdf")]
    if bad or not parts:
        raise argparse.ArgumentTypeError(f"expected html, pdf or html,pdf, got {text!r}")
    return parts
