from __future__ import annotations

from pathlib import Path

import pytest

from cekura_cli.errors import ConfigError
from cekura_cli.redact import redact
from cekura_cli.settings import DEFAULT_API_URL, load_settings


def test_defaults_without_any_source(tmp_path: Path) -> None:
    settings = load_settings({}, directory=tmp_path)
    assert settings.api_url == DEFAULT_API_URL
    assert settings.agent_id is None
    assert settings.api_key is None
    assert settings.timeout == 3600
    assert settings.min_pass_rate == 1.0


def test_precedence_flag_over_env_over_file_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cekura.toml").write_text("agent_id = 1\ntimeout = 10\nmin_pass_rate = 0.5\n")
    monkeypatch.setenv("CEKURA_AGENT_ID", "2")
    monkeypatch.setenv("CEKURA_TIMEOUT", "20")
    settings = load_settings({"agent_id": 3, "timeout": None}, directory=tmp_path)
    assert settings.agent_id == 3  # flag
    assert settings.timeout == 20  # env (the flag was not given)
    assert settings.min_pass_rate == 0.5  # file
    assert settings.api_url == DEFAULT_API_URL  # default


def test_pyproject_tool_table_is_read_when_no_cekura_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cekura]\nagent-id = 42\napi_url = "http://h:1/"\n'
    )
    settings = load_settings({}, directory=tmp_path)
    assert settings.agent_id == 42
    assert settings.api_url == "http://h:1"


def test_pyproject_without_tool_table_is_fine(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_settings({}, directory=tmp_path).agent_id is None


def test_cekura_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.cekura]\nagent_id = 1\n")
    (tmp_path / "cekura.toml").write_text("agent_id = 2\n")
    assert load_settings({}, directory=tmp_path).agent_id == 2


@pytest.mark.parametrize("secret_key", ["api_key", "websocket_secret", "api-key"])
def test_secrets_in_config_files_are_refused(tmp_path: Path, secret_key: str) -> None:
    (tmp_path / "cekura.toml").write_text(f'{secret_key} = "sk_test_shouldnotbehere"\n')
    with pytest.raises(ConfigError) as info:
        load_settings({}, directory=tmp_path)
    assert "must not be stored in a config file" in str(info.value)
    assert "sk_test_shouldnotbehere" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("agent_id = [", "not valid TOML"),
        ("bogus = 1", "unknown setting 'bogus'"),
        ('agent_id = "abc"', "invalid agent_id"),
        ("min_pass_rate = 2", "invalid min_pass_rate"),
        ('api_url = "ftp://x"', "invalid api_url"),
        ("timeout = -1", "invalid timeout"),
    ],
)
def test_malformed_config_is_a_config_error(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "cekura.toml").write_text(content + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings({}, directory=tmp_path)
    assert expected in str(info.value)


def test_bad_env_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEKURA_AGENT_ID", "twelve")
    with pytest.raises(ConfigError) as info:
        load_settings({}, directory=tmp_path)
    assert "CEKURA_AGENT_ID" in str(info.value)


def test_api_key_from_env_is_registered_for_redaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CEKURA_API_KEY", "sk_test_0123456789abcdef")
    monkeypatch.setenv("CEKURA_WEBSOCKET_SECRET", "ws-secret-value-123")
    settings = load_settings({}, directory=tmp_path)
    assert settings.api_key_value() == "sk_test_0123456789abcdef"
    assert "0123456789abcdef" not in repr(settings)
    text = redact("key sk_test_0123456789abcdef and secret ws-secret-value-123")
    assert "sk_test_0123456789abcdef" not in text
    assert "ws-secret-value-123" not in text
    assert "****cdef" in text


def test_empty_api_key_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEKURA_API_KEY", "  ")
    assert load_settings({}, directory=tmp_path).api_key is None
