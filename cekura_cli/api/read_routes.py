"""Which route a read goes to: the current v2 one, or its deprecated v1 twin.

The OAS marks every v1 GET on results and runs deprecated (``cekura-api-more.md`` §1).
Reads go to v2; when v2 refuses one (404, 405 or 410) the same read is made once on v1,
and if v1 answers, v1 is kept for the rest of the client's life (one client per
process). 404 from both means the resource really does not exist: v2 stays the choice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from cekura_cli.errors import ServiceError

T = TypeVar("T")

logger = logging.getLogger("cekura_cli.api")

RESULT_PATH = "/test_framework/v2/results/{id}/"
RUNS_BULK_PATH = "/test_framework/v2/runs/bulk/"
RESULT_PATH_V1 = "/test_framework/v1/results/{id}/"
RUNS_BULK_PATH_V1 = "/test_framework/v1/runs/bulk/"
FALLBACK_STATUSES = frozenset({404, 405, 410})


@dataclass
class ReadRoutes:
    reads_v1: bool = False
    """True once a v2 read was refused and its v1 twin answered."""

    def read(self, read: Callable[[str], T], path: str, v1_path: str) -> T:
        """``read(path)`` on the current route; once on ``v1_path`` if v2 refuses it."""
        if self.reads_v1:
            return read(v1_path)
        try:
            return read(path)
        except ServiceError as exc:
            if exc.status_code not in FALLBACK_STATUSES:
                raise
            logger.debug("GET %s answered %s; trying the v1 route", path, exc.status_code)
            value = read(v1_path)  # 404 here too: really not found, and v2 stays the choice
        self.reads_v1 = True
        logger.debug("reading through the deprecated v1 routes from now on")
        return value
