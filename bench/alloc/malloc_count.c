/*
 * malloc_count — an LD_PRELOAD shim that counts heap allocation calls (bench/run, phase `alloc`).
 *
 *   cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c -ldl
 *   MALLOC_COUNT_FILE=/tmp/counts LD_PRELOAD=$PWD/malloc_count.so some-program
 *
 * It interposes malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign,
 * valloc, pvalloc and free, forwards each to the next definition (glibc's, found with
 * dlsym(RTLD_NEXT)), and counts the calls with relaxed atomic adds, so it is safe in a
 * multithreaded process. It never allocates itself: the counters live in a file named by
 * MALLOC_COUNT_FILE, created if needed and mapped MAP_SHARED, which a reader samples
 * with an ordinary read (no signal, no request file: edged blocks signals in every thread).
 * Layout: MC_SLOTS little-endian uint64 at offset 0, see enum below (slot 0 is a magic).
 * A process that forks shares the mapping with its children (nginx's master and worker add
 * into the same counters; the master is idle while a benchmark runs). Without
 * MALLOC_COUNT_FILE the counts stay in process memory.
 *
 * dlsym may itself call calloc/malloc (dlerror's buffer); while the real functions are being
 * looked up, such calls are served from a small static arena, and free/realloc recognise
 * pointers into that arena.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    MC_MAGIC,          /* 0x31746e636f6c6c61 ("alloccnt1") once mapped */
    MC_MALLOC,         /* malloc calls */
    MC_CALLOC,         /* calloc calls */
    MC_REALLOC_NEW,    /* realloc(NULL, n) and reallocarray(NULL, ...): an allocation */
    MC_REALLOC,        /* realloc of an existing block (n > 0) */
    MC_ALIGNED,        /* posix_memalign, aligned_alloc, memalign, valloc, pvalloc */
    MC_FREE,           /* free of a non-NULL pointer, and realloc(p, 0) */
    MC_BYTES,          /* bytes requested by all of the above (realloc: the new size) */
    MC_FREE_NULL,      /* free(NULL) */
    MC_SLOTS = 16,
};
#define MC_MAGIC_VALUE 0x31746e636f6c6c61ULL

static uint64_t local_counts[MC_SLOTS];
static uint64_t *counts = local_counts;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

static inline void add(int slot, uint64_t n) {
    __atomic_fetch_add(&counts[slot], n, __ATOMIC_RELAXED);
}

/* ---- bootstrap arena: allocations made while dlsym runs ---------------------------------- */
static _Alignas(16) unsigned char arena[8192];
static size_t arena_used;   /* guarded by the resolving flag's single winner */
static int resolving;       /* 1 while init_real runs */
static int resolved;

static int in_arena(const void *p) {
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

static void *arena_alloc(size_t n) {
    size_t need = ((n + 15) & ~(size_t)15) + 16;
    size_t at = __atomic_fetch_add(&arena_used, need, __ATOMIC_RELAXED);
    if (at + need > sizeof arena) {
        errno = ENOMEM;
        return NULL;
    }
    unsigned char *p = arena + at;
    memcpy(p, &n, sizeof n);     /* size header, for realloc */
    memset(p + 16, 0, n);        /* the arena is static, so already zero; keep it explicit */
    return p + 16;
}

static size_t arena_size(const void *p) {
    size_t n;
    memcpy(&n, (const unsigned char *)p - 16, sizeof n);
    return n;
}

static void init_real(void) {
    if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE))
        return;
    int expected = 0;
    if (!__atomic_compare_exchange_n(&resolving, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        /* This thread re-entered from dlsym, or another thread is resolving: the caller
           falls back to the arena while its real_* pointer is still NULL. */
        return;
    }
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = dlsym(RTLD_NEXT, "memalign");
    real_valloc = dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = dlsym(RTLD_NEXT, "pvalloc");
    __atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
}

