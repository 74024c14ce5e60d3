"""Run each student's kernel in a sandbox built with bubblewrap (``bwrap``) and ``prlimit``.

nbgrader executes a submission in an ordinary Jupyter kernel, with the grader's rights.
:class:`SandboxedKernelManager` (``c.Execute.kernel_manager_class`` in nbgrader_config.py)
starts that kernel inside a new set of Linux namespaces instead:

* **files**: the kernel's root is an empty tmpfs. Python and the installed packages come
  back read-only; nothing of the course does (no ``nnlib``, no ``nbcourse``, no hidden tests,
  no ``solutions/``, no gradebook, no other submission, no ``.git``): the hidden tests run in
  the grader (nbcourse/trusted.py), and an answer that imports nnlib fails in the kernel. The
  working directory is a *scratch copy* of the student's own submission folder: writes
  land there and are thrown away. ``/tmp`` and ``/dev/shm`` are small private tmpfs; the
  rest of the root is read-only. The working folder is not on ``sys.path``
  (``PYTHONSAFEPATH``, ``ignore_cwd``): a submitted ``numpy.py`` does not replace numpy.
* **network**: a new network namespace with only a loopback device. The kernel talks to
  nbgrader over Unix sockets (ZMQ ``ipc``) in a private folder, not TCP.
* **user**: uid/gid 65534 (nobody) in a new user namespace, no capabilities, a new PID
  namespace (it sees and signals only its own processes) and session.
* **limits** (``prlimit``): address space (``NNCOURSE_MEMORY_MB``, default 4096), CPU
  seconds (``NNCOURSE_CPU_SECONDS``, default 600) and the size of any file it writes
  (64 MiB); nbgrader's cell timeout (``NNCOURSE_TIMEOUT``) bounds the wall clock.
* **the process tree** (:class:`JobCgroup`, where this OS lets the grader make cgroups): every
  process of the kernel's is in a cgroup of its own, with at most ``NNCOURSE_PROCESSES``
  (default 256) tasks, ``NNCOURSE_CPUS`` cores (default 1) and the memory limit; processes the
  kernel forks are killed after each cell, and all of them when the kernel stops. Without
  cgroups, the PID namespace still ends them all when the kernel stops (README: the limits).
* **environment**: emptied, then only what Python needs (so ``NNCOURSE_DB_URL`` and any
  password in it stay outside); bwrap itself starts with none, since the kernel can read the
  environment of its namespace's PID 1, which is bwrap.

``NNCOURSE_SANDBOX=off`` runs kernels the ordinary way (a machine without bubblewrap);
grading refuses to start without it otherwise, rather than silently grade unprotected.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import signal
import site
import sys
import sysconfig
import tempfile
import time
import weakref
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute

from nbcourse.unix_sockets import socket_parent

NOBODY = 65534
SCRATCH_FILE_LIMIT = 64 * 2**20
TMP_SIZE = 64 * 2**20
# Read-only bits of /etc that Python and its libraries may look at; the rest of /etc stays out.
ETC_FILES = ("ld.so.cache", "localtime", "nsswitch.conf", "passwd", "group", "hosts", "mime.types")


class SandboxUnavailable(RuntimeError):
    """bubblewrap or prlimit is missing, or this OS does not allow the namespaces."""


def enabled() -> bool:
    return os.environ.get("NNCOURSE_SANDBOX", "on").lower() not in {"off", "0", "no", "false"}


def limits() -> dict[str, int]:
    return {"memory_mb": int(os.environ.get("NNCOURSE_MEMORY_MB", "4096")),
            "cpu_seconds": int(os.environ.get("NNCOURSE_CPU_SECONDS", "600"))}


def require() -> None:
    """Raise :class:`SandboxUnavailable`, naming what is missing, unless kernels can be sandboxed."""
    if not enabled():
        return
    missing = [tool for tool in ("bwrap", "prlimit") if shutil.which(tool) is None]
    if missing:
        raise SandboxUnavailable(
            f"{' and '.join(missing)} not found: install Debian's bubblewrap (and util-linux) to grade "
            "submissions in a sandbox, or set NNCOURSE_SANDBOX=off to grade without one (not for a real class)")


def _readable_roots() -> list[Path]:
    """Folders the kernel must read: the Python installation and the environment. The course's own
    packages, installed in editable mode from the course folder, are not among them."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    for path in [*site.getsitepackages(), sysconfig.get_paths()["stdlib"]]:
        roots.add(Path(path).resolve())
    # The system folders hold the shared libraries; a root inside another is bound with it.
    kept: list[Path] = []
    for root in sorted(roots, key=lambda p: len(p.parts)):
        if root.exists() and not any(root.is_relative_to(k) for k in kept) and not root.is_relative_to("/usr"):
            kept.append(root)
    return kept


