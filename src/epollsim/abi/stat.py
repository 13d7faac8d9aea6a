"""File types for st_mode: include/uapi/linux/stat.h (the bits match Python's stat module)."""

S_IFSOCK = 0o140000
S_IFREG = 0o100000
S_IFCHR = 0o020000
S_IFIFO = 0o010000
# fs/anon_inodes.c: eventfd, epoll and timerfd live on one anonymous inode
# whose mode is 0600 with no file-type bits (measured on 6.18: 0o600).
ANON_INODE_MODE = 0o600

# What fstat reports for st_dev, st_ino and st_rdev. Sockets, pipes and the anonymous inodes live on
# the kernel's internal filesystems (sockfs, pipefs, anon_inodefs), each an anonymous device 0:N
# numbered at boot; the numbers are Linux 6.18's on the CI machine (os.fstat there). A socket and
# a pipe get an inode each (get_next_ino: both ends of a pipe share theirs); every eventfd, epoll
# and timerfd shares anon_inodefs' one inode. /dev/null is devtmpfs's character device 1:3.
SOCKFS_DEV = 9
PIPEFS_DEV = 15
ANON_INODEFS_DEV = 16
ANON_INODE_INO = 1038
DEVTMPFS_DEV = 6
DEV_NULL_INO = 3
DEV_NULL_RDEV = (1 << 8) | 3  # makedev(1, 3) = 259 (include/linux/kdev_t.h, old-style encoding)
