"""Where finished conversations go: one JSON file each, and a bounded in-memory list.

Secrets said during a conversation are masked. When a conversation finishes, its
document is built and serialised once, on the event loop (a few tens of microseconds:
see :func:`transcript_bytes`), and handed to **one writer thread** that writes the
files in batches: each through a temporary file and ``os.replace``, so a reader sees
the old file or the new one, never half of one. There is no fsync per file: a crash of
the shim loses nothing the OS already has; only a crash of the machine itself can lose
the last few seconds of transcripts. The thread does nothing but system calls (which
release the GIL), so it never competes with the event loop for the interpreter, and
it wakes the loop once per batch, not once per conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cekura_cli.redact import redact, registered_secrets
from cekura_cli.shim.session import Conversation
from cekura_cli.shim.transcript import (
    JSON,
    entries_json,
    provider_call,
    transcript_document,
    transcript_filename,
)

log = logging.getLogger("cekura_cli.shim")

CALLS_KEPT = 1000
"""``GET /calls`` serves at most this many of the most recent conversations."""

RUNS_REMEMBERED = 10_000
"""Run ids remembered for numbering reconnects (``<run id>-2``) and customer numbers."""


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


def _text_masking_is_exact() -> bool:
    """True when masking the serialised JSON finds every secret the tree walk would.

    That holds when no secret changes under JSON string escaping (no quote, backslash
    or control character): the serialised text then holds each occurrence verbatim.
    """
    return all(json.dumps(s, ensure_ascii=False)[1:-1] == s for s in registered_secrets())


def dumps_document(document: dict[str, Any], raw: dict[str, str] | None = None) -> str:
    """The transcript file's text: the head on one line, then each list on its own.

    ``raw`` holds values already encoded as JSON (appended after ``document``'s keys;
    ``document`` must not be empty). Compact, so that :mod:`json` keeps its C encoder:
    ``indent`` would switch it to the pure-Python one, about 10x slower.
    """
    if raw is None:
        raw = {}
        for key in ("transcript_object", "messages"):
            if key in document:
                document = dict(document)
                raw[key] = JSON.encode(document.pop(key))
    text = JSON.encode(document)[:-1]
    for key, value in raw.items():
        text += f",\n {JSON.encode(key)}: {value}"
    return text + "}\n"


def transcript_text(conv: Conversation, *, ordinal: int = 1, number: str | None = None) -> str:
    """The transcript file of ``conv`` as text, every registered secret masked.

    The usual case costs one pass: the document's head dumped by the C encoder, its
    entries encoded once for both formats (:func:`entries_json`), and, when secrets are
    registered, one masking scan of the whole text. Only when that scan finds a secret
    (or a secret would look different inside JSON) is the document masked string by
    string.
    """
    head = transcript_document(conv, ordinal=ordinal, number=number, entries=False)
    cekura, provider = entries_json(conv)
    text = dumps_document(head, {"transcript_object": cekura, "messages": provider})
    if not registered_secrets():
        return text
    if _text_masking_is_exact() and redact(text) == text:
        return text
    return dumps_document(redact_tree(transcript_document(conv, ordinal=ordinal, number=number)))


def _encode(text: str, document: Callable[[], dict[str, Any]]) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a legal JSON escape) has no UTF-8 form
        return (json.dumps(redact_tree(document()), ensure_ascii=True) + "\n").encode("ascii")


_temp_names = itertools.count()
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    Plain ``os`` calls on a counter-named temporary file in the same directory:
    :func:`tempfile.mkstemp` costs more than the write itself for a small file.
    """
    tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}.{next(_temp_names)}.tmp")
    try:
        fd = os.open(tmp, _OPEN_FLAGS, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` as JSON to ``path`` atomically (and durably: fsync)."""
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = (json.dumps(document, ensure_ascii=True, indent=2) + "\n").encode("ascii")
    write_bytes_atomic(path, data, fsync=True)


_Job = tuple[Path, bytes, "asyncio.Future[Path | None] | None"]


class TranscriptWriter:
    """One daemon thread that writes transcript files in batches (see module doc)."""

    def __init__(self, on_written: Callable[[Path], None]) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._on_written = on_written
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, path: Path, data: bytes, done: asyncio.Future[Path | None] | None) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="cekura-shim-transcripts", daemon=True
                    )
                    self._thread.start()
        self._jobs.put((path, data, done))

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, then stop the thread (idempotent)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout_s)

    def _run(self) -> None:
        jobs = self._jobs
        while True:
            batch = [jobs.get()]
            with contextlib.suppress(queue.Empty):
                while len(batch) < 256:
                    batch.append(jobs.get_nowait())
            settled: list[tuple[asyncio.Future[Path | None], Path | None]] = []
            stop = False
            for job in batch:
                if job is None:
                    stop = True
                    continue
                path, data, done = job
                written: Path | None = path
                try:
                    write_bytes_atomic(path, data)
                    self._on_written(path)
                except Exception as exc:  # never let one file stop the writer
                    log.error("could not write transcript %s: %s", path, exc)
                    written = None
                if done is not None:
                    settled.append((done, written))
            if settled:
                _settle_all(settled)
            if stop:
                return


def _settle_all(settled: list[tuple[asyncio.Future[Path | None], Path | None]]) -> None:
    """Resolve a batch of futures with one wake-up per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
    for future, value in settled:
        by_loop.setdefault(future.get_loop(), []).append((future, value))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[asyncio.Future[Path | None], Path | None]]) -> None:
    for future, value in items:
        if not future.done():
            future.set_result(value)


class TranscriptStore:
    """Keeps finished conversations for ``GET /calls`` and writes their files.

    Recording a conversation is O(1) and happens on the event loop; its ``/calls``
    document is built lazily, once, when ``/calls`` first asks for it. It also numbers
    the conversations of one run id (a reconnect) and knows the customer numbers the
    shim's owner told it (:meth:`note_numbers`).
    """

    def __init__(self, directory: Path | None, *, keep: int = CALLS_KEPT) -> None:
        self.directory = directory
        # [conversation, its provider-format call once built, ordinal, number]
        self._finished: deque[list[Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._ordinals: dict[str, int] = {}
        self._numbers: dict[str, str] = {}
        self.written: list[Path] = []
        self._writer = TranscriptWriter(self._written)

    def _written(self, path: Path) -> None:
        with self._lock:
            self.written.append(path)

    def prepare(self) -> None:
        """Create the directory up front, so a bad path fails at start, not mid-run."""
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    def note_numbers(self, numbers: dict[str, str]) -> None:
        """Customer numbers by run id (from the run's data), for ``customer.number``."""
        with self._lock:
            self._numbers.update({str(k): str(v) for k, v in numbers.items() if v})
            _bound(self._numbers)

    def _register(self, conv: Conversation) -> tuple[int, str | None]:
        run_id = conv.context.run_id
        if not run_id:
            return 1, None
        with self._lock:
            ordinal = self._ordinals.get(run_id, 0) + 1
            self._ordinals[run_id] = ordinal
            _bound(self._ordinals)
            return ordinal, self._numbers.get(run_id)

    def record(self, conv: Conversation) -> tuple[int, str | None]:
        """Remember a finished conversation for ``/calls`` (cheap; on the event loop)."""
        ordinal, number = self._register(conv)
        with self._lock:
            self._finished.append([conv, None, ordinal, number])
        return ordinal, number

    def _file(self, conv: Conversation, ordinal: int, number: str | None) -> tuple[Path, bytes]:
        assert self.directory is not None

        def document() -> dict[str, Any]:
            return transcript_document(conv, ordinal=ordinal, number=number)

        data = _encode(transcript_text(conv, ordinal=ordinal, number=number), document)
        return self.directory / transcript_filename(conv), data

    def save_async(self, conv: Conversation) -> asyncio.Future[Path | None] | None:
        """Record ``conv`` and queue its file (on the event loop; never blocks on disk).

        Returns a future that the writer resolves with the path (``None`` if writing
        failed), or ``None`` when there is no transcripts directory.
        """
        ordinal, number = self.record(conv)
        if self.directory is None:
            return None
        path, data = self._file(conv, ordinal, number)
        done: asyncio.Future[Path | None] = asyncio.get_running_loop().create_future()
        self._writer.submit(path, data, done)
        return done

    def write(self, conv: Conversation) -> Path | None:
        """Write ``conv``'s transcript file now (blocking; for an already recorded one)."""
        if self.directory is None:
            return None
        with self._lock:
            found = next((item for item in self._finished if item[0] is conv), None)
        ordinal, number = (found[2], found[3]) if found else (1, None)
        path, data = self._file(conv, ordinal, number)
        try:
            write_bytes_atomic(path, data)
        except OSError as exc:
            log.error("could not write transcript %s: %s", path, exc)
            return None
        self._written(path)
        return path

    def save(self, conv: Conversation) -> Path | None:
        """:meth:`record` and write the file in one go (blocking)."""
        self.record(conv)
        return self.write(conv)

    def close(self) -> None:
        """Write every queued file and stop the writer thread."""
        self._writer.close()

    def calls(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Finished conversations, provider format, secrets masked, most recent last."""
        with self._lock:
            items = list(self._finished)
        if limit is not None and limit >= 0:
            items = items[len(items) - limit :] if limit else []
        out = []
        for item in items:
            if item[1] is None:  # built once; a finished conversation no longer changes
                call = provider_call(item[0], ordinal=item[2], number=item[3])
                item[1] = redact_tree(call) if registered_secrets() else call
            out.append(item[1])
        return out


def _bound(mapping: dict[str, Any]) -> None:
    """Forget the oldest entries of an insertion-ordered dict past RUNS_REMEMBERED."""
    while len(mapping) > RUNS_REMEMBERED:
        del mapping[next(iter(mapping))]
