"""Where a kernel's Unix sockets go: a path short enough for them (no nbgrader needed: the self-check uses it).

ZMQ's ipc transport makes Unix sockets, whose path holds at most 107 bytes on Linux; beyond, ZMQ says
"File name too long" and the kernel never answers. Under a deep TMPDIR (pytest-xdist's, a Dask
worker's) a kernel's folder therefore goes to /tmp.
"""

from __future__ import annotations

import os
import tempfile

UNIX_SOCKET_PATH = 107  # bytes in sockaddr_un.sun_path, less the final NUL


def socket_parent(leaf: str = "/nbcourse-kernel-XXXXXXXX/zmq-99") -> str:
    """The temporary folder, unless ``<it><leaf>`` (the longest socket path made under it) would not fit
    in a Unix socket's path; then /tmp."""
    base = tempfile.gettempdir()
    return base if len(os.fsencode(base)) + len(leaf) <= UNIX_SOCKET_PATH else "/tmp"
