"""epollsim: a deterministic simulated Linux kernel whose epoll matches the real one event for event.

    import epollsim
    k = epollsim.Kernel(seed=0)
    r, w = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN | k.select.EPOLLET)
    k.os.write(w, b"x")
    ep.poll(0)          # [(r, 1)]
"""
from .errors import Deadlock, EpollsimError, KernelBug, Unsupported
from .exploration import Exploration, Failure, explore, run_seed
from .kernel import Kernel

__all__ = [
    "Deadlock", "EpollsimError", "Exploration", "Failure", "Kernel", "KernelBug", "Unsupported",
    "explore", "run_seed",
]
__version__ = "0.1.0"
