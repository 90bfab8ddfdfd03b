"""A real IMAP server for the tests: Debian's dovecot with its own config in a temp dir.

It listens on a free port with implicit TLS (a throwaway self-signed certificate) and keeps
mail in a Maildir under the temp dir; nothing of the machine's own mail setup is touched.
"""

import getpass
import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
USER, PASSWORD = "desk", "imap-secret"


def available() -> str:
    """Empty when the server can run here, else the reason it cannot."""
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (Debian package dovecot-imapd)"
    if not Path(OPENSSL).exists():
        return "openssl is needed to make the test certificate"
    return ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


class ImapServer:
    def __init__(self, root: Path):
        self.root = root
        self.port = _free_port()
        self.process = None

    def start(self) -> None:
        root = self.root
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        user, group, login_user = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name, None
        uid, gid = os.getuid(), os.getgid()
        if uid == 0:
            # Dovecot refuses to run its login and mail processes as root: use the
            # package's own unprivileged accounts, and let them into the temp dir.
            user, login_user = "dovecot", "dovenull"
            account = pwd.getpwnam("dovecot")
            uid, gid, group = account.pw_uid, account.pw_gid, grp.getgrgid(account.pw_gid).gr_name
            root.chmod(0o755)
            for sub in ("mail", "home"):
                os.chown(root / sub, uid, gid)
        subprocess.run(
            [
                OPENSSL,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-keyout",
                str(root / "key.pem"),
                "-out",
                str(root / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=root,
                port=self.port,
                user=user,
                group=group,
                login_user=login_user or user,
                uid=uid,
                gid=gid,
            )
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)  # waiting for the server to listen, not timing a result
        raise RuntimeError("dovecot did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
