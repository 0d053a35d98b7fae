"""Our `ws-client` ends by itself when the peer's echo SERVER (py_server.py or
node_server.js) closes or drops the connection, while the client's stdin
stays open (a person at a terminal who has not pressed Ctrl-D).

    python stdin_open.py WS_CLIENT URL LABEL

Each check starts `ws-client URL`, writes one command line (`!close 1000`,
`!close 4001 bye`, `!drop`; the servers' commands) to a stdin pipe that it
never closes, and checks the exit status and stderr (docs/server-interface.md
§9: 0 for 1000/1001, 1 with the code and reason for another code, 1 with
1006 for a dropped connection). Prints `PASS name` / `FAIL name: why` lines;
exit status 0 only if all passed. Standard library only.
"""

import subprocess
import sys

# The client must be gone well before this; it is then killed.
TIMEOUT = 10

CASES = [
    # (command, exit status, what stderr must contain)
    ("!close 1000", 0, []),
    ("!close 1001 going away", 0, []),
    ("!close 4001 bye", 1, ["4001", '"bye"']),
    ("!drop", 1, ["1006"]),
]


def main():
    client, url, label = sys.argv[1:]
    failed = 0
    for command, want, needles in CASES:
        name = f"our-client vs {label}: {command} with stdin open"
        proc = subprocess.Popen(
            [client, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        proc.stdin.write(command.encode() + b"\n")
        proc.stdin.flush()
        try:
            status = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = None
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()
        missing = [n for n in needles if n not in err]
        if status is None:
            why = f"still running after {TIMEOUT} s"
        elif status != want:
            why = f"exit status {status}, want {want}; stderr {err!r}"
        elif missing:
            why = f"stderr lacks {missing}: {err!r}"
        else:
            print(f"PASS {name}", flush=True)
            continue
        failed += 1
        print(f"FAIL {name}: {why}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
