"""Shared by the JFR profile scripts of this directory (overhead-, train- and w3-f32-profile-20261203.py): the
stacks of a recording's execution and native-method samples, and the table of the most frequent leaf frames."""
import collections
import json
import subprocess
import sys


def jfr_tool():
    """The `jfr` executable: `--jfr PATH` on the command line, else `jfr` on the PATH."""
    return sys.argv[sys.argv.index("--jfr") + 1] if "--jfr" in sys.argv else "jfr"


def _frame(line):
    """'pkg.sub.Class$Inner.method(Args) line: 12' -> 'pkg/sub/Class$Inner.method', the form of the JSON output
    (its type name, slash-separated, and the method name) that the scripts' categories match on."""
    head = line.strip().split("(", 1)[0]
    cls, _, method = head.rpartition(".")
    return sys.intern(cls.replace(".", "/") + "." + method)


def stacks(rec, keep, with_thread=False):
    """Each sample's stack (leaf first) as 'Class.method' strings, for the samples where keep(frame) holds for
    some frame; with with_thread, (name of the sampled thread, stack) pairs. Streams `jfr print`'s text line by
    line, keeping only the kept stacks (frames interned): loading `jfr print --json` whole took 8.5 GB for a
    recording of 30 W3 passes. The text form leaves out the JVM's hidden frames (lambda proxy classes, LambdaForms,
    method-handle holders), which the JSON form listed; on a test recording every other frame, the order and the
    threads were the same, and no category of the scripts matches a hidden frame."""
    proc = subprocess.Popen([jfr_tool(), "print", "--stack-depth", "64", "--events",
                             "jdk.ExecutionSample,jdk.NativeMethodSample", rec],
                            stdout=subprocess.PIPE, text=True, bufsize=1 << 20)
    result = []
    thread, frames, in_stack = None, None, False
    for line in proc.stdout:
        t = line.strip()
        if t.startswith("sampledThread = "):
            thread = sys.intern(t.split('"')[1]) if '"' in t else None
        elif t == "stackTrace = [":
            frames, in_stack = [], True
        elif in_stack and t == "]":
            in_stack = False
        elif in_stack:
            if "(" in t:
                frames.append(_frame(t))
        elif t == "}" and frames is not None:
            if frames and any(keep(x) for x in frames):
                result.append((thread, frames) if with_thread else frames)
            thread, frames = None, None
    if proc.wait() != 0:
        raise subprocess.CalledProcessError(proc.returncode, "jfr print")
    return result


def print_top_self(samples, what="samples of the worker thread", top=15):
    """The sample count and the `top` most frequent leaf frames, in percent."""
    self_count = collections.Counter(fr[0] for fr in samples)
    print("%s: %d" % (what, len(samples)))
    print("--- top self frames")
    for k, v in self_count.most_common(top):
        print("%5.1f%% %s" % (100 * v / len(samples), k))
