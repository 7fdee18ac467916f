"""Suite-file texts shared by the suite tests."""

from __future__ import annotations

from pathlib import Path

from cekura_cli.suite.loading import load_suite_file
from cekura_cli.suite.model import SuiteFile

VALID = """\
version: "1"
suite:
  name: Demo
defaults:
  tags: [ci]
scenarios:
  - key: greet
    name: Greets and offers to book
    instructions: Say hello.
    tags: [smoke]
    local:
      turns:
        - say: Hi, what can you do for me?
          expect:
            reply_contains: book
  - key: weather
    name: Stays on topic
    instructions: Ask about the weather.
    tags: [smoke, flaky]
    metrics: [expected_outcome]
  - name: Hangs up on goodbye
    instructions: Say goodbye.
    tags: [critical]
    frequency: 2
"""


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str = VALID, name: str = "suite.yaml") -> SuiteFile:
    return load_suite_file(write(tmp_path, text, name))


def many_cases(count: int) -> str:
    lines = ['version: "1"', "scenarios:"]
    for number in range(count):
        lines += [
            f"  - key: case-{number}",
            f"    name: Case {number}",
            f"    instructions: Do thing {number}.",
            "    tags: [bulk]",
        ]
    return "\n".join(lines) + "\n"
