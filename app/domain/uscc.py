"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last one a
check character computed from the first 17 with weights 3^i mod 31 over a 31-character alphabet."""

from __future__ import annotations

import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_code(text: str) -> str:
    """Full-width letters and digits to half-width, spaces removed, upper case (any code)."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (which must be in the alphabet)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return "must be 18 characters"
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        return f"contains characters not allowed in a USCC: {''.join(bad)}"
    if not code[8:17].isalnum():
        return "the organisation code part is invalid"
    if check_character(code[:17]) != code[17]:
        return f"wrong check character (expected {check_character(code[:17])})"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(normalise_code(code)) is None
