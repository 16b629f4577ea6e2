#!/usr/bin/python3
"""hook-server.py PORT LOG [PIDFILE]: a webhook receiver on 127.0.0.1.

Appends the body of every POST to LOG, one JSON document per line, and
answers 204. Used by the notification test (tests/e2e/t5700-notify.sh) and
`make demo` to show lotsync's [notify:NAME] hooks arriving. Bodies that are
not JSON are answered 400 (and logged as such), so a broken payload fails
the test instead of passing silently. Stop it by its PID (written to
PIDFILE once it listens).
"""
import http.server
import json
import os
import sys


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        try:
            doc = json.loads(body)
            ok = self.headers.get("Content-Type") == "application/json"
        except ValueError:
            doc, ok = {"invalid": body.decode("utf-8", "replace")}, False
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps(doc, sort_keys=True) + "\n")
        self.send_response(204 if ok else 400)
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


def main():
    server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook)
    if len(sys.argv) > 3:
        with open(sys.argv[3] + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    server.serve_forever()


if __name__ == "__main__":
    main()
