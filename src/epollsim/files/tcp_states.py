"""TCP's connection states and the events that move between them, as one table (RFC 9293 3.3.2).

The table is the whole state machine: ``TcpSocket`` never assigns a state
directly, it calls ``next_state(state, event)``, which raises KernelBug for a
transition the table does not have (a bug in the model, never an errno).
Linux's names and numbers (include/net/tcp_states.h); the model has no
NEW_SYN_RECV (a request socket is a child in SYN_RECV) and no BOUND_INACTIVE.

What a program observes of the state: ``getsockopt(TCP_INFO)`` is not
modelled, but the state decides the poll mask (tcp_poll: CLOSE gives HUP,
SYN_SENT is neither readable nor writable, LISTEN reports only a pending
accept), what connect/send/recv answer, and whether close sends FIN or RST.
"""
from __future__ import annotations

from ..errors import KernelBug

ESTABLISHED = 1
SYN_SENT = 2
SYN_RECV = 3
FIN_WAIT1 = 4
FIN_WAIT2 = 5
TIME_WAIT = 6
CLOSE = 7
CLOSE_WAIT = 8
LAST_ACK = 9
LISTEN = 10
CLOSING = 11

NAMES = {
    ESTABLISHED: "ESTABLISHED", SYN_SENT: "SYN_SENT", SYN_RECV: "SYN_RECV", FIN_WAIT1: "FIN_WAIT1",
    FIN_WAIT2: "FIN_WAIT2", TIME_WAIT: "TIME_WAIT", CLOSE: "CLOSE", CLOSE_WAIT: "CLOSE_WAIT",
    LAST_ACK: "LAST_ACK", LISTEN: "LISTEN", CLOSING: "CLOSING",
}

# The socket layer's own state beside TCP's (include/linux/net.h socket_state): what
# inet_stream_connect, accept and shutdown look at (a connect in progress, a connected socket).
SS_UNCONNECTED = 1
SS_CONNECTING = 2
SS_CONNECTED = 3
SS_DISCONNECTING = 4

# Events: what the program does, and what arrives from the peer.
LISTEN_CALL = "listen"  # listen()
CONNECT = "connect"  # connect(): SYN sent
RCV_SYN = "rcv_syn"  # a SYN without ACK: a listener's child is born, or SYN_SENT's simultaneous open; SYN-ACK sent
RCV_SYNACK = "rcv_synack"  # tcp_rcv_synsent_state_process: ACK sent
RCV_ACK = "rcv_ack"  # the handshake's last ACK (child), or the ACK of our FIN
SEND_FIN = "send_fin"  # shutdown(SHUT_WR) or close(): tcp_close_state
RCV_FIN = "rcv_fin"  # tcp_fin
RESET = "reset"  # RST received or sent, retransmission timeout, abort: tcp_done
CLOSE_CALL = "close"  # close() of a listener or of a socket still connecting
TIMEWAIT_END = "timewait_end"  # the TIME_WAIT timer (TCP_TIMEWAIT_LEN, 60 s)

TRANSITIONS: dict[tuple[int, str], int] = {
    (CLOSE, LISTEN_CALL): LISTEN,
    (CLOSE, CONNECT): SYN_SENT,
    (CLOSE, RCV_SYN): SYN_RECV,
    (LISTEN, CLOSE_CALL): CLOSE,
    (SYN_SENT, RCV_SYNACK): ESTABLISHED,
    (SYN_SENT, RCV_SYN): SYN_RECV,  # simultaneous open: crossed SYNs (or a connect to itself)
    (SYN_SENT, CLOSE_CALL): CLOSE,
    (SYN_SENT, RESET): CLOSE,
    (SYN_RECV, RCV_ACK): ESTABLISHED,
    (SYN_RECV, RESET): CLOSE,
    (SYN_RECV, SEND_FIN): FIN_WAIT1,
    (ESTABLISHED, SEND_FIN): FIN_WAIT1,
    (ESTABLISHED, RCV_FIN): CLOSE_WAIT,
    (ESTABLISHED, RESET): CLOSE,
    (FIN_WAIT1, RCV_ACK): FIN_WAIT2,
    (FIN_WAIT1, RCV_FIN): CLOSING,
    (FIN_WAIT1, RESET): CLOSE,
    (FIN_WAIT2, RCV_FIN): TIME_WAIT,
    (FIN_WAIT2, RESET): CLOSE,
    (CLOSING, RCV_ACK): TIME_WAIT,
    (CLOSING, RESET): CLOSE,
    (CLOSE_WAIT, SEND_FIN): LAST_ACK,
    (CLOSE_WAIT, RESET): CLOSE,
    (LAST_ACK, RCV_ACK): CLOSE,
    (LAST_ACK, RESET): CLOSE,
    (TIME_WAIT, TIMEWAIT_END): CLOSE,
    (TIME_WAIT, RESET): CLOSE,
}

# States in which our side has sent its FIN (no more sends).
FIN_SENT_STATES = frozenset({FIN_WAIT1, FIN_WAIT2, CLOSING, TIME_WAIT, LAST_ACK})
# States in which the connection can carry our data.
SENDING_STATES = frozenset({ESTABLISHED, CLOSE_WAIT})
# States with a peer (after the handshake, before the end).
SYNCHRONIZED = frozenset({ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSING, CLOSE_WAIT, LAST_ACK})


def next_state(state: int, event: str) -> int:
    try:
        return TRANSITIONS[state, event]
    except KeyError:
        raise KernelBug(f"TCP has no transition from {NAMES[state]} on {event!r}") from None
