#include "arch/x86/acpi.h"

#include "arch/x86/layout.h"
#include "core/log.h"
#include "mm/paging.h"

struct acpi_info acpi;

struct rsdp {
	char sig[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length; /* v2 from here */
	uint64_t xsdt;
	uint8_t xchecksum;
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct rsdp) == 36, "RSDP layout");

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_rev;
	uint32_t creator;
	uint32_t creator_rev;
} __attribute__((packed));
_Static_assert(sizeof(struct sdt_header) == 36, "SDT header layout");

/* FADT, ACPI 6.5 5.2.9, up to the fields used here */
struct fadt {
	struct sdt_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr, gpe0, gpe1;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_len, gpe1_len, gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
} __attribute__((packed));
_Static_assert(__builtin_offsetof(struct fadt, pm1a_cnt) == 64, "FADT PM1a_CNT_BLK");
_Static_assert(__builtin_offsetof(struct fadt, pm_tmr) == 76, "FADT PM_TMR_BLK");
_Static_assert(__builtin_offsetof(struct fadt, flags) == 112, "FADT Flags");
_Static_assert(__builtin_offsetof(struct fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(__builtin_offsetof(struct fadt, x_dsdt) == 140, "FADT X_DSDT");

#define FADT_TMR_VAL_EXT   (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_LAPIC_ADDR = 5,
	MADT_X2APIC = 9,
};
#define MADT_ENABLED 1u
#define MADT_HEADER_LEN (sizeof(struct sdt_header) + 8) /* + LAPIC address, flags */

/* Smallest length of each entry type we read, ACPI 6.5 5.2.12 */
static unsigned madt_entry_min(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC: return 8;
	case MADT_IOAPIC: return 12;
	case MADT_LAPIC_ADDR: return 12;
	case MADT_X2APIC: return 16;
	default: return 2;
	}
}

static bool checksum_ok(const void *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

/* Maps a table (its header first, to learn its length) and checks it. */
static const struct sdt_header *map_table(uint64_t pa)
{
	const struct sdt_header *h;

	if (!pa || paging_map_phys(pa, sizeof(*h), false))
		return NULL;
	h = phys_to_virt(pa);
	if (h->length < sizeof(*h) || h->length > (1u << 24) ||
	    paging_map_phys(pa, h->length, false))
		return NULL;
	if (!checksum_ok(h, h->length)) {
		char sig[5] = { h->sig[0], h->sig[1], h->sig[2], h->sig[3], 0 };

		log_warn("acpi: table %s at 0x%lx has a bad checksum; ignored", sig, pa);
		return NULL;
	}
	return h;
}

static bool sig_is(const char *sig, const char *want)
{
	return sig[0] == want[0] && sig[1] == want[1] && sig[2] == want[2] && sig[3] == want[3];
}

static void add_cpu(uint32_t apic_id, uint32_t flags, bool x2)
{
	if (!(flags & MADT_ENABLED))
		return; /* disabled, or only online-capable (hot-plug): not started */
	for (unsigned i = 0; i < acpi.ncpus; i++)
		if (acpi.cpu[i].apic_id == apic_id)
			return;
	if (acpi.ncpus == MAX_CPUS) {
		acpi.cpus_ignored++;
		return;
	}
	acpi.cpu[acpi.ncpus++] = (struct acpi_cpu){ apic_id, x2 };
}

static void parse_madt(const struct sdt_header *h)
{
	const uint8_t *p = (const uint8_t *)h + MADT_HEADER_LEN;
	const uint8_t *end = (const uint8_t *)h + h->length;

	if (h->length < MADT_HEADER_LEN) {
		log_warn("acpi: MADT too short (%u bytes); ignored", h->length);
		return;
	}
	acpi.lapic_pa = *(const uint32_t *)((const uint8_t *)h + sizeof(*h));
	while (p + 2 <= end && p[1] >= madt_entry_min(p[0]) && p + p[1] <= end) {
		switch (p[0]) {
		case MADT_LAPIC:
			add_cpu(p[3], *(const uint32_t *)(p + 4), false);
			break;
		case MADT_X2APIC:
			add_cpu(*(const uint32_t *)(p + 4), *(const uint32_t *)(p + 8), true);
			break;
		case MADT_IOAPIC:
			if (acpi.nioapics < ACPI_MAX_IOAPICS)
				acpi.ioapic[acpi.nioapics++] = (struct acpi_ioapic){
					p[2], *(const uint32_t *)(p + 4), *(const uint32_t *)(p + 8)
				};
			break;
		case MADT_LAPIC_ADDR:
			acpi.lapic_pa = *(const uint64_t *)(p + 4);
			break;
		default:
			break;
		}
		p += p[1];
	}
}

/* \_S5 from a definition block (DSDT or SSDT); the first one found wins. */
static void find_s5_in(const struct sdt_header *h)
{
	if (!acpi.s5_valid)
		acpi.s5_valid = acpi_find_s5((const uint8_t *)(h + 1), h->length - sizeof(*h),
					     &acpi.s5_typa, &acpi.s5_typb);
}

static void parse_fadt(const struct sdt_header *h)
{
	const struct fadt *f = (const struct fadt *)h;
	uint64_t dsdt_pa;
	const struct sdt_header *dsdt;

	if (h->length < __builtin_offsetof(struct fadt, reset_reg)) {
		log_warn("acpi: FADT too short (%u bytes)", h->length);
		return;
	}
	acpi.fadt = true;
	acpi.smi_cmd = f->smi_cmd;
	acpi.acpi_enable = f->acpi_enable;
	acpi.pm1a_cnt = (uint16_t)f->pm1a_cnt;
	acpi.pm1b_cnt = (uint16_t)f->pm1b_cnt;
	acpi.pm_tmr = (uint16_t)f->pm_tmr;
	acpi.pm_tmr_32bit = f->flags & FADT_TMR_VAL_EXT;
	if (h->length >= __builtin_offsetof(struct fadt, arm_boot_arch) &&
	    (f->flags & FADT_RESET_REG_SUP) && f->reset_reg.address) {
		acpi.reset_valid = true;
		acpi.reset_reg = f->reset_reg;
		acpi.reset_value = f->reset_value;
		/* Mapped now: a reset from the panic path must not allocate. */
		if (f->reset_reg.space == ACPI_SPACE_MEM &&
		    paging_map_phys(f->reset_reg.address, 1, true))
			acpi.reset_valid = false;
	}
	dsdt_pa = f->dsdt;
	if (h->length >= sizeof(*f) && f->x_dsdt)
		dsdt_pa = f->x_dsdt;
	dsdt = map_table(dsdt_pa);
	if (dsdt)
		find_s5_in(dsdt);
}

static const struct rsdp *find_rsdp(const struct boot_info *bi)
{
	static const uint64_t areas[][2] = { { 0x9fc00, 0xa0000 }, { 0xe0000, 0x100000 } };

	if (bi->rsdp_len)
		return (const struct rsdp *)bi->rsdp;
	/* No loader tag: scan the EBDA and the BIOS ROM, ACPI 6.5 5.2.5.1 */
	for (unsigned a = 0; a < 2; a++) {
		if (paging_map_phys(areas[a][0], areas[a][1] - areas[a][0], false))
			return NULL;
		for (uint64_t pa = areas[a][0]; pa < areas[a][1]; pa += 16) {
			const struct rsdp *r = phys_to_virt(pa);

			if (sig_is(r->sig, "RSD ") && sig_is(r->sig + 4, "PTR ") &&
			    checksum_ok(r, 20))
				return r;
		}
	}
	return NULL;
}

static void walk_root(const struct sdt_header *root, bool xsdt)
{
	unsigned esz = xsdt ? 8 : 4;
	unsigned n = (root->length - sizeof(*root)) / esz;
	const uint8_t *e = (const uint8_t *)(root + 1);

	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = xsdt ? *(const uint64_t *)(e + i * 8) : *(const uint32_t *)(e + i * 4);
		const struct sdt_header *h = map_table(pa);

		if (!h)
			continue;
		if (sig_is(h->sig, "APIC"))
			parse_madt(h);
		else if (sig_is(h->sig, "FACP"))
			parse_fadt(h);
		else if (sig_is(h->sig, "SSDT"))
			find_s5_in(h); /* some firmware (SeaBIOS' own tables) puts \_S5 here */
	}
}

