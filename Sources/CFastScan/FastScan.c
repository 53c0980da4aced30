#include "CFastScan.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bit masks for one 64-byte block: which bytes are '"', '\\', an opening
   bracket, a closing bracket. */
typedef struct { uint64_t quote, backslash, open, close; } block_masks;

#if defined(__SSE2__)
static inline uint64_t movemask64(__m128i a, __m128i b, __m128i c, __m128i d) {
    return (uint64_t)(uint16_t)_mm_movemask_epi8(a)
         | (uint64_t)(uint16_t)_mm_movemask_epi8(b) << 16
         | (uint64_t)(uint16_t)_mm_movemask_epi8(c) << 32
         | (uint64_t)(uint16_t)_mm_movemask_epi8(d) << 48;
}

static inline block_masks classify(const uint8_t *p) {
    __m128i v[4];
    for (int k = 0; k < 4; k++) v[k] = _mm_loadu_si128((const __m128i *)(p + 16 * k));
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
    /* '[' (0x5B) and '{' (0x7B) differ only in bit 0x20, as do ']' and '}':
       OR-ing 0x20 in folds each pair onto one value and nothing else onto it. */
    const __m128i fold = _mm_set1_epi8(0x20), open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
    __m128i f[4];
    for (int k = 0; k < 4; k++) f[k] = _mm_or_si128(v[k], fold);
    block_masks m;
    m.quote = movemask64(_mm_cmpeq_epi8(v[0], q), _mm_cmpeq_epi8(v[1], q), _mm_cmpeq_epi8(v[2], q), _mm_cmpeq_epi8(v[3], q));
    m.backslash = movemask64(_mm_cmpeq_epi8(v[0], bs), _mm_cmpeq_epi8(v[1], bs), _mm_cmpeq_epi8(v[2], bs), _mm_cmpeq_epi8(v[3], bs));
    m.open = movemask64(_mm_cmpeq_epi8(f[0], open), _mm_cmpeq_epi8(f[1], open), _mm_cmpeq_epi8(f[2], open), _mm_cmpeq_epi8(f[3], open));
    m.close = movemask64(_mm_cmpeq_epi8(f[0], close), _mm_cmpeq_epi8(f[1], close), _mm_cmpeq_epi8(f[2], close), _mm_cmpeq_epi8(f[3], close));
    return m;
}

#if defined(__x86_64__)
#include <immintrin.h>
/* The same with 32-byte vectors, for CPUs with AVX2 (chosen at run time). */
__attribute__((target("avx2")))
static block_masks classify_avx2(const uint8_t *p) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)p), hi = _mm256_loadu_si256((const __m256i *)(p + 32));
    const __m256i q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
    const __m256i fold = _mm256_set1_epi8(0x20), open = _mm256_set1_epi8('{'), close = _mm256_set1_epi8('}');
    __m256i flo = _mm256_or_si256(lo, fold), fhi = _mm256_or_si256(hi, fold);
#define MASK64(a, b) ((uint64_t)(uint32_t)_mm256_movemask_epi8(a) | (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32)
    block_masks m;
    m.quote = MASK64(_mm256_cmpeq_epi8(lo, q), _mm256_cmpeq_epi8(hi, q));
    m.backslash = MASK64(_mm256_cmpeq_epi8(lo, bs), _mm256_cmpeq_epi8(hi, bs));
    m.open = MASK64(_mm256_cmpeq_epi8(flo, open), _mm256_cmpeq_epi8(fhi, open));
    m.close = MASK64(_mm256_cmpeq_epi8(flo, close), _mm256_cmpeq_epi8(fhi, close));
#undef MASK64
    return m;
}
#endif

#else
static inline block_masks classify(const uint8_t *p) {
    block_masks m = {0, 0, 0, 0};
    for (int i = 0; i < 64; i++) {
        uint64_t bit = (uint64_t)1 << i;
        switch (p[i]) {
        case '"': m.quote |= bit; break;
        case '\\': m.backslash |= bit; break;
        case '[': case '{': m.open |= bit; break;
        case ']': case '}': m.close |= bit; break;
        default: break;
        }
    }
    return m;
}
#endif

