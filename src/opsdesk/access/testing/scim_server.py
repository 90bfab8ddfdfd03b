"""A real SCIM 2.0 service provider for the tests: the ``scim2-server`` program (PyPI), run as
a subprocess on a free port of 127.0.0.1, keeping users and groups in memory and accepting
one bearer token. ``patch=False`` announces PATCH unsupported and refuses it with 501, like
providers that only take whole resources with PUT."""

import json
import socket
import subprocess
import sys
import tempfile
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path

TOKEN = "scim-test-token"


def available() -> str:
    """Empty when the server can run here, else the reason it cannot."""
    if find_spec("scim2_server") is None:
        return "scim2-server is not installed (pip install 'opsdesk[dev]')"
    return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScimServer:
    def __init__(self, *, patch: bool = True):
        self.port = free_port()
        self.patch = patch
        self.process: subprocess.Popen | None = None
        self._config: Path | None = None
        self.log = Path(tempfile.gettempdir()) / f"scim2-server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def _arguments(self) -> list[str]:
        arguments = ["--hostname", "127.0.0.1", "--port", str(self.port), "--bearer-token", TOKEN]
        if not self.patch:
            resource = files("scim2_server") / "resources" / "default-service-provider-config.json"
            config = json.loads(resource.read_text())
            config["patch"] = {"supported": False}
            if self._config is None:
                with tempfile.NamedTemporaryFile(
                    "w", prefix="scim-config-", suffix=".json", delete=False
                ) as handle:
                    json.dump(config, handle)
                self._config = Path(handle.name)
            arguments += ["--service-provider-config", str(self._config)]
        return arguments

    def start(self) -> None:
        # It logs every request to stderr: a pipe nobody reads would stall it once full.
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scim2_server.testserver.cli", *self._arguments()],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        # It prints "Serving SCIM on ..." once it listens: read that line instead of polling.
        line = self.process.stdout.readline()
        if "Serving SCIM" not in line:
            self.process.kill()
            self.process.wait(timeout=10)
            raise RuntimeError(f"scim2-server did not start: {line}{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process is not None:
            self.process.stdout.close()
        self.process = None
        self.log.unlink(missing_ok=True)
        if self._config is not None:
            self._config.unlink(missing_ok=True)
            self._config = None
