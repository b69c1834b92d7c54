"""Escape text for HTML, and mark strings that are already HTML (like markupsafe, much smaller)."""

__version__ = "1.2.0"
__all__ = ["Markup", "escape"]


class Markup(str):
    """A string that is already HTML: escape() returns it unchanged."""

    def __html__(self):
        return self

    def __add__(self, other):
        return Markup(str.__add__(self, escape(other)))

    def join(self, items):
        return Markup(str.join(self, (escape(i) for i in items)))


def escape(value):
    """Return `value` as safe HTML: Markup (or anything with __html__) as is, the rest escaped."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    text = str(value)
    return Markup(
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )
