# numpy copy of 100 MB, best of 15 (issue 17, 2026-12-03, "Where the second core goes"); run once alone and twice at once.
import numpy as np, time, sys
a = np.ones(25_000_000, dtype=np.float32); b = np.empty_like(a)
best = 1e9
for i in range(15):
    t = time.perf_counter(); np.copyto(b, a); best = min(best, time.perf_counter() - t)
print("copy 100 MB: %.1f ms, %.1f GB/s (read+write)" % (best*1e3, 2*a.nbytes/best/1e9))
