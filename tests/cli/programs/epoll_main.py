"""diff on a file defining main(kernel): the stand-ins on the model, the host's modules on the real side."""


def main(kernel):
    os, select = kernel.os, kernel.select
    r, w = os.pipe2(os.O_NONBLOCK)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLRDHUP)
    os.write(w, b"x" * 10)
    print(ep.poll(0))
    os.close(w)
    print(ep.poll(0), os.read(r, 100), os.read(r, 100))
    ep.close()
    os.close(r)
