"""Name-service ABI: glibc's resolv/netdb.h (getaddrinfo flags and errors, getnameinfo flags).

The messages are glibc's gai_strerror (sysdeps/posix/gai_strerror-strs.h), which
CPython's socket.gaierror carries as its second argument.
"""

AI_PASSIVE = 0x0001
AI_CANONNAME = 0x0002
AI_NUMERICHOST = 0x0004
AI_V4MAPPED = 0x0008
AI_ALL = 0x0010
AI_ADDRCONFIG = 0x0020
AI_IDN = 0x0040
AI_CANONIDN = 0x0080
AI_NUMERICSERV = 0x0400
# getaddrinfo rejects any other bit (EAI_BADFLAGS); 0x0100 and 0x0200 are the
# deprecated AI_IDN_ALLOW_UNASSIGNED / AI_IDN_USE_STD3_ASCII_RULES, still accepted.
AI_ACCEPTED = (
    AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG
    | AI_IDN | AI_CANONIDN | 0x0100 | 0x0200 | AI_NUMERICSERV
)

NI_NUMERICHOST = 1
NI_NUMERICSERV = 2
NI_NOFQDN = 4
NI_NAMEREQD = 8
NI_DGRAM = 16
NI_IDN = 32
NI_ACCEPTED = NI_NUMERICHOST | NI_NUMERICSERV | NI_NOFQDN | NI_NAMEREQD | NI_DGRAM | NI_IDN | 64 | 128
NI_MAXHOST = 1025
NI_MAXSERV = 32

EAI_BADFLAGS = -1
EAI_NONAME = -2
EAI_AGAIN = -3
EAI_FAIL = -4
EAI_NODATA = -5
EAI_FAMILY = -6
EAI_SOCKTYPE = -7
EAI_SERVICE = -8
EAI_ADDRFAMILY = -9
EAI_MEMORY = -10
EAI_SYSTEM = -11
EAI_OVERFLOW = -12

GAI_MESSAGES = {
    EAI_BADFLAGS: "Bad value for ai_flags",
    EAI_NONAME: "Name or service not known",
    EAI_AGAIN: "Temporary failure in name resolution",
    EAI_FAIL: "Non-recoverable failure in name resolution",
    EAI_NODATA: "No address associated with hostname",
    EAI_FAMILY: "ai_family not supported",
    EAI_SOCKTYPE: "ai_socktype not supported",
    EAI_SERVICE: "Servname not supported for ai_socktype",
    EAI_ADDRFAMILY: "Address family for hostname not supported",
    EAI_MEMORY: "Memory allocation failure",
    EAI_SYSTEM: "System error",
    EAI_OVERFLOW: "Argument buffer overflow",
}

# h_errno values (netdb.h) and hstrerror's messages, for socket.herror.
HOST_NOT_FOUND = 1
TRY_AGAIN = 2
NO_RECOVERY = 3
NO_DATA = 4
H_MESSAGES = {
    HOST_NOT_FOUND: "Unknown host",
    TRY_AGAIN: "Host name lookup failure",
    NO_RECOVERY: "Unknown server error",
    NO_DATA: "No address associated with name",
}
