"""The trace recorder and what it writes: text, trace-event JSON (Perfetto), SVG and PNG timelines.

``Kernel(trace=True)`` or ``k.trace.start()`` switches it on; see ``recorder.py``.
"""
from .recorder import Tracer
from .records import Block, Call, ClockJump, Exit, Record, Return, Signal, Start, Switch, Timeout, Wake

__all__ = ["Block", "Call", "ClockJump", "Exit", "Record", "Return", "Signal", "Start", "Switch", "Timeout", "Tracer", "Wake"]
