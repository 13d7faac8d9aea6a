"""The fd number space a patch shares with the real process (space.py: the design; calls.py: the calls)."""
from .space import SharedFds

__all__ = ["SharedFds"]
