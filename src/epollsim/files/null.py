"""/dev/null (drivers/char/mem.c): a character device with no poll method.

It is here because every process starts with fds 0, 1 and 2 open, and
because it is the simplest file epoll refuses (EPERM): poll() on it reports
DEFAULT_POLLMASK (IN|OUT|RDNORM|WRNORM). Reads return EOF, writes vanish.
"""
from __future__ import annotations

from errno import ENOTTY

from ..abi.ioctl import QUEUE_REQUESTS
from ..abi.stat import DEV_NULL_INO, DEV_NULL_RDEV, DEVTMPFS_DEV, S_IFCHR
from ..errors import oserror
from ..vfs.file import OpenFile


class NullDevice(OpenFile):
    __slots__ = ()

    kind = "/dev/null"
    st_mode = S_IFCHR | 0o666
    st_dev = DEVTMPFS_DEV
    st_rdev = DEV_NULL_RDEV
    shared_ino = DEV_NULL_INO
    pollable = False
    plain_target = False
    noop_llseek = True

    def read(self, n: int, nonblock: bool = False) -> bytes:
        return b""

    def write(self, data: bytes, nonblock: bool = False) -> int:
        return len(data)

    def ioctl(self, request: int) -> int:
        """null_fops has no unlocked_ioctl: vfs_ioctl answers ENOTTY."""
        if request in QUEUE_REQUESTS:
            raise oserror(ENOTTY)
        return super().ioctl(request)
