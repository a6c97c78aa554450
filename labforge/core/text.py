"""Text from outside (a server's message, a user's name) made fit to show: control characters
(C0, C1, DEL), terminal escape sequences and Unicode's line and bidi-override characters become
`?`, and the text is cut to a length. What rich would read as markup is the printer's business:
it prints this as `rich.text.Text`, never as markup (cli/output.py)."""

from __future__ import annotations

import re

ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)", re.ASCII)  # CSI, OSC, others
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\n\t]")


def plain(text: str, limit: int = 200) -> str:
    """One line of printable text, at most `limit` characters (an ellipsis says it was cut)."""
    text = UNSAFE.sub("?", ESCAPE.sub("?", str(text)))
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
