"""CPython's argument conversions, with the messages CPython 3.11 gives.

The stand-ins must fail on bad arguments exactly as the real modules do, so
the conversions Modules/selectmodule.c, posixmodule.c and socketmodule.c
rely on (PyObject_AsFileDescriptor, the ``int`` and ``unsigned short``
converters, _PyTime_FromSecondsObject with _PyTime_ROUND_TIMEOUT, ...) are
written out here once.
"""
from __future__ import annotations

import math
import operator
import sys
from typing import Any

INT_MAX = 0x7FFFFFFF
INT_MIN = -0x80000000
_PYTIME_MAX = (1 << 63) - 1
_PYTIME_MIN = -(1 << 63)
_PYTIME_T = "PyTime_t" if sys.version_info >= (3, 13) else "_PyTime_t"  # 3.13 made the type public


def index(value: Any) -> int:
    """PyNumber_Index: ``operator.index``, naming a stand-in for a C type as CPython names the C
    type (Py_TYPE(o)->tp_name, ``'select.epoll' object cannot be interpreted as an integer``)."""
    try:
        return operator.index(value)
    except TypeError:
        name = getattr(type(value), "_tp_name", None)
        if name is None:
            raise
        raise TypeError(f"'{name}' object cannot be interpreted as an integer") from None


def tp_name(obj: Any) -> str:
    """Py_TYPE(obj)->tp_name: ``_tp_name`` for a stand-in for a C type, else the class's name."""
    return getattr(type(obj), "_tp_name", type(obj).__name__)


def c_int(value: Any) -> int:
    """The clinic ``int`` converter: __index__, then the C int range."""
    n = index(value)
    if not INT_MIN <= n <= INT_MAX:
        raise OverflowError("Python int too large to convert to C int")
    return n


def fildes(obj: Any) -> int:
    """PyObject_AsFileDescriptor: an int, or an object whose fileno() gives one."""
    if isinstance(obj, int):
        fd = obj
    else:
        meth = getattr(obj, "fileno", None)
        if meth is None:
            raise TypeError("argument must be an int, or have a fileno() method.")
        fd = meth()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if fd > INT_MAX or fd < INT_MIN:
        raise OverflowError("Python int too large to convert to C int")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return int(fd)


def unsigned_mask(value: Any, bits: int) -> int:
    """Clinic's bitwise unsigned converters (PyLong_AsUnsignedLongMask): anything with
    __index__, truncated to ``bits``; so 2**32 is 0 and -1 is all ones."""
    return index(value) & ((1 << bits) - 1)


def unsigned_short(value: Any) -> int:
    """The checked ``unsigned short`` converter (_PyLong_UnsignedShort_Converter, select.poll
    event masks): an exact int (no __index__), through PyLong_AsUnsignedLong first."""
    if not isinstance(value, int):
        raise TypeError("an integer is required")
    if value < 0:
        raise ValueError("value must be positive")
    if value > 0xFFFFFFFFFFFFFFFF:
        raise OverflowError("Python int too large to convert to C unsigned long")
    if value > 0xFFFF:
        raise OverflowError("Python int too large for C unsigned short")
    return int(value)


def ssize_t(value: Any) -> int:
    """Clinic's ``Py_ssize_t`` converter (os.read's length)."""
    n = index(value)
    if not -(1 << 63) <= n < 1 << 63:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return n


def unsigned_int(value: Any) -> int:
    """_PyLong_UnsignedInt_Converter (os.eventfd's initval): exact ints only, no __index__,
    through unsigned long first."""
    if not isinstance(value, int):
        raise TypeError("an integer is required")  # PyLong_AsUnsignedLong's message
    if value < 0:
        raise ValueError("value must be positive")
    if value > 0xFFFFFFFFFFFFFFFF:
        raise OverflowError("Python int too large to convert to C unsigned long")
    if value > 0xFFFFFFFF:
        raise OverflowError("Python int too large for C unsigned int")
    return int(value)


def unsigned_long_long(value: Any) -> int:
    """_PyLong_UnsignedLongLong_Converter (os.eventfd_write's value): exact ints only."""
    if not isinstance(value, int):
        raise TypeError("an integer is required")  # PyLong_AsUnsignedLongLong's message
    if value < 0:
        raise ValueError("value must be positive")
    if value > 0xFFFFFFFFFFFFFFFF:
        raise OverflowError("int too big to convert")
    return int(value)


def _round_up(x: float) -> int:
    """_PyTime_ROUND_UP (= ROUND_TIMEOUT): away from zero."""
    return math.ceil(x) if x >= 0 else math.floor(x)


def time_to_ns(obj: Any, unit_ns: int) -> int:
    """_PyTime_FromObject with _PyTime_ROUND_TIMEOUT; ``unit_ns`` is 10**9 for seconds."""
    if isinstance(obj, float):
        if math.isnan(obj):
            raise ValueError("Invalid value NaN (not a number)")
        d = obj * unit_ns
        if not (_PYTIME_MIN <= d < -float(_PYTIME_MIN)):
            if sys.version_info < (3, 11):  # 3.10's _PyTime_FromDouble: the int case's message
                raise OverflowError(f"timestamp too large to convert to C {_PYTIME_T}")
            raise OverflowError("timestamp out of range for platform time_t")
        return _round_up(d)
    try:
        n = index(obj)
    except TypeError:
        raise TypeError("timeout must be an integer or None") from None
    ns = n * unit_ns
    if not (_PYTIME_MIN <= n <= _PYTIME_MAX and _PYTIME_MIN <= ns <= _PYTIME_MAX):
        raise OverflowError(f"timestamp too large to convert to C {_PYTIME_T}")
    return ns


def ns_to_ms_checked(ns: int, ceiling: bool) -> int:
    """_PyTime_AsMilliseconds (CEILING or TIMEOUT rounding), the C int check, negatives -> -1."""
    if ceiling or ns >= 0:
        ms = -(-ns // 1_000_000)
    else:
        ms = ns // 1_000_000  # ROUND_UP: away from zero
    if not INT_MIN <= ms <= INT_MAX:
        raise OverflowError("timeout is too large")
    return -1 if ms < 0 else ms


def as_bytes(data: Any) -> bytes:
    """The buffer-protocol argument ("y*") of os.write, socket.send, inet_ntoa and inet_ntop."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'")
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") from None


def c_long(value: Any) -> int:
    """PyLong_AsLong (setblocking's flag)."""
    n = index(value)
    if not -(1 << 63) <= n <= (1 << 63) - 1:
        raise OverflowError("Python int too large to convert to C long")
    return n


def format_i(value: Any) -> int:
    """The "i" format of PyArg_ParseTuple: a C long, then the C int range."""
    n = c_long(value)
    if n > INT_MAX:
        raise OverflowError("signed integer is greater than maximum")
    if n < INT_MIN:
        raise OverflowError("signed integer is less than minimum")
    return n


def c_int_313(value: Any) -> int:
    """Argument Clinic's ``int`` converter from 3.13 on (PyLong_AsInt): one overflow message."""
    n = index(value)
    if not INT_MIN <= n <= INT_MAX:
        raise OverflowError("Python int too large to convert to C int")
    return n


def format_n(value: Any) -> int:
    """The "n" format: a Py_ssize_t."""
    n = index(value)
    if not -(1 << 63) <= n <= (1 << 63) - 1:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return n


def writable_buffer(buffer: Any, method: str) -> memoryview:
    """The "w*" format: a writable, C-contiguous buffer."""
    try:
        view = memoryview(buffer)
    except TypeError:
        view = None
    if view is None or view.readonly or not view.c_contiguous:
        raise TypeError(
            f"{method}() argument 1 must be read-write bytes-like object, not {type(buffer).__name__}"
        )
    return view.cast("B")
