"""A correct program (for diff): a worker thread writes to a pipe, the main thread waits for it with
edge-triggered epoll, answers over a socketpair, and sees the hang-up when the worker closes."""
import os
import select
import socket
import threading
import time

r, w = os.pipe()
os.set_blocking(r, False)
a, b = socket.socketpair()
ep = select.epoll()
ep.register(r, select.EPOLLIN | select.EPOLLET)


def worker():
    time.sleep(0.05)
    os.write(w, b"ping")
    print("worker got", b.recv(100))
    os.close(w)


t = threading.Thread(target=worker)
t.start()
print(ep.poll())  # waits for the worker's write: [(r, EPOLLIN)]
print(ep.poll(0))  # edge-triggered, no new edge: []
data = os.read(r, 100)
try:
    os.read(r, 100)
except BlockingIOError as exc:
    print("drained:", exc.errno)
a.sendall(data.replace(b"i", b"o"))
t.join()
print(ep.poll(0))  # the write end closed: a new edge, EPOLLHUP
print(os.read(r, 100))  # end of file
ep.close()
os.close(r)
a.close()
b.close()
