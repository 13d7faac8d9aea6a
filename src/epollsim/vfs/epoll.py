"""An epoll instance (fs/eventpoll.c), written the way Linux writes it.

Theory of operation
-------------------
An *interest* (Linux: epitem) is one registration: the pair (open file
description, fd number) it was added under, the stored event mask, the 64-bit
``data``, and one hook on every wait queue the file's ``poll`` named when the
interest was added. The fd number is only part of the key: it is never looked
up again, so after ``dup`` + ``close`` an interest goes on reporting under a
number that may now mean something else (epoll(7), "the dup gotcha"). An
interest dies only when it is deleted, or when its description's last
reference goes (``OpenFile.put``), silently.

Readiness flows in one direction. A file that changes wakes its wait queue
with a key; the hook runs ``_callback`` (ep_poll_callback), which does not
look at the file at all: if the interest is armed and the key meets its mask
it is appended to the *ready list* (unless already there: a queued item never
moves), one thread sleeping in epoll_wait is woken, and every poller of the
epoll fd itself (outer epolls, poll callers) is woken with EPOLLIN. What a
file wakes on is therefore what counts as an edge for EPOLLET: every pipe
write once the pipe has been polled, every socket send, every eventfd write.

The *harvest* (ep_send_events) takes the ready list in order and re-asks each
file for its mask, ANDed with the stored mask: an item that is no longer ready
is dropped; a ready one is reported, then a level-triggered item goes back at
the tail (round robin), an edge-triggered one is left off until its next
wake-up, and an EPOLLONESHOT one is disarmed (its mask cut to the private bits,
so even HUP and ERR stay silent) until EPOLL_CTL_MOD. Items past ``maxevents``
stay at the front in their order. ADD and MOD poll the file once and queue the
item if it is ready now, which is why an already-ready EPOLLET item is
reported once after ADD and again after every MOD.

Polling an epoll fd (as an outer epoll or poll() does) scans its ready list
from the front, prunes items that are no longer ready, and stops at the first
ready one: the answer is EPOLLIN|EPOLLRDNORM or nothing, and nothing is
consumed. EPOLLEXCLUSIVE interests hook at the tail of the file's queue as
exclusive entries and report a successful wake-up only when their epoll has a
sleeper and the key fits, so one event wakes at least one exclusive watcher
instead of all.

The ready list is a deque with lazy deletion: an item deleted while queued is
only marked (``rdllink`` false, ``dead`` true) and skipped when reached, so DEL
and close stay O(1) however long the list is; ``nready`` counts live entries.

Not modelled: the overflow list used while a harvest runs (system calls are
atomic here, so nothing can arrive mid-harvest), wakeup sources (EPOLLWAKEUP is
stored and never reported), the reverse-path limits of ep_loop_check (the
depth and cycle rules are modelled; the per-depth path counts are not), and
EFAULT on copy-out (the model has no user memory).
"""
from __future__ import annotations

from collections import deque
from errno import EINVAL

from ..abi.epoll import (
    EP_MAX_NESTS,
    EP_PRIVATE_BITS,
    EPOLLET,
    EPOLLEXCLUSIVE,
    EPOLLIN,
    EPOLLINOUT_BITS,
    EPOLLONESHOT,
    EPOLLOUT,
    EPOLLRDNORM,
)
from ..abi.fcntl import O_RDWR
from ..abi.ioctl import QUEUE_REQUESTS
from ..abi.limits import MAX_USER_WATCHES_DEFAULT
from ..abi.stat import ANON_INODE_MODE
from ..errors import KernelBug, oserror
from .file import OpenFile, PollTable
from .vclock import INERT, HappensBefore, VClock, merge
from .waitqueue import WaitEntry, WaitQueue


class EpollUser:
    """The per-user watch count behind ENOSPC (max_user_watches)."""

    __slots__ = ("max_watches", "watches")

    def __init__(self, max_watches: int = MAX_USER_WATCHES_DEFAULT) -> None:
        self.watches = 0
        self.max_watches = max_watches


