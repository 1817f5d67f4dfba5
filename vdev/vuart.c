/* Virtual 16550A registers (PC16550D data sheet; offsets from the base):
 * 0 RBR/THR (DLL when LCR.DLAB), 1 IER (DLM), 2 IIR/FCR, 3 LCR, 4 MCR,
 * 5 LSR, 6 MSR, 7 SCR. The line is infinitely fast: the transmitter is
 * always empty. */
#include "vdev/vuart.h"

#define LCR_DLAB    0x80
#define MCR_LOOP    0x10
#define LSR_DR      0x01
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define IIR_NONE    0x01
#define IIR_FIFO    0xc0
#define FCR_ENABLE  0x01

static uint32_t vuart_in(void *dev, uint16_t off, unsigned size)
{
	struct vuart *u = dev;
	uint8_t m = u->mcr;

	(void)size;
	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		u->lsr_dr = 0;
		return u->rbr;
	case 1:
		return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case 2:
		return IIR_NONE | (u->fcr & FCR_ENABLE ? IIR_FIFO : 0);
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return LSR_THRE | LSR_TEMT | (u->lsr_dr ? LSR_DR : 0);
	case 6:
		/* Loopback ties the modem outputs to the inputs: RTS->CTS,
		 * DTR->DSR, OUT1->RI, OUT2->DCD. Otherwise a cable that is
		 * always ready: CTS, DSR and DCD. */
		if (m & MCR_LOOP)
			return ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) |
			       ((m & 0x08) << 4);
		return 0xb0;
	default:
		return u->scr;
	}
}

static void vuart_out(void *dev, uint16_t off, unsigned size, uint32_t val)
{
	struct vuart *u = dev;
	uint8_t b = (uint8_t)val;

	(void)size;
	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			u->dll = b;
		} else if (u->mcr & MCR_LOOP) {
			u->rbr = b;
			u->lsr_dr = 1;
		} else {
			u->tx(u->ctx, b);
		}
		return;
	case 1:
		if (u->lcr & LCR_DLAB)
			u->dlm = b;
		else
			u->ier = b & 0x0f;
		return;
	case 2:
		u->fcr = b & FCR_ENABLE; /* the reset bits clear themselves */
		return;
	case 3:
		u->lcr = b;
		return;
	case 4:
		u->mcr = b & 0x1f;
		return;
	case 7:
		u->scr = b;
		return;
	default:
		return; /* LSR and MSR are read-only */
	}
}

struct vdev_pio vuart_init(struct vuart *u, uint16_t base, void (*tx)(void *, uint8_t),
			   void *ctx)
{
	*u = (struct vuart){ .tx = tx, .ctx = ctx, .dll = 0x0c /* 9600 baud */ };
	return (struct vdev_pio){ .name = "uart16550", .base = base, .count = VUART_PORTS,
				  .in = vuart_in, .out = vuart_out, .dev = u };
}
