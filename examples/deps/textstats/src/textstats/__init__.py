"""Word counts and reading times for notes. Uses the C extension ``textstats._speedups`` when the
installed wheel has it, and the same algorithm in Python otherwise."""

try:
    from textstats._speedups import count_words
    IMPLEMENTATION = "C speedups"
except ImportError:
    from textstats._pure import count_words
    IMPLEMENTATION = "pure Python"

__version__ = "1.0.0"
__all__ = ["count_words", "reading_minutes", "IMPLEMENTATION"]


def reading_minutes(text, words_per_minute=200):
    """Whole minutes to read `text`, at least 1."""
    return max(1, -(-count_words(text) // words_per_minute))
