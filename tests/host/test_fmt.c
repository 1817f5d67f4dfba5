/* Host unit test for core/fmt.c: conversions, flags and widths, and
 * vsnprintf-style truncation. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/fmt.h"
#include "tests/host/check.h"

static char buf[128];

/* Formats into buf, compares with want and the return value with its length.
 * A macro, so that the compiler still checks each format against its args. */
#define EXPECT(want, ...)                                                     \
	do {                                                                  \
		int n_ = fmt_snprintf(buf, sizeof(buf), __VA_ARGS__);         \
		CHECK(!strcmp(buf, want) && n_ == (int)strlen(want),          \
		      "%s: got '%s' (%d), want '%s'", #__VA_ARGS__, buf, n_, want); \
	} while (0)

static void test_integers(void)
{
	EXPECT("0", "%d", 0);
	EXPECT("42 -42", "%d %i", 42, -42);
	EXPECT("-2147483648 2147483647", "%d %d", INT_MIN, INT_MAX);
	EXPECT("-9223372036854775808", "%ld", LONG_MIN);
	EXPECT("-1 9223372036854775807", "%ld %lld", -1L, LLONG_MAX);
	EXPECT("4294967295 3000000000", "%u %u", UINT_MAX, 3000000000u);
	EXPECT("18446744073709551615", "%lu", ULONG_MAX);
	EXPECT("18446744073709551615", "%zu", SIZE_MAX);
	EXPECT("255 65535", "%hhu %hu", (unsigned char)255, (unsigned short)65535);
	EXPECT("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
	EXPECT("ffffffff", "%x", UINT_MAX);
	EXPECT("123456789abcdef0", "%lx", 0x123456789abcdef0ul);
	EXPECT("ffffffffffffffff 0", "%llx %x", ~0ull, 0u);
}

static void test_widths(void)
{
	EXPECT("00000000deadbeef", "%016lx", 0xdeadbeeful);
	EXPECT("0000000000000000", "%016lx", 0ul);
	EXPECT("fedcba9876543210", "%016lx", 0xfedcba9876543210ul);
	EXPECT("0000BEEF", "%08X", 0xbeefu);
	EXPECT("12345", "%04x", 0x12345u);
	EXPECT("   42|", "%5d|", 42);
	EXPECT("42   |", "%-5d|", 42);
	EXPECT("  -42|", "%5d|", -42);
	EXPECT("-42  |", "%-5d|", -42);
	EXPECT("-0042", "%05d", -42);
	EXPECT("00042", "%05u", 42u);
	EXPECT("123456", "%3d", 123456);
	EXPECT("-9223372036854775808", "%5ld", LONG_MIN);
}

static void test_other_conversions(void)
{
	const char *volatile null_str = NULL; /* hidden from the format checker */

	EXPECT("(null)", "%s", null_str);
	EXPECT("[hi]", "[%s]", "hi");
	EXPECT("[    hi|hi    |abcdef]", "[%6s|%-6s|%3s]", "hi", "hi", "abcdef");
	EXPECT("", "%s", "");
	EXPECT("ab", "%c%c", 'a', 'b');
	EXPECT("  x|x  |", "%3c|%-3c|", 'x', 'x');
	EXPECT("100%", "100%%");
	EXPECT("%d", "%%d");
	EXPECT("0x0000000000001234", "%p", (void *)0x1234);
	EXPECT("0x0000000000000000", "%p", (void *)NULL);
	EXPECT("0xffff800000000000", "%p", (void *)0xffff800000000000ul);
	EXPECT("a 1 b 2 c", "a %d b %s c", 1, "2");

	/* A NUL from %c is output like any other character. */
	int n = fmt_snprintf(buf, sizeof(buf), "%cX", 0);

	CHECK(n == 2 && buf[0] == '\0' && buf[1] == 'X' && buf[2] == '\0', "%%c of NUL: %d", n);
}

/* Unknown conversions are printed as they are and consume no argument;
 * '-' beats '0' (a combination the compiler would warn about). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void test_unknown(void)
{
	EXPECT("%q", "%q");
	EXPECT("%y5", "%y%d", 5);
	EXPECT("%k|7", "%5k|%d", 7);
	EXPECT("%o", "%o", 8);
	EXPECT("abc", "abc%");
	EXPECT("abc", "abc%-08l");
	EXPECT("42   |", "%-05d|", 42);
}
#pragma GCC diagnostic pop

static void test_truncation(void)
{
	char small[16];
	int n;

	memset(small, 'Z', sizeof(small));
	n = fmt_snprintf(small, 5, "hello %s", "world");
	CHECK(n == 11 && !strcmp(small, "hell") && small[5] == 'Z', "size 5: '%s' %d", small, n);

	memset(small, 'Z', sizeof(small));
	n = fmt_snprintf(small, 6, "hello");
	CHECK(n == 5 && !strcmp(small, "hello") && small[6] == 'Z', "exact fit: %d", n);
	n = fmt_snprintf(small, 5, "hello");
	CHECK(n == 5 && !strcmp(small, "hell"), "one short: '%s' %d", small, n);

	memset(small, 'Z', sizeof(small));
	n = fmt_snprintf(small, 1, "hello %d", 12345);
	CHECK(n == 11 && small[0] == '\0' && small[1] == 'Z', "size 1: %d", n);

	memset(small, 'Z', sizeof(small));
	n = fmt_snprintf(small, 0, "hello %d", 12345);
	CHECK(n == 11 && small[0] == 'Z', "size 0 writes nothing: %d", n);
	n = fmt_snprintf(NULL, 0, "%016lx", 1ul);
	CHECK(n == 16, "NULL buffer, size 0: %d", n);

	memset(small, 'Z', sizeof(small));
	n = fmt_snprintf(small, 4, "%d", -123456);
	CHECK(n == 7 && !strcmp(small, "-12") && small[4] == 'Z', "number cut: '%s' %d", small,
	      n);
	n = fmt_snprintf(small, 8, "%p", (void *)0x1234);
	CHECK(n == 18 && !strcmp(small, "0x00000"), "%%p cut: '%s' %d", small, n);
	n = fmt_snprintf(small, 4, "%-8s|", "ab");
	CHECK(n == 9 && !strcmp(small, "ab "), "padding cut: '%s' %d", small, n);
}

int main(void)
{
	test_integers();
	test_widths();
	test_other_conversions();
	test_unknown();
	test_truncation();
	return check_summary();
}
