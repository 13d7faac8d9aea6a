"""epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and epoll_pwait2, with Linux
>= 6.15's check order."""
from __future__ import annotations

from collections.abc import Iterable
from errno import EBADF, EEXIST, EFAULT, EINVAL, ELOOP, ENOENT, ENOSPC, EPERM
from typing import TYPE_CHECKING

from ..abi.epoll import (
    EP_MAX_EVENTS,
    EPOLL_CLOEXEC,
    EPOLL_CTL_ADD,
    EPOLL_CTL_DEL,
    EPOLL_CTL_MOD,
    EPOLLERR,
    EPOLLEXCLUSIVE,
    EPOLLEXCLUSIVE_OK_BITS,
    EPOLLHUP,
)
from ..clock import select_estimate_accuracy
from ..errors import oserror
from ..vfs.epoll import Epoll
from ..vfs.file import OpenFile
from .base import SyscallBase

NSEC_PER_SEC = 1_000_000_000  # include/vdso/time64.h
_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF


class EpollCalls(SyscallBase):
    __slots__ = ()

    def epoll_create(self, size: int) -> int:
        if size <= 0:
            raise oserror(EINVAL)
        return self.epoll_create1(0)

    def epoll_create1(self, flags: int) -> int:
        if flags & ~EPOLL_CLOEXEC:
            raise oserror(EINVAL)
        ep = Epoll(next(self.proc.fids), self.proc.epoll_user, self.hb)
        return self.proc.fdtable.install(ep, cloexec=bool(flags & EPOLL_CLOEXEC))

    def epoll_ctl(self, epfd: int, op: int, fd: int, events: int | None, data: int = 0) -> None:
        """do_epoll_ctl. ``events=None`` stands for a NULL event pointer."""
        files = self.files
        ep = files.get(epfd)
        target = files.get(fd)
        mask = (events or 0) & _U32
        # The common case passes one guard; anything unusual takes the checks
        # one by one, in Linux's order, to raise the errno Linux raises first.
        if (
            ep.__class__ is not Epoll  # also None; Epoll has no subclasses
            or target is None
            or not target.plain_target  # not pollable, or an epoll (loop checks)
            or mask & EPOLLEXCLUSIVE
            or events is None
        ):
            if target is None:
                target = self.host_file(fd)  # a real regular file under a patch: EPERM
            self._epoll_ctl_checks(ep, target, op, mask, events is None)
        if TYPE_CHECKING:  # what the guard established
            assert isinstance(ep, Epoll) and target is not None
        item = ep.interests.get((target.fid, fd))
        if op == EPOLL_CTL_ADD:
            if item is not None:
                raise oserror(EEXIST)
            user = ep.user
            if user.watches >= user.max_watches:
                raise oserror(ENOSPC)
            ep.insert(target, fd, mask | EPOLLERR | EPOLLHUP, data & _U64)
        elif op == EPOLL_CTL_DEL:
            if item is None:
                raise oserror(ENOENT)
            ep.remove(item)
        elif op == EPOLL_CTL_MOD:
            if item is None:
                raise oserror(ENOENT)
            if item.events & EPOLLEXCLUSIVE:
                raise oserror(EINVAL)
            ep.modify(item, mask | EPOLLERR | EPOLLHUP, data & _U64)
        else:
            raise oserror(EINVAL)

    @staticmethod
    def _epoll_ctl_checks(ep: OpenFile | None, target: OpenFile | None, op: int, mask: int, null: bool) -> None:
        """Steps 1-8 of do_epoll_ctl, in order (spec 4.1); returns if all pass."""
        has_event = op != EPOLL_CTL_DEL
        if has_event and null:
            raise oserror(EFAULT)
        if ep is None or target is None:
            raise oserror(EBADF)
        if not target.pollable:
            raise oserror(EPERM)
        if ep is target or not isinstance(ep, Epoll):
            raise oserror(EINVAL)
        if has_event and mask & EPOLLEXCLUSIVE:
            if op == EPOLL_CTL_MOD:
                raise oserror(EINVAL)
            if op == EPOLL_CTL_ADD and (isinstance(target, Epoll) or mask & ~EPOLLEXCLUSIVE_OK_BITS):
                raise oserror(EINVAL)
        if isinstance(target, Epoll) and op == EPOLL_CTL_ADD and ep.loop_check(target):
            raise oserror(ELOOP)

    def epoll_wait(
        self, epfd: int, maxevents: int, timeout_ms: int, as_fd: bool = False
    ) -> list[tuple[int, int]]:
        """do_epoll_wait + ep_poll: ``(events, data)`` pairs, [] on timeout.

        ``as_fd`` gives CPython's ``(data.fd, events)`` pairs instead (see Epoll.harvest).
        """
        ep: Epoll = self.files.get(epfd)  # type: ignore[assignment]  # the guard establishes it:
        # the common case passes one test (Epoll has no subclasses; None fails it too).
        if ep.__class__ is not Epoll or not 0 < maxevents <= EP_MAX_EVENTS:
            self._epoll_wait_checks(ep, maxevents)
        events = ep.harvest(maxevents, as_fd) if ep.ready else []
        if events or timeout_ms == 0:
            return events
        return self._ep_poll(ep, epfd, maxevents, self.deadline_after_ms(timeout_ms), as_fd)

    @staticmethod
    def _epoll_wait_checks(ep: OpenFile | None, maxevents: int) -> None:
        """do_epoll_wait's checks, in Linux's order; returns if all pass."""
        if ep is None:
            raise oserror(EBADF)
        if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
            raise oserror(EINVAL)
        if not isinstance(ep, Epoll):
            raise oserror(EINVAL)

    def epoll_pwait(
        self, epfd: int, maxevents: int, timeout_ms: int, sigmask: Iterable[int] | None = None
    ) -> list[tuple[int, int]]:
        """epoll_pwait: epoll_wait with ``sigmask`` as the signal mask for the call. The mask is
        not applied: the model's waits are retried after a signal's handler (PEP 475) instead of
        failing with EINTR (sched/signals.py), so the mask could change nothing a test sees."""
        return self.epoll_wait(epfd, maxevents, timeout_ms)

    def epoll_pwait2(
        self,
        epfd: int,
        maxevents: int,
        timeout: tuple[int, int] | None,
        sigmask: Iterable[int] | None = None,
    ) -> list[tuple[int, int]]:
        """epoll_pwait2: the timeout is a timespec ``(tv_sec, tv_nsec)``, None for NULL (forever),
        checked first (poll_select_set_timeout: EINVAL); then epoll_wait's checks."""
        deadline = None
        if timeout is not None:
            sec, nsec = timeout
            if sec < 0 or not 0 <= nsec < NSEC_PER_SEC:
                raise oserror(EINVAL)
            ns = sec * NSEC_PER_SEC + nsec
            deadline = self.proc.clock.expiry(ns, select_estimate_accuracy(ns))  # with its slack
        ep = self.files.get(epfd)
        self._epoll_wait_checks(ep, maxevents)
        assert isinstance(ep, Epoll)  # what the checks established
        events = ep.harvest(maxevents, False) if ep.ready else []
        if events or timeout == (0, 0):
            return events
        return self._ep_poll(ep, epfd, maxevents, deadline, False)

    def _ep_poll(
        self, ep: Epoll, epfd: int, maxevents: int, deadline: int | None, as_fd: bool
    ) -> list[tuple[int, int]]:
        # ep_poll: sleep as an exclusive waiter at the head of ep->wq (wake-one is
        # LIFO), harvest after every wake-up, give up at the deadline. The sleeper
        # holds a reference, so close(epfd) by another thread does not end the wait.
        sched = self.proc.sched
        what = f"epoll_wait({epfd}): no registered file is ready"
        ep.get()
        try:
            while True:
                sched.block_on(ep.wq, "head_exclusive", 0, deadline, what, ep.stuck_hint)
                events = ep.harvest(maxevents, as_fd)
                if events or (deadline is not None and self.proc.clock.now_ns >= deadline):
                    return events
        finally:
            ep.put()
