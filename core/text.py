"""Text shown exactly as written: the one Markdown-safe escaping for text that comes from submissions."""
from __future__ import annotations

import re

_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def plain(text: str) -> str:
    """`text` for Markdown, shown exactly as written: ASCII punctuation backslash-escaped (CommonMark), so a
    project or company name from a submission cannot become a link, an image or formatting on another user's screen."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
