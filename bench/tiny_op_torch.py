"""Per-op overhead in PyTorch from Python: microseconds per torch.add of two 4-element float32 tensors (the result
freed by reference counting), median of 21 rounds of 20,000 calls. Run: /usr/bin/python3 bench/tiny_op_torch.py"""
import json, time, torch
torch.set_num_threads(1)
a, b = torch.randn(4), torch.randn(4)
ts = []
for _ in range(23):
    s = time.perf_counter()
    for _ in range(20000):
        torch.add(a, b)
    ts.append((time.perf_counter() - s) * 1e6 / 20000)
ts.sort()
print(json.dumps(dict(engine="pytorch", op="add 4+4 float32", usPerOp=ts[11])))
