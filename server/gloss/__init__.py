"""Gloss: entities, glossary terms, related articles and team highlights for any page."""

__version__ = "0.1.0"
