// Thin non-variadic wrappers over libcurl (Swift cannot call C variadic
// functions). libcurl's own prototypes are declared here, not included:
// see include/CCurl.h.
#include "CCurl.h"

typedef struct {
    int msg;
    void *easy_handle;
    union { void *whatever; int result; } data;
} curl_msg;

extern int curl_global_init(long flags);
extern void *curl_easy_init(void);
extern void curl_easy_cleanup(void *);
extern void curl_easy_reset(void *);
extern int curl_easy_perform(void *);
extern int curl_easy_pause(void *, int);
extern const char *curl_easy_strerror(int);
extern int curl_easy_setopt(void *, int, ...);
extern int curl_easy_getinfo(void *, int, ...);
extern void *curl_multi_init(void);
extern int curl_multi_cleanup(void *);
extern int curl_multi_add_handle(void *, void *);
extern int curl_multi_remove_handle(void *, void *);
extern int curl_multi_setopt(void *, int, ...);
extern int curl_multi_socket_action(void *, int, int, int *);
extern const char *curl_multi_strerror(int);
extern curl_msg *curl_multi_info_read(void *, int *);

// struct curl_sockaddr (curl/curl.h): what OPENSOCKETFUNCTION is given.
struct curl_sockaddr_head {
    int family;
    int socktype;
    int protocol;
};

#define CURL_GLOBAL_SSL 1
#define CURLMSG_DONE 1

int ccurl_global_init(void) { return curl_global_init(CURL_GLOBAL_SSL); }

ccurl_easy *ccurl_easy_init(void) { return curl_easy_init(); }
void ccurl_easy_cleanup(ccurl_easy *e) { curl_easy_cleanup(e); }
void ccurl_easy_reset(ccurl_easy *e) { curl_easy_reset(e); }
int ccurl_easy_perform(ccurl_easy *e) { return curl_easy_perform(e); }
int ccurl_easy_pause(ccurl_easy *e, int bitmask) { return curl_easy_pause(e, bitmask); }
const char *ccurl_easy_strerror(int code) { return curl_easy_strerror(code); }
int ccurl_setopt_long(ccurl_easy *e, int option, long value) { return curl_easy_setopt(e, option, value); }
int ccurl_setopt_pointer(ccurl_easy *e, int option, const void *value) { return curl_easy_setopt(e, option, value); }
int ccurl_setopt_offset(ccurl_easy *e, int option, int64_t value) { return curl_easy_setopt(e, option, (int64_t)value); }
int ccurl_setopt_data_callback(ccurl_easy *e, int option, ccurl_data_callback cb) { return curl_easy_setopt(e, option, cb); }

// libcurl's open-socket callback hands over its address struct; ours gets the
// three socket() arguments from it.
static ccurl_open_socket_callback open_callback;
static ccurl_close_socket_callback close_callback;

void ccurl_socket_callbacks_init(ccurl_open_socket_callback open, ccurl_close_socket_callback close) {
    open_callback = open;
    close_callback = close;
}

static int open_trampoline(void *user, int purpose, struct curl_sockaddr_head *address) {
    (void)purpose;
    return open_callback(user, address->family, address->socktype, address->protocol);
}

static int close_trampoline(void *user, int fd) { return close_callback(user, fd); }

int ccurl_setopt_socket_callbacks(ccurl_easy *e, void *user) {
    int rc = curl_easy_setopt(e, CCURLOPT_OPENSOCKETFUNCTION, open_trampoline);
    if (rc == 0) rc = curl_easy_setopt(e, CCURLOPT_OPENSOCKETDATA, user);
    if (rc == 0) rc = curl_easy_setopt(e, CCURLOPT_CLOSESOCKETFUNCTION, close_trampoline);
    if (rc == 0) rc = curl_easy_setopt(e, CCURLOPT_CLOSESOCKETDATA, user);
    return rc;
}

void *ccurl_private(ccurl_easy *e) {
    char *p = 0;
    curl_easy_getinfo(e, CCURLINFO_PRIVATE, &p);
    return p;
}


ccurl_multi *ccurl_multi_init(void) { return curl_multi_init(); }
int ccurl_multi_cleanup(ccurl_multi *m) { return curl_multi_cleanup(m); }
int ccurl_multi_add_handle(ccurl_multi *m, ccurl_easy *e) { return curl_multi_add_handle(m, e); }
int ccurl_multi_remove_handle(ccurl_multi *m, ccurl_easy *e) { return curl_multi_remove_handle(m, e); }
int ccurl_multi_setopt_long(ccurl_multi *m, int option, long value) { return curl_multi_setopt(m, option, value); }
int ccurl_multi_setopt_pointer(ccurl_multi *m, int option, const void *value) { return curl_multi_setopt(m, option, value); }
int ccurl_multi_setopt_socket_callback(ccurl_multi *m, ccurl_socket_callback cb) { return curl_multi_setopt(m, CCURLMOPT_SOCKETFUNCTION, cb); }
int ccurl_multi_setopt_timer_callback(ccurl_multi *m, ccurl_timer_callback cb) { return curl_multi_setopt(m, CCURLMOPT_TIMERFUNCTION, cb); }
int ccurl_multi_socket_action(ccurl_multi *m, int fd, int events, int *running) { return curl_multi_socket_action(m, fd, events, running); }
const char *ccurl_multi_strerror(int code) { return curl_multi_strerror(code); }

ccurl_easy *ccurl_multi_next_done(ccurl_multi *m, int *result) {
    int left = 0;
    curl_msg *msg;
    while ((msg = curl_multi_info_read(m, &left)) != 0) {
        if (msg->msg == CURLMSG_DONE) {
            *result = msg->data.result;
            return msg->easy_handle;
        }
    }
    return 0;
}
