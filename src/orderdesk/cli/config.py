"""The command's configuration: flags, then ``ORDERDESK_*`` variables, then ``orderdesk.toml``.

``orderdesk.toml`` is read from the working directory (or the file ``ORDERDESK_CONFIG``
names) and holds no secrets: a key or secret there is refused, since such files end up in
repositories. Venue credentials come from ``ORDERDESK_API_KEY`` / ``ORDERDESK_API_SECRET``
/ ``ORDERDESK_API_PASSPHRASE`` or from a secrets file (``secrets_file`` in the config or
``ORDERDESK_SECRETS_FILE``): TOML with ``api_key``, ``api_secret`` and ``passphrase``, readable
by its owner only. No error message ever repeats a credential.
"""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from orderdesk.model.plans import ACCOUNT

__all__ = ["CONFIG_FILE", "SECRET_KEYS", "Config", "ConfigError", "load_config"]

CONFIG_FILE = "orderdesk.toml"
SECRET_KEYS = ("api_key", "api_secret", "api_passphrase")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the setting, never a secret."""


class Config(BaseSettings):
    """Everything the command reads besides its arguments."""

    model_config = SettingsConfigDict(env_prefix="ORDERDESK_", extra="forbid", frozen=True)
    toml_path: ClassVar[Path | None] = None
    environ: ClassVar[Mapping[str, str]] = {}

    db: str = "orderdesk.db"
    """The ledger: a SQLite file, ``sqlite:///file.db`` or ``postgresql://...``."""
    account: str | None = Field(default=None, pattern=ACCOUNT)
    """Whose orders: every read and write is scoped to it."""
    venue: str = "loopback"
    """``loopback`` (``orderdesk venue serve``) or ``ccxt:<exchange>`` (``ccxt:binance``)."""
    venue_url: str | None = None
    """Where the venue listens: for ``loopback`` default ``http://127.0.0.1:8765``; for
    ``ccxt:binance`` another Binance-spot-compatible endpoint (unset: the exchange's own)."""
    sandbox: bool = True
    """For ccxt venues: trade on the exchange's testnet until this is set to false."""
    secrets_file: Path | None = None
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    api_passphrase: SecretStr | None = None

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.model_dump().items() if k not in SECRET_KEYS}
        return f"Config({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    __str__ = __repr__

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        prefix = "ORDERDESK_"
        from_env = {
            name: cls.environ[prefix + name.upper()]
            for name in cls.model_fields
            if cls.environ.get(prefix + name.upper())
        }
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            InitSettingsSource(settings_cls, init_kwargs=from_env),
        ]
        if cls.toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_path))
        return tuple(sources)


def _config_file(environ: Mapping[str, str], cwd: Path) -> Path | None:
    named = environ.get("ORDERDESK_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"ORDERDESK_CONFIG names {path}, which is not a file")
        return path
    path = cwd / CONFIG_FILE
    return path if path.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None


def _check_keys(found: Mapping[str, Any], known: list[str], where: str) -> None:
    unknown = sorted(set(found) - set(known))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigError(f"unknown setting {', '.join(hints)} in {where}")


def _secrets(path: Path) -> dict[str, str]:
    path = path.expanduser()
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise ConfigError(f"cannot read the secrets file {path}: {error.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"the secrets file {path} is readable by others; run: chmod 600 {path}")
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except tomllib.TOMLDecodeError:
        # The parser's message quotes the offending line, which may hold a secret.
        raise ConfigError(f"the secrets file {path} is not valid TOML") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the secrets file {path} is not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(f"cannot read the secrets file {path}: {error.strerror}") from None
    _check_keys(raw, list(SECRET_KEYS), f"the secrets file {path}")
    bad = sorted(k for k, v in raw.items() if not isinstance(v, str) or not v)
    if bad:
        raise ConfigError(f"{', '.join(bad)} in the secrets file {path} must be non-empty text")
    return {str(k): str(v) for k, v in raw.items()}


def load_config(
    flags: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Return the configuration: ``flags`` (those not ``None``) over the environment over
    the config file. Raise :class:`ConfigError` with a one-line reason."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    path = _config_file(environ, cwd)
    known = [k for k in Config.model_fields if k not in SECRET_KEYS]
    if path is not None:
        raw = _read_toml(path)
        leaked = sorted(set(raw) & set(SECRET_KEYS))
        if leaked:
            raise ConfigError(
                f"{', '.join(leaked)} in {path}: credentials do not belong in a config file; "
                "use ORDERDESK_API_KEY / ORDERDESK_API_SECRET or secrets_file"
            )
        _check_keys(raw, known, str(path))
    settings_cls = type("Config", (Config,), {"toml_path": path, "environ": dict(environ)})
    try:
        config: Config = settings_cls(**given)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"invalid setting {field}: {first['msg']}") from None
    if config.secrets_file is not None and config.api_key is None:
        values = {k: SecretStr(v) for k, v in _secrets(config.secrets_file).items()}
        config = config.model_copy(update=values)
    return config
