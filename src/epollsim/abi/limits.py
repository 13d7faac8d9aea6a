"""Sizes and limits: include/uapi/linux/limits.h, include/linux/pipe_fs_i.h, net/core/sock.c."""

PAGE_SIZE = 4096
# include/uapi/linux/limits.h: writes of at most PIPE_BUF bytes to a pipe are atomic.
PIPE_BUF = 4096
# include/linux/pipe_fs_i.h: slots a new pipe gets.
PIPE_DEF_BUFFERS = 16
# fs/pipe.c: /proc/sys/fs/pipe-max-size default.
PIPE_MAX_SIZE = 1048576
# net.core.wmem_default / rmem_default (SK_WMEM_MAX, include/net/sock.h).
SK_WMEM_DEFAULT = 212992
SK_RMEM_DEFAULT = 212992
# include/linux/skbuff.h, for x86-64: SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
# and SKB_DATA_ALIGN(sizeof(struct sk_buff)).
SKB_SHINFO_SIZE = 320
SKB_STRUCT_SIZE = 256
# Largest linear head kmalloc hands out before paged fragments take over
# (SKB_MAX_ALLOC, include/linux/skbuff.h, with order-2 pages).
SKB_MAX_ORDER2_HEAD = 4 * PAGE_SIZE - SKB_SHINFO_SIZE
# /proc/sys/fs/epoll/max_user_watches scales with memory; the model uses the
# figure of a 24 GiB machine.
MAX_USER_WATCHES_DEFAULT = 5491511
