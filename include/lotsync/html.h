/*
 * html.h - escaping for the HTML report (report.c and report_chart.c).
 * Names, reasons and file names come from vendors: everything that is not
 * literal markup goes through html_escape().
 */
#ifndef LOTSYNC_HTML_H
#define LOTSYNC_HTML_H

#include <stdio.h>

/*
 * Write s as HTML text or attribute value: & < > " ' as references,
 * invalid UTF-8 and control characters (except TAB, LF, CR) as U+FFFD.
 * NULL writes nothing.
 */
void html_escape(FILE *out, const char *s);

#endif
