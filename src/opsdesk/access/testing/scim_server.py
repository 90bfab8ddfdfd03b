"""A real SCIM 2.0 service provider for the tests: the ``scim2-server`` program (PyPI), run as
a subprocess on a free port of 127.0.0.1, keeping users and groups in memory and accepting
one bearer token."""

import socket
import subprocess
import sys
from importlib.util import find_spec

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
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scim2_server.testserver.cli",
                "--hostname",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--bearer-token",
                TOKEN,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # It prints "Serving SCIM on ..." once it listens: read that line instead of polling.
        line = self.process.stdout.readline()
        if "Serving SCIM" not in line:
            self.process.kill()
            raise RuntimeError(f"scim2-server did not start: {line}{self.process.stderr.read()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
