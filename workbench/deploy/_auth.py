"""Who may call the service: the bearer token from a file, and no open port without one."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from workbench.exceptions import ServingError


def read_token_file(path: Path | str) -> str:
    """The bearer token held in ``path`` (surrounding whitespace stripped).

    A missing, unreadable or empty file is a :class:`ServingError`: serving without auth
    because a secret failed to mount would be silent and wrong.
    """
    source = Path(path)
    try:
        token = source.read_text(encoding="utf-8").strip()
    except FileNotFoundError as err:
        raise ServingError(f"the token file {source} does not exist",
                           hint="write the bearer token into it (or mount the Secret there), "
                                "or drop --token-file to serve without auth on 127.0.0.1") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ServingError(f"cannot read the token file {source}: {err}",
                           hint="make it a readable UTF-8 text file holding the bearer token") from err
    if not token:
        raise ServingError(f"the token file {source} is empty, which would switch auth off",
                           hint="write the bearer token into it, e.g. `python -c \"import secrets; "
                                f"print(secrets.token_hex(32))\" > {source}`")
    return token


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, *, token: str | None, insecure: bool) -> None:
    """Refuse to listen beyond loopback without a token, unless ``insecure`` says so on purpose."""
    if token is None and not insecure and not is_loopback(host):
        raise ServingError(
            f"--host {host} would accept predictions from other machines without any authentication",
            hint="pass --token-file FILE to require a bearer token, bind 127.0.0.1, "
                 "or pass --insecure if another layer (a gateway, a private network) guards the port",
        )