_ONESHOT_OR_ET = EPOLLONESHOT | EPOLLET


class Interest(WaitEntry):
    """One registration in one epoll instance (struct epitem).

    It is also its own hook on the first wait queue its file names (a file that
    names more gets a WaitEntry for each of the others): one object fewer to make
    per registration.
    """

    __slots__ = ("cfd", "data", "dead", "ep", "events", "fd", "file", "hooks", "rdllink", "vclock")

    def __init__(self, ep: Epoll, file: OpenFile, fd: int, events: int, data: int) -> None:
        # The WaitEntry part (WaitEntry.__init__, inlined): ep_poll_callback, for this item.
        self.func = ep.callback
        self.private = self
        self.exclusive = False
        self.queue = None
        self.ep = ep
        self.file = file
        self.fd = fd
        self.events = events  # stored mask, EPOLLERR|EPOLLHUP and private bits included
        self.data = data
        fd = data & 0xFFFFFFFF  # the low 32 bits as a C int: the data.fd CPython's epoll.poll reads
        self.cfd = fd if fd < 0x80000000 else fd - 0x100000000
        self.rdllink = False  # on the ready list
        self.dead = False
        self.hooks: list[WaitEntry] = []
        # Happens-before (vclock.py): released into by every wake-up that queues this
        # item (or finds it queued), acquired by each epoll_wait that reports it.
        self.vclock: VClock | None = None

    def queue_proc(self, wq: WaitQueue) -> None:
        """ep_ptable_queue_proc: hook this interest on one of the file's wait queues."""
        entry = WaitEntry(self.ep.callback, self) if self.hooks else self
        self.hooks.append(entry)
        if self.events & EPOLLEXCLUSIVE:
            wq.add_exclusive_tail(entry)
        else:  # WaitQueue.add, inlined (registering is one of the benchmarked paths)
            entry.exclusive = False
            entry.queue = wq
            wq.entries.insert(0, entry)

    def __repr__(self) -> str:
        from ..abi.epoll import mask_name

        return f"<Interest fd={self.fd} {self.file!r} {mask_name(self.events)} data={self.data}>"


