/*
 * loader.c - finding, opening and checking module shared objects.
 */
#include "conf.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "loader.h"

#ifndef MODULEDIR
#define MODULEDIR "/usr/local/lib/superd"
#endif

/** One opened .so, shared by every service that names it. */
struct loaded_module {
	char *path;                     /**< canonical path (realpath) */
	dev_t dev;                      /**< the file as it was loaded: a */
	ino_t ino;                      /**< rebuilt or overwritten .so */
	off_t size;                     /**< differs in one of these and */
	struct timespec mtime;          /**< is loaded again */
	int copy_fd;                    /**< the private copy (memfd), or -1 */
	void *handle;                   /**< from dlopen */
	const struct superd_module *desc;
	unsigned refs;
	struct loaded_module *next;
};

/* Modules open in this process (a short list: a handful of modules). */
static struct loaded_module *loaded_list;

/* The smallest descriptor an ABI 1.x module may have: every 1.0 field. */
#define MODULE_MIN_SIZE                                                      \
	(offsetof(struct superd_module, serve) +                             \
	 sizeof(((struct superd_module *)0)->serve))

/* Report a loader problem at the `module:` node, naming the service. */
__attribute__((format(printf, 2, 3)))
static void loader_error(const struct loader_req *req, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (req->service)
		diag_at(req->at, "service %s: %s", req->service, msg);
	else
		diag_at(req->at, "%s", msg);
}

/* Is spec a path (has a slash or ends in .so) rather than a module name? */
static int spec_is_path(const char *spec)
{
	size_t n = strlen(spec);

	return strchr(spec, '/') != NULL ||
	       (n > 3 && strcmp(spec + n - 3, ".so") == 0);
}

/* Try dir/NAME.so: fill buf and return 1 when the file exists. */
static int try_dir(const char *dir, const char *name, char *buf, size_t size)
{
	int n;

	if (!dir || !*dir)
		return 0;
	n = snprintf(buf, size, "%s/%s.so", dir, name);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return access(buf, F_OK) == 0;
}

/* Search $SUPERD_MODULE_PATH (colon-separated) for name. */
static int search_env(const char *name, char *buf, size_t size)
{
	const char *env = getenv("SUPERD_MODULE_PATH");
	char dir[PATH_MAX];

	while (env && *env) {
		size_t len = strcspn(env, ":");

		if (len > 0 && len < sizeof(dir)) {
			memcpy(dir, env, len);
			dir[len] = '\0';
			if (try_dir(dir, name, buf, size))
				return 1;
		}
		env += len;
		if (*env == ':')
			env++;
	}
	return 0;
}

/* NAME.so where modules are looked for (see loader.h); resolve_path's search. */
int loader_find_part(const char *name, char *const *dirs, size_t n,
                     char *buf, size_t size)
{
	size_t i;

	if (search_env(name, buf, size))
		return 1;
	for (i = 0; i < n; i++)
		if (try_dir(dirs[i], name, buf, size))
			return 1;
	if (try_dir(MODULEDIR, name, buf, size))
		return 1;
	snprintf(buf, size, "%s%s%s", getenv("SUPERD_MODULE_PATH") ?
	         "$SUPERD_MODULE_PATH, " : "", n ? "module_path, " : "", MODULEDIR);
	return 0;
}

/* Turn req->spec into a file name in buf; 0, or -1 after a diagnostic. */
static int resolve_path(const struct loader_req *req, char *buf, size_t size)
{
	const char *spec = req->spec;
	int n;

	if (!spec || !*spec) {
		loader_error(req, "empty module name");
		return -1;
	}
	if (spec_is_path(spec)) {
		if (spec[0] == '/' || !req->config_dir)
			n = snprintf(buf, size, "%s", spec);
		else
			n = snprintf(buf, size, "%s/%s", req->config_dir, spec);
		if (n < 0 || (size_t)n >= size) {
			loader_error(req, "module path too long");
			return -1;
		}
		return 0;
	}
	if (loader_find_part(spec, req->module_path, req->nmodule_path, buf, size))
		return 0;
	loader_error(req, "module '%s' not found (no %s.so in %s)", spec, spec, buf);
	return -1;
}

/* Check the descriptor's magic, ABI and size; 0 or -1 after a diagnostic. */
static int check_descriptor(const struct loader_req *req, const char *path,
                            const struct superd_module *d)
{
	if (d->magic != SUPERD_MODULE_MAGIC) {
		loader_error(req, "%s is not a superd module (bad magic)", path);
		return -1;
	}
	if (d->abi_major != SUPERD_ABI_MAJOR ||
	    d->abi_minor > SUPERD_ABI_MINOR) {
		loader_error(req, "%s was built for ABI %u.%u, this superd has %u.%u",
		             path, (unsigned)d->abi_major, (unsigned)d->abi_minor,
		             SUPERD_ABI_MAJOR, SUPERD_ABI_MINOR);
		return -1;
	}
	if (d->size < MODULE_MIN_SIZE) {
		loader_error(req, "%s has a descriptor of %u bytes, ABI %u.%u needs %zu",
		             path, (unsigned)d->size, SUPERD_ABI_MAJOR,
		             (unsigned)d->abi_minor, (size_t)MODULE_MIN_SIZE);
		return -1;
	}
	if (!d->on_open && !d->serve && !d->on_datagram) {
		loader_error(req, "%s has neither event callbacks nor serve", path);
		return -1;
	}
	return 0;
}

