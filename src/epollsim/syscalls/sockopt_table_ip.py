"""The SOL_IP and SOL_IPV6 rows of the socket option table (see ``sockopt_table``).

net/ipv4/ip_sockglue.c do_ip_setsockopt/do_ip_getsockopt and net/ipv6/ipv6_sockglue.c
do_ipv6_setsockopt/do_ipv6_getsockopt, measured on Linux 6.18. An AF_INET6 socket answers
SOL_IP options too (with its own defaults for a few). Multicast membership, IPsec policies,
netfilter's tables and IP options other than padding are not modelled: their well-formed
values raise Unsupported, their malformed ones fail as on Linux.
"""
from __future__ import annotations

from errno import EADDRNOTAVAIL, EINVAL, ENODEV, ENOENT, ENOPROTOOPT, ENOTCONN, EOPNOTSUPP, EPROTO
from typing import Any

from ..errors import Unsupported, oserror
from .sockopt_rules import (
    INET,
    TCP,
    UDP,
    V6,
    Opt,
    Store,
    between,
    fails,
    flag,
    noop,
    struct_of,
    tclass,
    u8_masked,
)

GET_ONLY = fails(ENOPROTOOPT)
IP_DEFAULT_TTL = 64  # net.ipv4.ip_default_ttl; IPv6's hop limit defaults alike
STRUCT_IP_MREQN = 12
STRUCT_GROUP_REQ = 136  # struct group_req: u32 + sockaddr_storage, padded
STRUCT_GROUP_SOURCE_REQ = 264


def _ip_options(val: int, raw: bytes, kind: str) -> bytes:
    """ip_options_get: padding (IPOPT_NOOP 1) up to IPOPT_END (0) stores, zero-filled after the END;
    a real option (record route, timestamps, source routing...) is not modelled; the rest is EINVAL."""
    out = bytearray()
    for i, byte in enumerate(raw):
        if byte == 0:
            out += bytes(len(raw) - i)
            break
        if byte == 1:
            out.append(1)
            continue
        if byte in (7, 68, 130, 131, 133, 134, 137, 148):
            raise Unsupported("IP_OPTIONS other than padding are not modelled")
        raise oserror(EINVAL)
    out += bytes(-len(out) % 4)
    return bytes(out)


def _udp_only(store: Store) -> Store:
    """ip_setsockopt: the multicast options of a datagram socket; a TCP socket refuses them."""

    def checked(val: int, raw: bytes, kind: str) -> Any:
        if kind in TCP:
            raise oserror(EINVAL)
        return store(val, raw, kind)

    return checked


def _mcast_if4(val: int, raw: bytes, kind: str) -> int:
    if raw[:4] != bytes(4):
        raise oserror(EADDRNOTAVAIL)  # no multicast interfaces: only INADDR_ANY (the default) is accepted
    return 0


def _mcast_membership(val: int, raw: bytes, kind: str) -> int:
    if kind in TCP:
        raise oserror(EPROTO)  # ip_mc_join_group on a connection-oriented socket
    if len(raw) < 8:
        raise oserror(EINVAL)
    raise Unsupported("multicast group membership is not modelled")


def _mtu_discover(hi: int) -> Store:
    return between(0, hi)


def _unicast_if(val: int, raw: bytes, kind: str) -> int:
    if val != 0 and int.from_bytes(val.to_bytes(4, "big", signed=True), "little") != 1:
        raise oserror(EADDRNOTAVAIL)  # the ifindex, network order: only lo (1) exists
    return val


def _port_range(val: int, raw: bytes, kind: str) -> int:
    lo, hi = val & 0xFFFF, (val >> 16) & 0xFFFF
    if lo and hi and lo > hi:
        raise oserror(EINVAL)
    return val


def _recvfragsize(val: int, raw: bytes, kind: str) -> int:
    if kind in TCP:
        raise oserror(EINVAL)  # only for SOCK_DGRAM and SOCK_RAW
    return 1 if val else 0


