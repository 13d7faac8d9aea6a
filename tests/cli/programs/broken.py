"""A program with a bug of its own: the traceback must point here, not into epollsim."""


def parse(data):
    return int(data)  # ValueError for b"x"


def main(kernel):
    r, w = kernel.os.pipe()
    kernel.os.write(w, b"x")
    parse(kernel.os.read(r, 1))
