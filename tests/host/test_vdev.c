/* Host unit test for vdev/: the port bus (claims, overlap, byte-wise and
 * wide dispatch, unclaimed ports), the virtual 16550A's registers and the
 * isa-debug-exit device. */
#include <stdint.h>
#include <string.h>

#include "tests/host/check.h"
#include "vdev/debug_exit.h"
#include "vdev/vdev.h"
#include "vdev/vuart.h"

static char txbuf[64];
static unsigned txlen;

static void tx(void *ctx, uint8_t c)
{
	CHECK(ctx == txbuf, "tx gets its context");
	if (txlen < sizeof(txbuf))
		txbuf[txlen++] = (char)c;
}

static uint64_t exit_code;
static unsigned exits;

static void on_exit(void *ctx, uint64_t code)
{
	CHECK(ctx == &exit_code, "exit gets its context");
	exit_code = code;
	exits++;
}

/* A recording device: reads give 0x10 + offset per byte. */
static unsigned rec_out_off, rec_out_size, rec_outs;
static uint32_t rec_out_val;

static uint32_t rec_in(void *dev, uint16_t off, unsigned size)
{
	(void)dev;
	(void)size;
	return 0x10u + off;
}

static void rec_out(void *dev, uint16_t off, unsigned size, uint32_t val)
{
	(void)dev;
	rec_out_off = off;
	rec_out_size = size;
	rec_out_val = val;
	rec_outs++;
}

static void test_claims(void)
{
	struct vdev_bus b = { 0 };
	const struct vdev_pio *clash = NULL;
	struct vdev_pio a = { .name = "a", .base = 0x100, .count = 8, .in = rec_in, .out = rec_out };
	struct vdev_pio d = a;

	CHECK(vdev_claim_pio(&b, &a, &clash) == VDEV_OK, "first claim");
	d.name = "b";
	d.base = 0x107;
	d.count = 1;
	CHECK(vdev_claim_pio(&b, &d, &clash) == VDEV_OVERLAP && clash && !strcmp(clash->name, "a"),
	      "overlap at the last port names the owner");
	d.base = 0xff;
	d.count = 2;
	CHECK(vdev_claim_pio(&b, &d, &clash) == VDEV_OVERLAP, "overlap at the first port");
	d.base = 0x108;
	d.count = 1;
	CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_OK, "adjacent claim");
	d.base = 0xffff;
	d.count = 2;
	CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_BAD_RANGE, "past 0xffff");
	d.count = 0;
	CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_BAD_RANGE, "empty");
	d.base = 0xffff;
	d.count = 1;
	CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_OK, "port 0xffff itself");
	for (unsigned i = 0; i < VDEV_MAX_PIO - 3; i++) {
		d.base = (uint16_t)(0x200 + i);
		CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_OK, "fill %u", i);
	}
	d.base = 0x300;
	CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_FULL, "full bus");
	CHECK(vdev_pio_find(&b, 0x100) == &b.pio[0] && vdev_pio_find(&b, 0x107) == &b.pio[0],
	      "find inside");
	CHECK(vdev_pio_find(&b, 0x109) == NULL && vdev_pio_find(&b, 0xfe) == NULL, "find outside");
	CHECK(!strcmp(vdev_claim_str(VDEV_OVERLAP), "ports already claimed"), "claim text");
}

static void test_dispatch(void)
{
	struct vdev_bus b = { 0 };
	struct vdev_pio a = { .name = "a", .base = 0x100, .count = 2, .in = rec_in, .out = rec_out };
	struct vdev_pio w = { .name = "w", .base = 0x200, .count = 4, .wide = true, .in = rec_in,
			      .out = rec_out };
	uint32_t v = 0;

	vdev_claim_pio(&b, &a, NULL);
	vdev_claim_pio(&b, &w, NULL);
	CHECK(vdev_pio_in(&b, 0x100, 1, &v) && v == 0x10, "byte in: %#x", v);
	CHECK(vdev_pio_in(&b, 0x100, 2, &v) && v == 0x1110, "word in over two ports: %#x", v);
	CHECK(vdev_pio_in(&b, 0x101, 4, &v) && v == 0xffffff11,
	      "dword in, three bytes unclaimed: %#x", v);
	CHECK(!vdev_pio_in(&b, 0x102, 2, &v) && v == 0xffff, "unclaimed word: %#x", v);
	CHECK(!vdev_pio_in(&b, 0x80, 4, &v) && v == 0xffffffff, "unclaimed dword: %#x", v);
	CHECK(vdev_pio_in(&b, 0x201, 4, &v) && v == 0x11, "wide in, whole access: %#x", v);
	rec_outs = 0;
	CHECK(vdev_pio_out(&b, 0x100, 2, 0xbbaa) && rec_outs == 2 && rec_out_off == 1 &&
		      rec_out_size == 1 && rec_out_val == 0xbb,
	      "word out split into bytes: %u outs, last off %u val %#x", rec_outs, rec_out_off,
	      rec_out_val);
	rec_outs = 0;
	CHECK(!vdev_pio_out(&b, 0x3f8, 1, 'x') && rec_outs == 0, "unclaimed out dropped");
	CHECK(vdev_pio_out(&b, 0x202, 2, 0x12345678) && rec_outs == 1 && rec_out_off == 2 &&
		      rec_out_size == 2 && rec_out_val == 0x5678,
	      "wide out masked to its size: %#x", rec_out_val);
}

