"""Fault tests: killed servers, a database that goes away."""
