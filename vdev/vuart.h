/* A virtual 16550A UART (8 ports): enough for polled output, the probes of
 * Linux's 8250 driver (scratch, loopback, FIFO bits) and, later, input. No
 * interrupts yet: IIR always says none is pending. */
#ifndef VDEV_VUART_H
#define VDEV_VUART_H

#include <stdint.h>

#include "vdev/vdev.h"

#define VUART_PORTS 8

struct vuart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t rbr;          /* received byte (loopback), valid if LSR.DR */
	uint8_t lsr_dr;
	/* Each transmitted byte (not in loopback mode). */
	void (*tx)(void *ctx, uint8_t c);
	void *ctx;
};

/* Resets u to the power-on state and describes it for the bus at base. */
struct vdev_pio vuart_init(struct vuart *u, uint16_t base, void (*tx)(void *, uint8_t),
			   void *ctx);

#endif
