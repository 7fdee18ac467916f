"""``--shard K/N``: a deterministic, stable split of a resolved selection. Pure, no I/O.

Every scenario (or suite test case) goes to shard ``hash(key) mod N``, where the key is
``scenario:<id>`` (or ``case:<key>`` for suite test cases) and the hash is SHA-256, so:

- **deterministic**: the same key lands in the same shard on every machine and Python
  version (no ``hash()`` randomisation, no dependence on list order or position);
- **disjoint and covering**: each key is in exactly one of the N shards;
- **stable under additions**: adding or removing other scenarios never moves a key to
  another shard (only changing N does).

The split is balanced in expectation, not exactly: 1,000 scenarios over 4 shards give
about 250 each (see ``benchmarks/shard_split.py``). A shard can be empty when there are
few scenarios and many shards; ``cekura run`` treats that as nothing to do (exit 0).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cekura_cli.errors import UsageError

T = TypeVar("T")

_SHARD = re.compile(r"([0-9]+)/([0-9]+)")
MAX_SHARDS = 1000


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based, as written on the command line) of ``total``."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def holds(self, key: str) -> bool:
        return shard_of(key, self.total) == self.index


def parse_shard(value: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``; anything else is a one-line usage error (exit 2)."""
    match = _SHARD.fullmatch(value.strip())
    if not match:
        raise UsageError(f"--shard must be K/N (e.g. 2/4), got {value!r}")
    index, total = int(match.group(1)), int(match.group(2))
    if total < 1 or total > MAX_SHARDS:
        raise UsageError(f"--shard {value}: N must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= total:
        raise UsageError(f"--shard {value}: K must be between 1 and N ({total})")
    return Shard(index, total)


def scenario_key(scenario_id: int) -> str:
    return f"scenario:{scenario_id}"


def case_key(key: str) -> str:
    return f"case:{key}"


def shard_of(key: str, total: int) -> int:
    """The 1-based shard of ``key`` among ``total`` shards."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def split(items: Iterable[T], key: Callable[[T], str], shard: Shard) -> list[T]:
    """The items of ``shard``, in their original order."""
    return [item for item in items if shard.holds(key(item))]


def partition(items: Sequence[T], key: Callable[[T], str], total: int) -> list[list[T]]:
    """All ``total`` shards at once (for tests and benchmarks): ``result[k - 1]`` is shard k."""
    shards: list[list[T]] = [[] for _ in range(total)]
    for item in items:
        shards[shard_of(key(item), total) - 1].append(item)
    return shards
