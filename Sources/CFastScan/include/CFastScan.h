// Vectorised skipping of a JSON object or array, for the routing scan's hot
// case: stepping over a multi-megabyte `messages` array without looking at
// each byte in turn. Only brackets outside strings count; a quote preceded by
// an odd run of backslashes is escaped.
#ifndef DROIDGATE_CFASTSCAN_H
#define DROIDGATE_CFASTSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/// `buf[start]` is '[' or '{'. Returns the offset just past the matching
/// close bracket, or -1 if the container does not close within `len` bytes
/// (or a string in it does not end). Bracket kinds are not matched: this is
/// depth counting, as the routing scan specifies.
int64_t fastscan_skip_container(const uint8_t *buf, size_t len, size_t start);

/// The offset of the first `byte` in `buf[0..<len]`, or -1: glibc's vectorised
/// memchr, for EdgeCore, which imports no system module.
static inline int64_t fastscan_find_byte(const void *buf, size_t len, uint8_t byte) {
    const void *hit = memchr(buf, byte, len);
    return hit ? (int64_t)((const uint8_t *)hit - (const uint8_t *)buf) : -1;
}

#endif
