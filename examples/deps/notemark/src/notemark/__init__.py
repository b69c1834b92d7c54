"""Format short notes as HTML: paragraphs, ``- `` lists, ``# `` headings, ``**bold**``,
``*emphasis*`` and ``[text](http://link)``. With the ``smartquotes`` extra installed, straight
quotes become curly ones."""

import re
import sys

from htmlsafe import Markup, escape

if sys.version_info >= (3, 9):
    def removeprefix(text, prefix):
        return text.removeprefix(prefix)
else:  # pragma: no cover - depends on the interpreter
    from legacycompat import removeprefix

try:
    from curlyquotes import smarten
except ImportError:  # the smartquotes extra is not installed
    def smarten(text):
        return text

__version__ = "1.0.0"
__all__ = ["render", "SMARTQUOTES"]

SMARTQUOTES = smarten("\"x\"") != "\"x\""


def _inline(text):
    html = str(escape(smarten(text)))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    html = re.sub(r"\*(.+?)\*", r"<em>\1</em>", html)
    html = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', html)
    return html


def render(text):
    """Return the note `text` as a Markup HTML fragment."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join("<li>%s</li>" % _inline(removeprefix(line, "- ")) for line in lines)
            blocks.append("<ul>%s</ul>" % items)
        elif len(lines) == 1 and lines[0].startswith("# "):
            blocks.append("<h3>%s</h3>" % _inline(removeprefix(lines[0], "# ")))
        elif lines:
            blocks.append("<p>%s</p>" % "<br>".join(_inline(line) for line in lines))
    return Markup("\n".join(blocks))
