"""A race late in a long run (for docs/exploring.md): each worker first logs 40 lines to its own
pipe, then takes the token from a shared pipe without waiting and puts it back. Only a preemption
between the take and the put loses the token, and those calls come after every point where PCT
(50 steps) may change priorities."""


def main(k):
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    taken = []

    def worker(name):
        log_r, log_w = k.os.pipe()
        for i in range(40):
            k.os.write(log_w, b"%d\n" % i)
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
