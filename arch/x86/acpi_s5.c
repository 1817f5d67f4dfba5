/* Minimal AML reading for one object: the \_S5 sleep-type package in the
 * DSDT, which holds the SLP_TYP values for soft-off (ACPI 6.5 7.4.2).
 * Encoding: NameOp '_S5_' PackageOp PkgLength NumElements elements...,
 * each element ZeroOp, OneOp, or BytePrefix/WordPrefix/DWordPrefix + value. */
#include "arch/x86/acpi.h"

enum {
	AML_ZERO = 0x00,
	AML_ONE = 0x01,
	AML_NAME = 0x08,
	AML_BYTE = 0x0a,
	AML_WORD = 0x0b,
	AML_DWORD = 0x0c,
	AML_PACKAGE = 0x12,
	AML_ROOT = 0x5c, /* '\' */
};

/* Reads one integer element at aml[*i]; false if it is not one. */
static bool read_int(const uint8_t *aml, size_t len, size_t *i, uint8_t *out)
{
	unsigned extra;

	if (*i >= len)
		return false;
	switch (aml[*i]) {
	case AML_ZERO:
	case AML_ONE:
		*out = aml[(*i)++];
		return true;
	case AML_BYTE: extra = 1; break;
	case AML_WORD: extra = 2; break;
	case AML_DWORD: extra = 4; break;
	default: return false;
	}
	if (*i + 1 + extra > len)
		return false;
	*out = aml[*i + 1]; /* SLP_TYP is 3 bits: the low byte holds it */
	*i += 1 + extra;
	return true;
}

bool acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb)
{
	for (size_t i = 1; i + 4 < len; i++) {
		size_t p;
		uint8_t a, b;

		if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_')
			continue;
		/* Preceded by NameOp, optionally with a root prefix in between. */
		if (!(aml[i - 1] == AML_NAME ||
		      (i >= 2 && aml[i - 1] == AML_ROOT && aml[i - 2] == AML_NAME)))
			continue;
		p = i + 4;
		if (p >= len || aml[p] != AML_PACKAGE)
			continue;
		p++;
		if (p >= len)
			return false;
		p += 1 + (aml[p] >> 6); /* PkgLength: lead byte bits 7:6 = extra bytes */
		p++;                    /* NumElements */
		if (read_int(aml, len, &p, &a) && read_int(aml, len, &p, &b)) {
			*typa = a & 7;
			*typb = b & 7;
			return true;
		}
		return false;
	}
	return false;
}
