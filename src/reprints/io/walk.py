"""Every entry below a folder, in sorted order, each either a file to read or a reason it is not.

- Symbolic links are followed, to folders and files alike (ids are the paths through the link).
  A link back to a folder being walked (a loop) is reported and not followed; a folder reached a
  second time through another link is reported as already read; a broken link is reported.
- Hidden files and folders (the name starts with ".", such as .git or .DS_Store) below the
  folder are not read, each reported with that reason (a hidden folder once, not descended); a
  hidden folder given itself as the input is read.
- A folder that cannot be listed (permissions, a path longer than the system allows) is reported
  once; a FIFO, socket or device is reported and never opened (reading a FIFO would block).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Iterator

from reprints.io.decoding import os_error


def _listing(folder: Path) -> list[os.DirEntry] | str:
    try:
        with os.scandir(str(folder)) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            return "path longer than the system allows; folder not read"
        return f"cannot read folder: {os_error(err)}"


def walk(root: Path) -> Iterator[tuple[Path, str | None]]:
    """(path, None) for each regular file to read, (path, reason) for each entry not read."""
    try:
        info = os.stat(root)
    except OSError as err:
        yield root, f"cannot read folder: {os_error(err)}"
        return
    key = (info.st_dev, info.st_ino)
    seen = {key: root}
    listing = _listing(root)
    if isinstance(listing, str):
        yield root, listing
        return
    stack = [(key, iter(listing))]
    walking = {key}
    while stack:
        key, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            walking.discard(key)
            continue
        path = Path(entry.path)
        if entry.name.startswith("."):
            kind = "folder" if _is_dir(entry) else "file"
            yield path, f"hidden {kind} (name starts with '.'), not read"
            continue
        try:
            if entry.is_symlink():
                info = os.stat(entry.path)
            elif entry.is_file(follow_symlinks=False):  # from the directory listing: no stat
                yield path, None
                continue
            else:
                info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            yield path, "broken symlink (its target does not exist)"
            continue
        except OSError as err:
            if err.errno == errno.ELOOP:
                yield path, "symlink loop (the link leads back to itself); not followed"
            elif err.errno == errno.ENAMETOOLONG:
                yield path, "path longer than the system allows; not read"
            else:
                yield path, f"cannot read: {os_error(err)}"
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in walking:
                yield path, f"symlink loop: leads back to {seen[key]}; not followed"
            elif key in seen:
                yield path, f"folder already read as {seen[key]}; not read twice"
            else:
                seen[key] = path
                listing = _listing(path)
                if isinstance(listing, str):
                    yield path, listing
                else:
                    stack.append((key, iter(listing)))
                    walking.add(key)
        elif stat.S_ISREG(info.st_mode):
            yield path, None
        else:
            yield path, "not a regular file (a FIFO, socket or device), not read"


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
