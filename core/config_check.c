/* Validator for a parsed partitions.cfg: each partition still valid is held
 * against the machine (struct config_platform) in file order, so that what an
 * earlier partition took (CPUs, memory) is no longer there for a later one.
 * Also the reporting side, shared with the parser: marking a partition
 * invalid, messages in line order, plan lines, names and sizes. */
#include "core/config.h"

#include <stdarg.h>

#include "core/fmt.h"

static void config_vfail(struct part_config *p, unsigned line, const char *fmt, va_list ap)
{
	int n;

	if (!p->valid)
		return;
	p->valid = false;
	p->error_line = line;
	n = fmt_snprintf(p->error, sizeof(p->error), "config: line %u: ", line);
	fmt_vsnprintf(p->error + n, sizeof(p->error) - n, fmt, ap);
}

void config_fail(struct part_config *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_vfail(p, line, fmt, ap);
	va_end(ap);
}

/* What the partitions accepted so far hold. */
struct taken {
	uint64_t left;                  /* bytes of plat->free_bytes still free */
	unsigned pinned;                /* CPUs pinned */
	const struct part_config *pool; /* first partition on the shared pool */
};

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static const struct config_module *find_module(const struct config_platform *plat,
					       const char *name)
{
	for (unsigned i = 0; i < plat->nmodules && i < BOOT_MODS_MAX; i++)
		if (plat->mods[i].name && str_eq(plat->mods[i].name, name))
			return &plat->mods[i];
	return NULL;
}

/* Values the parser took but that are out of bounds. */
static void check_values(struct part_config *p)
{
	unsigned line = p->key_line[CONFIG_KEY_MEMORY];
	char sz[24];

	config_format_size(p->memory, sz, sizeof(sz));
	if (line && p->memory % CONFIG_PAGE_SIZE)
		config_fail(p, line, "memory %s is not a multiple of 4K", sz);
	else if (line && p->memory < CONFIG_MEMORY_MIN)
		config_fail(p, line, "memory %s is less than 1M", sz);
	else if (line && p->memory > CONFIG_MEMORY_MAX)
		config_fail(p, line, "memory %s is more than 512G", sz);
	for (unsigned i = 1; i < p->ncpus; i++)
		for (unsigned j = 0; j < i; j++)
			if (p->cpus[i] == p->cpus[j])
				config_fail(p, p->key_line[CONFIG_KEY_CPUS], "cpu %u listed twice",
					    p->cpus[i]);
}

/* The keys every partition needs, and those that go with one format only. */
static void check_keys(struct part_config *p)
{
	static const enum config_key required[] = { CONFIG_KEY_IMAGE, CONFIG_KEY_MEMORY,
						    CONFIG_KEY_FORMAT };
	static const char *const names[] = { "image", "memory", "format" };
	const unsigned *kl = p->key_line;
	const char *fmt = config_format_name(p->format);

	for (unsigned i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!kl[required[i]])
			config_fail(p, p->line, "missing key '%s'", names[i]);
	if (!kl[CONFIG_KEY_CPUS] && !kl[CONFIG_KEY_VCPUS])
		config_fail(p, p->line, "missing key 'cpus' or 'vcpus'");
	if (kl[CONFIG_KEY_CPUS] && kl[CONFIG_KEY_VCPUS])
		config_fail(p, kl[CONFIG_KEY_CPUS] > kl[CONFIG_KEY_VCPUS] ? kl[CONFIG_KEY_CPUS]
									   : kl[CONFIG_KEY_VCPUS],
			    "both 'cpus' and 'vcpus' given (one or the other)");
	if (kl[CONFIG_KEY_WEIGHT] && kl[CONFIG_KEY_CPUS])
		config_fail(p, kl[CONFIG_KEY_WEIGHT],
			    "'weight' given with 'cpus' (weights share the pool of 'vcpus' partitions)");
	if (kl[CONFIG_KEY_MAX_RESTARTS] && p->on_stop != PART_ON_STOP_RESTART)
		config_fail(p, kl[CONFIG_KEY_MAX_RESTARTS], "'max_restarts' given without on_stop = restart");
	if (p->format == PART_FORMAT_FLAT) {
		if (!kl[CONFIG_KEY_LOAD])
			config_fail(p, kl[CONFIG_KEY_FORMAT], "format flat needs 'load'");
		/* A flat image gets no boot information to find them in. */
		if (kl[CONFIG_KEY_MODULES])
			config_fail(p, kl[CONFIG_KEY_MODULES],
				    "'modules' given for format flat (multiboot formats only)");
		if (kl[CONFIG_KEY_CMDLINE])
			config_fail(p, kl[CONFIG_KEY_CMDLINE],
				    "'cmdline' given for format flat (multiboot formats only)");
		/* Real mode reaches the first 1 MiB only (CS:IP). */
		if (p->mode == PART_MODE_REAL && p->entry >= CONFIG_REAL_MODE_TOP)
			config_fail(p, kl[CONFIG_KEY_ENTRY] ? kl[CONFIG_KEY_ENTRY] : kl[CONFIG_KEY_LOAD],
				    "entry 0x%llx is not below 1M, where mode real starts",
				    (unsigned long long)p->entry);
	} else {
		if (kl[CONFIG_KEY_MODE])
			config_fail(p, kl[CONFIG_KEY_MODE], "'mode' given for format %s (flat only)", fmt);
		if (kl[CONFIG_KEY_LOAD])
			config_fail(p, kl[CONFIG_KEY_LOAD], "'load' given for format %s (flat only)", fmt);
		if (kl[CONFIG_KEY_ENTRY])
			config_fail(p, kl[CONFIG_KEY_ENTRY], "'entry' given for format %s (flat only)",
				    fmt);
	}
}

