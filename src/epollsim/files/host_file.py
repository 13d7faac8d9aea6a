"""A file of the real process, as the model's select, poll and epoll see it (while a patch is active).

Under ``k.patch()`` the program's regular files and directories stay the
host's real ones, in the same fd number space as the model's files
(patch_fds.py). When such a number reaches the model's poll, select or epoll,
the patch's hook (``FdTable.host_fds.lookup``) answers with one of these: a
stand-in made for that one call, holding no reference on anything. Regular
files and directories have no poll method on Linux, so (fs/select.c, and
fs/eventpoll.c ep_insert's file_can_poll check) poll and select report them
always ready with DEFAULT_POLLMASK, and epoll_ctl refuses them with EPERM.
Other kinds of real file (a tty, a real socket or pipe) would need the real
kernel's readiness: the hook raises ``Unsupported`` for those instead.
"""
from __future__ import annotations

from ..vfs.file import OpenFile


class HostFile(OpenFile):
    __slots__ = ("fd", "what")

    kind = "host file"
    pollable = False  # file_can_poll is false: epoll_ctl answers EPERM
    plain_target = False

    def __init__(self, fd: int, what: str) -> None:
        super().__init__(-1, 0)  # no description id: it is the real kernel's, not the model's
        self.fd = fd
        self.what = what  # "regular file", "directory"

    def __repr__(self) -> str:
        return f"<host {self.what} at fd {self.fd}>"
