/* The egress relay's N-API side: relay() hands two sockets to a thread of its own (relay-loop.c moves the bytes with
 * splice(2)), delivers the counts once on the JS thread, and ends with its handle or its environment. Linux only. */
#define _GNU_SOURCE
#include "relay.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The last holder frees (and closes the eventfd, if no completion was delivered to close it). */
static void unref(relay_t *r) {
  if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  if (r->cancel_fd >= 0) close(r->cancel_fd);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

static void *run(void *arg) {
  relay_t *r = arg;
  relay_loop(r);
  /* The completion holds a ref of its own (deliver drops it): this thread keeps r until it has unlocked. Once the
   * environment is going its tsfn may be freed already, so it is not called then (the lock orders the two). */
  __atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
  pthread_mutex_lock(&r->lock);
  int queued = !r->env_gone && napi_call_threadsafe_function(r->tsfn, r, napi_tsfn_blocking) == napi_ok;
  if (queued) napi_release_threadsafe_function(r->tsfn, napi_tsfn_release);
  pthread_mutex_unlock(&r->lock);
  if (!queued) unref(r);
  unref(r);
  return NULL;
}

static void set_number(napi_env env, napi_value o, const char *name, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, o, name, x);
}

static void ask_cancel(relay_t *r) {
  uint64_t one = 1;
  __atomic_store_n(&r->cancel_asked, 1, __ATOMIC_RELEASE);
  if (write(r->cancel_fd, &one, sizeof(one)) < 0) { /* the counter is full: a cancel is pending already */ }
}

/* The environment is being torn down (a worker ending, the process exiting): the relay ends, and its thread leaves the
 * tsfn alone. Runs before the tsfn's own cleanup (hooks run last-added first). */
static void env_going(void *arg) {
  relay_t *r = arg;
  pthread_mutex_lock(&r->lock);
  r->env_gone = 1;
  pthread_mutex_unlock(&r->lock);
  r->hook_ran = 1;
  if (!r->completed) ask_cancel(r);
  unref(r);
}

/* On the JS thread: done(result). env is NULL when the tsfn is torn down with the completion still queued. */
static void deliver(napi_env env, napi_value cb, void *context, void *data) {
  (void)context;
  relay_t *r = data;
  /* The thread polls the eventfd no more, and nothing writes it once completed: it goes now, not when the handle is
   * collected (which may be long after). */
  r->completed = 1;
  close(r->cancel_fd);
  r->cancel_fd = -1;
  if (env && !r->hook_ran) {
    r->hook_ran = 1;
    napi_remove_env_cleanup_hook(env, env_going, r);
    unref(r);
  }
  if (env && cb) {
    napi_value res, undef, s;
    napi_create_object(env, &res);
    set_number(env, res, "aToB", (double)r->ab.bytes);
    set_number(env, res, "bToA", (double)r->ba.bytes);
    set_number(env, res, "errno", r->err);
    napi_create_string_utf8(env, r->op ? r->op : "", NAPI_AUTO_LENGTH, &s);
    napi_set_named_property(env, res, "op", s);
    napi_get_boolean(env, r->cancelled, &s);
    napi_set_named_property(env, res, "cancelled", s);
    napi_get_undefined(env, &undef);
    napi_call_function(env, undef, cb, 1, &res, NULL);
  }
  unref(r);
}

/* The handle is collected, or its environment torn down (a worker ending): no one could cancel the relay any more, and
 * its sockets are closing, so it ends now rather than keep the connections open on its dups. */
static void handle_gone(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  relay_t *r = data;
  if (!r->completed) ask_cancel(r);
  unref(r);
}

static napi_value cancel(napi_env env, napi_callback_info info) {
  napi_value self;
  relay_t *r;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  if (napi_unwrap(env, self, (void **)&r) != napi_ok) return NULL;
  if (!r->completed) ask_cancel(r);
  return NULL;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof(msg), "relay: %s: %s", what, strerror(err));
  napi_throw_error(env, "ERELAY", msg);
  return NULL;
}

