/* Parser for partitions.cfg (docs/config.md). It works on (pointer, length)
 * spans of the module itself: nothing past len is read, and every string it
 * stores is bounded and NUL-terminated. */
#include "core/config.h"

#include <stdarg.h>

#include "core/fmt.h"

#define QUOTE_MAX 40 /* characters of the file quoted in a message */
/* The [hypervisor] keys follow the partition keys. */
#define KEY_ON_ALL_STOPPED CONFIG_KEY_COUNT
#define KEY_SLICE_US       (CONFIG_KEY_COUNT + 1)
#define HV_KEYS            2

struct span {
	const char *s;
	size_t n;
};

struct name_val {
	const char *name;
	int val;
};

static const char *const key_names[CONFIG_KEY_COUNT + HV_KEYS] = {
	[CONFIG_KEY_CPUS] = "cpus",       [CONFIG_KEY_VCPUS] = "vcpus",
	[CONFIG_KEY_MEMORY] = "memory",   [CONFIG_KEY_IMAGE] = "image",
	[CONFIG_KEY_FORMAT] = "format",   [CONFIG_KEY_LOAD] = "load",
	[CONFIG_KEY_ENTRY] = "entry",     [CONFIG_KEY_CMDLINE] = "cmdline",
	[CONFIG_KEY_MODULES] = "modules", [CONFIG_KEY_UART] = "uart",
	[CONFIG_KEY_ON_STOP] = "on_stop", [CONFIG_KEY_DEBUG_EXIT] = "debug_exit",
	[CONFIG_KEY_MODE] = "mode",       [CONFIG_KEY_MAX_RESTARTS] = "max_restarts",
	[KEY_ON_ALL_STOPPED] = "on_all_stopped", [KEY_SLICE_US] = "slice_us",
	[CONFIG_KEY_WEIGHT] = "weight",
};

/* The keys whose value is one of a few words (vals ends with a NULL name). */
static const struct {
	struct name_val vals[4];
	const char *list; /* for the message */
} choices[CONFIG_KEY_COUNT + HV_KEYS] = {
	[CONFIG_KEY_FORMAT] = { { { "flat", PART_FORMAT_FLAT },
				  { "multiboot1", PART_FORMAT_MULTIBOOT1 },
				  { "multiboot2", PART_FORMAT_MULTIBOOT2 } },
				"flat, multiboot1 or multiboot2" },
	[CONFIG_KEY_UART] = { { { "com1", PART_UART_COM1 }, { "none", PART_UART_NONE } },
			      "com1 or none" },
	[CONFIG_KEY_MODE] = { { { "protected", PART_MODE_PROTECTED }, { "real", PART_MODE_REAL },
				{ "long", PART_MODE_LONG } },
			      "real, protected or long" },
	[CONFIG_KEY_ON_STOP] = { { { "halt", PART_ON_STOP_HALT },
				   { "restart", PART_ON_STOP_RESTART } },
				 "halt or restart" },
	[KEY_ON_ALL_STOPPED] = { { { "stay", HV_ALL_STOPPED_STAY },
				   { "poweroff", HV_ALL_STOPPED_POWEROFF } },
				 "stay or poweroff" },
};

struct parser {
	struct hv_config *c;
	unsigned line;
	enum { IN_NONE, IN_HYPERVISOR, IN_PARTITION, IN_SKIPPED } where;
	struct part_config *part; /* IN_PARTITION */
	char quote[QUOTE_MAX + 4]; /* quote()'s result: one per message */
};

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static struct span trim(struct span t)
{
	while (t.n && is_space(t.s[0])) {
		t.s++;
		t.n--;
	}
	while (t.n && is_space(t.s[t.n - 1]))
		t.n--;
	return t;
}

static bool span_is(struct span t, const char *lit)
{
	size_t i = 0;

	for (; i < t.n; i++)
		if (!lit[i] || lit[i] != t.s[i])
			return false;
	return !lit[i];
}

/* Copies t into dst (always NUL-terminated); false if it did not fit. */
static bool span_copy(struct span t, char *dst, size_t size)
{
	size_t i = 0;

	for (; i < t.n && i + 1 < size; i++)
		dst[i] = t.s[i];
	dst[i] = '\0';
	return i == t.n;
}

/* The file's text for a message: at most QUOTE_MAX characters, then "...". */
static const char *quote(struct parser *ps, struct span t)
{
	char *q = ps->quote;

	if (!span_copy(t, q, QUOTE_MAX + 1)) {
		q[QUOTE_MAX] = q[QUOTE_MAX + 1] = q[QUOTE_MAX + 2] = '.';
		q[QUOTE_MAX + 3] = '\0';
	}
	return q;
}