void acpi_init(const struct boot_info *bi)
{
	const struct rsdp *r = find_rsdp(bi);
	const struct sdt_header *root;

	if (!r || !checksum_ok(r, 20)) {
		log_warn("acpi: no valid RSDP: boot CPU only, no ACPI power off");
		return;
	}
	acpi.rsdp_revision = r->revision;
	acpi.xsdt = r->revision >= 2 && r->xsdt;
	root = map_table(acpi.xsdt ? r->xsdt : r->rsdt);
	if (!root) {
		log_warn("acpi: RSDT/XSDT unreadable: boot CPU only, no ACPI power off");
		return;
	}
	acpi.present = true;
	walk_root(root, acpi.xsdt);
	log_info("acpi: RSDP rev %u, %s at 0x%lx", r->revision, acpi.xsdt ? "XSDT" : "RSDT",
		 acpi.xsdt ? r->xsdt : r->rsdt);
	log_info("acpi: MADT: %u CPUs enabled, %u IOAPICs, LAPIC at 0x%lx", acpi.ncpus,
		 acpi.nioapics, acpi.lapic_pa);
	for (unsigned i = 0; i < acpi.nioapics; i++)
		log_info("acpi: IOAPIC id %u at 0x%lx, GSI base %u", acpi.ioapic[i].id,
			 acpi.ioapic[i].pa, acpi.ioapic[i].gsi_base);
	if (acpi.cpus_ignored)
		log_warn("acpi: %u CPUs beyond the limit of %u are not used", acpi.cpus_ignored,
			 MAX_CPUS);
	log_info("acpi: FADT: %s, PM1a_CNT 0x%x, PM timer 0x%x (%u-bit), S5 %s, reset %s",
		 acpi.fadt ? "found" : "missing", acpi.pm1a_cnt, acpi.pm_tmr,
		 acpi.pm_tmr_32bit ? 32 : 24, acpi.s5_valid ? "found" : "missing",
		 acpi.reset_valid ? "register" : "legacy");
}
