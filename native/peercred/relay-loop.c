/* The egress relay's data path on its own thread: splice(2) socket -> pipe -> socket each way, poll(2) when neither way
 * can move, half-closes passed on, a cancel seen between rounds and in poll. Linux only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "relay.h"

static void fail(relay_t *r, const char *op, int err) {
  if (r->err) return;
  r->err = err;
  r->op = op;
}

void close_pipe(int p[2]) {
  if (p[0] >= 0) close(p[0]);
  if (p[1] >= 0) close(p[1]);
  p[0] = p[1] = -1;
}

/* A pipe that a read filled grows (x4, up to pipe_max): a bulk transfer moves more per call, while idle and chatty
 * tunnels keep the kernel's default and so little of the user's pipe quota, which every pipe of the kernel's user shares.
 * Past the quota the kernel refuses, and the pipe stays as it is. A unix socket it writes to gets a send buffer as large
 * as the pipe (Linux doubles what it is asked, capped at 2 x net.core.wmem_max): with its default (208 KiB) each splice
 * stopped there and the thread waited on the reader in small steps. So a tunnel toward a sandbox holds at most about
 * 1 MiB in its socket beside its pipe (A/B in one process, 5 runs of 100: a new tunnel's 10 MB download 8% faster at the
 * median run, up to 15%, with wmem_max 4 MiB). */
static void grow(relay_t *r, dir_t *d) {
  if (d->size >= r->pipe_max) return;
  size_t want = d->size * 4 < r->pipe_max ? d->size * 4 : r->pipe_max;
  int got = fcntl(d->pipe[1], F_SETPIPE_SZ, (int)want);
  if (got > 0) d->size = (size_t)got;
  else r->pipe_max = d->size; /* refused: the quota is short, ask no more */
  if (got > 0 && d->dst_unix) {
    int half = got / 2; /* doubled by the kernel: the buffer then holds what the pipe does */
    setsockopt(d->dst, SOL_SOCKET, SO_SNDBUF, &half, sizeof(half)); /* best effort */
  }
}

/* Moves what it can without blocking, a bounded number of rounds (so the other way and a cancel get their turn).
 * Returns 2 if it stopped at the bound (more may be ready), 1 if it moved bytes (or saw EOF) and then would block, 0 if
 * it would block at once, -1 on an error. */
static int pump(relay_t *r, dir_t *d) {
  int progress = 0;
  for (int round = 0; round < 16; round++) {
    int moved = 0;
    if (!d->eof && d->in_pipe < d->size) {
      ssize_t n = splice(d->src, NULL, d->pipe[1], NULL, d->size - d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(r, "read", errno), -1;
      if (n == 0) d->eof = 1, moved = 1;
      if (n > 0) {
        d->in_pipe += (size_t)n, moved = 1;
        if (d->in_pipe >= d->size) grow(r, d);
      }
    }
    if (d->in_pipe > 0) {
      ssize_t n = splice(d->pipe[0], NULL, d->dst, NULL, d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) d->in_pipe -= (size_t)n, d->bytes += (uint64_t)n, moved = 1;
      else if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(r, "write", errno), -1;
    }
    /* EOF one way is passed on as a half-close; the other direction goes on. ENOTCONN: the peer is gone already. */
    if (d->eof && d->in_pipe == 0 && !d->shut) {
      d->shut = 1;
      if (shutdown(d->dst, SHUT_WR) != 0 && errno != ENOTCONN) return fail(r, "shutdown", errno), -1;
    }
    if (!moved) return progress;
    progress = 1;
  }
  return 2;
}

/* Relays until both ways are shut, an error, or a cancel; then closes the pipes and its dups of the sockets. */
void relay_loop(relay_t *r) {
  struct pollfd p[3];
  while (!(r->ab.shut && r->ba.shut)) {
    if (__atomic_load_n(&r->cancel_asked, __ATOMIC_ACQUIRE)) {
      r->cancelled = 1;
      break;
    }
    int ab = pump(r, &r->ab), ba = ab < 0 ? -1 : pump(r, &r->ba);
    if (ab < 0 || ba < 0) break;
    if (r->ab.shut && r->ba.shut) break;
    if (ab == 2 || ba == 2) continue; /* more may be ready: no sleep, but a look at cancel_asked */
    /* Read a source only while its pipe is empty, write a destination only while its pipe holds bytes: a full pipe
     * with a readable source would otherwise wake poll at once, forever. An fd with nothing wanted is left out (-1),
     * or its POLLHUP would do the same. */
    short ev_a = 0, ev_b = 0;
    if (!r->ab.eof && r->ab.in_pipe == 0) ev_a |= POLLIN;
    if (r->ab.in_pipe > 0) ev_b |= POLLOUT;
    if (!r->ba.eof && r->ba.in_pipe == 0) ev_b |= POLLIN;
    if (r->ba.in_pipe > 0) ev_a |= POLLOUT;
    p[0] = (struct pollfd){ .fd = ev_a ? r->a : -1, .events = ev_a };
    p[1] = (struct pollfd){ .fd = ev_b ? r->b : -1, .events = ev_b };
    p[2] = (struct pollfd){ .fd = r->cancel_fd, .events = POLLIN };
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      fail(r, "poll", errno);
      break;
    }
    if (p[2].revents) {
      r->cancelled = 1;
      break;
    }
  }
  close_pipe(r->ab.pipe);
  close_pipe(r->ba.pipe);
  close(r->a);
  close(r->b);
}
