"""Settings: command-line flag > ``CEKURA_*`` environment > config file > default.

The config file is ``cekura.toml`` in the working directory or, failing that, the
``[tool.cekura]`` table of ``pyproject.toml``. Secrets (the API key, the WebSocket
secret) are read only from the environment or a flag: a config file that contains one
is refused, because config files get committed.

Every problem becomes a :class:`ConfigError` (exit 2) naming where the bad value came
from; resolved secrets are registered with :mod:`cekura_cli.redact` so they are masked
in every message from then on.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cekura_cli.errors import ConfigError
from cekura_cli.redact import register_secret

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_API_URL = "https://api.cekura.ai"
DEFAULT_DASHBOARD_URL = "https://dashboard.cekura.ai"
CONFIG_FILE = "cekura.toml"

SECRET_FIELDS = frozenset({"api_key", "websocket_secret"})
FILE_FIELDS = frozenset({"api_url", "dashboard_url", "agent_id", "timeout", "min_pass_rate"})


class Settings(BaseSettings):
    """Resolved configuration. Field ``x`` is env ``CEKURA_X`` and config key ``x``."""

    model_config = SettingsConfigDict(env_prefix="CEKURA_", extra="ignore", frozen=True)

    api_key: SecretStr | None = None
    api_url: str = DEFAULT_API_URL
    dashboard_url: str = DEFAULT_DASHBOARD_URL
    agent_id: int | None = Field(default=None, gt=0)
    websocket_secret: SecretStr | None = None
    timeout: float = Field(default=3600.0, gt=0)
    min_pass_rate: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("api_url", "dashboard_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("api_key", "websocket_secret", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ConfigFileSource(settings_cls, Path.cwd()))

    def api_key_value(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None

    def websocket_secret_value(self) -> str | None:
        return self.websocket_secret.get_secret_value() if self.websocket_secret else None


class ConfigFileSource(PydanticBaseSettingsSource):
    """Values from ``cekura.toml`` or ``[tool.cekura]`` (see :func:`find_config`)."""

    def __init__(self, settings_cls: type[BaseSettings], directory: Path) -> None:
        super().__init__(settings_cls)
        self.path, self.values = read_config(directory)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


def find_config(directory: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The config file that applies in ``directory`` and the table inside it, if any."""
    own = directory / CONFIG_FILE
    if own.is_file():
        return own, ()
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        return pyproject, ("tool", "cekura")
    return None


def read_config(directory: Path) -> tuple[Path | None, dict[str, Any]]:
    """Read and check the config file; ``(None, {})`` when there is none."""
    found = find_config(directory)
    if found is None:
        return None, {}
    path, table = found
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    for key in table:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    where = path.name + ("" if not table else " [" + ".".join(table) + "]")
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be a table of settings")
    values = {str(k).replace("-", "_"): v for k, v in data.items()}
    secrets = sorted(SECRET_FIELDS & values.keys())
    if secrets:
        raise ConfigError(
            f"{where}: {secrets[0]} must not be stored in a config file "
            "(config files get committed)",
            hint=f"set CEKURA_{secrets[0].upper()} in the environment instead",
        )
    unknown = sorted(values.keys() - FILE_FIELDS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r}",
            hint="known settings: " + ", ".join(sorted(FILE_FIELDS)),
        )
    return path, values


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    directory: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings; ``flags`` holds only the flags the user actually gave."""
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    settings_cls = Settings if directory is None else _reading_config_in(directory)
    try:
        settings = settings_cls(**given)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, given, environ)) from None
    register_secret(settings.api_key_value())
    register_secret(settings.websocket_secret_value())
    return settings


def _reading_config_in(directory: Path) -> type[Settings]:
    """``Settings`` reading its config file from ``directory`` instead of the cwd."""

    class _Settings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, ConfigFileSource(settings_cls, directory))

    return _Settings


def _describe(
    exc: ValidationError, flags: Mapping[str, Any], environ: Mapping[str, str] | None
) -> str:
    """One line naming the first bad setting and where it came from (never its value)."""
    import os

    env = os.environ if environ is None else environ
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error.get("loc") else "settings"
    if field in flags:
        origin = "--" + field.replace("_", "-")
    elif f"CEKURA_{field.upper()}" in {k.upper() for k in env}:
        origin = f"CEKURA_{field.upper()}"
    else:
        origin = f"{CONFIG_FILE} / pyproject.toml [tool.cekura] key {field!r}"
    from cekura_cli.wording import validation_message

    return f"invalid {field} (from {origin}): {validation_message(str(error['msg']))}"
