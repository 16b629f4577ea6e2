# pyftpd.py - a pyftpdlib FTP server for lotsync's interoperability tests.
# Run by scripts/start-interop.sh (never by hand in production). pyftpdlib is
# the library many Python-based vendor tools embed; it refuses SIZE in ASCII
# mode ("550 SIZE not allowed in ASCII mode", as RFC 3659 allows), which is
# what makes a client without TYPE I list zero files.
#
# Options shape the server like ones seen in the field:
#   --no-mlst        no MLSD/MLST (listing by NLST + SIZE + MDTM only)
#   --no-mdtm        no MDTM command and no modify fact (no mtimes at all)
#   --clock-offset S every listed mtime is S seconds later than the file's
#                    (a server whose clock runs S seconds ahead)
#   --max-per-ip N   at most N sessions per client address
#   --no-dele        the account may not delete files
#   --no-size        no SIZE command (sizes of listed files unknown)
#   --fail-data N    answer the first N RETR/STOR with "425 Can't open data
#                    connection." (a transient data-connection failure)
import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # -I leaves the script's folder out
from pyftpdlib.filesystems import AbstractedFS  # noqa: E402
from pyftpdlib.handlers import FTPHandler, proto_cmds  # noqa: E402
from pyftpdlib.servers import FTPServer  # noqa: E402
from srvlib import ftp_account, ftp_options  # noqa: E402

ap = argparse.ArgumentParser()
ftp_options(ap, "LO-HI")
ap.add_argument("--log", required=True)
ap.add_argument("--no-mlst", action="store_true")
ap.add_argument("--no-mdtm", action="store_true")
ap.add_argument("--clock-offset", type=int, default=0)
ap.add_argument("--max-per-ip", type=int, default=0)
ap.add_argument("--no-dele", action="store_true")
ap.add_argument("--no-size", action="store_true")
ap.add_argument("--fail-data", type=int, default=0)
a = ap.parse_args()

logging.basicConfig(filename=a.log, level=logging.INFO)
OFFSET = a.clock_offset


def shifted(st):
    t = list(st)
    t[8] = int(st.st_mtime) + OFFSET
    return os.stat_result(t)


class ShiftedFS(AbstractedFS):
    def stat(self, path):
        return shifted(super().stat(path))

    def lstat(self, path):
        return shifted(super().lstat(path))

    def getmtime(self, path):
        return int(super().getmtime(path)) + OFFSET


cmds = dict(proto_cmds)
if a.no_mlst:
    cmds.pop("MLSD")
    cmds.pop("MLST")
if a.no_mdtm:
    cmds.pop("MDTM")
if a.no_size:
    cmds.pop("SIZE")


FAILS = [a.fail_data]


def transient(handler):
    if FAILS[0] <= 0:
        return False
    FAILS[0] -= 1
    if handler.data_channel is not None:
        handler.data_channel.close()
    elif handler._dtp_acceptor is not None:
        handler._dtp_acceptor.close()
        handler._dtp_acceptor = None
    handler.respond("425 Can't open data connection.")
    return True


class Handler(FTPHandler):
    proto_cmds = cmds

    def ftp_RETR(self, file):
        if not transient(self):
            return super().ftp_RETR(file)

    def ftp_STOR(self, file, mode="w"):
        if not transient(self):
            return super().ftp_STOR(file, mode)

    abstracted_fs = ShiftedFS
    use_gmt_times = True
    log_cmds_list = FTPHandler.log_cmds_list + ["TYPE", "SIZE", "MDTM", "STOR", "RETR"]
    permit_foreign_addresses = False


lo, hi = (int(x) for x in a.pasv.split("-"))
Handler.passive_ports = range(lo, hi + 1)
if a.no_mdtm:
    Handler.mlsx_facts = ["type", "size", "perm", "unique"]
Handler.authorizer = ftp_account(a, "elrafmwMT" if a.no_dele else "elradfmwMT")
srv = FTPServer(("127.0.0.1", a.port), Handler)
if a.max_per_ip:
    srv.max_cons_per_ip = a.max_per_ip
srv.serve_forever()