/* Pinned CPUs exist and belong to no earlier partition; the shared pool, once
 * a partition uses it, keeps at least one CPU. */
static void check_cpus(struct hv_config *c, struct part_config *p,
		       const struct config_platform *plat, const struct taken *t)
{
	unsigned line = p->key_line[p->ncpus ? CONFIG_KEY_CPUS : CONFIG_KEY_VCPUS];

	for (unsigned i = 0; i < p->ncpus && p->valid; i++) {
		unsigned cpu = p->cpus[i];

		if (cpu >= plat->ncpus) {
			config_fail(p, line, "cpu %u out of range (this machine has %u CPU%s)", cpu,
				    plat->ncpus, plat->ncpus == 1 ? "" : "s");
			break;
		}
		for (const struct part_config *q = c->parts; q < p && p->valid; q++)
			for (unsigned j = 0; q->valid && j < q->ncpus; j++)
				if (q->cpus[j] == cpu)
					config_fail(p, line, "cpu %u already pinned by partition '%s'",
						    cpu, q->name);
	}
	if (!p->valid)
		return;
	if (p->ncpus && t->pool && t->pinned + p->ncpus >= plat->ncpus)
		config_fail(p, line, "no CPU would be left for the shared pool of partition '%s'",
			    t->pool->name);
	else if (!p->ncpus && t->pinned >= plat->ncpus)
		config_fail(p, line, "no CPU left for the shared pool (all %u pinned)", plat->ncpus);
}

static void check_part(struct hv_config *c, struct part_config *p,
		       const struct config_platform *plat, struct taken *t)
{
	const unsigned *kl = p->key_line;
	const struct config_module *img;
	char err[CONFIG_MSG_MAX], want[24], left[24];

	check_values(p);
	check_keys(p);
	if (!p->valid)
		return;
	check_cpus(c, p, plat, t);
	img = find_module(plat, p->image);
	if (!img)
		config_fail(p, kl[CONFIG_KEY_IMAGE], "module '%s' not found", p->image);
	for (unsigned i = 0; i < p->nmodules; i++)
		if (!find_module(plat, p->modules[i]))
			config_fail(p, kl[CONFIG_KEY_MODULES], "module '%s' not found", p->modules[i]);
	if (p->valid && p->memory > t->left) {
		config_format_size(p->memory, want, sizeof(want));
		config_format_size(t->left, left, sizeof(left));
		config_fail(p, kl[CONFIG_KEY_MEMORY], "memory %s more than is free (%s left)", want,
			    left);
	}
	if (p->valid && plat->check_image) {
		err[0] = '\0';
		if (plat->check_image(p, img->data, img->size, err, sizeof(err))) {
			err[sizeof(err) - 1] = '\0'; /* whatever the hook left */
			config_fail(p, kl[CONFIG_KEY_IMAGE], "image '%s': %s", p->image,
				    err[0] ? err : "rejected");
		}
	}
	if (!p->valid)
		return;
	t->left -= p->memory;
	t->pinned += p->ncpus;
	if (!p->ncpus && !t->pool)
		t->pool = p;
}

