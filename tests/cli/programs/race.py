"""A planted check-then-act race: two threads take the last ticket; some schedules let both in."""

state = {"tickets": 1, "taken": 0}  # module state: fresh for every seed (the file runs afresh)


def take(kernel):
    if state["tickets"] > 0:
        kernel.time.sleep(0)  # a switch point between the check and the act opens the window
        state["tickets"] -= 1
        state["taken"] += 1


def main(kernel):
    threads = [kernel.threading.Thread(target=take, args=(kernel,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["taken"] == 1, f"{state['taken']} tickets taken from 1"
