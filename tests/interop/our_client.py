"""Our `ws-client --deflate` against a peer's echo SERVER (py_server.py or
node_server.js, which answer the `!ext`, `!compressed` and `!binary N`
commands).

    python our_client.py WS_CLIENT URL LABEL [EXPECTED_PARAM ...]

Each check runs `ws-client --deflate --verbose URL` once, with its own
stdin (closed once all answers are in), and compares stdout (one line per received message, binary as hex)
with what the peer must have sent. Prints `PASS name` / `FAIL name: why`
lines; exit status 0 only if all passed. Standard library only.
"""

import random
import subprocess
import sys
import threading

TIMEOUT = 60
BIG_LINE = ("permessage-deflate interop " * 40_000)[: 1 << 20]
# Repeats only at distances of 300 and 5000 bytes: a compressor that
# ignores the negotiated window would refer back further than allowed.
_rng = random.Random(6455)
_block = lambda n: "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))
FAR_MATCHES = _block(300) * 200 + _block(5000) * 20
BINARY_LEN = 256 << 10
MANY = 1000

results = []


def report(name, ok, why=""):
    results.append(ok)
    print(f"PASS {name}" if ok else f"FAIL {name}: {why}", flush=True)


def run(client, url, lines, replies):
    """Runs the client, writes `lines` to its stdin and closes stdin only
    after `replies` lines came back: a peer that answers our Close at once
    (as RFC 6455 §5.5.1 allows) drops the echoes it has not sent yet.
    Returns (status, stdout lines, stderr)."""
    proc = subprocess.Popen(
        [client, "--deflate", "--verbose", url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    err = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()

    def write():
        try:
            for line in lines:
                proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    out = []
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    try:
        while len(out) < replies:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line.decode("utf-8", "replace").removesuffix("\n"))
        writer.join()
        proc.stdin.close()
        out += [line.decode("utf-8", "replace").removesuffix("\n") for line in proc.stdout]
        status = proc.wait()
    finally:
        timer.cancel()
    reader.join()
    return status, out, (err[0] if err else b"").decode("utf-8", "replace")


def short(text, limit=160):
    text = repr(text)
    return text if len(text) <= limit else text[:limit] + "..."


def check(name, client, url, lines, expected, extra=None):
    """`expected`: the stdout lines; `extra(stdout, stderr)` returns a
    problem or None."""
    replies = len(expected) if expected is not None else len(lines)
    status, out, err = run(client, url, lines, replies)
    if status == -9:
        report(name, False, f"killed after {TIMEOUT} s, stderr {short(err)}")
    elif status != 0:
        report(name, False, f"exit status {status}, stderr {short(err)}")
    elif expected is not None and out != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(out, expected)) if a != b),
            min(len(out), len(expected)),
        )
        got = out[first] if first < len(out) else "<nothing>"
        report(name, False, f"{len(out)} lines, want {len(expected)}; line {first}: {short(got)}")
    elif extra is not None and (problem := extra(out, err)):
        report(name, False, problem)
    else:
        report(name, True)
    return out


def main():
    client, url, label, *params = sys.argv[1:]
    prefix = f"our-client vs {label}"

    def negotiated(out, err):
        line = out[0] if out else ""
        if "Sec-WebSocket-Extensions: permessage-deflate" not in err:
            return f"ws-client saw no permessage-deflate answer: {short(err)}"
        if not line.startswith("offered=permessage-deflate"):
            return f"peer saw the offer {short(line)}"
        if "permessage-deflate" not in line.split("active=")[-1]:
            return f"peer has no active extension: {short(line)}"
        for param in params:
            if param not in line:
                return f"{param} missing from the peer's answer: {short(line)}"
        return None

    out = check(f"{prefix}: negotiated", client, url, ["!ext"], None, negotiated)
    if out:
        print(f"# {label}: {out[0]}", flush=True)
    small = ["hello, wörld €", "a", "short text message"]
    check(f"{prefix}: small text", client, url, small, small)
    check(f"{prefix}: 1 MiB compressible text", client, url, [BIG_LINE], [BIG_LINE])
    check(
        f"{prefix}: 160 KB text, repeats 300 and 5000 bytes apart",
        client,
        url,
        [FAR_MATCHES],
        [FAR_MATCHES],
    )
    check(
        f"{prefix}: our client compressed (RSV1 seen by the peer)",
        client,
        url,
        [BIG_LINE, "!compressed"],
        None,
        lambda out, _: None
        if len(out) == 2 and out[1].startswith("compressed=") and out[1] != "compressed=0"
        else f"peer reports {short(out[1:])}",
    )
    binary = (bytes(range(256)) * (BINARY_LEN // 256 + 1))[:BINARY_LEN]
    check(
        f"{prefix}: 256 KiB binary from the peer",
        client,
        url,
        [f"!binary {BINARY_LEN}"],
        [binary.hex()],
    )
    many = [f"message {i} " + "abc" * (i % 50) for i in range(MANY)]
    check(f"{prefix}: {MANY} messages in a row", client, url, many, many)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
