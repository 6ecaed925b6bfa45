"""Secrets kept out of every error text: the configured API key and passwords in URLs are
scrubbed before an error is printed, saved in a draft's details or audited."""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote, urlsplit

MASK = "***"
# `scheme://user:password@host`: the password goes, the rest stays readable
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*):[^/\s@]*@")
_MIN_SECRET = 4  # shorter values would mask ordinary words

_known: set[str] = set()
_lock = threading.Lock()


def remember(*values: str | None) -> None:
    """Scrub these values (a key, a password) from every error text from now on."""
    with _lock:
        _known.update(v for v in values if v and len(v) >= _MIN_SECRET)


def url_password(url: str | None) -> str | None:
    """The password in `url` (`scheme://user:password@host`), if it has one."""
    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def scrub(text: str) -> str:
    """`text` with every remembered secret and every password in a URL replaced by ***."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # a longer secret may contain a shorter
    for secret in known:
        text = text.replace(secret, MASK)
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)
