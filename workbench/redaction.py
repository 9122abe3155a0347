"""Redaction: secret values, and parameters that look like secrets, never reach a stored record.

* :func:`redact` replaces the values of a pipeline's secrets, also in their escaped forms
  (:func:`secret_forms`), by ``[secret NAME]``; :func:`redact_notebook` does it to every string
  of an executed notebook before each save (see :mod:`workbench.pipelines._engine`);
* :func:`redact_params` prepares parameters for the tracking store: the value of a key that
  names a secret (``password``, ``token``, ``api_key``, ``client_secret`` ...) becomes
  ``[redacted]``, a URL's password is blanked, and the values of the running pipeline's secrets
  (named to the kernel in ``WORKBENCH_SECRET_NAMES``) are redacted wherever they appear.

Only the standard library is imported: the Airflow runtime and the notebook kernel use it.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "REDACTED", "SECRET_NAMES_ENV", "is_redacted", "looks_secret", "pipeline_secrets", "redact", "redact_notebook",
    "redact_params", "secret_forms",
]

REDACTED = "[redacted]"
# The names (never the values) of the running pipeline's secrets, given to the notebook's kernel.
SECRET_NAMES_ENV = "WORKBENCH_SECRET_NAMES"
# Words (after splitting a key on '_', '-', '.', spaces and camelCase) that make its value a secret;
# two adjacent words count joined, so api_key, apiKey and API-KEY all read "apikey".
SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "accesskey", "secretkey",
    "privatekey", "credential", "credentials", "auth", "authorization", "cookie", "sessionid", "dsn",
})
_URL_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/\s:@]*):(?P<password>[^/\s@]+)@")
_BEARER = re.compile(r"(?i)\b(?P<kind>bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_MARKER = re.compile(r"\[redacted\]|\[secret [A-Za-z_][A-Za-z0-9_]*\]")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _backslashed(text: str, quote: str) -> str:
    return text.replace("\\", "\\\\").replace(quote, "\\" + quote)


# How a value is shown escaped: inside repr() (either quote), json.dumps(), html.escape().
_ESCAPES: tuple[Callable[[str], str], ...] = (
    lambda s: repr(s)[1:-1],
    lambda s: _backslashed(s, "'"),
    lambda s: _backslashed(s, '"'),
    lambda s: json.dumps(s)[1:-1],
    lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    html.escape,
    lambda s: html.escape(s, quote=False),
)


@functools.lru_cache(maxsize=256)
def secret_forms(value: str) -> tuple[str, ...]:
    """``value`` as printed and as shown escaped once or twice (the repr of a JSON string,
    the HTML page of a repr ...), longest first so a longer form is replaced before its parts."""
    forms = {value}
    for _ in range(2):
        forms |= {escape(form) for form in forms for escape in _ESCAPES}
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every secret value, also escaped (:func:`secret_forms`), replaced by
    ``[secret NAME]``."""
    for name, value in secrets.items():
        if value:
            for form in secret_forms(value):
                if form in text:
                    text = text.replace(form, f"[secret {name}]")
    return text


def redact_notebook(node: Any, secrets: Mapping[str, str]) -> Any:
    """Redact every string inside a notebook (or any JSON-like value) in place; returns it."""
    if not secrets:
        return node
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = redact(value, secrets) if isinstance(value, str) else redact_notebook(value, secrets)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = redact(value, secrets) if isinstance(value, str) else redact_notebook(value, secrets)
    return node


def looks_secret(key: str) -> bool:
    """Whether a parameter named ``key`` holds a secret (``db_password``, ``apiKey``, ``HF_TOKEN`` ...)."""
    words = [w.lower() for w in _WORD_SPLIT.split(str(key)) if w]
    pairs = [a + b for a, b in itertools.pairwise(words)]
    return any(word in SECRET_WORDS for word in (*words, *pairs))


def pipeline_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The running pipeline's secrets (name -> value), read in the kernel from :data:`SECRET_NAMES_ENV`."""
    environ = os.environ if environ is None else environ
    names = [n for n in environ.get(SECRET_NAMES_ENV, "").split(",") if n]
    return {name: environ[name] for name in names if environ.get(name)}


def redact_params(params: Mapping[str, Any], *, secrets: Mapping[str, str] | None = None) -> dict[str, str]:
    """``params`` as the strings to store, with secrets redacted (see the module docstring).

    ``secrets`` defaults to the running pipeline's (:func:`pipeline_secrets`).
    """
    secrets = pipeline_secrets() if secrets is None else secrets
    out = {}
    for key, value in params.items():
        text = str(value)
        if looks_secret(str(key)):
            text = REDACTED
        else:
            text = redact(text, secrets)
            text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
            text = _BEARER.sub(lambda m: f"{m['kind']} {REDACTED}", text)
        out[str(key)] = text
    return out


def is_redacted(text: str) -> bool:
    """Whether ``text`` (a stored parameter) had something redacted from it."""
    return bool(_MARKER.search(text))
