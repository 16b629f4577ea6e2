#!/bin/sh
# torture (interop matrix): pyftpdlib 1.5.7 without MLSD (SIZE refused in
# ASCII mode): the writer and 2,000-file cells. (No cut cell: pyftpdlib
# serves every session in one process, there is no session to kill alone.)
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start py pyftpd mlst=off
S="pyftpdlib" S_URL="ftp://$FTP_USER@127.0.0.1:$PY_PORT" S_ROOT=$PY_ROOT S_PID=$PY_PID S_DELETE=yes
S_REF_FILES=100 # curl idles ~170 ms per file against pyftpdlib
cell_writer
cell_many
finish
