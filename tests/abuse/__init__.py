"""Abuse tests: slow clients, oversized bodies, token secrecy, the share page's CSP."""
