"""Shared by the JFR profile scripts of this directory (overhead-, train- and w3-f32-profile-20261203.py): the
stacks of a recording's execution and native-method samples, and the table of the most frequent leaf frames."""
import collections
import json
import subprocess
import sys


def jfr_tool():
    """The `jfr` executable: `--jfr PATH` on the command line, else `jfr` on the PATH."""
    return sys.argv[sys.argv.index("--jfr") + 1] if "--jfr" in sys.argv else "jfr"


def stacks(rec, keep, with_thread=False):
    """Each sample's stack (leaf first) as 'Class.method' strings, for the samples where keep(frame) holds for
    some frame; with with_thread, (name of the sampled thread, stack) pairs."""
    out = subprocess.run([jfr_tool(), "print", "--json", "--stack-depth", "64", "--events",
                          "jdk.ExecutionSample,jdk.NativeMethodSample", rec],
                         capture_output=True, text=True, check=True).stdout
    result = []
    for e in json.loads(out)["recording"]["events"]:
        st = e["values"].get("stackTrace")
        if not st:
            continue
        fr = [x["method"]["type"]["name"].split(".")[-1] + "." + x["method"]["name"] for x in st["frames"]]
        if any(keep(x) for x in fr):
            result.append((e["values"]["sampledThread"]["javaName"], fr) if with_thread else fr)
    return result


def print_top_self(samples, what="samples of the worker thread", top=15):
    """The sample count and the `top` most frequent leaf frames, in percent."""
    self_count = collections.Counter(fr[0] for fr in samples)
    print("%s: %d" % (what, len(samples)))
    print("--- top self frames")
    for k, v in self_count.most_common(top):
        print("%5.1f%% %s" % (100 * v / len(samples), k))
