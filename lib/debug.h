/* SPDX-License-Identifier: MIT */
/*
 * debug.h - reporting user mistakes and internal invariants.
 *
 * uxa_report(): a detectable user mistake that loses nothing (a foreign
 * pointer): one line on stderr, then the caller carries on safely.
 * uxa_bug(): a broken invariant or, in debug builds, a double free or
 * wrong-cache free: one line on stderr, then abort().
 * UXA_DEBUG (meson option debug_checks) enables the costly checks.
 */
#ifndef UXA_DEBUG_H
#define UXA_DEBUG_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "uxa_config.h"

__attribute__((format(printf, 1, 2), cold))
static inline void uxa_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("uxa: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

__attribute__((format(printf, 1, 2), cold, noreturn))
static inline void uxa_bug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("uxa: BUG: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/*
 * A user mistake debug builds stop at (a double free): uxa_bug() there;
 * elsewhere one line on stderr ending in "; ignored", and the caller
 * carries on without acting on it.
 */
__attribute__((format(printf, 1, 2), cold))
static inline void uxa_debug_bug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(UXA_DEBUG ? "uxa: BUG: " : "uxa: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(UXA_DEBUG ? "\n" : "; ignored\n", stderr);
	va_end(ap);
	if (UXA_DEBUG)
		abort();
}

/* An invariant checked in debug builds only. */
#if UXA_DEBUG
#define UXA_ASSERT(cond) \
	do { if (__builtin_expect(!(cond), 0)) \
		uxa_bug("%s:%d: assertion '%s' failed", __FILE__, __LINE__, #cond); } while (0)
#else
#define UXA_ASSERT(cond) do { (void)sizeof(cond); } while (0)
#endif

#endif /* UXA_DEBUG_H */
