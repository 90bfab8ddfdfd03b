"""A real LDAP directory for the tests: Debian's OpenLDAP ``slapd`` with its own config.

It runs from a temporary directory on a free port of 127.0.0.1, with an mdb database for
``dc=example,dc=com`` seeded offline by ``slapadd`` before it starts, so nothing of the
machine's own directory setup is touched. Three accounts bind to it:

- ``cn=admin`` (the rootdn) may do anything;
- ``cn=provisioner,ou=services`` may change groups, as opsdesk's bind account would;
- ``cn=auditor,ou=services`` may only read: a change bound as it is refused by the ACL.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

SUFFIX = "dc=example,dc=com"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "admin-secret"
PROVISIONER_DN = f"cn=provisioner,ou=services,{SUFFIX}"
PROVISIONER_PASSWORD = "provisioner-secret"
AUDITOR_DN, AUDITOR_PASSWORD = f"cn=auditor,ou=services,{SUFFIX}", "auditor-secret"
# groupOfNames must list one member at least; an emptied group keeps this one.
NOBODY_DN = f"cn=nobody,ou=services,{SUFFIX}"


def available() -> str:
    """Empty when slapd can run here, else the reason it cannot."""
    if not Path(SLAPD).exists() or not Path(SLAPADD).exists():
        return "slapd is not installed (Debian package slapd)"
    if not (SCHEMA_DIR / "inetorgperson.schema").exists():
        return f"slapd's schemas are missing from {SCHEMA_DIR}"
    if not (MODULE_DIR / "back_mdb.so").exists():
        return f"slapd's mdb backend is missing from {MODULE_DIR}"
    return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONFIG = """
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
modulepath {modules}
moduleload back_mdb
pidfile {root}/slapd.pid

database mdb
suffix "{suffix}"
rootdn "{admin}"
rootpw {admin_password}
directory {root}/db
maxsize 104857600

access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to dn.subtree="{groups}"
    by dn.exact="{provisioner}" write
    by users read
    by * none
access to dn.subtree="{people}" attrs=employeeType
    by dn.exact="{provisioner}" write
    by users read
    by * none
access to *
    by users read
    by * none
"""

SEED = """
dn: {suffix}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: {people}
objectClass: organizationalUnit
ou: people

dn: {groups}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{suffix}
objectClass: organizationalUnit
ou: services

dn: {provisioner}
objectClass: person
objectClass: simpleSecurityObject
cn: provisioner
sn: provisioner
userPassword: {provisioner_password}

dn: {auditor}
objectClass: person
objectClass: simpleSecurityObject
cn: auditor
sn: auditor
userPassword: {auditor_password}

dn: {nobody}
objectClass: person
cn: nobody
sn: nobody
"""


def person_ldif(username: str, first: str, last: str) -> str:
    return (
        f"dn: uid={username},{PEOPLE}\n"
        "objectClass: inetOrgPerson\n"
        f"uid: {username}\ncn: {first} {last}\ngivenName: {first}\nsn: {last}\n"
        f"mail: {username}@example.com\n"
    )


class LdapServer:
    """slapd on a free port; ``stop()`` and ``start()`` again keep its data."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._seeded = False

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _configure(self) -> Path:
        (self.root / "db").mkdir(parents=True, exist_ok=True)
        config = self.root / "slapd.conf"
        config.write_text(
            CONFIG.format(
                schema=SCHEMA_DIR,
                modules=MODULE_DIR,
                root=self.root,
                suffix=SUFFIX,
                admin=ADMIN_DN,
                admin_password=ADMIN_PASSWORD,
                groups=GROUPS,
                people=PEOPLE,
                provisioner=PROVISIONER_DN,
            )
        )
        return config

    def _seed(self, config: Path, people: list[tuple[str, str, str]]) -> None:
        ldif = SEED.format(
            suffix=SUFFIX,
            people=PEOPLE,
            groups=GROUPS,
            provisioner=PROVISIONER_DN,
            provisioner_password=PROVISIONER_PASSWORD,
            auditor=AUDITOR_DN,
            auditor_password=AUDITOR_PASSWORD,
            nobody=NOBODY_DN,
        )
        ldif += "".join("\n" + person_ldif(*person) for person in people)
        (self.root / "seed.ldif").write_text(ldif)
        subprocess.run(
            [SLAPADD, "-f", str(config), "-l", str(self.root / "seed.ldif")],
            check=True,
            capture_output=True,
        )

    def start(self, people: list[tuple[str, str, str]] = ()) -> None:
        """Start slapd; the first start seeds the tree and ``people`` (username, first, last)."""
        config = self._configure()
        if not self._seeded:
            self._seed(config, list(people))
            self._seeded = True
        # -d 0: stay in the foreground without logging, so the fixture owns the process.
        # Its messages go to a file: a pipe nobody reads would stall it once full.
        log = self.root / "slapd.log"
        with log.open("ab") as log_file:
            self.process = subprocess.Popen(
                [SLAPD, "-f", str(config), "-h", f"{self.url}/", "-d", "0"],
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {log.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)  # waiting for the server to listen, not timing a result
        raise RuntimeError("slapd did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
