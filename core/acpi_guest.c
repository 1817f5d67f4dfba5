/* The ACPI tables a partition finds its CPUs in, as a PC's firmware leaves
 * them: an RSDP (revision 2) on a 16-byte boundary in 0xE0000-0xFFFFF, an
 * XSDT, and a MADT with one Processor Local APIC entry per vCPU (APIC ID =
 * vCPU index; the guest's APICs are x2APICs already in x2APIC mode). */
#include "core/acpi_guest.h"

#include "core/string.h"

#define RSDP_AT   0xe0000u
#define XSDT_AT   (RSDP_AT + 0x40)
#define MADT_AT   (RSDP_AT + 0x100)
#define HDR_LEN   36
#define MADT_LAPIC_LEN 8

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t checksum(const uint8_t *p, unsigned n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "HVMICR", 6);      /* OEM ID */
	memcpy(t + 16, "HVPART  ", 8);    /* OEM table ID */
	put32(t + 24, 1);                 /* OEM revision */
	memcpy(t + 28, "HVMC", 4);        /* creator ID */
	put32(t + 32, 1);
}

unsigned acpi_guest_build(uint8_t *buf, unsigned nvcpus)
{
	uint8_t *rsdp = buf, *xsdt = buf + (XSDT_AT - RSDP_AT), *madt = buf + (MADT_AT - RSDP_AT);
	uint32_t madt_len = HDR_LEN + 8 + nvcpus * MADT_LAPIC_LEN;

	memset(buf, 0, ACPI_GUEST_SIZE);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "HVMICR", 6);
	rsdp[15] = 2;                      /* revision: ACPI 2.0+, XSDT */
	put32(rsdp + 20, 36);              /* length */
	put64(rsdp + 24, XSDT_AT);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);

	header(xsdt, "XSDT", HDR_LEN + 8, 1);
	put64(xsdt + HDR_LEN, MADT_AT);
	xsdt[9] = checksum(xsdt, HDR_LEN + 8);

	header(madt, "APIC", madt_len, 4);
	put32(madt + HDR_LEN, 0xfee00000u); /* local APIC address (xAPIC MMIO: unused) */
	put32(madt + HDR_LEN + 4, 0);       /* no 8259 PICs */
	for (unsigned i = 0; i < nvcpus; i++) {
		uint8_t *e = madt + HDR_LEN + 8 + i * MADT_LAPIC_LEN;

		e[0] = 0;                   /* Processor Local APIC */
		e[1] = MADT_LAPIC_LEN;
		e[2] = (uint8_t)i;          /* ACPI processor UID */
		e[3] = (uint8_t)i;          /* APIC ID */
		put32(e + 4, 1);            /* enabled */
	}
	madt[9] = checksum(madt, madt_len);
	return RSDP_AT;
}