/* ---- the counters file ------------------------------------------------------------------ */
__attribute__((constructor)) static void malloc_count_init(void) {
    init_real();
    const char *path = getenv("MALLOC_COUNT_FILE");
    if (!path || !*path)
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    struct stat st;
    size_t size = MC_SLOTS * sizeof(uint64_t);
    if (fstat(fd, &st) != 0 || ((size_t)st.st_size < size && ftruncate(fd, (off_t)size) != 0)) {
        close(fd);
        return;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return;
    uint64_t *shared = m;
    /* What was counted before (other constructors) moves into the file; the process is still
       single-threaded here. A file already in use (exec of a preloaded process, fork) keeps
       its counts: readers take differences. */
    for (int i = 1; i < MC_SLOTS; i++)
        __atomic_fetch_add(&shared[i], local_counts[i], __ATOMIC_RELAXED);
    __atomic_store_n(&shared[MC_MAGIC], MC_MAGIC_VALUE, __ATOMIC_RELAXED);
    __atomic_store_n(&counts, shared, __ATOMIC_RELEASE);
}

/* ---- the interposed functions ----------------------------------------------------------- */
void *malloc(size_t n) {
    if (__builtin_expect(!real_malloc, 0)) {
        init_real();
        if (!real_malloc)
            return arena_alloc(n);
    }
    add(MC_MALLOC, 1);
    add(MC_BYTES, n);
    return real_malloc(n);
}

void *calloc(size_t k, size_t n) {
    if (__builtin_expect(!real_calloc, 0)) {
        init_real();
        if (!real_calloc) {
            size_t t;
            if (__builtin_mul_overflow(k, n, &t)) {
                errno = ENOMEM;
                return NULL;
            }
            return arena_alloc(t);
        }
    }
    add(MC_CALLOC, 1);
    add(MC_BYTES, (uint64_t)k * n);
    return real_calloc(k, n);
}

void free(void *p) {
    if (!p) {
        add(MC_FREE_NULL, 1);
        return;
    }
    if (__builtin_expect(in_arena(p), 0))
        return;
    if (__builtin_expect(!real_free, 0)) {
        init_real();
        if (!real_free)
            return;  /* cannot happen: p came from the real malloc, so it was resolved */
    }
    add(MC_FREE, 1);
    real_free(p);
}

void *realloc(void *p, size_t n) {
    if (__builtin_expect(p && in_arena(p), 0)) {
        size_t old = arena_size(p);
        void *q = malloc(n);
        if (q)
            memcpy(q, p, old < n ? old : n);
        return q;
    }
    if (__builtin_expect(!real_realloc, 0)) {
        init_real();
        if (!real_realloc)
            return p ? NULL : arena_alloc(n);
    }
    if (!p) {
        add(MC_REALLOC_NEW, 1);
        add(MC_BYTES, n);
    } else if (n == 0) {
        add(MC_FREE, 1);
    } else {
        add(MC_REALLOC, 1);
        add(MC_BYTES, n);
    }
    return real_realloc(p, n);
}

void *reallocarray(void *p, size_t k, size_t n) {
    size_t t;
    if (__builtin_mul_overflow(k, n, &t)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, t);
}

int posix_memalign(void **out, size_t align, size_t n) {
    if (__builtin_expect(!real_posix_memalign, 0)) {
        init_real();
        if (!real_posix_memalign)
            return ENOMEM;
    }
    add(MC_ALIGNED, 1);
    add(MC_BYTES, n);
    return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n) {
    if (__builtin_expect(!real_aligned_alloc, 0)) {
        init_real();
        if (!real_aligned_alloc)
            return NULL;
    }
    add(MC_ALIGNED, 1);
    add(MC_BYTES, n);
    return real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n) {
    if (__builtin_expect(!real_memalign, 0)) {
        init_real();
        if (!real_memalign)
            return NULL;
    }
    add(MC_ALIGNED, 1);
    add(MC_BYTES, n);
    return real_memalign(align, n);
}

void *valloc(size_t n) {
    if (__builtin_expect(!real_valloc, 0)) {
        init_real();
        if (!real_valloc)
            return NULL;
    }
    add(MC_ALIGNED, 1);
    add(MC_BYTES, n);
    return real_valloc(n);
}

void *pvalloc(size_t n) {
    if (__builtin_expect(!real_pvalloc, 0)) {
        init_real();
        if (!real_pvalloc)
            return NULL;
    }
    add(MC_ALIGNED, 1);
    add(MC_BYTES, n);
    return real_pvalloc(n);
}
