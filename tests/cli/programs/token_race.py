"""A race whose window holds only non-blocking calls (for docs/exploring.md): each thread takes the
token from a pipe and puts it back; only a preemption between the two loses it for the other."""


def main(k):
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    taken = []

    def worker(name):
        try:
            token = k.os.read(r, 1)
        except BlockingIOError:
            return
        taken.append(name)
        k.os.write(w, token)

    k.os.write(w, b"t")
    threads = [k.threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 2, f"only {taken} got the token"
