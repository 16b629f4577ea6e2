#!/bin/sh
# torture (interop matrix): ProFTPD 1.3.8, FTPS with TLS required,
# FactsAdvertise off (no MLST), AllowOverwrite off; every cell of cells.sh.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start pro proftpd tls=require facts=off overwrite=off rate=120000
S="ProFTPD FTPS" S_URL="ftps://$FTP_USER@127.0.0.1:$PRO_PORT" S_ROOT=$PRO_ROOT S_PID=$PRO_PID
S_CA=$PRO_CACERT S_DELETE=yes S_SLOW=yes
cell_writer
cell_cut
cell_many
finish
