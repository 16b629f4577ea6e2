/*
 * wo_map.h - work-order profiles and files (feeds with kind = workorder):
 * a Carsys-style XML document or an Autoflex-style header CSV into work
 * order and person records (wo.h) delivered through reader.h's callbacks.
 *
 * A work-order profile is conf/profiles/<name>.ini (or a built-in one)
 * whose [profile] says kind = workorder:
 *
 *   [profile]
 *   kind = workorder
 *   format = xml               ; xml | csv
 *   record_element = carsys/workorder   ; XML: [root/]element of one work order
 *   delete_element = deleted   ; XML: a sibling naming a work order that ends
 *   delimiter = semicolon      ; CSV (header always; one row per intervention)
 *   quote = "
 *   charset = utf-8            ; utf-8 | windows-1252 | iso-8859-15 | auto
 *   date_format = DD-MM-YYYY HH:MM ; local times (the feed's timezone)
 *   decimal = ,                ; of amounts
 *   mode = upsert              ; the feed's default: full | upsert
 *   interventions = interventions/intervention ; XML: one intervention
 *   persons = persons/person   ; XML: one person
 *   [fields]                   ; work-order field = element path / column
 *   wo_number = wo_number
 *   intervention.title = title ; relative to the intervention (XML)
 *   person.id = @id            ; relative to the person (XML)
 *
 * CSV rows with the same dms_number + wo_number are one work order, in
 * the order of their first row; each row adds its intervention (when it
 * has one) in file order, and its person (person.id) once per file.
 * A whole file is held in memory while it is read (work-order files are
 * a dealer's changes or open orders, not a national stock): at most
 * LS_MAX_WO_FILE bytes.
 *
 * Values: booleans 1/0, J/N, ja/nee, yes/no, true/false -> true | false;
 * date-times -> ISO 8601 UTC ("2026-12-01T07:30:00Z"); dates -> YYYY-MM-DD;
 * amounts -> minor units; mileage -> an integer. A value that cannot be
 * read refuses its work order (a row error with its key); the file goes on.
 *
 * The date-typo guard runs on every work order with both dates: a
 * probable typo keeps the value as read and adds date_typo ("probable
 * date typo") and appointment_swapped_at (the other reading, UTC), and a
 * warning (code date_typo) naming the work order and both readings;
 * work orders whose appointment reads both ways plausibly are counted in
 * one ambiguous_dates warning per file.
 *
 * Ownership: struct wo_profile owns its strings; wo_profile_release().
 */
#ifndef LOTSYNC_WO_MAP_H
#define LOTSYNC_WO_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "lotsync/charset.h"
#include "lotsync/config.h"
#include "lotsync/reader.h"
#include "lotsync/status.h"
#include "lotsync/wo.h"

#define LS_MAX_WO_FILE ((size_t)256 << 20)

struct wo_source {
	const struct wo_field *field;
	char *source; /* element path, "@attr", or header name */
};

struct wo_profile {
	char *name;
	char *path;
	bool xml;
	char delimiter, quote;
	char *record_root, *record_element; /* XML */
	char *delete_element;               /* XML, or NULL */
	char *interventions, *persons;      /* XML paths, or NULL */
	enum charset charset;
	char decimal;
	struct wo_date_format date;
	enum feed_mode mode; /* FEED_MODE_FULL unless the profile says upsert */
	struct wo_source *maps;
	size_t nmaps;
};

/*
 * True when <confdir>/profiles/<name>.ini (or the built-in one) says
 * kind = workorder; -1 when there is no such profile.
 */
int wo_profile_is_workorder(const char *confdir, const char *name);

/* Load and check; errors logged as FILE:LINE: message, their count returned (-1: none such). */
int wo_profile_load(const char *confdir, const char *name, struct wo_profile *p);
void wo_profile_release(struct wo_profile *p);

/* The feed's mode: its own, else the profile's. */
enum feed_mode wo_feed_mode(const struct feed_conf *feed, const struct wo_profile *p);

/*
 * Read path (plain, .gz or a .zip's one member) as the profile says: work
 * orders in file order, then the persons, through cb->record; removals
 * (delete_element) through cb->remove; refused work orders through
 * cb->reject; warnings through cb->warn. Returns as reader_read() does.
 */
enum ls_scope wo_read(const struct wo_profile *p, const struct feed_conf *feed, const char *path,
                      const char *name, const struct reader_cb *cb, char **why);

/* The same over bytes in memory (tests). */
enum ls_scope wo_read_mem(const struct wo_profile *p, const struct feed_conf *feed,
                          const void *data, size_t len, const char *name,
                          const struct reader_cb *cb, char **why);

#endif