/*
 * A private copy of the .so at path in a memfd, so that a later write over
 * the file (cp onto a loaded module) can never change code that is mapped;
 * its fd (kept open while loaded: dlopen knows it by its /proc name), or
 * -1 when the kernel refuses (then the file itself is loaded).
 */
static int private_copy(const char *path, char *name, size_t size)
{
	char buf[65536];
	int in, fd;
	ssize_t n;

	fd = memfd_create("superd-module", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		goto close_fd;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n)
			goto close_in;
	}
	close(in);
	snprintf(name, size, "/proc/self/fd/%d", fd);
	return fd;

close_in:
	close(in);
close_fd:
	close(fd);
	return -1;
}

/* dlopen path (a private copy of it) and check it; a new list entry or
 * NULL after a diagnostic. */
static struct loaded_module *open_module(const struct loader_req *req,
                                         const char *path, const struct stat *st)
{
	struct loaded_module *m;
	const struct superd_module *d;
	char copy[64];
	int copy_fd = private_copy(path, copy, sizeof(copy));
	void *h;

	h = dlopen(copy_fd >= 0 ? copy : path, RTLD_NOW | RTLD_LOCAL);
	if (!h && copy_fd >= 0) {  /* memfd not executable here: the file */
		close(copy_fd);
		copy_fd = -1;
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		loader_error(req, "cannot load module: %s", dlerror());
		return NULL;
	}
	d = dlsym(h, SUPERD_MODULE_SYMBOL);
	if (!d) {
		loader_error(req, "%s is not a superd module (no '%s' symbol)",
		             path, SUPERD_MODULE_SYMBOL);
		goto close_handle;
	}
	if (check_descriptor(req, path, d) < 0)
		goto close_handle;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		loader_error(req, "out of memory");
		goto close_handle;
	}
	m->handle = h;
	m->desc = d;
	m->copy_fd = copy_fd;
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->size = st->st_size;
	m->mtime = st->st_mtim;
	return m;

close_handle:
	dlclose(h);
	if (copy_fd >= 0)
		close(copy_fd);
	return NULL;
}

/* Is m the file as it is now (same device, inode, size and mtime)? */
static int same_file(const struct loaded_module *m, const struct stat *st)
{
	return m->dev == st->st_dev && m->ino == st->st_ino &&
	       m->size == st->st_size && m->mtime.tv_sec == st->st_mtim.tv_sec &&
	       m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Open (or share) the module req names. */
const struct superd_module *loader_open(const struct loader_req *req,
                                        struct loaded_module **out)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct loaded_module *m;
	struct stat st;

	*out = NULL;
	if (resolve_path(req, path, sizeof(path)) < 0)
		return NULL;
	if (!realpath(path, real)) {
		loader_error(req, "cannot load module %s: %s", path,
		             strerror(errno));
		return NULL;
	}
	if (stat(real, &st) < 0) {
		loader_error(req, "cannot load module %s: %s", real, strerror(errno));
		return NULL;
	}
	/* A .so rebuilt or copied over since it was loaded is loaded again
	 * (services of older configurations keep the copy they run). */
	for (m = loaded_list; m; m = m->next)
		if (strcmp(m->path, real) == 0 && same_file(m, &st))
			break;
	if (!m) {
		m = open_module(req, real, &st);
		if (!m)
			return NULL;
		m->next = loaded_list;
		loaded_list = m;
	}
	m->refs++;
	*out = m;
	return m->desc;
}

/* Drop a reference; close the .so with the last one. */
void loader_release(struct loaded_module *m)
{
	struct loaded_module **pp;

	if (!m || --m->refs > 0)
		return;
	for (pp = &loaded_list; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	dlclose(m->handle);
	if (m->copy_fd >= 0)
		close(m->copy_fd);
	free(m->path);
	free(m);
}

const char *loader_path(const struct loaded_module *m)
{
	return m->path;
}

/* Name of one protocol bit, for messages. */
static const char *proto_name(unsigned bit)
{
	switch (bit) {
	case SUPERD_PROTO_TCP: return "tcp";
	case SUPERD_PROTO_UDP: return "udp";
	default: return "unix";
	}
}

/* Can mod serve every protocol asked for? */
int loader_check_protocols(const struct loader_req *req,
                           const struct superd_module *mod, unsigned protocols)
{
	static const unsigned bits[] = { SUPERD_PROTO_TCP, SUPERD_PROTO_UDP,
	                                 SUPERD_PROTO_UNIX };
	unsigned have = mod->protocols;
	size_t i;

	if (have & SUPERD_PROTO_TCP)
		have |= SUPERD_PROTO_UNIX;
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if ((protocols & bits[i]) && !(have & bits[i])) {
			loader_error(req, "module '%s' does not serve %s",
			             mod->name ? mod->name : req->spec,
			             proto_name(bits[i]));
			return -1;
		}
	}
	if ((protocols & (SUPERD_PROTO_TCP | SUPERD_PROTO_UNIX)) &&
	    !mod->on_open && !mod->serve) {
		loader_error(req, "module '%s' has no stream callbacks (on_open or serve)",
		             mod->name ? mod->name : req->spec);
		return -1;
	}
	if ((protocols & SUPERD_PROTO_UDP) && !mod->on_datagram && !mod->serve) {
		loader_error(req, "module '%s' has no on_datagram or serve for udp",
		             mod->name ? mod->name : req->spec);
		return -1;
	}
	return 0;
}
