import numpy as np, time
for dt in (np.float32, np.float64):
    for n in (1024, 512):
        a = np.random.rand(n, n).astype(dt); b = np.random.rand(n, n).astype(dt)
        t = []
        for r in range(15):
            t0 = time.perf_counter(); a @ b; t.append(time.perf_counter() - t0)
        t.sort(); print("numpy %s n=%d median %.2f ms = %.1f GFLOP/s" % (dt.__name__, n, t[7]*1e3, 2*n**3/t[7]/1e9))
