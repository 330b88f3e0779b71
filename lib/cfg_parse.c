/* Config sections and lines: [domain NAME] headers, key = value settings, and cfg_parse(). */
#include "lib/cfg_internal.h"
#include "lib/string.h"

/* End of a section: a well-formed one must have had every required key. */
void cfg_finish_section(struct cfg_parser *p)
{
	size_t i;

	if (p->dom == NULL || !p->header_ok)
		return;
	for (i = 0; i < cfg_nr_keys; i++)
		if (cfg_keys[i].required && *cfg_key_line(p->dom, &cfg_keys[i]) == 0)
			cfg_dom_error(p->out, p->dom, p->dom->line, "%s: missing (required in every domain)",
				  cfg_keys[i].name);
}

static bool valid_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
		    *s != '_' && *s != '-')
			return false;
	return n > 0;
}

/* Checks the "[domain NAME]" text of a new section's header line and names the section. */
static bool name_section(struct cfg_parser *p, char *s, const char *problem)
{
	struct cfg_domain *d = p->dom;
	size_t len = strlen(s);
	char *name;
	u32 i;

	if (problem != NULL)
		return cfg_dom_error(p->out, d, p->line, "domain: line %s", problem);
	if (s[len - 1] != ']' || strncmp(s + 1, "domain", 6) != 0 || !cfg_is_blank(s[7]))
		return cfg_dom_error(p->out, d, p->line, "domain: '%s' is not a [domain NAME] header", CLIP(s));
	s[len - 1] = '\0';
	name = cfg_trim(s + 7);
	if (strlen(name) >= CFG_NAME_MAX)
		return cfg_dom_error(p->out, d, p->line, "domain: name '%s' is longer than %u characters",
				 CLIP(name), CFG_NAME_MAX - 1);
	if (!valid_name(name))
		return cfg_dom_error(p->out, d, p->line,
				 "domain: '%s' is not a valid name (use letters, digits, '_' or '-')", CLIP(name));
	for (i = 0; i + 1 < p->out->nr_domains; i++)
		if (strcmp(p->out->domains[i].name, name) == 0)
			return cfg_dom_error(p->out, d, p->line, "domain: '%s' is already defined on line %u",
					 name, p->out->domains[i].line);
	strlcpy_(d->name, name, CFG_NAME_MAX);
	p->header_ok = true;
	return true;
}

/* A line starting with '[': closes the current section and opens the next. */
void cfg_section_line(struct cfg_parser *p, char *s, const char *problem)
{
	cfg_finish_section(p);
	p->dom = NULL;
	p->header_ok = false;
	if (p->ignoring)
		return;
	if (p->out->nr_domains == CFG_MAX_DOMAINS) {
		cfg_error(p->out, p->line, "domain: more than %u domains; this section and later ones are ignored",
			  CFG_MAX_DOMAINS);
		p->ignoring = true;
		return;
	}
	p->dom = &p->out->domains[p->out->nr_domains++];
	p->dom->line = p->line;
	p->dom->valid = true;
	name_section(p, s, problem);
}

/* A "key = value" line inside a section. */
bool cfg_setting_line(struct cfg_parser *p, char *s, const char *problem)
{
	char *eq = strchr(s, '=');
	const struct cfg_key *k;
	char *val;

	if (p->ignoring)
		return true;
	if (eq != NULL)
		*eq = '\0';
	s = cfg_trim(s);
	if (p->dom == NULL && problem != NULL)
		return cfg_error(p->out, p->line, "line %s", problem);
	if (p->dom == NULL)
		return cfg_error(p->out, p->line, "%s: comes before the first [domain NAME] section", CLIP(s));
	k = cfg_find_key(s);
	if (problem != NULL) {
		if (k != NULL && *cfg_key_line(p->dom, k) == 0)
			*cfg_key_line(p->dom, k) = p->line;   /* reported here, not again as missing */
		if (k != NULL)
			return cfg_dom_error(p->out, p->dom, p->line, "%s: line %s", k->name, problem);
		return cfg_dom_error(p->out, p->dom, p->line, "line %s", problem);
	}
	if (eq == NULL)
		return cfg_dom_error(p->out, p->dom, p->line, "expected 'key = value', got '%s'", CLIP(s));
	if (k == NULL)
		return cfg_dom_error(p->out, p->dom, p->line, "unknown key '%s'", CLIP(s));
	if (*cfg_key_line(p->dom, k) != 0)
		return cfg_dom_error(p->out, p->dom, p->line, "%s: already set on line %u", k->name,
				 *cfg_key_line(p->dom, k));
	*cfg_key_line(p->dom, k) = p->line;
	val = cfg_trim(eq + 1);
	if (*val == '\0' && !k->empty_ok)
		return cfg_dom_error(p->out, p->dom, p->line, "%s: no value", k->name);
	return k->parse(p, val);
}

void cfg_parse(const char *text, u64 len, struct cfg *out)
{
	struct cfg_parser p = { .out = out };
	u64 pos = 0, end;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		len = 0;
	while (pos < len) {
		for (end = pos; end < len && text[end] != '\n'; end++)
			;
		if (p.line < 0xffffffffu)
			p.line++;
		cfg_lex_line(&p, text + pos, end - pos);
		pos = end + 1;
	}
	cfg_finish_section(&p);
}
