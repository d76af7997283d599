"""One typed Settings object, read from FENGQIAO_* variables and an optional TOML file.

Precedence: environment > TOML file named by FENGQIAO_CONFIG > built-in defaults.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
# config/ sits beside the package in a checkout; an installed wheel carries it inside the package.
CONFIG_DIR = next(
    (p for p in (PACKAGE_DIR.parent / "config", PACKAGE_DIR / "config") if p.is_dir()),
    PACKAGE_DIR.parent / "config",
)


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
# The base of links the last `serve` on this data directory gave out: a command that prints
# links without serving them (`chat`) uses it rather than assume port 8080.
SERVED_URL_FILE = "served-url"


class SettingsError(ValueError):
    """A setting has a value the service cannot use; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./var")
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    public_url: str = DEFAULT_PUBLIC_URL
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_aes_key: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    wxa_appid: str = ""
    wxa_secret: str = ""
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    centre_name: str = "县综治中心"
    hotline: str = "12345"
    config_dir: Path = CONFIG_DIR
    log_level: str = "INFO"
    # WeChat gives the server 5 s; leave margin for the network and the reply.
    reply_budget_seconds: float = 3.5
    dialog_ttl_seconds: int = 72 * 3600
    max_body_bytes: int = 64 * 1024
    # documents: signing credentials, timestamps, fonts, upload limit
    pki_dir: str = ""  # empty: <data_dir>/pki (development CA made on first use)
    signing_p12: str = ""  # production: PKCS#12 with the issuing CA key and chain
    signing_p12_password: str = ""
    tsa_url: str = ""  # RFC 3161 time-stamp authority; empty: the platform's own TSA
    tsa_roots: str = ""  # PEM file with the roots of FENGQIAO_TSA_URL's certificate
    cjk_font: str = ""  # font file for PDFs; empty: look for Noto Sans CJK and others
    # SMS for one-time codes: "tencent" (Tencent Cloud SMS, API 3.0); empty: the log
    sms_provider: str = ""
    sms_secret_id: str = ""
    sms_secret_key: str = ""
    sms_app_id: str = ""  # SmsSdkAppId
    sms_sign_name: str = ""  # approved signature, e.g. 枫桥调解
    sms_template_id: str = ""  # approved template with {1} = code, {2} = minutes
    # Approved template for links (booking, video room): {1} = case code, {2} = the link.
    # Without it the console shows parties' links to copy and offers no SMS.
    sms_link_template_id: str = ""
    sms_region: str = "ap-guangzhou"
    sms_endpoint: str = "https://sms.tencentcloudapi.com"  # tests point it at a fake
    # e-delivery: remind an unopened delivery after N days, hand it to staff for paper
    # service after M days
    delivery_remind_days: int = 3
    delivery_paper_days: int = 7
    # judicial package: recordings above this size go in as hash + retrieval note
    package_recording_max_mb: int = 50
    max_upload_mb: int = 50
    # Proxies (nginx) whose X-Forwarded-For names the client; per-address limits need it.
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    # API requests per minute from one client address (0: no limit); a centre's staff may
    # share one address, so this stops scripts, not people.
    api_requests_per_minute_per_ip: int = 1200
    # Public look-ups by case or document code (progress, verification) per minute from one
    # address, on every door alike: enough for a resident, too few to walk the code space.
    lookups_per_minute_per_ip: int = 30
    # How long a mini-program session lasts without a refresh.
    wxa_session_hours: float = 72
    # With --workers N, worker i also listens on worker_base_port + i (0: off), so that a
    # proxy can keep each video room on one worker (see docs/deploy.md).
    worker_base_port: int = 0

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'fengqiao.db').resolve()}"

    @property
    def secret(self) -> bytes:
        return self.secret_key.encode()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        config_file = env.get("FENGQIAO_CONFIG")
        if config_file:
            try:
                values.update(tomllib.loads(Path(config_file).read_text("utf-8")))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise SettingsError(f"FENGQIAO_CONFIG={config_file}: {exc}") from exc
        for f in fields(cls):
            raw = env.get(f"FENGQIAO_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = raw
        return cls._build(values)

    @classmethod
    def _build(cls, values: dict[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
        out: dict[str, Any] = {}
        for name, value in values.items():
            out[name] = _coerce(name, known[name].type, value)
        settings = cls(**out)
        if settings.wechat_aes_key and len(settings.wechat_aes_key) != 43:
            raise SettingsError("FENGQIAO_WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        if settings.database_url and not settings.database_url.startswith(("postgresql", "sqlite")):
            raise SettingsError("FENGQIAO_DATABASE_URL must be a postgresql:// or sqlite URL")
        return settings

    def with_secret(self) -> Settings:
        """Fill secret_key from the data directory (made once), so restarts keep tokens valid."""
        if self.secret_key:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        return _replace(self, secret_key=path.read_text().strip())


    def remember_served_url(self) -> None:
        """Record the base of the links this service gives out, for `chat` (SERVED_URL_FILE)."""
        path = self.data_dir / SERVED_URL_FILE
        if not path.exists() or path.read_text("utf-8").strip() != self.public_url:
            path.write_text(self.public_url + "\n", "utf-8")

    def with_served_url(self) -> Settings:
        """Unless a public URL was configured, the one the last `serve` on this data directory
        used (its --host/--port, or its configured address)."""
        if self.public_url != DEFAULT_PUBLIC_URL:
            return self
        try:
            served = (self.data_dir / SERVED_URL_FILE).read_text("utf-8").strip()
        except OSError:
            return self
        if not served.startswith(("http://", "https://")):
            return self
        return _replace(self, public_url=served)


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


def _coerce(name: str, type_: Any, value: Any) -> Any:
    type_name = type_ if isinstance(type_, str) else getattr(type_, "__name__", str(type_))
    try:
        if type_name == "Path":
            return Path(value)
        if type_name == "int":
            return int(value)
        if type_name == "float":
            return float(value)
        if type_name.startswith("list"):
            parsed = json.loads(value) if isinstance(value, str) else value
            if not isinstance(parsed, list):
                raise ValueError("expected a JSON list")
            return parsed
        return str(value)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"FENGQIAO_{name.upper()}: {exc}") from exc
