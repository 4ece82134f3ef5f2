"""davtui: migrate and sync CalDAV/CardDAV data between servers."""

__version__ = "0.1.0"