/* Decimal or 0x-prefixed hex; false on junk, emptiness or overflow. */
static bool span_uint(struct span t, uint64_t *out)
{
	bool hex = t.n > 2 && t.s[0] == '0' && (t.s[1] == 'x' || t.s[1] == 'X');
	unsigned base = hex ? 16 : 10;
	uint64_t v = 0;

	if (!t.n)
		return false;
	for (size_t i = hex ? 2 : 0; i < t.n; i++) {
		char lower = t.s[i] | 0x20; /* ASCII letters to lower case, digits unchanged */
		unsigned d = t.s[i] >= '0' && t.s[i] <= '9' ? (unsigned)(t.s[i] - '0')
			   : lower >= 'a' && lower <= 'f' ? (unsigned)(lower - 'a' + 10) : 16;

		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* A number of bytes, optionally followed by K, M or G (binary units). */
static bool span_size(struct span t, uint64_t *out)
{
	char last = t.n ? t.s[t.n - 1] | 0x20 : 0;
	unsigned shift = last == 'k' ? 10 : last == 'm' ? 20 : last == 'g' ? 30 : 0;
	uint64_t v;

	if (shift)
		t = trim((struct span){ t.s, t.n - 1 });
	if (!span_uint(t, &v) || v > UINT64_MAX >> shift)
		return false;
	*out = v << shift;
	return true;
}

/* A problem on the current line: the current partition's, else the file's.
 * The last problem slot of the file says that the list stops there. */
static void __attribute__((format(printf, 2, 3))) report(struct parser *ps, const char *fmt, ...)
{
	struct hv_config *c = ps->c;
	char msg[CONFIG_MSG_MAX];
	struct config_problem *pr;
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->where == IN_PARTITION) {
		config_fail(ps->part, ps->line, "%s", msg);
		return;
	}
	if (c->nproblems == CONFIG_MAX_PROBLEMS)
		return;
	pr = &c->problems[c->nproblems++];
	pr->line = ps->line;
	fmt_snprintf(pr->msg, sizeof(pr->msg), "config: line %u: %s", ps->line,
		     c->nproblems < CONFIG_MAX_PROBLEMS ? msg
							 : "too many problems, the rest are not listed");
}

/* Calls item() for each trimmed comma-separated piece of v, until one
 * returns false. */
static void split_list(struct parser *ps, struct span v,
		       bool (*item)(struct parser *, struct span piece, struct span all))
{
	size_t i = 0;

	for (;;) {
		size_t start = i;

		while (i < v.n && v.s[i] != ',')
			i++;
		if (!item(ps, trim((struct span){ v.s + start, i - start }), v) || i == v.n)
			return;
		i++;
	}
}

static bool cpu_item(struct parser *ps, struct span t, struct span all)
{
	struct part_config *p = ps->part;
	uint64_t id;

	if (!span_uint(t, &id) || id > UINT16_MAX) {
		report(ps, "bad cpu list '%s'", quote(ps, all));
		return false;
	}
	if (p->ncpus == CONFIG_MAX_CPUS) {
		report(ps, "more than %u cpus listed", CONFIG_MAX_CPUS);
		return false;
	}
	p->cpus[p->ncpus++] = (uint16_t)id;
	return true;
}

static bool module_item(struct parser *ps, struct span t, struct span all)
{
	struct part_config *p = ps->part;

	if (!t.n)
		report(ps, "empty module name in '%s'", quote(ps, all));
	else if (p->nmodules == CONFIG_MAX_MODULES)
		report(ps, "more than %u modules", CONFIG_MAX_MODULES);
	else if (!span_copy(t, p->modules[p->nmodules++], CONFIG_FILE_MAX))
		report(ps, "module name '%s' too long (at most %u characters)", quote(ps, t),
		       CONFIG_FILE_MAX - 1);
	else
		return true;
	return false;
}

/* One of a few words, for key k. */
static void choice_value(struct parser *ps, unsigned k, struct span v)
{
	const struct name_val *t = choices[k].vals;

	while (t->name && !span_is(v, t->name))
		t++;
	if (!t->name)
		report(ps, "unknown %s '%s' (%s)", key_names[k], quote(ps, v), choices[k].list);
	else if (k == KEY_ON_ALL_STOPPED)
		ps->c->on_all_stopped = (enum hv_on_all_stopped)t->val;
	else if (k == CONFIG_KEY_FORMAT)
		ps->part->format = (enum part_format)t->val;
	else if (k == CONFIG_KEY_UART)
		ps->part->uart = (enum part_uart)t->val;
	else if (k == CONFIG_KEY_MODE)
		ps->part->mode = (enum part_mode)t->val;
	else
		ps->part->on_stop = (enum part_on_stop)t->val;
}

/* Stores value v of key k in the current partition (or the hypervisor settings). */
static void set_value(struct parser *ps, unsigned k, struct span v)
{
	struct part_config *p = ps->part;
	uint64_t n;

	if (choices[k].list) {
		choice_value(ps, k, v);
	} else if (k == CONFIG_KEY_CPUS) {
		split_list(ps, v, cpu_item);
	} else if (k == CONFIG_KEY_VCPUS) {
		if (span_uint(v, &n) && n >= 1 && n <= CONFIG_MAX_CPUS)
			p->vcpus = (unsigned)n;
		else
			report(ps, "bad vcpus '%s' (1 to %u)", quote(ps, v), CONFIG_MAX_CPUS);
	} else if (k == CONFIG_KEY_MEMORY) {
		if (!span_size(v, &p->memory))
			report(ps, "bad size '%s' for memory (bytes, or a number with K, M or G)",
			       quote(ps, v));
	} else if (k == CONFIG_KEY_IMAGE) {
		if (!span_copy(v, p->image, sizeof(p->image)))
			report(ps, "image name too long (at most %u characters)", CONFIG_FILE_MAX - 1);
	} else if (k == CONFIG_KEY_LOAD || k == CONFIG_KEY_ENTRY) {
		if (!span_uint(v, k == CONFIG_KEY_LOAD ? &p->load : &p->entry))
			report(ps, "bad address '%s' for %s", quote(ps, v), key_names[k]);
	} else if (k == CONFIG_KEY_CMDLINE) {
		if (!span_copy(v, p->cmdline, sizeof(p->cmdline)))
			report(ps, "cmdline too long (at most %u characters)", CONFIG_CMDLINE_MAX - 1);
	} else if (k == CONFIG_KEY_MODULES) {
		split_list(ps, v, module_item);
	} else if (k == KEY_SLICE_US) {
		if (span_uint(v, &n) && n >= CONFIG_SLICE_US_MIN && n <= CONFIG_SLICE_US_MAX)
			ps->c->slice_us = (unsigned)n;
		else
			report(ps, "bad slice_us '%s' (%u to %u microseconds)", quote(ps, v),
			       CONFIG_SLICE_US_MIN, CONFIG_SLICE_US_MAX);
	} else if (k == CONFIG_KEY_WEIGHT) {
		if (span_uint(v, &n) && n >= 1 && n <= CONFIG_WEIGHT_MAX)
			p->weight = (unsigned)n;
		else
			report(ps, "bad weight '%s' (1 to %u)", quote(ps, v), CONFIG_WEIGHT_MAX);
	} else if (k == CONFIG_KEY_MAX_RESTARTS) {
		if (span_uint(v, &n) && n && n <= CONFIG_MAX_RESTARTS)
			p->max_restarts = (unsigned)n;
		else
			report(ps, "bad max_restarts '%s' (1 to %u)", quote(ps, v), CONFIG_MAX_RESTARTS);
	} else if (k == CONFIG_KEY_DEBUG_EXIT) {
		if (span_uint(v, &n) && n && n <= UINT16_MAX)
			p->debug_exit = (uint16_t)n;
		else
			report(ps, "bad port '%s' for debug_exit (1 to 0xffff)", quote(ps, v));
	}
}

static void key_value(struct parser *ps, struct span t)
{
	bool hv = ps->where == IN_HYPERVISOR;
	unsigned k = hv ? KEY_ON_ALL_STOPPED : 0, end = hv ? k + HV_KEYS : CONFIG_KEY_COUNT, *seen;
	struct span key, val;
	size_t eq = 0;

	while (eq < t.n && t.s[eq] != '=')
		eq++;
	if (eq == t.n) {
		report(ps, "expected 'key = value', got '%s'", quote(ps, t));
		return;
	}
	key = trim((struct span){ t.s, eq });
	val = trim((struct span){ t.s + eq + 1, t.n - eq - 1 });
	if (!key.n) {
		report(ps, "missing key before '='");
		return;
	}
	if (ps->where == IN_NONE) {
		report(ps, "key '%s' before any section", quote(ps, key));
		return;
	}
	for (; k < end && !span_is(key, key_names[k]); k++)
		;
	if (k == end) {
		report(ps, "unknown key '%s'", quote(ps, key));
		return;
	}
	seen = !hv ? &ps->part->key_line[k] :
	       k == KEY_SLICE_US ? &ps->c->slice_us_line : &ps->c->on_all_stopped_line;
	if (*seen) {
		report(ps, "duplicate key '%s' (first at line %u)", key_names[k], *seen);
		return;
	}
	*seen = ps->line;
	if (!val.n && k != CONFIG_KEY_CMDLINE)
		report(ps, "empty value for '%s'", key_names[k]);
	else
		set_value(ps, k, val); /* on_all_stopped is one of the choices */
}

static bool name_ok(struct span name)
{
	if (!name.n || name.n > CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < name.n; i++) {
		char ch = name.s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static void new_partition(struct parser *ps, struct span name, bool trailing)
{
	struct hv_config *c = ps->c;
	struct part_config *p;

	ps->where = IN_SKIPPED; /* until the header is known good */
	if (!name_ok(name)) {
		report(ps, "partition name '%s' invalid (1 to %u of A-Z a-z 0-9 _ -)",
		       quote(ps, name), CONFIG_NAME_MAX);
		return;
	}
	if (c->nparts == CONFIG_MAX_PARTITIONS) {
		report(ps, "too many partitions (at most %u)", CONFIG_MAX_PARTITIONS);
		return;
	}
	p = &c->parts[c->nparts++];
	span_copy(name, p->name, sizeof(p->name));
	p->line = ps->line;
	p->valid = true;
	p->uart = PART_UART_COM1;
	p->weight = 1;
	p->on_stop = PART_ON_STOP_HALT;
	ps->where = IN_PARTITION;
	ps->part = p;
	if (trailing)
		report(ps, "unexpected text after ']'");
	for (const struct part_config *prev = c->parts; prev < p; prev++)
		if (span_is(name, prev->name))
			report(ps, "partition '%s' defined twice (first at line %u)", p->name, prev->line);
}

/* t starts with '['. A header that cannot be used skips its section. */
static void section(struct parser *ps, struct span t)
{
	struct hv_config *c = ps->c;
	struct span inner;
	size_t rb = 1;
	bool trailing;

	while (rb < t.n && t.s[rb] != ']')
		rb++;
	ps->where = IN_SKIPPED;
	if (rb == t.n) {
		report(ps, "missing ']' in '%s'", quote(ps, t));
		return;
	}
	inner = trim((struct span){ t.s + 1, rb - 1 });
	trailing = rb + 1 < t.n; /* t is trimmed: anything left is text */
	if (span_is(inner, "hypervisor")) {
		if (c->hypervisor_line) {
			report(ps, "section [hypervisor] given twice (first at line %u)",
			       c->hypervisor_line);
			return;
		}
		c->hypervisor_line = ps->line;
		ps->where = IN_HYPERVISOR;
		if (trailing)
			report(ps, "unexpected text after ']'");
	} else if (inner.n >= 9 && span_is((struct span){ inner.s, 9 }, "partition") &&
		   (inner.n == 9 || is_space(inner.s[9]))) {
		new_partition(ps, trim((struct span){ inner.s + 9, inner.n - 9 }), trailing);
	} else {
		report(ps, "unknown section '[%s]'", quote(ps, inner));
	}
}

unsigned config_parse(const char *text, size_t len, struct hv_config *c)
{
	struct parser ps = { .c = c, .where = IN_NONE };
	unsigned valid = 0;
	size_t pos = 0;

	*c = (struct hv_config){ .on_all_stopped = HV_ALL_STOPPED_STAY,
				 .slice_us = CONFIG_SLICE_US_DEFAULT };
	while (pos < len) {
		size_t end = pos;
		struct span t;

		while (end < len && text[end] != '\n')
			end++;
		ps.line++;
		t = trim((struct span){ text + pos, end - pos });
		if (t.n && t.s[0] == '[')
			section(&ps, t);
		else if (t.n && t.s[0] != '#' && t.s[0] != ';' && ps.where != IN_SKIPPED)
			key_value(&ps, t);
		pos = end + 1;
	}
	for (unsigned i = 0; i < c->nparts; i++) {
		struct part_config *p = &c->parts[i];

		if (!p->key_line[CONFIG_KEY_ENTRY])
			p->entry = p->load;
		valid += p->valid;
	}
	return valid;
}