def _orig_dst(size: int) -> Any:
    def get(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
        if optlen < size:
            raise oserror(EINVAL)
        raise oserror(ENOENT)  # getorigdst: no conntrack entry for this socket

    return get


def _netfilter(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
    if optlen <= 64:
        raise oserror(EINVAL)  # smaller than (or not) the request's struct
    raise Unsupported("netfilter's socket options are not modelled")


def _netfilter_83(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
    if optlen <= 4:
        raise oserror(EINVAL)
    raise oserror(EPROTO)  # measured on 6.18 with a 64-byte buffer


def _flowlabel_get(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
    if optlen < 32:
        raise oserror(EINVAL)  # struct in6_flowlabel_req
    raise oserror(ENOENT)  # ipv6_flowlabel_opt_get: no such label


def _get_inet_num(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> int:
    """IP_PROTOCOL reads inet_num: a raw socket's protocol, a TCP or UDP socket's local port."""
    return int(sock.lport)


def _mtu(value: int) -> Any:
    def get(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> int:
        """IP_MTU / IPV6_MTU: the connected route's MTU (loopback's), ENOTCONN without one."""
        if not getattr(sock, "raddr", ""):
            raise oserror(ENOTCONN)
        return value

    return get


def _pathmtu_get(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
    if optlen < 32:
        raise oserror(EINVAL)  # struct ip6_mtuinfo
    if not getattr(sock, "raddr", ""):
        raise oserror(ENOTCONN)
    raise Unsupported("getsockopt(IPV6_PATHMTU) of a connected socket is not modelled")


IP_OPTS: dict[int, Opt] = {
    1: Opt("IP_TOS", u8_masked(0xFC), kinds=INET),
    2: Opt("IP_TTL", between(1, 255, minus_one=IP_DEFAULT_TTL), default=IP_DEFAULT_TTL, kinds=INET),
    3: Opt("IP_HDRINCL", GET_ONLY, kinds=INET),
    4: Opt("IP_OPTIONS", _ip_options, default=b"", kinds=INET, min_len=0),
    5: Opt("IP_ROUTER_ALERT", fails(EINVAL), kinds=INET),
    6: Opt("IP_RECVOPTS", flag, kinds=INET),
    7: Opt("IP_RETOPTS", flag, kinds=INET),
    8: Opt("IP_PKTINFO", flag, kinds=INET),
    9: Opt("IP_PKTOPTIONS", GET_ONLY, default=b"", kinds=TCP),
    10: Opt("IP_MTU_DISCOVER", _mtu_discover(5), default=1, kinds=INET),
    11: Opt("IP_RECVERR", flag, kinds=INET),
    12: Opt("IP_RECVTTL", flag, kinds=INET),
    13: Opt("IP_RECVTOS", flag, kinds=INET),
    14: Opt("IP_MTU", GET_ONLY, getter=_mtu(65535), kinds=INET),  # dst_mtu, capped at IP_MAX_MTU
    15: Opt("IP_FREEBIND", flag, kinds=INET),
    16: Opt("IP_IPSEC_POLICY", fails(EOPNOTSUPP), get_errno=ENOPROTOOPT, kinds=INET),
    17: Opt("IP_XFRM_POLICY", fails(EINVAL), get_errno=ENOPROTOOPT, kinds=frozenset(("tcp4", "udp4")),
            other=(ENOPROTOOPT, EOPNOTSUPP)),
    18: Opt("IP_PASSSEC", flag, kinds=INET),
    19: Opt("IP_TRANSPARENT", flag, kinds=INET),
    20: Opt("IP_RECVORIGDSTADDR", flag, kinds=INET),
    21: Opt("IP_MINTTL", between(0, 255), kinds=INET),
    22: Opt("IP_NODEFRAG", GET_ONLY, kinds=INET),
    23: Opt("IP_CHECKSUM", flag, kinds=INET),
    24: Opt("IP_BIND_ADDRESS_NO_PORT", flag, kinds=INET),
    25: Opt("IP_RECVFRAGSIZE", _recvfragsize, kinds=INET),
    26: Opt("IP_RECVERR_RFC4884", between(0, 1), kinds=INET),
    32: Opt("IP_MULTICAST_IF", _udp_only(_mcast_if4), kinds=INET),
    33: Opt("IP_MULTICAST_TTL", _udp_only(between(0, 255, minus_one=1)), default=1, kinds=INET),
    34: Opt("IP_MULTICAST_LOOP", flag, default=1, kinds=INET),
    35: Opt("IP_ADD_MEMBERSHIP", _mcast_membership, get_errno=ENOPROTOOPT, kinds=INET),
    36: Opt("IP_DROP_MEMBERSHIP", _mcast_membership, get_errno=ENOPROTOOPT, kinds=INET),
    37: Opt("IP_UNBLOCK_SOURCE", struct_of(STRUCT_IP_MREQN, "multicast"), get_errno=ENOPROTOOPT, kinds=INET),
    38: Opt("IP_BLOCK_SOURCE", struct_of(STRUCT_IP_MREQN, "multicast"), get_errno=ENOPROTOOPT, kinds=INET),
    39: Opt("IP_ADD_SOURCE_MEMBERSHIP", struct_of(STRUCT_IP_MREQN, "multicast"), get_errno=ENOPROTOOPT,
            kinds=INET),
    40: Opt("IP_DROP_SOURCE_MEMBERSHIP", struct_of(STRUCT_IP_MREQN, "multicast"), get_errno=ENOPROTOOPT,
            kinds=INET),
    41: Opt("IP_MSFILTER", struct_of(16, "multicast"), get_errno=EINVAL, kinds=INET),
    42: Opt("MCAST_JOIN_GROUP", struct_of(STRUCT_GROUP_REQ, "multicast"), get_errno=ENOPROTOOPT, kinds=INET),
    43: Opt("MCAST_BLOCK_SOURCE", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=INET),
    44: Opt("MCAST_UNBLOCK_SOURCE", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=INET),
    45: Opt("MCAST_LEAVE_GROUP", struct_of(STRUCT_GROUP_REQ, "multicast"), get_errno=ENOPROTOOPT, kinds=INET),
    46: Opt("MCAST_JOIN_SOURCE_GROUP", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=INET),
    47: Opt("MCAST_LEAVE_SOURCE_GROUP", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=INET),
    48: Opt("MCAST_MSFILTER", struct_of(STRUCT_GROUP_REQ, "multicast"), get_errno=EINVAL, kinds=INET),
    49: Opt("IP_MULTICAST_ALL", between(0, 1), default=lambda sock, kind: 0 if kind in V6 else 1, kinds=INET),
    50: Opt("IP_UNICAST_IF", _unicast_if, kinds=INET),
    51: Opt("IP_LOCAL_PORT_RANGE", _port_range, kinds=INET),
    52: Opt("IP_PROTOCOL", GET_ONLY, getter=_get_inet_num, kinds=INET),
    # netfilter (ip_tables, arp_tables): a struct in, CAP_NET_ADMIN; SO_ORIGINAL_DST (conntrack).
    64: Opt("IPT_SO_SET_REPLACE", fails(EINVAL), getter=_netfilter, kinds=INET),
    65: Opt("IPT_SO_SET_ADD_COUNTERS", fails(EINVAL), getter=_netfilter, kinds=INET),
    66: Opt("IPT_SO_GET_REVISION_MATCH", GET_ONLY, getter=_netfilter, kinds=INET),
    67: Opt("IPT_SO_GET_REVISION_TARGET", GET_ONLY, getter=_netfilter, kinds=INET),
    80: Opt("SO_ORIGINAL_DST", GET_ONLY, getter=_orig_dst(16), kinds=TCP),
    83: Opt("SOL_IP 83 (netfilter)", GET_ONLY, getter=_netfilter_83, kinds=INET),
    96: Opt("ARPT_SO_SET_REPLACE", fails(EINVAL), getter=_netfilter, kinds=INET),
    97: Opt("ARPT_SO_SET_ADD_COUNTERS", fails(EINVAL), getter=_netfilter, kinds=INET),
    98: Opt("ARPT_SO_GET_REVISION", GET_ONLY, getter=_netfilter, kinds=INET),
    99: Opt("ARPT_SO_GET_REVISION_TARGET", GET_ONLY, getter=_netfilter, kinds=INET),
}

# -- SOL_IPV6 -------------------------------------------------------------------------------------

_PREFER_TMP, _PREFER_PUBLIC, _PREFER_COA, _PREFER_CGA = 0x1, 0x2, 0x4, 0x8
_PREFER_PUBTMP_DEFAULT, _PREFER_HOME, _PREFER_NONCGA = 0x100, 0x400, 0x800


def _addr_preferences(val: int, raw: bytes, kind: str) -> Any:
    """__ip6_sock_set_addr_preferences: returns (pref, prefmask) for the getter to fold in."""
    pref, mask = 0, 0xFFFFFFFF
    pub = val & (_PREFER_PUBLIC | _PREFER_TMP | _PREFER_PUBTMP_DEFAULT)
    if pub in (_PREFER_PUBLIC, _PREFER_TMP):
        pref |= pub
        mask &= ~(_PREFER_PUBLIC | _PREFER_TMP)
    elif pub == _PREFER_PUBTMP_DEFAULT:
        mask &= ~(_PREFER_PUBLIC | _PREFER_TMP)
    elif pub:
        raise oserror(EINVAL)
    home = val & (_PREFER_HOME | _PREFER_COA)
    if home == _PREFER_HOME:
        mask &= ~_PREFER_COA
    elif home == _PREFER_COA:
        pref |= _PREFER_COA
    elif home:
        raise oserror(EINVAL)
    if val & (_PREFER_CGA | _PREFER_NONCGA) == _PREFER_CGA | _PREFER_NONCGA:
        raise oserror(EINVAL)
    return (pref, mask)


def _get_addr_preferences(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> int:
    srcprefs = stored if isinstance(stored, int) else 0
    val = _PREFER_TMP if srcprefs & _PREFER_TMP else _PREFER_PUBLIC if srcprefs & _PREFER_PUBLIC else (
        _PREFER_PUBTMP_DEFAULT)
    return val | (_PREFER_COA if srcprefs & _PREFER_COA else _PREFER_HOME)


def _mcast_if6(val: int, raw: bytes, kind: str) -> int:
    if kind in TCP:
        raise oserror(ENOPROTOOPT)
    if val not in (0, 1):
        raise oserror(ENODEV)  # no such interface: the model's hosts have lo (1)
    return val


def _mcast_hops(val: int, raw: bytes, kind: str) -> int:
    if kind in TCP:
        raise oserror(ENOPROTOOPT)
    hops: int = between(0, 255, minus_one=1)(val, raw, kind)
    return hops


def _ipv6_mtu(val: int, raw: bytes, kind: str) -> int:
    if val and val < 1280:
        raise oserror(EINVAL)  # IPV6_MIN_MTU
    return val


def _ext_header(val: int, raw: bytes, kind: str) -> Any:
    if len(raw) < 8 or raw[1] * 8 + 8 != len(raw):
        raise oserror(EINVAL)  # ipv6_renew_options: the header's own length must match
    raise Unsupported("IPv6 extension headers are not modelled")


def _pktoptions_get(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
    if kind in UDP:
        raise oserror(ENOPROTOOPT)
    return b""


def _v6_unicast_if(val: int, raw: bytes, kind: str) -> int:
    return _unicast_if(val, raw, kind)


IPV6_OPTS: dict[int, Opt] = {
    1: Opt("IPV6_ADDRFORM", GET_ONLY, get_errno=ENOTCONN, kinds=V6),
    2: Opt("IPV6_2292PKTINFO", flag, kinds=V6),
    3: Opt("IPV6_2292HOPOPTS", flag, kinds=V6),
    4: Opt("IPV6_2292DSTOPTS", flag, kinds=V6),
    5: Opt("IPV6_2292RTHDR", flag, kinds=V6),
    6: Opt("IPV6_2292PKTOPTIONS", noop(0), getter=_pktoptions_get, kinds=V6, min_len=0),
    8: Opt("IPV6_2292HOPLIMIT", flag, kinds=V6),
    11: Opt("IPV6_FLOWINFO", flag, kinds=V6),
    16: Opt("IPV6_UNICAST_HOPS", between(0, 255, minus_one=IP_DEFAULT_TTL), default=IP_DEFAULT_TTL, kinds=V6),
    17: Opt("IPV6_MULTICAST_IF", _mcast_if6, kinds=V6),
    18: Opt("IPV6_MULTICAST_HOPS", _mcast_hops, default=1, kinds=V6),
    19: Opt("IPV6_MULTICAST_LOOP", between(0, 1), default=1, kinds=V6),
    20: Opt("IPV6_ADD_MEMBERSHIP", struct_of(20, "multicast group membership"), get_errno=ENOPROTOOPT, kinds=V6),
    21: Opt("IPV6_DROP_MEMBERSHIP", struct_of(20, "multicast group membership"), get_errno=ENOPROTOOPT,
            kinds=V6),
    22: Opt("IPV6_ROUTER_ALERT", GET_ONLY, kinds=V6),
    23: Opt("IPV6_MTU_DISCOVER", between(0, 5), default=1, kinds=V6),
    24: Opt("IPV6_MTU", _ipv6_mtu, getter=_mtu(65536), kinds=V6),  # loopback's MTU
    25: Opt("IPV6_RECVERR", flag, kinds=V6),
    27: Opt("IPV6_JOIN_ANYCAST", struct_of(20, "anycast"), get_errno=ENOPROTOOPT, kinds=V6),
    28: Opt("IPV6_LEAVE_ANYCAST", struct_of(20, "anycast"), get_errno=ENOPROTOOPT, kinds=V6),
    29: Opt("IPV6_MULTICAST_ALL", flag, default=1, kinds=V6),
    30: Opt("IPV6_ROUTER_ALERT_ISOLATE", flag, kinds=V6),
    31: Opt("IPV6_RECVERR_RFC4884", between(0, 1), kinds=V6),
    32: Opt("IPV6_FLOWLABEL_MGR", struct_of(32, "IPv6 flow labels"), getter=_flowlabel_get, kinds=V6),
    33: Opt("IPV6_FLOWINFO_SEND", flag, kinds=V6),
    34: Opt("IPV6_IPSEC_POLICY", fails(EOPNOTSUPP), get_errno=ENOPROTOOPT, kinds=V6),
    35: Opt("IPV6_XFRM_POLICY", fails(EINVAL), get_errno=ENOPROTOOPT, kinds=V6),
    42: Opt("MCAST_JOIN_GROUP", struct_of(STRUCT_GROUP_REQ, "multicast"), get_errno=ENOPROTOOPT, kinds=V6),
    43: Opt("MCAST_BLOCK_SOURCE", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=V6),
    44: Opt("MCAST_UNBLOCK_SOURCE", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=V6),
    45: Opt("MCAST_LEAVE_GROUP", struct_of(STRUCT_GROUP_REQ, "multicast"), get_errno=ENOPROTOOPT, kinds=V6),
    46: Opt("MCAST_JOIN_SOURCE_GROUP", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=V6),
    47: Opt("MCAST_LEAVE_SOURCE_GROUP", struct_of(STRUCT_GROUP_SOURCE_REQ, "multicast"), get_errno=ENOPROTOOPT,
            kinds=V6),
    48: Opt("MCAST_MSFILTER", struct_of(STRUCT_GROUP_REQ, "multicast"), get_errno=EINVAL, kinds=V6),
    49: Opt("IPV6_RECVPKTINFO", flag, kinds=V6),
    50: Opt("IPV6_PKTINFO", struct_of(20, "IPV6_PKTINFO (a sticky source address)"), get_errno=ENOPROTOOPT,
            kinds=V6),
    51: Opt("IPV6_RECVHOPLIMIT", flag, kinds=V6),
    53: Opt("IPV6_RECVHOPOPTS", flag, kinds=V6),
    54: Opt("IPV6_HOPOPTS", _ext_header, default=b"", kinds=V6, min_len=0),
    55: Opt("IPV6_RTHDRDSTOPTS", _ext_header, default=b"", kinds=V6, min_len=0),
    56: Opt("IPV6_RECVRTHDR", flag, kinds=V6),
    57: Opt("IPV6_RTHDR", _ext_header, default=b"", kinds=V6, min_len=0),
    58: Opt("IPV6_RECVDSTOPTS", flag, kinds=V6),
    59: Opt("IPV6_DSTOPTS", _ext_header, default=b"", kinds=V6, min_len=0),
    60: Opt("IPV6_RECVPATHMTU", flag, kinds=V6),
    61: Opt("IPV6_PATHMTU", GET_ONLY, getter=_pathmtu_get, kinds=V6),
    62: Opt("IPV6_DONTFRAG", flag, kinds=V6),
    64: Opt("IP6T_SO_SET_REPLACE", fails(EINVAL), getter=_netfilter, kinds=V6),
    65: Opt("IP6T_SO_SET_ADD_COUNTERS", fails(EINVAL), getter=_netfilter, kinds=V6),
    66: Opt("IPV6_RECVTCLASS", flag, kinds=V6),
    67: Opt("IPV6_TCLASS", tclass, kinds=V6),
    68: Opt("IP6T_SO_GET_REVISION_MATCH", GET_ONLY, getter=_netfilter, kinds=V6),
    69: Opt("IP6T_SO_GET_REVISION_TARGET", GET_ONLY, getter=_netfilter, kinds=V6),
    70: Opt("IPV6_AUTOFLOWLABEL", flag, default=1, kinds=V6),
    72: Opt("IPV6_ADDR_PREFERENCES", _addr_preferences, getter=_get_addr_preferences, kinds=V6),
    73: Opt("IPV6_MINHOPCOUNT", between(0, 255), kinds=V6),
    74: Opt("IPV6_RECVORIGDSTADDR", flag, kinds=V6),
    75: Opt("IPV6_TRANSPARENT", flag, kinds=V6),
    76: Opt("IPV6_UNICAST_IF", _v6_unicast_if, kinds=V6),
    77: Opt("IPV6_RECVFRAGSIZE", flag, kinds=V6),
    78: Opt("IPV6_FREEBIND", flag, kinds=V6),
    80: Opt("IP6T_SO_ORIGINAL_DST", GET_ONLY, getter=_orig_dst(28), kinds=frozenset(("tcp6",))),
}
