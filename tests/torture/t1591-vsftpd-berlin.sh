#!/bin/sh
# torture (interop matrix): vsftpd 3.0.3, use_localtime=YES under
# TZ=Europe/Berlin (MDTM 1 h ahead), plain FTP; every cell of cells.sh.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
. "$SRCDIR/tests/torture/cells.sh"
cd "$TEST_TMP" || exit 1
iop_start vs vsftpd tz=Europe/Berlin rate=120000
S="vsftpd Berlin FTP" S_URL="ftp://$FTP_USER@127.0.0.1:$VS_PORT" S_ROOT=$VS_ROOT S_PID=$VS_PID
S_DELETE=yes S_SLOW=yes
cell_writer
cell_cut
cell_many
finish
