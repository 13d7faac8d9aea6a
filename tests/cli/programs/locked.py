"""The race fixed: the check and the act under one lock. Passes under every schedule."""


def main(kernel):
    state = {"tickets": 1, "taken": 0}
    lock = kernel.threading.Lock()

    def take():
        with lock:
            if state["tickets"] > 0:
                kernel.time.sleep(0)
                state["tickets"] -= 1
                state["taken"] += 1

    threads = [kernel.threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["taken"] == 1, f"{state['taken']} tickets taken from 1"
    print("one ticket taken")
