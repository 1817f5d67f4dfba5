#include "drivers/uart8250.h"

#include "arch/x86/cpu.h"

/* Register offsets and bits, PC16550D data sheet. */
enum {
	UART_THR = 0, /* transmit holding (DLAB=0) */
	UART_DLL = 0, /* divisor latch low (DLAB=1) */
	UART_IER = 1,
	UART_DLM = 1,
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
};
#define LCR_8N1       0x03
#define LCR_DLAB      0x80
#define FCR_ENABLE    0x07 /* enable and clear both FIFOs */
#define MCR_DTR_RTS   0x03
#define LSR_THRE      0x20
#define LSR_TEMT      0x40 /* transmitter and FIFO empty */
#define UART_CLOCK    115200
/* Bound on the wait for THRE, so a missing UART cannot hang the console. */
#define THRE_SPINS    100000

static uint16_t uart_port;

void uart_init(uint16_t port, uint32_t baud)
{
	uint32_t div = baud ? UART_CLOCK / baud : 1;

	uart_port = port;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, div & 0xff);
	outb(port + UART_DLM, (div >> 8) & 0xff);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE);
	outb(port + UART_MCR, MCR_DTR_RTS);
}

void uart_putc(char c)
{
	if (!uart_port)
		return;
	for (int i = 0; i < THRE_SPINS && !(inb(uart_port + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(uart_port + UART_THR, (uint8_t)c);
}

void uart_flush(void)
{
	if (!uart_port)
		return;
	for (int i = 0; i < THRE_SPINS && !(inb(uart_port + UART_LSR) & LSR_TEMT); i++)
		cpu_relax();
}
