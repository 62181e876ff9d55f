"""URL normalisation: the cases a page's key must survive."""

from __future__ import annotations

import pytest

from gloss.urls import is_web_url, normalize_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Example.COM/a/b", "https://example.com/a/b"),
        ("http://example.com/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?fbclid=abc", "https://example.com/a"),
        ("https://www.example.com/a", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/a%2fb", "https://example.com/a/b"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("http://127.0.0.1:8000/page.html", "https://127.0.0.1:8000/page.html"),
        ("https://example.com/search?q=a+b", "https://example.com/search?q=a%20b"),
        ("urn:x-pdf:1234#p2", "urn:x-pdf:1234"),
        # Tracking parameters in any case, several at once; an emptied query leaves no "?".
        ("https://example.com/a?UTM_Source=x&b=1", "https://example.com/a?b=1"),
        ("https://example.com/a?gclid=1&fbclid=2&utm_term=3", "https://example.com/a"),
        ("https://example.com/?", "https://example.com/"),
        # Repeated keys are kept, in a stable order; an empty value is still a value.
        ("https://example.com/a?b=2&b=1", "https://example.com/a?b=1&b=2"),
        ("https://example.com/a?q=", "https://example.com/a?q="),
        # Paths are case-sensitive; hosts are not, nor is a trailing root dot.
        ("HTTPS://EXAMPLE.COM/A/B", "https://example.com/A/B"),
        ("https://example.com./a", "https://example.com/a"),
        ("http://[::1]:8080/x", "https://[::1]:8080/x"),
        # A single-page app's hash route is a fragment too: one page for the server.
        ("https://example.com/a?a=1#!/route", "https://example.com/a?a=1"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_normalisation_is_idempotent() -> None:
    url = "HTTP://WWW.Example.com:80/a/b/?utm_campaign=z&x=1#frag"
    once = normalize_url(url)
    assert normalize_url(once) == once


def test_is_web_url() -> None:
    assert is_web_url("https://example.com/a")
    assert not is_web_url("chrome://settings")
    assert not is_web_url("file:///etc/passwd")
    assert not is_web_url("not a url")
