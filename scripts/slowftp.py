# slowftp.py - a pyftpdlib FTP server whose data connections trickle, for
# lotsync's timeout tests (tests/e2e/t6204-timeouts.sh; never production).
# pyftpdlib's ThrottledDTPHandler caps downloads (--rate bytes/s sent) and
# uploads (bytes/s read). Listens on 127.0.0.1:PORT with the passive ports
# listed, one user with the password in --password-file, writes its PID to
# --pidfile when ready.
import argparse
import os

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler
from pyftpdlib.servers import FTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--pasv", required=True, help="PORT,PORT,...")
ap.add_argument("--user", required=True)
ap.add_argument("--password-file", required=True)
ap.add_argument("--root", required=True)
ap.add_argument("--rate", type=int, required=True)
ap.add_argument("--pidfile", required=True)
a = ap.parse_args()

auth = DummyAuthorizer()
auth.add_user(a.user, open(a.password_file).read().strip(), a.root, perm="elradfmwMT")
dtp = ThrottledDTPHandler
dtp.read_limit = a.rate
dtp.write_limit = a.rate
handler = FTPHandler
handler.authorizer = auth
handler.dtp_handler = dtp
handler.passive_ports = [int(p) for p in a.pasv.split(",")]
handler.masquerade_address = "127.0.0.1"
server = FTPServer(("127.0.0.1", a.port), handler)
with open(a.pidfile + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(a.pidfile + ".tmp", a.pidfile)
server.serve_forever()
