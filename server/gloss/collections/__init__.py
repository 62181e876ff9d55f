"""Highlight collections as W3C Web Annotation containers: API, formats and the share page."""
