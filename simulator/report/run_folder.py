"""Output folders the program owns: checked before a run, filled aside, swapped in whole.

A folder a run writes carries a marker file, ``.simulator-run.json``, listing the files the run
wrote. The program replaces an existing output folder only when everything in it is its own:
the marker and files the marker lists. A folder holding anything else (a user's notes, the
scenario file, a subfolder, a ``manifest.json`` the program did not write) is refused before
the run starts, so the user does not wait for results that cannot be written; nothing in it is
touched. An empty folder is used.

New outputs are written into a hidden sibling, ``.NAME.partial-PID-XXXX``, which is swapped with
the output folder in one step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames,
which a later run completes or undoes if a kill falls between them), so the folder always holds
either the previous results or the new ones, whole. The previous results are then deleted file
by file, the marker last. Hidden siblings left by a killed run (recognised by their name, the
marker, and a process id that no longer runs on this host) are removed by the next run into the
same place.

A symbolic link given as the output folder is followed (the folder it leads to is the one
checked and swapped; the link is kept); a dangling one is refused.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import socket
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from simulator.interrupts import checkpoint, deferred

#: Name of the marker file in every folder a run writes.
MARKER = ".simulator-run.json"
#: What the marker's ``format`` says: a file named like the marker with other content is not one.
MARKER_FORMAT = "ai-infra-simulator run folder"
#: Markers are read up to this size [bytes]; a bigger file is not a marker.
MARKER_MAX_BYTES = 1 << 20
#: Entries named in a refusal message before "and N more".
SHOWN = 5


class OutputFolderError(Exception):
    """The output folder cannot be used without touching what the program did not write; the
    message names the folder and what it would not touch."""


def _marker_body(state: str, files: Iterable[str]) -> str:
    return json.dumps({
        "format": MARKER_FORMAT, "version": 1, "state": state, "files": sorted(files),
        "pid": os.getpid(), "host": socket.gethostname(),
        "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, indent=2) + "\n"


def read_marker(folder: Path) -> dict | None:
    """The marker of a folder the program wrote, or None if it has none (a file of that name
    that is not a regular file, is too big, is not JSON, or does not say it is a marker)."""
    path = Path(folder) / MARKER
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MARKER_MAX_BYTES:
            return None
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("format") != MARKER_FORMAT:
        return None
    files = marker.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) and _plain_name(f)
                                              for f in files):
        return None
    return marker


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..", MARKER) and "/" not in name and "\0" not in name \
        and os.sep not in name


def foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` the program did not write: everything but the marker and the
    regular files it lists (a subfolder or link under a listed name is not the program's)."""
    folder = Path(folder)
    marker = read_marker(folder)
    own = set(marker["files"]) if marker else set()
    foreign = []
    for entry in sorted(os.listdir(folder)):
        path = folder / entry
        if marker and entry == MARKER:
            continue
        if entry in own and path.is_file() and not path.is_symlink():
            continue
        foreign.append(entry)
    return foreign


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _pid_is_gone(pid: int) -> bool:
    """True only when ``pid`` certainly runs no process here (errors count as alive)."""
    if pid <= 0 or os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _remove_own(folder: Path) -> bool:
    """Delete a hidden folder of the program's: its regular files, the marker last (so a kill
    part-way leaves a folder still recognisable as the program's), then the folder. Anything
    else inside (a subfolder) is kept, and so is the folder. Returns True if it is gone."""
    for entry in os.listdir(folder):
        path = folder / entry
        if entry != MARKER and (path.is_symlink() or path.is_file()):
            path.unlink(missing_ok=True)
    (folder / MARKER).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def _hidden_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\.{re.escape(name)}\.(partial|old)-(\d+)-[A-Za-z0-9_]+")


def clean_stale(target: Path) -> list[str]:
    """Remove the hidden siblings of ``target`` that killed runs left: named
    ``.NAME.partial-PID-XXXX`` or ``.NAME.old-PID-XXXX``, marked as the program's (or empty),
    written on this host by a process that is gone. If a kill fell between the two renames of a
    swap (systems without an atomic exchange), ``target`` is missing and its previous results
    wait in an ``.old-`` sibling: they are put back first. Returns what was removed or put
    back, for a note to the user."""
    pattern, host, done = _hidden_pattern(target.name), socket.gethostname(), []
    try:
        entries = sorted(os.listdir(target.parent))
    except FileNotFoundError:
        return done
    for entry in entries:
        match = pattern.fullmatch(entry)
        path = target.parent / entry
        if not match or path.is_symlink() or not path.is_dir() \
                or not _pid_is_gone(int(match.group(2))):
            continue
        marker = read_marker(path)
        if marker is None and os.listdir(path):
            continue  # not recognisably the program's: left alone
        if marker is not None and marker.get("host") != host:
            continue  # another machine's run on a shared file system
        if match.group(1) == "old" and marker is not None and marker.get("state") == "complete" \
                and not os.path.lexists(target):
            os.rename(path, target)
            done.append(f"put back the previous results from {entry}")
        elif _remove_own(path):
            done.append(f"removed {entry}")
    return done


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the system
    or file system cannot, and then nothing has moved."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # C library older than glibc 2.28, or none to load
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