/* Inclusive prefix XOR: bit i is the parity of bits 0..i. Applied to the
   unescaped quotes, it marks the bytes inside strings (opening quote
   included, closing quote excluded). */
static inline uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The bytes escaped by a backslash in this block: a run of backslashes of
   odd length escapes the byte after it. Branch-free: adding 1 at the start of
   each run carries through the run and lands on the byte after it; a run
   that starts at an even position and ends (exclusive) at an odd one has odd
   length, and the reverse for runs starting at odd positions. `*carry` says
   whether byte 0 is escaped (an odd run ended the previous block) and
   receives the same for the next block. */
static inline uint64_t escaped_bytes(uint64_t backslashes, int *carry) {
    const uint64_t even = 0x5555555555555555ULL, odd = ~even;
    uint64_t first = (uint64_t)(*carry & 1);
    uint64_t b = backslashes & ~first;          /* an escaped backslash is literal */
    uint64_t starts = b & ~(b << 1);
    uint64_t after_even_runs, after_odd_runs;
    (void)__builtin_add_overflow(b, starts & even, &after_even_runs);
    int overflow = __builtin_add_overflow(b, starts & odd, &after_odd_runs);
    uint64_t ends_of_even_runs = after_even_runs & ~b;
    uint64_t ends_of_odd_runs = after_odd_runs & ~b;
    /* A run from an odd start reaching bit 63 has odd length: it escapes the
       next block's first byte (a run from an even start would be even). */
    *carry = overflow;
    return (ends_of_even_runs & odd) | (ends_of_odd_runs & even) | first;
}

static inline int64_t skip_with(block_masks (*classify_fn)(const uint8_t *), const uint8_t *buf, size_t len, size_t start) {
    int64_t depth = 0;
    uint64_t in_string = 0;     /* all ones while a string continues into the next block */
    int escape_carry = 0;
    size_t pos = start;
    uint8_t tail[64];
    while (pos < len) {
        const uint8_t *p = buf + pos;
        size_t avail = len - pos;
        if (avail < 64) {
            memset(tail, ' ', sizeof tail);
            memcpy(tail, p, avail);
            p = tail;
        }
        block_masks m = classify_fn(p);
        if (avail < 64) {
            uint64_t valid = ((uint64_t)1 << avail) - 1;
            m.quote &= valid; m.backslash &= valid; m.open &= valid; m.close &= valid;
        }
        uint64_t quotes = m.quote & ~escaped_bytes(m.backslash, &escape_carry);
        uint64_t inside = prefix_xor(quotes) ^ in_string;
        in_string = (uint64_t)((int64_t)inside >> 63);
        uint64_t open = m.open & ~inside, close = m.close & ~inside;
        int closes = __builtin_popcountll(close);
        if (depth > closes) {
            depth += __builtin_popcountll(open) - closes;
        } else {
            /* The container may end in this block: walk its brackets in order. */
            uint64_t brackets = open | close;
            while (brackets) {
                int i = __builtin_ctzll(brackets);
                uint64_t bit = (uint64_t)1 << i;
                if (open & bit) depth++;
                else if (--depth == 0) return (int64_t)(pos + (size_t)i + 1);
                if (depth < 0) return -1;
                brackets &= brackets - 1;
            }
        }
        pos += 64;
    }
    return -1;
}

static int64_t skip_portable(const uint8_t *buf, size_t len, size_t start) {
    return skip_with(classify, buf, len, start);
}

#if defined(__x86_64__)
__attribute__((target("avx2,popcnt")))
static int64_t skip_avx2(const uint8_t *buf, size_t len, size_t start) {
    return skip_with(classify_avx2, buf, len, start);
}
#endif

int64_t fastscan_skip_container(const uint8_t *buf, size_t len, size_t start) {
#if defined(__x86_64__)
    static int has_avx2 = -1;
    if (has_avx2 < 0) has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    if (has_avx2) return skip_avx2(buf, len, start);
#endif
    return skip_portable(buf, len, start);
}
