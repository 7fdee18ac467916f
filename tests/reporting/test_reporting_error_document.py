"""The error document ``--json`` gets when no result exists (PRODUCT.md §13)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from cekura_cli.errors import (
    AuthError,
    ConfigError,
    NoScenariosError,
    RetriesExhausted,
    UsageError,
)
from cekura_cli.redact import register_secret
from cekura_cli.reporting.error_document import (
    KINDS,
    classify,
    document_on_error,
    error_document,
    mark_report_written,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-report.md"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UsageError("bad flag"), (2, "usage", "bad flag")),
        (ConfigError("bad toml"), (2, "config", "bad toml")),
        (AuthError("rejected"), (3, "auth", "rejected")),
        (RetriesExhausted("gave up"), (3, "service", "gave up")),
        (NoScenariosError("nothing"), (5, "no_scenarios", "nothing")),
        (KeyboardInterrupt(), (130, "interrupted", "interrupted")),
        (ValueError("oops"), (3, "internal", "ValueError: oops")),
    ],
)
def test_every_error_has_its_exit_code_and_kind(error: BaseException, expected) -> None:
    assert classify(error) == expected
    assert expected[1] in KINDS


def test_the_guard_writes_the_document_and_reraises() -> None:
    out = io.StringIO()
    with pytest.raises(NoScenariosError), document_on_error("-", stdout=out):
        raise NoScenariosError("the selection matched no scenarios (tags x (match any))")
    assert json.loads(out.getvalue()) == {
        "schema_version": 1,
        "exit_code": 5,
        "error": {
            "kind": "no_scenarios",
            "message": "the selection matched no scenarios (tags x (match any))",
        },
    }


def test_the_guard_keeps_a_full_report_already_written(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text('{"result_id": 9}')
    with pytest.raises(RetriesExhausted), document_on_error(str(target)):
        raise mark_report_written(RetriesExhausted("the service went away"))
    assert json.loads(target.read_text()) == {"result_id": 9}


def test_the_guard_does_nothing_without_json_or_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError), document_on_error(None):
        raise UsageError("x")
    with document_on_error(str(tmp_path / "r.json")):
        pass
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_destination_does_not_hide_the_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    destination = str(tmp_path / "file" / "under" / "a" / "folder")
    with pytest.raises(UsageError, match="the real one"), document_on_error(destination):
        raise UsageError("the real one")


def test_messages_are_masked_and_inert(tmp_path: Path) -> None:
    register_secret("sk_test_secret_value_1234")
    document = error_document(3, "auth", "key sk_test_secret_value_1234 rejected ##[error]x")
    assert "sk_test_secret_value_1234" not in document["error"]["message"]
    out = io.StringIO()
    with pytest.raises(AuthError), document_on_error("-", stdout=out):
        raise AuthError("rejected ##[error]x")
    assert "##[" not in out.getvalue()
    assert json.loads(out.getvalue())["error"]["message"] == "rejected ##[error]x"


def test_the_documented_example_has_the_written_shape() -> None:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    example = next(doc for doc in map(json.loads, blocks) if "error" in doc)
    written = error_document(example["exit_code"], example["error"]["kind"], "m")
    assert list(example) == list(written)
    assert list(example["error"]) == list(written["error"])
    assert example["error"]["kind"] in KINDS
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{kind}`" in text for kind in KINDS)
