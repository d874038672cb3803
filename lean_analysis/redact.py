"""One redaction for every output channel: manifest, HTML headers, logs, notebooks, errors.

:func:`mask_secrets` replaces URL passwords (``scheme://user:PASSWORD@host``), the values of
``password=``-like query keys, and every secret value the process knows: the values of the
password variables (:data:`SECRET_ENV`: ``PGPASSWORD``, ``MYSQL_PWD``, ``LEAN_ANALYSIS_DB_PASSWORD``)
and those registered with :func:`register_secret` (e.g. a password read from ``~/.pgpass``
or from the variable a source mapping names). The rest of the text is kept whole.

>>> mask_secrets("postgresql://ana:s3cr3t@db.local:5432/sales")
'postgresql://ana:***@db.local:5432/sales'
"""

from __future__ import annotations

import os
import re

__all__ = ["SECRET_ENV", "mask_secrets", "register_secret"]

SECRET_ENV = ("PGPASSWORD", "MYSQL_PWD", "LEAN_ANALYSIS_DB_PASSWORD")
_SECRET_URL = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):(?P<pw>[^@\s/]+)@")
_SECRET_QUERY = re.compile(r"(?i)(?P<head>(password|passwd|pwd|token|secret|key)=)[^&\s'\"]+")
_KNOWN: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears in later output (values shorter than 4
    characters are not registered: they would mask ordinary words)."""
    if value and len(value) >= 4:
        _KNOWN.add(value)


def mask_secrets(text: str) -> str:
    """``text`` with URL passwords, ``password=``-like query values and every known secret
    replaced by ``***``."""
    out = _SECRET_URL.sub(lambda m: f"{m['head']}:***@", str(text))
    out = _SECRET_QUERY.sub(lambda m: f"{m['head']}***", out)
    secrets = set(_KNOWN) | {v for k in SECRET_ENV if len(v := os.environ.get(k, "")) >= 4}
    for s in sorted(secrets, key=len, reverse=True):
        out = out.replace(s, "***")
    return out
