/* Machine power: ACPI S5 soft-off and reset. Neither returns. */
#ifndef ARCH_X86_POWER_H
#define ARCH_X86_POWER_H

/* ACPI S5 through PM1a/PM1b_CNT (FADT, \_S5 from the DSDT). If that is not
 * possible or the machine stays on, it says so and halts. */
__attribute__((noreturn)) void power_off(void);
/* FADT reset register, then port 0xCF9, then the keyboard controller. */
__attribute__((noreturn)) void power_reset(void);

#endif
