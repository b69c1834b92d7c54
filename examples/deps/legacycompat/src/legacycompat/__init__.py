"""str.removeprefix / str.removesuffix (PEP 616, Python 3.9) for older Pythons."""

__version__ = "1.0.0"
__all__ = ["removeprefix", "removesuffix"]


def removeprefix(text, prefix):
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


def removesuffix(text, suffix):
    return text[:-len(suffix)] if suffix and text.endswith(suffix) else text
