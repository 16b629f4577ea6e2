#!/bin/sh
# torture (interop matrix): vsftpd 3.0.3 as Debian ships it, use_localtime=YES
# under TZ=America/New_York (MDTM 5 h behind), FTPS forced with
# require_ssl_reuse=YES over TLS 1.3; every cell of tests/torture/cells.sh.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start vs vsftpd tz=America/New_York tls=require rate=120000
S="vsftpd New York FTPS" S_URL="ftps://$FTP_USER@127.0.0.1:$VS_PORT" S_ROOT=$VS_ROOT S_PID=$VS_PID
S_CA=$VS_CACERT S_DELETE=yes S_SLOW=yes
cell_writer
cell_cut
cell_many
finish
