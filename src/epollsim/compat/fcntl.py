"""A stand-in for ``fcntl``: fcntl() with integer arguments, for the commands the model knows,
and ioctl() for the queue-size requests (FIONREAD, TIOCOUTQ)."""
from __future__ import annotations

import fcntl as _real_fcntl
import struct
from errno import EFAULT
from typing import Any, ClassVar

from ..abi import fcntl as _abi_fcntl
from ..errors import Unsupported, oserror
from ..syscalls import Syscalls
from ._convert import INT_MAX, INT_MIN, c_int, fildes, index, unsigned_mask
from ._module import StandIn, copy_constants

IOCTL_BUFSZ = 1024  # Modules/fcntlmodule.c: the longest buffer ioctl copies


def _ioctl_buffer(arg: Any) -> tuple[memoryview, bool] | None:
    """PyArg_Parse with "w*", then "s*": (the C-contiguous buffer, whether it is writable),
    or None when ``arg`` is neither (a failed parse is cleared, and "i" is tried next)."""
    if isinstance(arg, str):
        try:
            return memoryview(arg.encode("utf-8")), False
        except UnicodeEncodeError:  # a lone surrogate: "s*" fails, so "i" does
            return None
    try:
        view = memoryview(arg)
    except TypeError:
        return None
    if not view.c_contiguous:
        view.release()
        return None
    return view, not view.readonly


class FcntlModule(StandIn):
    _mirrors = _real_fcntl
    # The constants set on this class after it is made (copy_constants below: abi/fcntl.py), where the
    # running CPython's module has them, declared for type checkers (tests/unit/test_typing.py
    # checks that the two lists agree).
    FD_CLOEXEC: ClassVar[int]
    F_DUPFD: ClassVar[int]
    F_DUPFD_CLOEXEC: ClassVar[int]
    F_GETFD: ClassVar[int]
    F_GETFL: ClassVar[int]
    F_GETPIPE_SZ: ClassVar[int]
    F_SETFD: ClassVar[int]
    F_SETFL: ClassVar[int]
    F_SETPIPE_SZ: ClassVar[int]

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys

    def fcntl(self, fd: Any, cmd: int, arg: Any = 0, /) -> int:
        """fcntl_fcntl_impl: ``fd`` through fildes, ``cmd`` a C int, ``arg`` a buffer or an int.

        A str or bytes-like ``arg`` is the buffer form (parsed first, with
        "s#"), which the model does not simulate. Anything else is parsed with
        "I": __index__, then cut to 32 bits without a range check, and handed
        to the kernel as a C int.
        """
        fd = fildes(fd)
        cmd = c_int(cmd)
        if isinstance(arg, (str, bytes, bytearray, memoryview)):
            raise Unsupported("fcntl.fcntl with a buffer argument is not modelled")
        value = index(arg) & 0xFFFFFFFF
        if value >= 1 << 31:
            value -= 1 << 32
        return self._sys.fcntl(fd, cmd, value)

    def ioctl(self, fd: Any, request: Any, arg: Any = 0, mutate_flag: Any = True, /) -> Any:
        """fcntl_ioctl_impl (3.11), for the requests whose answer is an int (``k.sys.ioctl``).

        ``fd`` through fildes, ``request`` cut to 32 bits without a range
        check, ``mutate_flag`` any truth value. Then ``arg``, parsed as CPython
        does, first as a writable buffer, then as a read-only one (a str is
        its UTF-8 bytes), then as a C int:

        * a writable buffer with ``mutate_flag``: the answer is written into
          its first bytes (at most 4: CPython passes a buffer of up to 1024
          bytes through a copy of its own and copies back only its length)
          and the call returns 0, the system call's result;
        * any other buffer: at most 1024 bytes (else ValueError), and the
          answer comes back as ``bytes`` of the buffer's length, the int in
          native byte order in its first bytes (``b""`` gives ``b""``);
        * an int is the pointer itself: 0 (NULL) is EFAULT once the file has
          an answer to write (its own errors come first), and any other
          address is ``Unsupported``: the model has no memory to write to.
        """
        fd = fildes(fd)
        request = unsigned_mask(request, 32)
        mutate = bool(mutate_flag)
        parsed = _ioctl_buffer(arg)
        if parsed is None:
            pointer = index(arg)
            if pointer > INT_MAX:
                raise OverflowError("signed integer is greater than maximum")
            if pointer < INT_MIN:
                raise OverflowError("signed integer is less than minimum")
            self._sys.ioctl(fd, request)
            if pointer:
                raise Unsupported(f"fcntl.ioctl with an int argument ({pointer}) as the pointer is not modelled")
            raise oserror(EFAULT)
        view, writable = parsed
        raw = view.cast("B") if view.format != "B" or view.ndim != 1 else view
        try:
            in_place = writable and mutate
            if raw.nbytes > IOCTL_BUFSZ and not in_place:
                raise ValueError("ioctl string arg too long")
            answer = struct.pack("=i", self._sys.ioctl(fd, request))
            n = min(raw.nbytes, len(answer))
            if in_place:
                raw[:n] = answer[:n]
                return 0
            return answer[:n] + raw[n:].tobytes()
        finally:
            if raw is not view:
                raw.release()
            view.release()


copy_constants(FcntlModule, _abi_fcntl, prefixes=("F_", "FD_"))
