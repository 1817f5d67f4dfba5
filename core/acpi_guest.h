/* ACPI tables for a partition (core/acpi_guest.c). */
#ifndef CORE_ACPI_GUEST_H
#define CORE_ACPI_GUEST_H

#include <stdint.h>

#define ACPI_GUEST_AT   0xe0000u
#define ACPI_GUEST_SIZE 0x400u /* RSDP, XSDT and a MADT for 64 vCPUs */

/* Fills buf (ACPI_GUEST_SIZE bytes, to be copied to guest-physical
 * ACPI_GUEST_AT) for nvcpus vCPUs; returns the RSDP's address. */
unsigned acpi_guest_build(uint8_t *buf, unsigned nvcpus);

#endif
