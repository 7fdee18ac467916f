"""What ``run``, ``wait`` and ``scenarios list`` share: flags -> settings, selection, client."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cekura_cli.commands.options import MatchMode
from cekura_cli.errors import UsageError

if TYPE_CHECKING:
    from cekura_cli.api.client import CekuraClient
    from cekura_cli.orchestration.selection import Selection
    from cekura_cli.settings import Settings


def build_selection(
    tags: Sequence[str] | None,
    match: MatchMode,
    exclude_tags: Sequence[str] | None,
    scenario_ids: Sequence[str] | None,
) -> Selection:
    from cekura_cli.orchestration.guards import reject_empty_values
    from cekura_cli.orchestration.selection import Selection, parse_ids, split_csv

    reject_empty_values(tags, flag="--tag")
    reject_empty_values(scenario_ids, flag="--scenario")
    return Selection(
        tags=tuple(split_csv(tags or ())),
        match=match.value,  # type: ignore[arg-type]
        exclude_tags=tuple(split_csv(exclude_tags or ())),
        scenario_ids=tuple(parse_ids(split_csv(scenario_ids or ()))),
    )


def parse_id_flags(values: Sequence[str] | None, *, what: str) -> tuple[int, ...]:
    from cekura_cli.orchestration.selection import parse_ids, split_csv

    return tuple(parse_ids(split_csv(values or ()), what=what))


def settings_from_flags(**flags: Any) -> Settings:
    from cekura_cli.settings import load_settings

    return load_settings(flags)


def require_api_key(settings: Settings) -> str:
    key = settings.api_key_value()
    if not key:
        raise UsageError(
            "no API key: set CEKURA_API_KEY (or pass --api-key)",
            hint="or try the offline sandbox: cekura run --local --tag smoke-test",
        )
    return key


def require_agent(settings: Settings, assistant_id: str | None) -> None:
    if settings.agent_id is None and not assistant_id:
        raise UsageError("no agent: pass --agent-id (or set CEKURA_AGENT_ID) or --assistant-id")
    if settings.agent_id is not None and assistant_id:
        raise UsageError("pass either --agent-id or --assistant-id, not both")


def open_client(settings: Settings) -> CekuraClient:
    from cekura_cli.api.client import CekuraClient

    return CekuraClient(base_url=settings.api_url, api_key=require_api_key(settings))


def check_report_paths(
    json_path: str | None,
    junit_path: Path | None,
    *,
    transcripts: Path | None = None,
    html_path: Path | None = None,
) -> None:
    """Fail before starting anything when a report could not be written afterwards."""
    from cekura_cli.reporting._files import check_report_folder, check_report_path

    check_report_path(json_path, flag="--json")
    check_report_path(junit_path, flag="--junit-xml")
    check_report_path(html_path, flag="--html")
    check_report_folder(transcripts, flag="--transcripts")
    if json_path and junit_path and json_path != "-":
        same = Path(json_path).resolve() == Path(junit_path).resolve()
        if same and not str(junit_path).startswith("/dev/"):
            raise UsageError(f"--json and --junit-xml name the same file {json_path!r}")
