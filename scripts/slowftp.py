# slowftp.py - a pyftpdlib FTP server whose data connections trickle, for
# lotsync's timeout tests (tests/e2e/t6204-timeouts.sh; never production).
# pyftpdlib's ThrottledDTPHandler caps downloads (--rate bytes/s sent) and
# uploads (bytes/s read). Listens on 127.0.0.1:PORT with the passive ports
# listed, one user with the password in --password-file, writes its PID to
# --pidfile when ready.
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # -I leaves the script's folder out
from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler  # noqa: E402
from pyftpdlib.servers import FTPServer  # noqa: E402
from srvlib import ftp_account, ftp_options, write_pidfile  # noqa: E402

ap = argparse.ArgumentParser()
ftp_options(ap, "PORT,PORT,...")
ap.add_argument("--rate", type=int, required=True)
ap.add_argument("--pidfile", required=True)
a = ap.parse_args()

dtp = ThrottledDTPHandler
dtp.read_limit = a.rate
dtp.write_limit = a.rate
handler = FTPHandler
handler.authorizer = ftp_account(a, "elradfmwMT")
handler.dtp_handler = dtp
handler.passive_ports = [int(p) for p in a.pasv.split(",")]
handler.masquerade_address = "127.0.0.1"
server = FTPServer(("127.0.0.1", a.port), handler)
write_pidfile(a.pidfile)
server.serve_forever()