def site_packages_folders() -> list[Path]:
    """The environment's site-packages and the base interpreter's: a venv does not import from the
    latter, but a kernel could read it, and a package installed there (scikit-learn, with the digits'
    labels) would be in reach."""
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    folders = [Path(site.getsitepackages()[0]).resolve()]
    for path in (base["purelib"], base["platlib"]):
        folder = Path(path).resolve()
        if folder.is_dir() and folder not in folders:
            folders.append(folder)
    return folders


DEFAULT_PACKAGES = ("numpy", "matplotlib")
KERNEL_BASE = ("ipykernel",)


@functools.lru_cache(maxsize=32)
def distributions(names: tuple[str, ...]) -> tuple[str, ...]:
    """The installed distributions ``names`` need, with their dependencies (markers evaluated)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, None] = {}
    todo = [*KERNEL_BASE, *names]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen[name] = None
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return tuple(seen)


@functools.lru_cache(maxsize=32)
def package_paths(names: tuple[str, ...]) -> tuple[Path, ...]:
    """The top-level files and folders in site-packages of those distributions (what the kernel may import)."""
    site_packages = Path(site.getsitepackages()[0]).resolve()
    paths: dict[Path, None] = {}
    for name in distributions(names):
        dist = importlib.metadata.distribution(name)
        for file in dist.files or []:
            if file.parts and file.parts[0] != ".." and not file.name.endswith(".pth"):
                path = site_packages / file.parts[0]
                if path.exists():
                    paths[path] = None
    return tuple(paths)


def bwrap_command(kernel_cmd: list[str], *, workdir: str, private_dir: str,
                  packages: tuple[str, ...] | None = None) -> list[str]:
    """``prlimit ... bwrap ... -- kernel_cmd``: the kernel, in its sandbox, working in ``workdir``.

    ``private_dir`` (bound read-write) holds the connection file and the ZMQ sockets;
    ``workdir`` is where the kernel is told it runs, backed by ``private_dir/scratch``.
    ``packages``: the distributions the kernel may import (with ipykernel and their dependencies);
    the environment's site-packages shows only those. None: all of them.
    """
    memory = limits()
    python = str(Path(sys.prefix).resolve() / "bin" / "python")
    scratch = str(Path(private_dir) / "scratch")
    command = ["prlimit", f"--as={memory['memory_mb'] * 2**20}", f"--cpu={memory['cpu_seconds']}",
               f"--fsize={SCRATCH_FILE_LIMIT}", "--core=0", "--",
               # bwrap itself starts with an empty environment: it is PID 1 of the kernel's namespace,
               # and the kernel can read /proc/1/environ (--clearenv below cleans only the kernel's)
               "env", "-i", shutil.which("bwrap") or "bwrap",
               "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
               "--die-with-parent", "--new-session", "--disable-userns",
               "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            command += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            command += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    command += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
                "--size", str(TMP_SIZE), "--tmpfs", "/dev/shm"]
    for root in _readable_roots():
        command += ["--ro-bind", str(root), str(root)]
    if packages is not None:  # empty site-packages folders, then only what the exercise allows
        for folder in site_packages_folders():
            command += ["--tmpfs", str(folder)]
        for path in package_paths(tuple(packages)):
            command += ["--ro-bind", str(path), str(path)]
    command += ["--bind", private_dir, private_dir, "--bind", scratch, workdir, "--chdir", workdir,
                "--clearenv", "--setenv", "HOME", "/tmp", "--setenv", "USER", "nobody",
                "--setenv", "PATH", f"{Path(python).parent}:/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
                "--setenv", "MPLBACKEND", "Agg", "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib",
                "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                # the working folder holds the student's files: a numpy.py there must not shadow numpy
                "--setenv", "PYTHONSAFEPATH", "1"]
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_CPP_MIN_LOG_LEVEL"):
        if name in os.environ:
            command += ["--setenv", name, os.environ[name]]
    if kernel_cmd and Path(kernel_cmd[0]).name.startswith("python"):
        kernel_cmd = [python, *kernel_cmd[1:], "--IPKernelApp.ignore_cwd=True"]
    # Everything is mounted: the root itself (a tmpfs the size of half the RAM) becomes read-only.
    return [*command, "--remount-ro", "/", "--", *kernel_cmd]


def copy_submission(workdir: Path, scratch: Path) -> None:
    """Fill ``scratch`` with the student's own files (data they submitted), not their notebooks.

    The files come from the submission itself (``submitted/<student>/<assignment>``, next to
    nbgrader's ``autograded/<student>/<assignment>``) and symbolic links are left out:
    nbgrader follows a link when it copies a submission, so a link named ``data.db`` pointing
    at the gradebook would otherwise arrive as a copy of the gradebook.
    """
    parts = workdir.parts
    submitted = Path(*parts[:-3], "submitted", *parts[-2:]) if len(parts) > 3 else workdir
    source = submitted if submitted.is_dir() else workdir
    scratch.mkdir(parents=True)
    for path in sorted(source.rglob("*")):
        if path.is_symlink() or any(p.is_symlink() for p in path.relative_to(source).parents if p != Path(".")):
            continue
        target = scratch / path.relative_to(source)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.is_file() and path.suffix != ".ipynb":
            shutil.copyfile(path, target)


CGROUPS = Path("/sys/fs/cgroup")


class JobCgroup:
    """Cgroups (v1: pids, cpu, memory) holding one kernel and everything it starts.

    ``prefix()`` is the command that moves the kernel's launcher into them before it execs;
    ``kill_strays()`` kills every process but the sandbox's init and the kernel (host PIDs whose
    innermost PID is 1 or 2); ``close()`` kills them all and removes the cgroups.
    """

    def __init__(self, name: str):
        self.folders: list[Path] = []
        memory = limits()["memory_mb"] + 512
        settings = {"pids": {"pids.max": os.environ.get("NNCOURSE_PROCESSES", "256")},
                    "cpu": {"cpu.cfs_period_us": "100000",
                            "cpu.cfs_quota_us": str(int(float(os.environ.get("NNCOURSE_CPUS", "1")) * 100000))},
                    "memory": {"memory.limit_in_bytes": str(memory * 2**20)}}
        try:
            for controller, values in settings.items():
                folder = CGROUPS / controller / "nbcourse" / name
                folder.mkdir(parents=True)
                self.folders.append(folder)
                for key, value in values.items():
                    (folder / key).write_text(value)
        except OSError:
            self.close()
            raise

    @classmethod
    def available(cls) -> bool:
        """Can the grader make the cgroups here (and is it asked to)?"""
        group = cls.create(f"probe-{os.getpid()}")
        if group is None:
            return False
        group.close()
        return True

    @classmethod
    def create(cls, name: str) -> JobCgroup | None:
        """The cgroups, or None where this OS does not let the grader make them."""
        if os.environ.get("NNCOURSE_CGROUPS", "on").lower() in {"off", "0", "no", "false"}:
            return None
        try:
            return cls(name)
        except OSError:
            return None

    def prefix(self) -> list[str]:
        joins = " && ".join(f'echo $$ > "{folder}/cgroup.procs"' for folder in self.folders)
        return ["sh", "-c", f'{joins} && exec "$@"', "nbcourse-job"]

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.folders[0] / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_strays(self) -> int:
        """Kill the processes the kernel started (not the kernel): they must not outlive their cell."""
        killed = 0
        for pid in self.pids():
            try:
                line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("NSpid:"))
            except (OSError, StopIteration):
                continue
            nspids = line.split()[1:]
            if len(nspids) > 1 and nspids[-1] not in ("1", "2"):
                killed += _kill(pid)
        return killed

    def close(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                _kill(pid)
            time.sleep(0.02)
        for folder in self.folders:
            try:
                folder.rmdir()
            except OSError:
                pass


def _kill(pid: int) -> int:
    try:
        os.kill(pid, signal.SIGKILL)
        return 1
    except OSError:
        return 0


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside :func:`bwrap_command`'s sandbox."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sandboxed = enabled()
        self.cgroup: JobCgroup | None = None
        self.packages: tuple[str, ...] | None = None  # set by TrustedExecute from the hidden tests
        if self.sandboxed:
            require()
            self.transport = "ipc"  # Unix sockets: the kernel's network namespace has no route to ours
            self._private_dir = tempfile.mkdtemp(prefix="nbcourse-kernel-", dir=socket_parent())
            self.cgroup = JobCgroup.create(Path(self._private_dir).name)
            if self.cgroup is not None:
                weakref.finalize(self, self.cgroup.close)
            self.connection_file = os.path.join(self._private_dir, "connection.json")
            self.ip = os.path.join(self._private_dir, "zmq")
            weakref.finalize(self, shutil.rmtree, self._private_dir, True)  # also when the kernel dies

    async def _async_pre_start_kernel(self, **kw):
        if self.sandboxed:
            workdir = str(Path(kw.get("cwd") or os.getcwd()).resolve())
            scratch = Path(self._private_dir) / "scratch"
            shutil.rmtree(scratch, ignore_errors=True)
            copy_submission(Path(workdir), scratch)
            os.chmod(scratch, 0o777)
            self._workdir = workdir
            # A signal to bwrap would not reach the kernel inside: interrupt (on a cell timeout) by message.
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if not self.sandboxed:
            return command
        sandboxed = bwrap_command(command, workdir=self._workdir, private_dir=self._private_dir,
                                  packages=self.packages)
        return (self.cgroup.prefix() if self.cgroup is not None else []) + sandboxed

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False):
        try:
            await super()._async_shutdown_kernel(now=now, restart=restart)
        finally:
            if self.sandboxed and not restart:
                if self.cgroup is not None:
                    self.cgroup.close()
                shutil.rmtree(self._private_dir, ignore_errors=True)

    shutdown_kernel = _async_shutdown_kernel  # AsyncKernelManager binds the public name to its own method


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor, starting kernels with :class:`SandboxedKernelManager`;
    after each cell, the processes the kernel started are killed."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def kill_strays(self) -> None:
        cgroup = getattr(self.km, "cgroup", None)
        if cgroup is not None:
            cgroup.kill_strays()

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.kill_strays()
