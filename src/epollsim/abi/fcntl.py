"""File flags and fcntl commands: include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h."""

O_RDONLY = 0o0
O_WRONLY = 0o1
O_RDWR = 0o2
O_ACCMODE = 0o3
O_CREAT = 0o100
O_EXCL = 0o200
O_NOCTTY = 0o400
O_TRUNC = 0o1000
O_APPEND = 0o2000
O_NONBLOCK = 0o4000
O_DSYNC = 0o10000
O_ASYNC = 0o20000  # FASYNC
O_DIRECT = 0o40000
O_DIRECTORY = 0o200000
O_NOFOLLOW = 0o400000
O_NOATIME = 0o1000000
O_CLOEXEC = 0o2000000
O_PATH = 0o10000000
# include/uapi/linux/watch_queue.h: pipe2 flag for notification pipes.
O_NOTIFICATION_PIPE = O_EXCL

# fs/fcntl.c SETFL_MASK: the f_flags bits F_SETFL may change. (O_DSYNC is not
# among them: F_SETFL drops it silently. FASYNC is switched by the file's ->fasync.)
SETFL_MASK = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME
# x86-64's O_LARGEFILE as the kernel stores it in f_flags (open(2) forces it on
# 64-bit; userspace's os.O_LARGEFILE is 0 there).
O_LARGEFILE_KERNEL = 0o100000
# fs/open.c do_dentry_open: open-time flags that never reach f_flags.
OPEN_ONLY_FLAGS = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC

F_DUPFD = 0
F_GETFD = 1
F_SETFD = 2
F_GETFL = 3
F_SETFL = 4
F_DUPFD_CLOEXEC = 1030  # F_LINUX_SPECIFIC_BASE + 6
F_SETPIPE_SZ = 1031  # F_LINUX_SPECIFIC_BASE + 7
F_GETPIPE_SZ = 1032  # F_LINUX_SPECIFIC_BASE + 8
F_DUPFD_QUERY = 1027  # F_LINUX_SPECIFIC_BASE + 3 (Linux >= 6.10)
FD_CLOEXEC = 1

# fs/file.c sysctl_nr_open default (1024 * 1024): the hard ceiling of RLIMIT_NOFILE.
NR_OPEN = 1024 * 1024
# The usual soft RLIMIT_NOFILE a login session starts with (include/asm-generic/resource.h INR_OPEN_CUR).
INR_OPEN_CUR = 1024

# Commands Linux knows (x86-64, include/uapi/asm-generic/fcntl.h, linux/fcntl.h) that the model does
# not simulate, by name.
UNMODELLED_COMMANDS = {
    5: "F_GETLK", 6: "F_SETLK", 7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN",
    10: "F_SETSIG", 11: "F_GETSIG", 15: "F_SETOWN_EX", 16: "F_GETOWN_EX",
    17: "F_GETOWNER_UIDS", 36: "F_OFD_GETLK", 37: "F_OFD_SETLK", 38: "F_OFD_SETLKW",
    1024: "F_SETLEASE", 1025: "F_GETLEASE", 1026: "F_NOTIFY", 1028: "F_CREATED_QUERY",
    1029: "F_CANCELLK", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS", 1035: "F_GET_RW_HINT",
    1036: "F_SET_RW_HINT", 1037: "F_GET_FILE_RW_HINT", 1038: "F_SET_FILE_RW_HINT",
}
