"""Turn straight quotes into curly ones and `--` into an en dash."""

import re

__version__ = "1.0.1"
__all__ = ["smarten"]


def smarten(text):
    text = text.replace("--", "\u2013")
    text = re.sub(r'(^|[\s(\[])"', "\\1\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(r"(^|[\s(\[])'", "\\1\u2018", text)
    return text.replace("'", "\u2019")
