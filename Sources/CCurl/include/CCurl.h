// The part of libcurl's API droidgate uses, declared here so that nothing
// needs libcurl's development package: the runtime library (libcurl.so.4,
// which FoundationNetworking already required on every machine that runs
// droidgate) is linked by its soname. Values are libcurl's (curl/curl.h,
// curl/multi.h, 7.88 and later keep them: they are ABI).
#ifndef DROIDGATE_CCURL_H
#define DROIDGATE_CCURL_H

#include <stddef.h>
#include <stdint.h>

typedef struct ccurl_easy ccurl_easy;     // CURL
typedef struct ccurl_multi ccurl_multi;   // CURLM

// CURLcode / CURLMcode
#define CCURLE_OK 0
#define CCURLE_COULDNT_RESOLVE_PROXY 5
#define CCURLE_COULDNT_RESOLVE_HOST 6
#define CCURLE_COULDNT_CONNECT 7
#define CCURLE_OPERATION_TIMEDOUT 28
#define CCURLE_ABORTED_BY_CALLBACK 42
#define CCURLE_PEER_FAILED_VERIFICATION 60
#define CCURLE_SSL_CACERT_BADFILE 77

// Easy options (CURLOPTTYPE_LONG 0, OBJECTPOINT/STRINGPOINT 10000, FUNCTIONPOINT 20000, OFF_T 30000)
#define CCURLOPT_WRITEDATA 10001
#define CCURLOPT_URL 10002
#define CCURLOPT_PROXY 10004
#define CCURLOPT_ERRORBUFFER 10010
#define CCURLOPT_WRITEFUNCTION 20011
#define CCURLOPT_POSTFIELDS 10015
#define CCURLOPT_LOW_SPEED_LIMIT 19
#define CCURLOPT_LOW_SPEED_TIME 20
#define CCURLOPT_HTTPHEADER 10023
#define CCURLOPT_HEADERDATA 10029
#define CCURLOPT_CUSTOMREQUEST 10036
#define CCURLOPT_POST 47
#define CCURLOPT_FOLLOWLOCATION 52
#define CCURLOPT_HTTPPROXYTUNNEL 61
#define CCURLOPT_CAINFO 10065
#define CCURLOPT_HEADERFUNCTION 20079
#define CCURLOPT_HTTPGET 80
#define CCURLOPT_HTTP_VERSION 84
#define CCURLOPT_NOSIGNAL 99
#define CCURLOPT_PRIVATE 10103
#define CCURLOPT_POSTFIELDSIZE_LARGE 30120
#define CCURLOPT_TIMEOUT_MS 155
#define CCURLOPT_CONNECTTIMEOUT_MS 156
#define CCURLOPT_PROXYUSERNAME 10175
#define CCURLOPT_PROXYPASSWORD 10176
#define CCURLOPT_NOPROXY 10177
#define CCURLOPT_PIPEWAIT 237
#define CCURLOPT_PROXY_CAINFO 10246
#define CCURLOPT_SUPPRESS_CONNECT_HEADERS 265
#define CCURLOPT_PROTOCOLS_STR 10318
#define CCURLOPT_OPENSOCKETFUNCTION 20163
#define CCURLOPT_OPENSOCKETDATA 10164
#define CCURLOPT_CLOSESOCKETFUNCTION 20208
#define CCURLOPT_CLOSESOCKETDATA 10209

#define CCURL_HTTP_VERSION_2TLS 4

// Info
#define CCURLINFO_PRIVATE 0x100015

// Multi options
#define CCURLMOPT_SOCKETFUNCTION 20001
#define CCURLMOPT_SOCKETDATA 10002
#define CCURLMOPT_PIPELINING 3
#define CCURLMOPT_MAXCONNECTS 6
#define CCURLMOPT_TIMERFUNCTION 20004
#define CCURLMOPT_TIMERDATA 10005
#define CCURLPIPE_MULTIPLEX 2

#define CCURL_POLL_IN 1
#define CCURL_POLL_OUT 2
#define CCURL_POLL_REMOVE 4
#define CCURL_CSELECT_IN 1
#define CCURL_CSELECT_OUT 2
#define CCURL_CSELECT_ERR 4
#define CCURL_SOCKET_TIMEOUT (-1)

#define CCURLPAUSE_CONT 0
#define CCURL_WRITEFUNC_PAUSE 0x10000001

typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *user);
typedef int (*ccurl_socket_callback)(ccurl_easy *easy, int fd, int what, void *user, void *socket_user);
typedef int (*ccurl_timer_callback)(ccurl_multi *multi, long timeout_ms, void *user);
// The socket libcurl wants for a connection (struct curl_sockaddr's first three
// fields: family, type, protocol); -1 refuses it. And the close of one it opened.
typedef int (*ccurl_open_socket_callback)(void *user, int family, int type, int protocol);
typedef int (*ccurl_close_socket_callback)(void *user, int fd);

// Process-wide setup (once, before any thread uses libcurl). 0 on success.
int ccurl_global_init(void);

ccurl_easy *ccurl_easy_init(void);
void ccurl_easy_cleanup(ccurl_easy *easy);
// Back to default options, keeping the handle's buffers and caches.
void ccurl_easy_reset(ccurl_easy *easy);
int ccurl_easy_perform(ccurl_easy *easy);
int ccurl_easy_pause(ccurl_easy *easy, int bitmask);
const char *ccurl_easy_strerror(int code);
int ccurl_setopt_long(ccurl_easy *easy, int option, long value);
int ccurl_setopt_pointer(ccurl_easy *easy, int option, const void *value);
int ccurl_setopt_offset(ccurl_easy *easy, int option, int64_t value);
int ccurl_setopt_data_callback(ccurl_easy *easy, int option, ccurl_data_callback callback);
// The process's open and close callbacks (set once, before any handle uses them).
void ccurl_socket_callbacks_init(ccurl_open_socket_callback open, ccurl_close_socket_callback close);
// Every socket this handle's connections open and close goes through those
// callbacks, with `user`; a connection keeps the `user` it was opened with.
int ccurl_setopt_socket_callbacks(ccurl_easy *easy, void *user);
void *ccurl_private(ccurl_easy *easy);

ccurl_multi *ccurl_multi_init(void);
int ccurl_multi_cleanup(ccurl_multi *multi);
int ccurl_multi_add_handle(ccurl_multi *multi, ccurl_easy *easy);
int ccurl_multi_remove_handle(ccurl_multi *multi, ccurl_easy *easy);
int ccurl_multi_setopt_long(ccurl_multi *multi, int option, long value);
int ccurl_multi_setopt_pointer(ccurl_multi *multi, int option, const void *value);
int ccurl_multi_setopt_socket_callback(ccurl_multi *multi, ccurl_socket_callback callback);
int ccurl_multi_setopt_timer_callback(ccurl_multi *multi, ccurl_timer_callback callback);
int ccurl_multi_socket_action(ccurl_multi *multi, int fd, int events, int *running);
const char *ccurl_multi_strerror(int code);
// The next finished transfer: its handle and result; NULL when none is left.
ccurl_easy *ccurl_multi_next_done(ccurl_multi *multi, int *result);

#endif
