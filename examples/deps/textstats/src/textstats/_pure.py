"""The pure-Python fallback of textstats._speedups (same results)."""


def count_words(text):
    """Number of maximal runs of non-whitespace characters in `text`."""
    if not isinstance(text, str):
        raise TypeError("count_words() argument must be str, not %s" % type(text).__name__)
    return len(text.split())
