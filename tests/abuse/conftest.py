"""Abuse tests run against a live server on loopback, like the fault tests."""

from __future__ import annotations

from tests.faults.conftest import Deployment, deployment

__all__ = ["Deployment", "deployment"]
