/* Every function a header declares returning status_t, and every static one, carries MUST_CHECK (lib/status.h): no status dropped unnoticed. */
#define _DEFAULT_SOURCE /* DT_DIR in struct dirent */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <dirent.h>
#include <cmocka.h>

#define MAX_TEXT (256 * 1024)

/* Blanks out comments (keeping newlines, so line numbers stay) and preprocessor lines. */
static void strip(char *s)
{
	bool line_start = true;
	for (char *p = s; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p != '\n')
					*p = ' ';
			if (*p)
				p[0] = p[1] = ' ', p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '/')
			for (; *p && *p != '\n'; p++)
				*p = ' ';
		if (line_start && *p == '#') /* a directive, continuation lines included */
			for (; *p && (*p != '\n' || p[-1] == '\\'); p++)
				*p = ' ';
		if (!*p)
			break;
		line_start = *p == '\n' || (line_start && isspace((unsigned char)*p));
	}
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* True when [s, end) holds only words a declaration may start with (storage class, inline, the
 * macro): "status_t" then starts a function declaration, not an expression. */
static bool declaration_prefix(const char *s, const char *end)
{
	static const char *const words[] = { "static", "inline", "extern", "MUST_CHECK", "IOMMU_MUST_CHECK",
					     "VMX_MUST_CHECK" };
	while (s < end) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		const char *w = s;
		while (w < end && ident_char(*w))
			w++;
		bool known = false;
		for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
			known |= (size_t)(w - s) == strlen(words[i]) && !strncmp(s, words[i], w - s);
		if (!known)
			return false;
		s = w;
	}
	return true;
}

/* Whether [s, end) contains word. */
static bool strstr_in(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);
	for (; s + n <= end; s++)
		if (!strncmp(s, word, n))
			return true;
	return false;
}

/*
 * The status_t functions text declares without MUST_CHECK, printed with file and line; returns
 * how many. A declaration is "status_t NAME (" at file scope or after static/inline; its text
 * runs from the previous ';', '}' or '{' to the ';' or '{' that ends it, and must name
 * MUST_CHECK (lib/status.h; IOMMU_MUST_CHECK and VMX_MUST_CHECK are its aliases). *decls counts
 * the declarations seen.
 */
static int check_text(const char *name, char *text, int *decls, bool static_only)
{
	int bad = 0;
	strip(text);
	for (char *p = strstr(text, "status_t"); p; p = strstr(p + 8, "status_t")) {
		if ((p > text && ident_char(p[-1])) || ident_char(p[8]))
			continue;
		char *q = p + 8;
		while (isspace((unsigned char)*q))
			q++;
		if (!ident_char(*q) || isdigit((unsigned char)*q))
			continue; /* "status_t)" or "status_t *": not a function's return type */
		while (ident_char(*q))
			q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '(')
			continue; /* a variable or a parameter */
		char *start = p;
		while (start > text && !strchr(";{}", start[-1]))
			start--;
		char *s = start;
		while (isspace((unsigned char)*s))
			s++;
		if (!declaration_prefix(s, p))
			continue; /* inside a body or a parameter list: not a declaration */
		if (static_only && !strstr_in(s, p, "static"))
			continue; /* a .c file's extern function: its header's prototype carries the mark */
		char *end = q;
		while (*end && *end != ';' && *end != '{')
			end++;
		(*decls)++;
		bool ok = false;
		for (char *m = strstr(start, "MUST_CHECK"); m && m < end; m = strstr(m + 1, "MUST_CHECK"))
			ok = true;
		if (!ok) {
			int line = 1;
			for (char *c = text; c < p; c++)
				line += *c == '\n';
			print_error("%s:%d: status_t function declared without MUST_CHECK\n", name, line);
			bad++;
		}
	}
	return bad;
}

static int scan_dir(const char *dir, int *headers, int *sources, int *decls)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int bad = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512];
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			bad += scan_dir(path, headers, sources, decls);
			continue;
		}
		bool is_c = len >= 3 && !strcmp(e->d_name + len - 2, ".c");
		if (len < 3 || (strcmp(e->d_name + len - 2, ".h") && !is_c))
			continue;
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char *text = calloc(1, MAX_TEXT);
		assert_non_null(text);
		size_t n = fread(text, 1, MAX_TEXT - 1, f);
		assert_true(n < MAX_TEXT - 1);
		fclose(f);
		(*(is_c ? sources : headers))++;
		bad += check_text(path, text, decls, is_c); /* .c files: their static functions */
		free(text);
	}
	closedir(d);
	return bad;
}

/* The checker itself, on made-up declarations. */
static void test_checker(void **state)
{
	(void)state;
	static const struct { const char *text; int bad, decls; bool static_only; } cases[] = {
		{ "status_t f(void) MUST_CHECK;", 0, 1, false },
		{ "status_t f(int a,\n\tint b)\n\tIOMMU_MUST_CHECK;", 0, 1, false },
		{ "MUST_CHECK status_t f(void);", 0, 1, false },
		{ "static inline MUST_CHECK status_t f(void) { return 0; }", 0, 1, false },
		{ "status_t f(void);", 1, 1, false },
		{ "status_t f(int a,\n\tint b);\nvoid g(void) MUST_CHECK;", 1, 1, false },
		{ "static inline status_t f(void) { return 0; }", 1, 1, false },
		{ "/* status_t f(void); */ const char *status_str(status_t s);", 0, 0, false },
		{ "#define X(a) status_t a(void)\ntypedef status_t (*fn)(int);", 0, 0, false },
		{ "void g(void) { status_t st = h(); }", 0, 0, false },
		{ "static status_t f(void)\n{\n\treturn 0;\n}", 1, 1, true },
		{ "static MUST_CHECK status_t f(void)\n{\n\treturn 0;\n}", 0, 1, true },
		{ "status_t f(void)\n{\n\treturn 0;\n}", 0, 0, true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[256];
		int decls = 0;
		snprintf(buf, sizeof buf, "%s", cases[i].text);
		int bad = check_text("case", buf, &decls, cases[i].static_only);
		if (bad != cases[i].bad || decls != cases[i].decls)
			fail_msg("case %zu \"%s\": %d unmarked of %d, expected %d of %d", i, cases[i].text, bad, decls,
				 cases[i].bad, cases[i].decls);
	}
}

/* Issue 7 section 3: warn_unused_result on every function that returns status_t. The scan runs
 * from the repository root over the hypervisor's headers and, for their static functions, its
 * sources. */
static void test_status_prototypes_must_check(void **state)
{
	(void)state;
	static const char *const dirs[] = { "arch", "boot", "drivers", "iommu", "lib", "selftest", "vmm" };
	int headers = 0, sources = 0, decls = 0, bad = 0;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		bad += scan_dir(dirs[i], &headers, &sources, &decls);
	assert_true(headers > 40 && sources > 60 && decls > 90); /* the scan saw the tree */
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker),
		cmocka_unit_test(test_status_prototypes_must_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
