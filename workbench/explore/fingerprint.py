"""Dataset fingerprints: a stable content hash, the row count and a schema hash.

The content hash is computed from pandas' vectorised per-row hashes, so it costs one pass over
the data. With ``order_sensitive=False`` the row hashes are combined by sorting them, so the same
rows in another order give the same fingerprint.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd

from workbench.explore._columns import reject_nested, text_columns

__all__ = ["Fingerprint", "fingerprint"]


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    """A dataset's identity: ``content`` and ``schema`` hashes and its shape."""

    content: str
    schema: str
    rows: int
    columns: int
    order_sensitive: bool

    def __str__(self) -> str:
        return f"{self.content[:16]}:{self.rows}x{self.columns}"

    @property
    def tag(self) -> str:
        """The compact form logged as the ``workbench.data_fingerprint`` run tag."""
        return f"sha256:{self.content}"


def schema_hash(frame: pd.DataFrame) -> str:
    """Hash of the column names and dtypes, in order."""
    spec = "\n".join(f"{name}:{dtype}" for name, dtype in frame.dtypes.astype(str).items())
    return hashlib.sha256(spec.encode()).hexdigest()


def fingerprint(frame: pd.DataFrame, *, order_sensitive: bool = True) -> Fingerprint:
    """Fingerprint ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1, 2, 3]})
    >>> fingerprint(a, order_sensitive=False).content == fingerprint(a.iloc[::-1], order_sensitive=False).content
    True
    """
    frame = text_columns(frame)
    reject_nested(frame)
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    if not order_sensitive:
        row_hashes = np.sort(row_hashes)
    digest = hashlib.sha256(schema_hash(frame).encode())
    digest.update(np.ascontiguousarray(row_hashes).tobytes())
    return Fingerprint(
        content=digest.hexdigest(),
        schema=schema_hash(frame),
        rows=len(frame),
        columns=frame.shape[1],
        order_sensitive=order_sensitive,
    )
