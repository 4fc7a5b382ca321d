"""Settings from the environment (BATON_*), read once."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    database_url: str = "sqlite:///./baton.db"
    secret_key: str | None = None
    storage_dir: Path = Path("./baton-files")
    bpmn_dir: Path = PROJECT_ROOT / "bpmn"
    timezone: str = "Asia/Shanghai"  # every moment in an answer carries this zone's offset; storage is UTC
    token_minutes: int = 8 * 60
    max_document_bytes: int = 20 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024  # every JSON or form body
    max_deploy_bytes: int = 10 * 1024 * 1024  # all files of one deployment together
    max_deploy_files: int = 50
    sqlite_busy_seconds: float = 10.0  # a command waits this long for SQLite's write lock, then answers 503
    script_cpu_seconds: float = 1.0  # process code of one command: CPU time ...
    script_memory_mb: int = 64  # ... and memory beyond what the engine holds already
    engine_processes: int = 2  # sandboxed engine processes per server process
    sign_in_failures_before_lock: int = 10
    sign_in_lock_minutes: int = 15
    sign_in_concurrency: int = 2  # argon2 checks at once per process (each takes 64 MiB)
    worker_enabled: bool = True
    worker_interval_seconds: float = 0.5  # how often a worker looks for due timers, escalations and deliveries
    webhook_retry_seconds: float = 10.0  # the first retry's wait; each next one waits twice as long (at most 6 h)
    public_url: str | None = None  # the address the public reaches Baton at: certificates' QR codes lead there
    pdf_font: str | None = None  # a CJK font file for certificate PDFs (found among the system's fonts otherwise)
    sla_warning_share: float = 0.8  # a deadline shows `warning` once this share of its time is used (or on its last day)

    def require_secret(self) -> str:
        if not self.secret_key:
            raise SystemExit("BATON_SECRET_KEY is not set: set it to a long random string (e.g. `openssl rand -hex 32`); only `baton demo` runs without one")
        if len(self.secret_key) < 32:
            raise SystemExit(f"BATON_SECRET_KEY is {len(self.secret_key)} characters long; tokens signed with it could be "
                             "guessed: use at least 32 (e.g. `openssl rand -hex 32`)")
        return self.secret_key


@lru_cache
def get_settings() -> Settings:
    return Settings()
