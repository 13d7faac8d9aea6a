"""The simulated network: each host's stack (addresses, port tables) and the wires between hosts.

``net/`` knows nothing of threads or of files: a socket is whatever object the
protocol code (``files/tcp.py``, ``files/udp.py``) registers, and a packet is
a callback the network runs at its arrival time on the virtual clock.
"""
from .network import Network
from .stack import NetStack

__all__ = ["NetStack", "Network"]
