"""Where finished conversations go: one JSON file each, and a bounded in-memory list.

Secrets said during a conversation are masked (:func:`redact_tree`). Files are
written atomically (temp file in the same directory, fsync, ``os.replace``)
when a conversation finishes, never per frame, so a crash or SIGTERM loses no
conversation that had finished and never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import Any

from cekura_cli.redact import redact
from cekura_cli.shim.session import Conversation
from cekura_cli.shim.transcript import provider_call, transcript_document, transcript_filename

log = logging.getLogger("cekura_cli.shim")

CALLS_KEPT = 1000
"""``GET /calls`` serves at most this many of the most recent conversations."""


def redact_tree(value: Any) -> Any:
    """``value`` with every registered secret masked in every string (keys included).

    A conversation can *say* a secret (a tester probing, an agent dumping its
    environment); transcripts and ``/calls`` must not keep it in clear.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_tree(k): redact_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v) for v in value]
    return value


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` to ``path`` so that readers see the old file or the new one."""
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a legal JSON escape) has no UTF-8 form
        data = (json.dumps(document, ensure_ascii=True, indent=2) + "\n").encode("ascii")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class TranscriptStore:
    """Keeps finished conversations for ``GET /calls`` and writes their files.

    Recording a conversation is O(1) and happens on the event loop; building its
    documents (and masking secrets in them) happens in :meth:`write`, off the loop,
    or lazily, once, when ``/calls`` first asks for it. So a burst of conversations
    ending together never stalls the ones still talking.
    """

    def __init__(self, directory: Path | None, *, keep: int = CALLS_KEPT) -> None:
        self.directory = directory
        # [conversation, its provider-format call once built]
        self._finished: deque[list[Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.written: list[Path] = []

    def prepare(self) -> None:
        """Create the directory up front, so a bad path fails at start, not mid-run."""
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    def record(self, conv: Conversation) -> None:
        """Remember a finished conversation for ``/calls`` (cheap; on the event loop)."""
        with self._lock:
            self._finished.append([conv, None])

    def write(self, conv: Conversation) -> Path | None:
        """Write ``conv``'s transcript file (blocking: call it off the event loop)."""
        if self.directory is None:
            return None
        path = self.directory / transcript_filename(conv)
        try:
            write_json_atomic(path, redact_tree(transcript_document(conv)))
        except OSError as exc:
            log.error("could not write transcript %s: %s", path, exc)
            return None
        with self._lock:
            self.written.append(path)
        return path

    def save(self, conv: Conversation) -> Path | None:
        """:meth:`record` and :meth:`write` in one go (blocking)."""
        self.record(conv)
        return self.write(conv)

    def calls(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Finished conversations, provider format, secrets masked, most recent last."""
        with self._lock:
            items = list(self._finished)
        if limit is not None and limit >= 0:
            items = items[len(items) - limit :] if limit else []
        out = []
        for item in items:
            if item[1] is None:  # built once; a finished conversation no longer changes
                item[1] = redact_tree(provider_call(item[0]))
            out.append(item[1])
        return out
