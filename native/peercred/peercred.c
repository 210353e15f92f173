/* getsockopt(SO_PEERCRED) for a connected Unix socket fd: returns { pid, uid, gid }; lgetxattr for overlay upper dirs; the
 * egress relay (relay.c). Linux only. */
#define _GNU_SOURCE
#include <node_api.h>
#include <sys/socket.h>
#include <sys/xattr.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>

static napi_value get(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "fd (number) required");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, cred.pid, &v); napi_set_named_property(env, obj, "pid", v);
  napi_create_uint32(env, cred.uid, &v); napi_set_named_property(env, obj, "uid", v);
  napi_create_uint32(env, cred.gid, &v); napi_set_named_property(env, obj, "gid", v);
  return obj;
}

/* lgetxattr(path, name): the value as a Buffer, or null when the file has no such attribute (never follows a link).
 * Used for overlayfs's user.overlay.opaque: the kernel container has no shell tool and no capability for trusted.*. */
static napi_value getxattr_(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[4097], name[256], value[4096];
  size_t plen, nlen;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &plen) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof(name), &nlen) != napi_ok || plen >= sizeof(path) - 1 || nlen >= sizeof(name) - 1) {
    napi_throw_type_error(env, NULL, "path and name (strings) required");
    return NULL;
  }
  ssize_t n = lgetxattr(path, name, value, sizeof(value));
  napi_value out;
  if (n < 0 && (errno == ENODATA || errno == ENOTSUP)) { napi_get_null(env, &out); return out; }
  if (n < 0) {
    char msg[128];
    snprintf(msg, sizeof(msg), "lgetxattr: %s", strerror(errno));
    napi_value code, m, err;
    napi_create_string_utf8(env, errno == ERANGE ? "ERANGE" : errno == EACCES ? "EACCES" : errno == ENOENT ? "ENOENT" : "EXATTR", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, code, m, &err);
    napi_throw(env, err);
    return NULL;
  }
  void *data;
  napi_create_buffer_copy(env, (size_t)n, value, &data, &out);
  return out;
}

void relay_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "getPeerCred", NAPI_AUTO_LENGTH, get, NULL, &fn);
  napi_set_named_property(env, exports, "getPeerCred", fn);
  napi_create_function(env, "getxattr", NAPI_AUTO_LENGTH, getxattr_, NULL, &fn);
  napi_set_named_property(env, exports, "getxattr", fn);
  relay_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
