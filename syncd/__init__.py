"""syncd: key-result progress from the data, not from feel."""

__version__ = "0.1.0"
