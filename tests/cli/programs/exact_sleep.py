"""A program that relies on model-only behaviour (for diff): on the model, time is virtual, so a
sleep of 0.2 s lasts exactly 200,050,000 ns (with 50 us timer slack); on a real machine, never."""
import os
import time

r, w = os.pipe()
start = time.monotonic_ns()
time.sleep(0.2)
elapsed = time.monotonic_ns() - start
os.write(w, b"exact" if elapsed == 200_050_000 else b"late")
print(os.read(r, 10))
os.close(r)
os.close(w)
