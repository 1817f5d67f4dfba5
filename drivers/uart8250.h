/* 8250/16550 UART on an I/O port: polled output only (the hypervisor's console). */
#ifndef DRIVERS_UART8250_H
#define DRIVERS_UART8250_H

#include <stdint.h>

#define UART_COM1 0x3f8
#define UART_COM2 0x2f8
#define UART_COM3 0x3e8
#define UART_COM4 0x2e8
#define UART_DEFAULT_BAUD 115200

/* Programs 8N1 at baud on the UART at port; baud must divide 115200. */
void uart_init(uint16_t port, uint32_t baud);
void uart_putc(char c);
/* Waits until every byte has left the UART (before power off or reset). */
void uart_flush(void);

#endif
