/* Internal interface between the config parser's parts: lexing, sections, keys, checks. */
#ifndef PASSAGE_LIB_CFG_INTERNAL_H
#define PASSAGE_LIB_CFG_INTERNAL_H

#include "lib/config.h"

#define CFG_LINE_MAX 512          /* longest setting line looked at, including the terminator */
#define CFG_CLIP 40               /* longest piece of user text quoted in a message */

/* State of one parse. */
struct cfg_parser {
	struct cfg *out;
	struct cfg_domain *dom;   /* section being filled; NULL before the first one */
	bool header_ok;           /* dom's header was well formed (missing keys worth reporting) */
	bool ignoring;            /* more than CFG_MAX_DOMAINS sections: the rest is skipped */
	u32 line;
};

/* One known key: where its line number lives and how its value is parsed. */
struct cfg_key {
	const char *name;
	size_t line_off;          /* offset in struct cfg_key_lines */
	bool required;
	bool empty_ok;
	bool (*parse)(struct cfg_parser *p, char *val);   /* false: reported an error */
};

/* cfg_lex.c: messages, characters, and one raw line handed to the section machine. */
/* Records "config line N: ..." without touching any domain; returns false for the caller to pass on. */
bool cfg_error(struct cfg *c, u32 line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records an error and refuses domain d; returns false. */
bool cfg_dom_error(struct cfg *c, struct cfg_domain *d, u32 line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool cfg_is_blank(char ch);
char *cfg_trim(char *s);
const char *cfg_clip(char *buf, size_t size, const char *s);
#define CLIP(s) cfg_clip((char[CFG_CLIP + 1]){ 0 }, CFG_CLIP + 1, (s))
void cfg_lex_line(struct cfg_parser *p, const char *raw, u64 n);

/* cfg_parse.c: the section/line machine. */
void cfg_section_line(struct cfg_parser *p, char *s, const char *problem);
bool cfg_setting_line(struct cfg_parser *p, char *s, const char *problem);
void cfg_finish_section(struct cfg_parser *p);

/* cfg_keys.c: the known keys and their value parsers. */
extern const struct cfg_key cfg_keys[];
extern const size_t cfg_nr_keys;
const struct cfg_key *cfg_find_key(const char *name);
u32 *cfg_key_line(struct cfg_domain *d, const struct cfg_key *k);
bool cfg_same_device(const struct cfg_device *a, const struct cfg_device *b);

#endif