class Epoll(OpenFile):
    """struct eventpoll, as the open file description of an epoll fd."""

    __slots__ = ("callback", "hb", "interests", "nready", "poll_wait", "ready", "user", "wq")

    kind = "epoll"
    noop_llseek = True
    st_mode = ANON_INODE_MODE  # the anonymous inode "[eventpoll]"
    plain_target = False

    def __init__(self, fid: int, user: EpollUser, hb: HappensBefore = INERT) -> None:
        super().__init__(fid, O_RDWR)
        self.user = user
        self.hb = hb  # the race detector's release/acquire hooks
        self.interests: dict[tuple[int, int], Interest] = {}  # (file id, fd) -> item
        self.ready: deque[Interest] = deque()
        self.nready = 0
        self.wq = WaitQueue()  # threads sleeping in epoll_wait (exclusive)
        self.poll_wait = WaitQueue()  # poll() callers and outer epolls
        self.callback = self._callback  # bound once, shared by every hook of this instance

    # -- epoll_ctl ---------------------------------------------------------

    def lookup(self, file: OpenFile, fd: int) -> Interest | None:
        return self.interests.get((file.fid, fd))

    def insert(self, file: OpenFile, fd: int, events: int, data: int) -> Interest:
        """ep_insert: the caller checked the key is free and the watch limit."""
        item = Interest(self, file, fd, events, data)
        self.interests[(file.fid, fd)] = item
        file.f_ep[item] = None
        self.user.watches += 1
        if file.poll(item.queue_proc) & events:
            self._queue_and_wake(item)
        return item

    def modify(self, item: Interest, events: int, data: int) -> None:
        """ep_modify: new mask and data in place, then poll and queue if ready."""
        item.events = events
        item.data = data
        fd = data & 0xFFFFFFFF  # as in Interest.__init__
        item.cfd = fd if fd < 0x80000000 else fd - 0x100000000
        if item.file.poll(None) & events and not item.rdllink:
            self._queue_and_wake(item)

    def remove(self, item: Interest) -> None:
        """ep_remove: unhook, unqueue, forget. No wake-ups, no events."""
        if item.dead:
            raise KernelBug(f"{item!r} removed twice")
        hooks = item.hooks
        for entry in hooks:
            wq = entry.queue
            if wq is not None:
                wq.entries.remove(entry)  # WaitQueue.remove, inlined
                entry.queue = None
        hooks.clear()
        if item.rdllink:
            item.rdllink = False  # its deque entry is now stale
            self.nready -= 1
        item.dead = True
        file = item.file
        del self.interests[(file.fid, item.fd)]
        del file.f_ep[item]
        self.user.watches -= 1

    def _queue_and_wake(self, item: Interest) -> None:
        if self.hb.on:
            # ADD/MOD found the file ready: what made it ready (data written into it before
            # anyone watched) reaches the thread that gets the event, as Miri's per-file
            # ready clock does (rust-lang/miri#5167).
            self.hb.release(item)
            merge(item, item.file.sync_rx())
        item.rdllink = True
        self.ready.append(item)
        self.nready += 1
        if self.wq.entries:
            self.wq.wake(0, 1)
        if self.poll_wait.entries:
            self.poll_wait.wake(EPOLLIN, 1)

    # -- the readiness callback ---------------------------------------------

    def _callback(self, entry: WaitEntry, key: int) -> int:
        """ep_poll_callback; returns true when this counts as an exclusive wake-up."""
        item: Interest = entry.private  # type: ignore[assignment]
        events = item.events
        if not events & ~EP_PRIVATE_BITS:  # disarmed by EPOLLONESHOT
            return 0
        if key and not key & events:
            return 0
        if self.hb.on:  # the waking thread's readiness change is a message to the harvester
            self.hb.release(item)
        if not item.rdllink:
            item.rdllink = True
            self.ready.append(item)
            self.nready += 1
        if not self.wq.entries and not self.poll_wait.entries:  # nobody waits on this epoll
            return 0 if events & EPOLLEXCLUSIVE else 1
        ewake = 0 if events & EPOLLEXCLUSIVE else 1
        if self.wq.entries:
            if not ewake:
                inout = key & EPOLLINOUT_BITS
                if inout == EPOLLIN:
                    ewake = events & EPOLLIN
                elif inout == EPOLLOUT:
                    ewake = events & EPOLLOUT
                elif inout == 0:
                    ewake = 1
            self.wq.wake(0, 1)
        if self.poll_wait.entries:
            self.poll_wait.wake(EPOLLIN, 1)
        return ewake

    # -- epoll_wait ---------------------------------------------------------

    def harvest(self, maxevents: int, as_fd: bool = False) -> list[tuple[int, int]]:
        """ep_send_events: deliver up to ``maxevents`` events.

        Each event is ``(revents, data)``; with ``as_fd`` it is ``(fd, revents)``
        with ``fd`` the low 32 bits of ``data`` as a C int, which is how CPython's
        epoll.poll reads ``data.fd`` back (built here to spare a second pass).
        """
        ready = self.ready
        out: list[tuple[int, int]] = []
        todo = len(ready)  # the snapshot: re-queued LT items are not seen again
        delivered = 0
        hb = self.hb if self.hb.on else None
        while todo and delivered < maxevents:
            todo -= 1
            item = ready.popleft()
            if not item.rdllink:
                continue  # deleted while queued
            events = item.events
            revents = item.file.poll(None) & events
            if not revents:
                item.rdllink = False
                self.nready -= 1
                continue
            out.append((item.cfd, revents) if as_fd else (revents, item.data))
            delivered += 1
            if hb is not None:
                hb.acquire(item)
            if not events & _ONESHOT_OR_ET:  # level-triggered: back on the list
                ready.append(item)
            else:
                if events & EPOLLONESHOT:
                    item.events = events & EP_PRIVATE_BITS
                item.rdllink = False
                self.nready -= 1
        if self.nready and self.wq.entries:
            self._done_scan()
        return out

    def _done_scan(self) -> None:
        # ep_done_scan: a list left non-empty wakes one more sleeper (the
        # chain wake-up that lets two level-triggered waiters both see one event).
        if self.nready and self.wq.entries:
            self.wq.wake(0, 1)

    # -- the epoll fd as a file --------------------------------------------

    def poll(self, pt: PollTable) -> int:
        """ep_eventpoll_poll: readable iff some queued item is really ready."""
        if pt is not None:
            pt(self.poll_wait)
        ready = self.ready
        mask = 0
        while ready:
            item = ready[0]
            if not item.rdllink:
                ready.popleft()
            elif item.file.poll(None) & item.events:
                mask = EPOLLIN | EPOLLRDNORM
                break
            else:
                ready.popleft()
                item.rdllink = False
                self.nready -= 1
        self._done_scan()
        return mask

    def ioctl(self, request: int) -> int:
        """ep_eventpoll_ioctl (Linux >= 6.9): a request other than EPIOC[SG]PARAMS is EINVAL
        (measured on 6.18; before 6.9 epoll had no ioctl and the answer was ENOTTY)."""
        if request in QUEUE_REQUESTS:
            raise oserror(EINVAL)
        return super().ioctl(request)

    def release(self) -> None:
        """ep_clear_and_put: the last reference to the epoll fd went."""
        if self.poll_wait.entries:
            self.poll_wait.wake(EPOLLIN, 1)
        for item in tuple(self.interests.values()):
            self.remove(item)
        self.ready.clear()

    # -- nesting (ep_loop_check) -------------------------------------------

    def loop_check(self, inner: Epoll) -> bool:
        """True when adding ``inner`` to this instance makes a cycle or nests too deep.

        The 2025 rule (f2e467a48287): the longest chain of epoll-in-epoll edges
        below ``inner``, plus the new edge, plus the longest chain of epolls
        above this one, may not exceed EP_MAX_NESTS.
        """
        down = _depth_down(inner, self, 0, {})
        if down > EP_MAX_NESTS:
            return True
        return down + 1 + _depth_up(self, {}) > EP_MAX_NESTS

    def stuck_hint(self) -> str | None:
        """For deadlock reports: an edge-triggered interest whose file is readable but which
        no edge will report again (the classic ET bug: stopping before EAGAIN)."""
        for item in self.interests.values():
            events = item.events
            if events & EPOLLET and not item.rdllink and item.file.poll(None) & events & EPOLLIN:
                unread = item.file.unread_bytes()
                what = f"still has {unread} unread bytes" if unread else "is still readable"
                return (
                    f"fd {item.fd} is registered EPOLLET and {what}; "
                    "an edge-triggered reader must read until EAGAIN"
                )
        return None

    def statistics(self) -> dict[str, int]:
        return {
            "interests": len(self.interests),
            "ready": self.nready,
            "sleepers": len(self.wq),
            "pollers": len(self.poll_wait),
        }


def _depth_down(ep: Epoll, inserting_into: Epoll, depth: int, memo: dict[int, int]) -> int:
    """ep_loop_check_proc: longest epoll chain below ``ep``; EP_MAX_NESTS+1 on a cycle."""
    if ep.fid in memo:
        return memo[ep.fid]
    result = 0
    for item in ep.interests.values():
        sub = item.file
        if isinstance(sub, Epoll):
            if sub is inserting_into or depth > EP_MAX_NESTS:
                result = EP_MAX_NESTS + 1
            else:
                result = max(result, _depth_down(sub, inserting_into, depth + 1, memo) + 1)
            if result > EP_MAX_NESTS:
                break
    memo[ep.fid] = result
    return result


def _depth_up(ep: Epoll, memo: dict[int, int]) -> int:
    """ep_get_upwards_depth_proc: longest chain of epolls that watch ``ep``."""
    if ep.fid in memo:
        return memo[ep.fid]
    result = 0
    for item in ep.f_ep:
        result = max(result, _depth_up(item.ep, memo) + 1)
    memo[ep.fid] = result
    return result

