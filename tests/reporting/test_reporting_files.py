"""Report files: regular files replaced atomically, special files written in place,
paths checked before anything starts (PRODUCT.md §13)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cekura_cli.errors import UsageError
from cekura_cli.reporting._files import (
    check_report_folder,
    check_report_path,
    report_file,
    writes_in_place,
)
from cekura_cli.reporting.json_report import write_json
from cekura_cli.reporting.junit import write_junit
from cekura_cli.reporting.model import Outcome


@pytest.fixture
def report(make_run_report, make_result_report):
    return make_result_report([make_run_report(1, Outcome.PASSED)])


def test_a_regular_file_is_replaced_atomically(tmp_path: Path, report) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    before = target.stat().st_ino
    write_json(report, target)
    assert json.loads(target.read_text())["result_id"] == 123
    assert target.stat().st_ino != before  # a new file was moved into place
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left


def test_a_failed_block_leaves_the_regular_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    target.write_text("previous")
    with pytest.raises(RuntimeError), report_file(target, what="JUnit XML report") as stream:
        stream.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "previous"


def test_a_symlink_stays_a_symlink_and_its_target_gets_the_report(tmp_path: Path, report) -> None:
    real = tmp_path / "real.xml"
    real.write_text("old")
    link = tmp_path / "link.xml"
    link.symlink_to(real)
    write_junit(report, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("<?xml")


def test_a_fifo_is_written_in_place_for_its_reader(tmp_path: Path, report) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_json(report, fifo)
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not a regular file
    assert json.loads(received[0])["result_id"] == 123


def dev_files_are_intact() -> bool:
    """True if /dev/null is still the device and /dev/stdout still the symlink. If a
    broken writer replaced them (as root), they are put back first, so that one failing
    test does not break the machine for every other process on it."""
    intact = True
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        intact = False
        if os.geteuid() == 0:
            os.unlink("/dev/null")
            os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            os.chmod("/dev/null", 0o666)
    if not os.path.islink("/dev/stdout"):
        intact = False
        if os.geteuid() == 0:
            os.unlink("/dev/stdout")
            os.symlink("/proc/self/fd/1", "/dev/stdout")
    return intact


@pytest.fixture
def dev_files():
    assert dev_files_are_intact(), "/dev/null or /dev/stdout was already broken (now repaired)"
    yield
    assert dev_files_are_intact(), "a report writer replaced /dev/null or /dev/stdout"


def test_dev_null_stays_a_character_device(report, dev_files) -> None:
    write_junit(report, "/dev/null")
    write_json(report, "/dev/null")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert not [name for name in os.listdir("/dev") if name.startswith(".null.")]


def test_dev_fd_of_a_pipe_receives_the_report(report) -> None:
    read_fd, write_fd = os.pipe()
    try:
        received: list[bytes] = []

        def drain() -> None:
            with os.fdopen(read_fd, "rb") as stream:
                received.append(stream.read())

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        write_json(report, f"/dev/fd/{write_fd}")
        os.close(write_fd)
        write_fd = -1
        reader.join(timeout=30)
        assert json.loads(received[0])["verdict"] == "passed"
    finally:
        if write_fd >= 0:
            os.close(write_fd)


def test_dev_stdout_prints_the_report(dev_files) -> None:
    code = (
        f"import sys; sys.path[:0] = [{str(Path(__file__).parent)!r}];"
        "from conftest import make_report, make_run;"
        "from cekura_cli.reporting.model import Outcome;"
        "from cekura_cli.reporting.json_report import write_json;"
        "write_json(make_report([make_run(1, Outcome.PASSED)]), '/dev/stdout')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout)["result_id"] == 123


def test_writes_in_place_only_for_what_is_not_a_regular_file(tmp_path: Path) -> None:
    regular = tmp_path / "a.json"
    regular.write_text("")
    link = tmp_path / "b.json"
    link.symlink_to(regular)
    assert not writes_in_place(regular)
    assert not writes_in_place(tmp_path / "new.json")
    assert writes_in_place(link)
    assert writes_in_place("/dev/null")


# --- checked before anything starts -----------------------------------------------


def test_check_accepts_stdout_new_files_in_new_folders_and_devices(tmp_path: Path) -> None:
    check_report_path("-", flag="--json")
    check_report_path(tmp_path / "deep" / "er" / "r.json", flag="--json")
    check_report_path("/dev/null", flag="--junit-xml")
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind, creates no folder


def test_check_rejects_a_folder_and_a_path_under_a_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--junit-xml .*: it is a folder"):
        check_report_path(tmp_path, flag="--junit-xml")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match=r"--json .*is not a folder"):
        check_report_path(blocker / "r.json", flag="--json")


def test_a_dangling_symlink_is_checked_and_written_through(tmp_path: Path, report) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    check_report_path(link, flag="--json")
    write_json(report, link)
    assert link.is_symlink() and json.loads((tmp_path / "target.json").read_text())
    (tmp_path / "bad.json").symlink_to(tmp_path / "file" / "x.json")
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is not a folder"):
        check_report_path(tmp_path / "bad.json", flag="--json")


def test_check_rejects_an_empty_path() -> None:
    with pytest.raises(UsageError, match="--json got an empty path"):
        check_report_path("", flag="--json")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_rejects_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="Permission denied"):
            check_report_path(folder / "r.xml", flag="--junit-xml")
    finally:
        folder.chmod(0o700)


def test_check_rejects_a_read_only_filesystem_even_for_root() -> None:
    # /proc refuses new files whoever asks; permission bits alone would say yes to root.
    with pytest.raises(UsageError, match="--junit-xml '/proc/cekura.xml'"):
        check_report_path("/proc/cekura.xml", flag="--junit-xml")


def test_the_transcripts_folder_is_checked_too(tmp_path: Path) -> None:
    check_report_folder(tmp_path / "new" / "transcripts", flag="--transcripts")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="--transcripts .*it is not a folder"):
        check_report_folder(tmp_path / "file", flag="--transcripts")
    with pytest.raises(UsageError, match="--transcripts .*is not a folder"):
        check_report_folder(tmp_path / "file" / "sub", flag="--transcripts")
