"""A throwaway PostgreSQL server on localhost for the grading tests (Debian's postgresql package).

`make test` and `.ci/run` install the package; the server lives in a temporary folder, listens on
127.0.0.1 on a free port, trusts local connections, and is stopped and deleted afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root: as root, run the server as Debian's postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def server() -> Iterator[str]:
    """Start a server; yield its base URL (``postgresql://postgres@127.0.0.1:PORT``)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (make test does it as root)")
    folder = tempfile.mkdtemp(prefix="nbcourse-pg-")
    os.chmod(folder, 0o755)
    data = os.path.join(folder, "data")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(_as_postgres([f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    subprocess.run(_as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-l", f"{folder}/server.log", "-w", "-o",
                                 f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=100",
                                 "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    """A new, empty database on the server; its URL."""
    import psycopg  # SQLAlchemy's driver for postgresql:// URLs

    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"
