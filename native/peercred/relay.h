/* The egress relay's state and its data path (relay-loop.c), shared with its N-API side (relay.c). Linux only. */
#ifndef AIRLOCK_RELAY_H
#define AIRLOCK_RELAY_H
#include <node_api.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* One direction: src -> pipe -> dst. */
typedef struct {
  int src, dst;
  int pipe[2];
  size_t in_pipe; /* bytes read from src not yet written to dst */
  size_t size;    /* the pipe's capacity now */
  int eof;        /* src said EOF */
  int shut;       /* dst was shut down for writing (EOF passed on) */
  uint64_t bytes; /* written to dst */
  int dst_unix;   /* dst is a unix socket: its send buffer grows with the pipe (TCP's tunes itself) */
} dir_t;

typedef struct {
  int a, b;      /* dup()s of the caller's fds: the thread's own, closed by the thread */
  int cancel_fd; /* eventfd: written by cancel(), polled by the thread, closed on the JS thread once it is done */
  size_t pipe_max; /* how far a pipe may grow */
  dir_t ab, ba;
  int err;          /* errno of the failure that ended the relay, 0 if none */
  const char *op;   /* the call that failed */
  int cancelled;
  int cancel_asked; /* set by cancel() (atomic): seen between pumps, where a busy relay never reaches poll */
  napi_threadsafe_function tsfn;
  pthread_mutex_t lock; /* orders the thread's one tsfn call against the environment's teardown */
  int env_gone;         /* under lock: the environment is going, its tsfn with it: the thread must not call it */
  int refs;             /* atomic: the thread, its queued completion, the JS handle, the env cleanup hook */
  /* JS thread only: */
  int completed; /* the completion was delivered */
  int hook_ran;  /* the env cleanup hook ran or was removed */
} relay_t;

void relay_loop(relay_t *r);
void close_pipe(int p[2]);

#endif
