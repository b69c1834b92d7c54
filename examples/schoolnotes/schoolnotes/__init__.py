"""School Notes: a notice board for a school's staff room (sneakpack's example app)."""

__version__ = "1.0.0"
