"""The command's configuration: precedence, the config file, the secrets file, no leaks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orderdesk.cli.config import ConfigError, load_config

CANARY = "sk-canary-5f1e0c"


def test_flags_beat_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    (tmp_path / "orderdesk.toml").write_text(
        'db = "file.db"\naccount = "from-file"\nvenue_url = "http://file:1"\n'
    )
    env = {"ORDERDESK_ACCOUNT": "from-env", "ORDERDESK_DB": "env.db"}
    found = load_config({"db": "flag.db", "account": None}, environ=env, cwd=tmp_path)
    assert (found.db, found.account, found.venue_url) == ("flag.db", "from-env", "http://file:1")
    defaults = load_config(environ={}, cwd=tmp_path / "nowhere")
    assert (defaults.db, defaults.account, defaults.venue, defaults.sandbox) == (
        "orderdesk.db", None, "loopback", True
    )  # fmt: skip


def test_orderdesk_config_names_another_file(tmp_path: Path) -> None:
    (tmp_path / "desk.toml").write_text('account = "named"\n')
    env = {"ORDERDESK_CONFIG": str(tmp_path / "desk.toml")}
    assert load_config(environ=env, cwd=tmp_path).account == "named"
    with pytest.raises(ConfigError, match="which is not a file"):
        load_config(environ={"ORDERDESK_CONFIG": str(tmp_path / "none.toml")}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('acount = "x"\n', "unknown setting 'acount' (did you mean 'account'?)"),
        ("db = \n", "is not valid TOML"),
        ('account = "no spaces"\n', "invalid setting account: String should match pattern"),
        ('sandbox = "perhaps"\n', "invalid setting sandbox"),
    ],
)
def test_a_bad_config_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "orderdesk.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(environ={}, cwd=tmp_path)
    assert message in str(caught.value)


def test_credentials_in_the_config_file_are_refused_without_being_repeated(tmp_path: Path) -> None:
    (tmp_path / "orderdesk.toml").write_text(f'api_key = "{CANARY}"\napi_secret = "{CANARY}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(environ={}, cwd=tmp_path)
    assert str(caught.value).startswith("api_key, api_secret in ")
    assert CANARY not in str(caught.value)


def test_credentials_come_from_the_environment_and_never_print(tmp_path: Path) -> None:
    env = {"ORDERDESK_API_KEY": CANARY, "ORDERDESK_API_SECRET": CANARY + "s"}
    found = load_config(environ=env, cwd=tmp_path)
    assert found.api_key is not None
    assert found.api_secret is not None
    assert (found.api_key.get_secret_value(), found.api_secret.get_secret_value()) == (
        CANARY, CANARY + "s"
    )  # fmt: skip
    for text in (repr(found), str(found), f"{found}", str(found.model_dump())):
        assert CANARY not in text


def test_a_secrets_file_must_be_private(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'api_key = "{CANARY}"\napi_secret = "{CANARY}2"\n')
    os.chmod(secrets, 0o644)
    env = {"ORDERDESK_SECRETS_FILE": str(secrets)}
    with pytest.raises(ConfigError, match="readable by others; run: chmod 600"):
        load_config(environ=env, cwd=tmp_path)
    os.chmod(secrets, 0o600)
    found = load_config(environ=env, cwd=tmp_path)
    assert found.api_secret is not None
    assert found.api_secret.get_secret_value() == CANARY + "2"
    both = load_config(environ={**env, "ORDERDESK_API_KEY": "from-env"}, cwd=tmp_path)
    assert both.api_key is not None
    assert both.api_key.get_secret_value() == "from-env"  # the environment wins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'api_kee = "{CANARY}"\n', "unknown setting 'api_kee' (did you mean 'api_key'?)"),
        (f'api_key = "{CANARY}\n', "is not valid TOML"),
        ("api_key = 12345\n", "api_key in the secrets file"),
    ],
)
def test_a_bad_secrets_file_never_echoes_its_content(
    tmp_path: Path, text: str, message: str
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(text)
    os.chmod(secrets, 0o600)
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"ORDERDESK_SECRETS_FILE": str(secrets)}, cwd=tmp_path)
    assert message in str(caught.value)
    assert CANARY not in str(caught.value)
    assert "12345" not in str(caught.value)


@given(secret=st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), min_size=8))
def test_no_secret_survives_into_any_text_of_the_config(secret: str) -> None:
    nowhere = Path("/nonexistent-dir-for-config")
    assume(secret not in repr(load_config(environ={}, cwd=nowhere)))  # "orderdes" is no leak
    found = load_config(
        environ={"ORDERDESK_API_KEY": secret, "ORDERDESK_API_PASSPHRASE": secret},
        cwd=Path("/nonexistent-dir-for-config"),
    )
    assert found.api_key is not None
    assert found.api_key.get_secret_value() == secret
    assert secret not in repr(found)