unsigned config_check(struct hv_config *c, const struct config_platform *plat)
{
	struct taken t = { .left = plat->free_bytes };
	unsigned valid = 0;

	for (unsigned i = 0; i < c->nparts; i++) {
		if (c->parts[i].valid)
			check_part(c, &c->parts[i], plat, &t);
		valid += c->parts[i].valid;
	}
	return valid;
}

const char *config_next_message(const struct hv_config *c, struct config_msg_iter *it)
{
	const struct config_problem *pr;
	const struct part_config *p;

	while (it->part < c->nparts && c->parts[it->part].valid)
		it->part++;
	pr = it->problem < c->nproblems ? &c->problems[it->problem] : NULL;
	p = it->part < c->nparts ? &c->parts[it->part] : NULL;
	if (pr && (!p || pr->line <= p->error_line)) {
		it->problem++;
		return pr->msg;
	}
	if (p) {
		it->part++;
		return p->error;
	}
	return NULL;
}

/* Appends to buf like fmt_snprintf at offset *n, counting what did not fit. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*n += fmt_vsnprintf(*n < size ? buf + *n : NULL, *n < size ? size - *n : 0, fmt, ap);
	va_end(ap);
}

int config_plan_line(const struct part_config *p, char *buf, size_t size)
{
	size_t n = 0;
	char mem[24];

	if (size)
		buf[0] = '\0';
	config_format_size(p->memory, mem, sizeof(mem));
	append(buf, size, &n, "plan: %s ", p->name);
	for (unsigned i = 0; i < p->ncpus; i++)
		append(buf, size, &n, "%s%u", i ? "," : "cpus=", p->cpus[i]);
	if (!p->ncpus)
		append(buf, size, &n, "vcpus=%u", p->vcpus);
	append(buf, size, &n, " memory=%s image=%s format=%s", mem, p->image,
	       config_format_name(p->format));
	if (p->format == PART_FORMAT_FLAT)
		append(buf, size, &n, " load=0x%llx entry=0x%llx", (unsigned long long)p->load,
		       (unsigned long long)p->entry);
	if (p->format == PART_FORMAT_FLAT && p->mode != PART_MODE_PROTECTED)
		append(buf, size, &n, " mode=%s", config_mode_name(p->mode));
	for (unsigned i = 0; i < p->nmodules; i++)
		append(buf, size, &n, "%s%s", i ? "," : " modules=", p->modules[i]);
	append(buf, size, &n, " uart=%s on_stop=%s", config_uart_name(p->uart),
	       config_on_stop_name(p->on_stop));
	if (p->max_restarts)
		append(buf, size, &n, " max_restarts=%u", p->max_restarts);
	if (p->weight != 1)
		append(buf, size, &n, " weight=%u", p->weight);
	if (p->debug_exit)
		append(buf, size, &n, " debug_exit=0x%x", p->debug_exit);
	if (p->cmdline[0])
		append(buf, size, &n, " cmdline=\"%s\"", p->cmdline);
	return (int)n;
}

size_t config_plan(const struct hv_config *c, char *buf, size_t size)
{
	size_t n = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned i = 0; i < c->nparts; i++) {
		if (!c->parts[i].valid)
			continue;
		n += config_plan_line(&c->parts[i], n < size ? buf + n : NULL,
				      n < size ? size - n : 0);
		append(buf, size, &n, "\n");
	}
	return n;
}

int config_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "GMK";

	for (unsigned i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * i;

		if (bytes && !(bytes & ((1ull << shift) - 1)))
			return fmt_snprintf(buf, size, "%llu%c", (unsigned long long)(bytes >> shift),
					    units[i]);
	}
	return fmt_snprintf(buf, size, "%llu", (unsigned long long)bytes);
}

const char *config_format_name(enum part_format f)
{
	return f == PART_FORMAT_MULTIBOOT1 ? "multiboot1"
	     : f == PART_FORMAT_MULTIBOOT2 ? "multiboot2" : "flat";
}

const char *config_uart_name(enum part_uart u)
{
	return u == PART_UART_NONE ? "none" : "com1";
}

const char *config_mode_name(enum part_mode m)
{
	return m == PART_MODE_REAL ? "real" : m == PART_MODE_LONG ? "long" : "protected";
}

const char *config_on_stop_name(enum part_on_stop s)
{
	return s == PART_ON_STOP_RESTART ? "restart" : "halt";
}

const char *config_on_all_stopped_name(enum hv_on_all_stopped a)
{
	return a == HV_ALL_STOPPED_POWEROFF ? "poweroff" : "stay";
}
