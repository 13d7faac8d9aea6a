"""File types for st_mode: include/uapi/linux/stat.h (the bits match Python's stat module)."""

S_IFSOCK = 0o140000
S_IFREG = 0o100000
S_IFCHR = 0o020000
S_IFIFO = 0o010000
# fs/anon_inodes.c: eventfd, epoll and timerfd live on one anonymous inode
# whose mode is 0600 with no file-type bits (measured on 6.18: 0o600).
ANON_INODE_MODE = 0o600
