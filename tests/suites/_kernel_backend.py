"""A test backend over a kernel made elsewhere (by ``epollsim.explore``, for one seed)."""
from __future__ import annotations

from epollsim import Kernel
from epollsim.testing.backends import Backend


class KernelBackend(Backend):
    name = "model"

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.os, self.select, self.socket = kernel.os, kernel.select, kernel.socket
        self.fcntl, self.sys, self.threading, self.time = kernel.fcntl, kernel.sys, kernel.threading, kernel.time
