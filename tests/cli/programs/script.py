"""A whole unmodified program (no main(kernel)): it runs under kernel.patch()."""
import socket
import threading
import time

a, b = socket.socketpair()
sender = threading.Thread(target=lambda: (time.sleep(3600), b.sendall(b"hello")))
start = time.monotonic()
sender.start()
print(a.recv(5), time.monotonic() - start)  # an hour later, on the virtual clock, at once
sender.join()