static int is_socket(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int is_unix(int fd) {
  int domain = 0;
  socklen_t len = sizeof(domain);
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
}

/* relay(fdA, fdB, pipeBytes, done): relays A<->B until both ways are at EOF, an error, or cancel(); the caller's fds are
 * dup()ed (the thread closes only its own copies). done({ aToB, bToA, errno, op, cancelled }) runs once on this thread.
 * Returns { cancel() }. The caller must not read or write the fds while the relay runs. */
static napi_value relay(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], handle, fn, name;
  int32_t fa, fb, psize;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fa) != napi_ok || napi_get_value_int32(env, argv[1], &fb) != napi_ok ||
      napi_get_value_int32(env, argv[2], &psize) != napi_ok || napi_typeof(env, argv[3], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "relay(fdA, fdB, pipeBytes, done) needs three numbers and a function");
    return NULL;
  }
  if (fa < 0 || fb < 0 || fa == fb || !is_socket(fa) || !is_socket(fb)) {
    napi_throw_type_error(env, NULL, "relay: fdA and fdB must be two different open sockets");
    return NULL;
  }
  relay_t *r = calloc(1, sizeof(*r));
  if (!r) return throw_errno(env, "calloc", ENOMEM);
  r->a = r->b = r->cancel_fd = -1;
  r->ab.pipe[0] = r->ab.pipe[1] = r->ba.pipe[0] = r->ba.pipe[1] = -1;
  const char *what = NULL;
  if ((r->a = fcntl(fa, F_DUPFD_CLOEXEC, 0)) < 0) what = "dup";
  else if ((r->b = fcntl(fb, F_DUPFD_CLOEXEC, 0)) < 0) what = "dup";
  else if (pipe2(r->ab.pipe, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(r->ba.pipe, O_CLOEXEC | O_NONBLOCK) != 0) what = "pipe2";
  else if ((r->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) what = "eventfd";
  if (what) {
    int err = errno;
    close_pipe(r->ab.pipe), close_pipe(r->ba.pipe);
    if (r->a >= 0) close(r->a);
    if (r->b >= 0) close(r->b);
    if (r->cancel_fd >= 0) close(r->cancel_fd);
    free(r);
    return throw_errno(env, what, err);
  }
  /* Non-blocking (libuv set it already on the shared file description; a caller's blocking socket would hang the
   * thread in splice). Pipes start at the kernel's default size and grow while full (grow()), up to pipeBytes. */
  fcntl(r->a, F_SETFL, fcntl(r->a, F_GETFL) | O_NONBLOCK);
  fcntl(r->b, F_SETFL, fcntl(r->b, F_GETFL) | O_NONBLOCK);
  int got = fcntl(r->ab.pipe[1], F_GETPIPE_SZ), got2 = fcntl(r->ba.pipe[1], F_GETPIPE_SZ);
  r->ab.size = (size_t)(got > 0 ? got : 4096);
  r->ba.size = (size_t)(got2 > 0 ? got2 : 4096);
  r->pipe_max = psize > 0 ? (size_t)psize : 0;
  r->ab.src = r->a, r->ab.dst = r->b, r->ab.dst_unix = is_unix(r->b);
  r->ba.src = r->b, r->ba.dst = r->a, r->ba.dst_unix = is_unix(r->a);

  napi_create_string_utf8(env, "airlock-relay", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &handle);
  napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, cancel, NULL, &fn);
  napi_set_named_property(env, handle, "cancel", fn);
  if (napi_create_threadsafe_function(env, argv[3], NULL, name, 1, 1, NULL, NULL, NULL, deliver, &r->tsfn) != napi_ok ||
      napi_wrap(env, handle, r, handle_gone, NULL, NULL) != napi_ok) {
    close_pipe(r->ab.pipe), close_pipe(r->ba.pipe);
    close(r->a), close(r->b), close(r->cancel_fd);
    if (r->tsfn) napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
    free(r);
    napi_throw_error(env, "ERELAY", "relay: could not set up the completion callback");
    return NULL;
  }
  pthread_mutex_init(&r->lock, NULL);
  r->refs = 3; /* the thread, the handle, the cleanup hook */
  napi_add_env_cleanup_hook(env, env_going, r);
  /* Its own thread, not libuv's pool (a long tunnel would hold a pool thread that fs and sqlite work waits for); every
   * signal blocked there, so Node's handlers keep running on the threads that expect them. */
  pthread_attr_t attr;
  pthread_t th;
  sigset_t all, old;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&th, &attr, run, r);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    /* The fds go now; r with the handle's finalizer (the thread's and the hook's refs are dropped here). */
    close_pipe(r->ab.pipe), close_pipe(r->ba.pipe);
    close(r->a), close(r->b);
    r->completed = r->hook_ran = 1;
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
    napi_remove_env_cleanup_hook(env, env_going, r);
    unref(r), unref(r);
    return throw_errno(env, "pthread_create", rc);
  }
  return handle;
}

/* relayProbe(): 0 if splice(2) moves bytes from a unix stream socket into a pipe and back out (Linux 4.5+; TCP has
 * spliced since 2.6.25), else the errno: a relay that would fail on its first byte is never chosen. */
static napi_value probe(napi_env env, napi_callback_info info) {
  (void)info;
  int sv[2] = { -1, -1 }, pp[2] = { -1, -1 }, err = 0;
  char c = 'x';
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0 || pipe2(pp, O_CLOEXEC | O_NONBLOCK) != 0) err = errno;
  else if (write(sv[0], &c, 1) != 1) err = errno ? errno : EIO;
  else if (splice(sv[1], NULL, pp[1], NULL, 1, SPLICE_F_NONBLOCK) != 1) err = errno ? errno : EIO;
  else if (splice(pp[0], NULL, sv[1], NULL, 1, SPLICE_F_NONBLOCK) != 1) err = errno ? errno : EIO;
  else if (read(sv[0], &c, 1) != 1 || c != 'x') err = EIO;
  for (int i = 0; i < 2; i++) {
    if (sv[i] >= 0) close(sv[i]);
    if (pp[i] >= 0) close(pp[i]);
  }
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

void relay_init(napi_env env, napi_value exports) {
  /* Pinned: a worker that loaded this addon and ends would otherwise unload it under a relay thread still finishing. */
  Dl_info self;
  if (dladdr((void *)relay_init, &self) && self.dli_fname) dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
  napi_value fn;
  napi_create_function(env, "relay", NAPI_AUTO_LENGTH, relay, NULL, &fn);
  napi_set_named_property(env, exports, "relay", fn);
  napi_create_function(env, "relayProbe", NAPI_AUTO_LENGTH, probe, NULL, &fn);
  napi_set_named_property(env, exports, "relayProbe", fn);
}
