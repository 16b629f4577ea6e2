/*
 * format.h - export formats (SPEC §4, §7): conf/formats/<name>.ini, or one
 * compiled into the binary (builtin.h). A format says how one
 * vehicle becomes one CSV line or one XML element; render.h writes files
 * with it.
 *
 *   [format]
 *   type = csv              ; csv | xml
 *   header = yes            ; csv: yes = a header row of the column names;
 *                           ;      no = columns by 0-based position
 *   delimiter = ,           ; csv: one character, or "tab"
 *   quote = "               ; csv: the quote character
 *   quoting = minimal       ; csv: minimal (cells that need it) | all | none
 *   line_ending = lf        ; lf | crlf
 *   charset = utf-8         ; any iconv name (iso-8859-15, windows-1252, ...)
 *   list_separator = |      ; default join of list fields (images, equipment)
 *   decimal_separator = .   ; money columns
 *   currency = EUR          ; with_currency when a vehicle has no currency
 *   formula_guard = '       ; prefix of free-text cells that start with
 *                           ; = + - @ TAB CR; "none" (default) = off
 *   action_column = action  ; delta targets: header name (first column), or
 *                           ; position (header = no), or XML attribute name
 *   extension = csv
 *   root = listings         ; xml: document element
 *   record = listing        ; xml: one element per vehicle
 *   required = vin, price, vdp_url|dealer_id ; fields every vehicle of the
 *                           ; file must have (a|b: one of them); a vehicle
 *                           ; lacking one is left out and reported
 *
 *   [columns]               ; in output order: NAME = FIELD [OPTION...]
 *   VIN = vin               ; NAME: header text, XML element, or position
 *   Price = price decimals=0
 *   Photos = images join=", " items=rest
 *   Country = "DE"          ; a quoted FIELD is a constant
 *
 * FIELD is a canonical field of SPEC §2 (or extra.<column>). Its kind
 * follows from the canonical schema: money (price, campaign_price,
 * old_price, leasing_price: integer minor units), number (year, mileage,
 * model_year), date (first_registration, in_stock_date: YYYY-MM-DD), list
 * (images, equipment, documents: items joined with '|') or text. Options:
 *   join=SEP items=all|first|rest|N   lists (N: the Nth item alone, 1-based)
 *   date=PATTERN                      dates: YYYY YY MM DD, the rest literal
 *   decimals=0|1|2|auto               money (auto: no decimals for whole units)
 *   with_currency                     money: append " " and the currency
 *   unit=km|mi|mil                    mileage: convert to this unit (from the
 *                                     vehicle's mileage_unit)
 *   with_unit                         mileage: append " " and the unit the value
 *                                     is in ("km", "miles", "mil"); a mileage
 *                                     whose unit is not known is left empty
 *                                     (with a warning) rather than guessed
 *   map=FROM:TO,FROM:TO               replace exact values (before the rest)
 *   default=TEXT prefix=TEXT suffix=TEXT
 *   text | raw                        formula guard on (text) or off (raw);
 *                                     default: on for text and list fields
 *   attr.NAME=VALUE                   xml: a constant attribute of the element
 *                                     (<price type="asking">)
 * XML column names: an element, "@name" for an attribute of the record
 * element (<vehicle status="used">), or "element#tag" for a second element
 * of the same name (price#msrp = msrp attr.type=msrp).
 * Option values with spaces are double-quoted ("" for a quote inside).
 *
 * Errors are logged as "FILE:LINE: message" and counted; loading goes on.
 * Ownership: struct format owns everything in it; format_release() frees it.
 */
#ifndef LOTSYNC_FORMAT_H
#define LOTSYNC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

enum format_type { FORMAT_CSV, FORMAT_XML };
enum format_quoting { QUOTING_MINIMAL, QUOTING_ALL, QUOTING_NONE };
enum column_kind { COL_TEXT, COL_NUMBER, COL_MONEY, COL_DATE, COL_LIST, COL_CONST };
enum list_items { ITEMS_ALL, ITEMS_FIRST, ITEMS_REST };

/* Decimals of a money column: 0..2, or FORMAT_DECIMALS_AUTO. */
#define FORMAT_DECIMALS_AUTO (-1)

struct format_map {
	char *from, *to;
};

/* One required item: any of its fields will do ("vdp_url|dealer_id"). */
struct format_required {
	char *text;    /* as the format writes it, for messages */
	char **fields; /* the alternatives */
	size_t *slots; /* their slots in format->fields */
	size_t n;
};

struct format_column {
	char *name;  /* header text or XML element; NULL for a positional gap */
	char *field; /* canonical field; NULL for a constant or a gap */
	size_t slot; /* index of field in format->fields */
	int line;    /* in the format file, for messages */
	enum column_kind kind;
	bool guard;     /* free text: the formula guard applies */
	char *constant; /* COL_CONST ("" for a gap) */
	char *join;     /* lists: NULL = the format's list_separator */
	enum list_items items;
	int item;       /* items=N: the Nth (1-based), 0 = by items */
	char *attrs;    /* xml: ' name="value"...' written in the start tag, or NULL */
	bool on_record; /* xml: an attribute of the record element */
	char *date;     /* dates: output pattern, NULL = as stored */
	int decimals;
	bool with_currency;
	int unit;                     /* mileage: convert to this enum mileage_unit, or -1 */
	bool with_unit;               /* mileage: append the unit */
	char *dflt, *prefix, *suffix; /* NULL when not given */
	struct format_map *maps;
	size_t nmaps;
};

struct format {
	char *name;
	char *path;
	enum format_type type;
	bool header;     /* csv: write a header row */
	bool positional; /* csv: columns named by position */
	char delimiter, quote;
	enum format_quoting quoting;
	bool crlf;
	char *charset;  /* as iconv names it; "UTF-8" by default */
	bool utf8;      /* charset is UTF-8: no conversion */
	char *list_sep; /* default join of list fields */
	char decimal_sep;
	char *currency;   /* default for with_currency, or NULL */
	char *guard;      /* formula guard prefix, or NULL when off */
	char *action;     /* delta: action column header / XML attribute */
	size_t action_at; /* delta: output index of the action cell */
	bool action_gap;  /* positional: the action cell takes a gap's place */
	char *extension;
	char *root, *record;        /* xml */
	struct format_column *cols; /* in output order (gaps filled) */
	size_t ncols;
	char **fields; /* distinct fields the columns read, sorted by strcmp() */
	size_t *flens; /* their lengths */
	size_t nfields;
	struct format_required *required;
	size_t nrequired;
	size_t currency_slot; /* slot of "currency", or (size_t)-1 */
	size_t unit_slot;     /* slot of "mileage_unit", or (size_t)-1 */
};

/*
 * Load format name: <confdir>/formats/<name>.ini, else the shipped one.
 * Returns the number of errors (0 = usable; each logged), or -1 when no such
 * format exists (logged). Release f after any return.
 */
int format_load(const char *confdir, const char *name, struct format *f);
void format_release(struct format *f);

/* Kind of a canonical field by the schema (text for unknown and extra.*). */
enum column_kind format_field_kind(const char *field);

#endif