static uint8_t inb(struct vdev_bus *b, uint16_t port)
{
	uint32_t v = 0;

	CHECK(vdev_pio_in(b, port, 1, &v), "uart port %#x claimed", port);
	return (uint8_t)v;
}

static void outb(struct vdev_bus *b, uint16_t port, uint8_t v)
{
	CHECK(vdev_pio_out(b, port, 1, v), "uart port %#x claimed", port);
}

static void test_uart(void)
{
	struct vdev_bus b = { 0 };
	struct vuart u;
	struct vdev_pio d = vuart_init(&u, 0x3f8, tx, txbuf);

	CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_OK && d.count == 8, "uart claims 8 ports");
	txlen = 0;
	CHECK(inb(&b, 0x3fd) == 0x60, "LSR: transmitter empty, no data");
	outb(&b, 0x3f8, 'h');
	outb(&b, 0x3f8, 'i');
	CHECK(txlen == 2 && !memcmp(txbuf, "hi", 2), "THR bytes transmitted");
	outb(&b, 0x3ff, 0x5a);
	CHECK(inb(&b, 0x3ff) == 0x5a, "scratch register keeps its value");
	outb(&b, 0x3fb, 0x83); /* DLAB, 8N1 */
	outb(&b, 0x3f8, 0x01);
	outb(&b, 0x3f9, 0x00);
	CHECK(txlen == 2, "divisor writes are not transmitted");
	CHECK(inb(&b, 0x3f8) == 0x01 && inb(&b, 0x3f9) == 0x00, "divisor latch reads back");
	outb(&b, 0x3fb, 0x03);
	CHECK(inb(&b, 0x3fb) == 0x03, "LCR reads back");
	outb(&b, 0x3f9, 0xff);
	CHECK(inb(&b, 0x3f9) == 0x0f, "IER keeps its four bits");
	CHECK(inb(&b, 0x3fa) == 0x01, "IIR: no interrupt, no FIFO");
	outb(&b, 0x3fa, 0x07);
	CHECK(inb(&b, 0x3fa) == 0xc1, "IIR: FIFO enabled");
	CHECK(inb(&b, 0x3fe) == 0xb0, "MSR: CTS, DSR, DCD");
	outb(&b, 0x3fc, 0x1f); /* loopback, all modem outputs */
	CHECK(inb(&b, 0x3fe) == 0xf0, "MSR in loopback follows MCR: %#x", inb(&b, 0x3fe));
	outb(&b, 0x3fc, 0x12); /* loopback, RTS only */
	CHECK(inb(&b, 0x3fe) == 0x10, "loopback RTS gives CTS only");
	outb(&b, 0x3f8, 0xa5);
	CHECK(txlen == 2, "loopback data is not transmitted");
	CHECK(inb(&b, 0x3fd) == 0x61, "loopback data ready");
	CHECK(inb(&b, 0x3f8) == 0xa5, "loopback data received");
	CHECK(inb(&b, 0x3fd) == 0x60, "data ready cleared by the read");
	outb(&b, 0x3fc, 0x03);
	outb(&b, 0x3fd, 0x00);
	CHECK(inb(&b, 0x3fd) == 0x60, "LSR is read-only");
	outb(&b, 0x3f8, '!');
	CHECK(txlen == 3 && txbuf[2] == '!', "transmits again after loopback");
}

static void test_debug_exit(void)
{
	struct vdev_bus b = { 0 };
	struct vdebug_exit x;
	struct vdev_pio d = vdebug_exit_init(&x, 0xf4, on_exit, &exit_code);
	uint32_t v = 0;

	CHECK(vdev_claim_pio(&b, &d, NULL) == VDEV_OK, "debug exit claims its port");
	CHECK(vdev_pio_in(&b, 0xf4, 1, &v) && v == 0xff && exits == 0, "read: all ones, no exit");
	CHECK(vdev_pio_out(&b, 0xf4, 1, 0x10) && exits == 1 && exit_code == 0x21,
	      "outb 0x10 gives code 0x21: %#lx", (unsigned long)exit_code);
	CHECK(vdev_pio_out(&b, 0xf4, 4, 0x7fffffff) && exits == 2 && exit_code == 0xffffffff,
	      "outl gives (v << 1) | 1: %#lx", (unsigned long)exit_code);
}

int main(void)
{
	test_claims();
	test_dispatch();
	test_uart();
	test_debug_exit();
	return check_summary();
}