class OutputFolder:
    """An output folder for one run: checked and prepared before the run
    (:meth:`prepare`), filled in :attr:`staging`, then swapped in (:meth:`commit`) or
    dropped (:meth:`discard`).

    Attributes
    ----------
    path : Path
        The folder as the user named it.
    target : Path
        The folder written (``path`` with symbolic links followed).
    staging : Path
        Hidden sibling of ``target`` the run writes into.
    had_results : bool
        ``target`` held a previous run's results when the run started.
    committed : bool
        The new results are in ``target``.
    notes : list of str
        What was cleaned up from earlier killed runs.
    """

    def __init__(self, path: Path, target: Path, staging: Path, had_results: bool,
                 created: list[Path], notes: list[str]) -> None:
        self.path, self.target, self.staging = path, target, staging
        self.had_results, self.committed = had_results, False
        self._created, self.notes = created, notes

    @classmethod
    def prepare(cls, out: str | Path, *, keep: Iterable[str | Path] = ()) -> OutputFolder:
        """Check that the run may write ``out`` and make its staging folder, before simulating.

        Parameters
        ----------
        out : str or Path
            Output folder; created (with its parents) when the run commits.
        keep : iterable of path
            Files that must survive (the scenario file): a folder holding one is refused.

        Raises
        ------
        OutputFolderError
            ``out`` holds files the program did not write, is not a folder, is a dangling
            link, or holds the current folder.
        OSError
            The staging folder cannot be made (no permission, read-only file system).
        """
        path = Path(out)
        if path.is_symlink() and not path.exists():
            raise OutputFolderError(f"output folder {path} is a symbolic link to "
                                    f"{os.readlink(path)}, which does not exist (hint: create "
                                    "that folder or choose another --out)")
        target = Path(os.path.realpath(path))
        if target.exists() and not target.is_dir():
            raise OutputFolderError(f"output folder {path} exists and is not a folder (hint: "
                                    "choose another --out)")
        notes = clean_stale(target)
        had_results = False
        if target.is_dir():
            here = Path.cwd().resolve()
            if target == here or target in here.parents:
                raise OutputFolderError(f"output folder {path} contains the current folder, "
                                        "which a run would replace (hint: choose a new folder, "
                                        "e.g. --out runs/NAME)")
            inside = [Path(k).name for k in keep
                      if Path(os.path.realpath(k)).parent == target]
            foreign = sorted(set(foreign_entries(target)) | set(inside))
            if foreign:
                why = "" if read_marker(target) is not None else (
                    f" (it has no {MARKER}, the mark of a folder this program wrote)")
                raise OutputFolderError(
                    f"output folder {path} holds files this program did not write"
                    f"{why}: {_listing(foreign)}. A run replaces only a folder holding nothing "
                    "but its own outputs, so nothing was run or touched (hint: choose a new or "
                    f"empty folder, e.g. --out {path / 'run'}, or move those files out)")
            had_results = read_marker(target) is not None
        created = []
        parent = target.parent
        while not parent.exists():
            created.append(parent)
            parent = parent.parent
        staging = None
        try:
            with deferred():  # an interrupt here is raised below, where it is cleaned up
                target.parent.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-{os.getpid()}-",
                                                dir=target.parent))
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(staging, 0o777 & ~umask)  # a results folder, not a private temporary one
                (staging / MARKER).write_text(_marker_body("partial", []), encoding="utf-8")
            return cls(path, target, staging, had_results, created, notes)
        except BaseException:
            if staging is not None:
                cls(path, target, staging, had_results, created, notes).discard()
            raise

    def commit(self, files: Iterable[Path]) -> None:
        """Swap the filled staging folder in as the output folder, then delete the previous
        results. SIGINT and SIGTERM wait until this is done.

        Parameters
        ----------
        files : iterable of Path
            The files the run wrote into :attr:`staging`; the marker lists them.

        Raises
        ------
        OutputFolderError
            Something not the program's appeared in the output folder during the run; the new
            results are kept in a visible sibling named in the message.
        """
        names = [Path(f).name for f in files]
        (self.staging / MARKER).write_text(_marker_body("complete", names), encoding="utf-8")
        with deferred():
            checkpoint("swap")
            if self.target.is_dir() and (foreign := foreign_entries(self.target)):
                kept = self.target.with_name(f"{self.target.name}.new-{os.getpid()}")
                os.rename(self.staging, kept)
                self.staging = kept
                raise OutputFolderError(
                    f"output folder {self.path} changed during the run: it now holds files "
                    f"this program did not write ({_listing(foreign)}), so it was left as it "
                    f"is; the new results are in {kept}")
            if not os.path.lexists(self.target) or not os.listdir(self.target):
                os.replace(self.staging, self.target)  # replaces an empty folder in one step
                old = None
            elif _exchange(self.staging, self.target):
                old = self.staging
            else:
                old = self.staging.with_name(self.staging.name.replace(".partial-", ".old-", 1))
                os.rename(self.target, old)
                checkpoint("between-renames")
                os.rename(self.staging, self.target)
            self.committed = True
            if old is not None:
                # the previous results now carry this run's host and process id, so that if
                # this run is killed while deleting them the next run here recognises them
                previous = read_marker(old)
                (old / MARKER).write_text(_marker_body("old", previous["files"] if previous
                                                       else []), encoding="utf-8")
            checkpoint("swapped")
            if old is not None:
                _remove_own(old)

    def discard(self) -> None:
        """Drop the staging folder (and the parents :meth:`prepare` found missing, if still
        empty); the output folder is left as it was."""
        if self.committed or not self.staging.is_dir() or ".partial-" not in self.staging.name:
            return
        with deferred():
            _remove_own(self.staging)
            for folder in self._created:
                try:
                    folder.rmdir()
                except OSError:
                    break
