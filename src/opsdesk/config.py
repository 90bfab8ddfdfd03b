"""Reading OPSDESK_* environment variables, the only source of configuration."""

import os
import secrets
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    path = Path(env_str("OPSDESK_DATA_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """The configured key, or one generated on first start and kept in the data directory."""
    configured = env_str("OPSDESK_SECRET_KEY")
    if configured:
        return configured
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # Written with owner-only permissions: the key signs sessions and tokens.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process started at the same moment and won
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def config_dir() -> Path:
    """Where opsdesk keeps what must not travel with the data directory's backups.

    ``OPSDESK_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/opsdesk``, else ``~/.config/opsdesk``.
    Nothing is created here until something is written.
    """
    configured = env_str("OPSDESK_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    base = env_str("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return (Path(base).expanduser() / "opsdesk").resolve()


def outside_data_dir(name: str, path: Path, data: Path) -> Path:
    """``path``, refused when it lies in the data directory: the data directory is what gets
    backed up and restored, and the audit key and checkpoint must survive a restored (or
    tampered) copy of it to be worth anything."""
    path = path.expanduser().resolve()
    if path == data or data in path.parents:
        raise ValueError(
            f"{name} ({path}) must be outside the data directory {data}: "
            "the audit trail's key and checkpoint may not be backed up with the data."
        )
    return path


def audit_key_file(data: Path) -> tuple[Path, bool]:
    """The audit key file, and whether opsdesk may create it (only at the default place: an
    operator who names a file gets an error, not a silently new key, when it is missing)."""
    configured = env_str("OPSDESK_AUDIT_KEY_FILE")
    if configured:
        return outside_data_dir("OPSDESK_AUDIT_KEY_FILE", Path(configured), data), False
    return outside_data_dir("OPSDESK_CONFIG_DIR", config_dir() / "audit_key", data), True


def audit_checkpoint_file(data: Path) -> Path:
    configured = env_str("OPSDESK_AUDIT_CHECKPOINT_FILE")
    path = Path(configured) if configured else config_dir() / "audit_checkpoint.json"
    return outside_data_dir("OPSDESK_AUDIT_CHECKPOINT_FILE", path, data)
