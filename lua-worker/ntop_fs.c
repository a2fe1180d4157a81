/* ntop.* section 4: the file system, confined.
 *
 * A path is resolved (symlinks included, nt_confine) before use: reads
 * are allowed inside the data dir and the install dir, writes only inside
 * the data dir. Anything else is a Lua error, whatever exists there. The
 * landlock policy of the sandbox issue enforces the same from outside. */
#define _GNU_SOURCE /* nftw */
#include "ntop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MODE 0600
#define DIR_MODE 0700

#define CONFINE(i, write, out)                                              \
	nt_confine(L, __func__, NT_STR((i), "path"), (write), (out),        \
	    sizeof(out))

NT_FN(isdir)
{
	char p[PATH_MAX];
	struct stat st;
	NT_ARGS(1, 1);
	CONFINE(1, false, p);
	lua_pushboolean(L, stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	return 1;
}

NT_FN(exists)
{
	char p[PATH_MAX];
	struct stat st;
	NT_ARGS(1, 1);
	CONFINE(1, false, p);
	lua_pushboolean(L, stat(p, &st) == 0);
	return 1;
}

NT_FN(notEmptyFile)
{
	char p[PATH_MAX];
	struct stat st;
	NT_ARGS(1, 1);
	CONFINE(1, false, p);
	lua_pushboolean(L, stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0);
	return 1;
}

NT_FN(fileLastChange)
{
	char p[PATH_MAX];
	struct stat st;
	NT_ARGS(1, 1);
	CONFINE(1, false, p);
	lua_pushinteger(L, stat(p, &st) == 0 ? (lua_Integer)st.st_mtime : -1);
	return 1;
}

NT_FN(mkdir)
{
	char p[PATH_MAX];
	NT_ARGS(1, 1);
	CONFINE(1, true, p);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, DIR_MODE) != 0 && errno != EEXIST)
				NT_ERR("cannot create %s: %s", p,
				    strerror(errno));
			*s = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/* {name = name} of the entries but "." and "..", as ntopng. */
NT_FN(readdir)
{
	char p[PATH_MAX];
	DIR *d;
	struct dirent *e;
	NT_ARGS(1, 1);
	CONFINE(1, false, p);
	lua_newtable(L);
	if ((d = opendir(p)) == NULL)
		return 1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		lua_pushstring(L, e->d_name);
		lua_pushvalue(L, -1);
		lua_rawset(L, -3);
	}
	closedir(d);
	return 1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

NT_FN(rmdir)
{
	char p[PATH_MAX];
	struct stat st;
	NT_ARGS(1, 1);
	CONFINE(1, true, p);
	if (strcmp(p, lw_cfg.data_dir) == 0)
		NT_ERR("refusing to remove the data dir itself");
	if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
		lua_pushboolean(L, 0);
		return 1;
	}
	lua_pushboolean(L,
	    nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == 0);
	return 1;
}

NT_FN(unlink)
{
	char p[PATH_MAX];
	struct stat st;
	NT_ARGS(1, 1);
	CONFINE(1, true, p);
	if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
		NT_ERR("%s is a directory", p);
	lua_pushboolean(L, unlink(p) == 0);
	return 1;
}

static int
dump(lua_State *L, const char *fn)
{
	char p[PATH_MAX], buf[65536];
	struct lw_vm *vm = lw_vm_of(L);
	nt_args(L, fn, 1, 1);
	nt_confine(L, fn, nt_str(L, 1, fn, "path", NULL), false, p, sizeof p);
	if (vm->resp == NULL)
		nt_error(L, fn, "no response to write to");
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		nt_error(L, fn, "cannot open %s: %s", p, strerror(errno));
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (!lw_buf_append(&vm->resp->body, buf, (size_t)n)) {
			close(fd);
			nt_error(L, fn, "response body too large");
		}
	close(fd);
	if (n < 0)
		nt_error(L, fn, "cannot read %s", p);
	return 0;
}

NT_FN(dumpFile) { return dump(L, __func__); }
NT_FN(dumpBinaryFile) { return dump(L, __func__); }

/* Names of the files in <data dir>/reports. */
NT_FN(listReports)
{
	char p[PATH_MAX + 16];
	DIR *d;
	struct dirent *e;
	int n = 0;
	NT_ARGS(0, 0);
	snprintf(p, sizeof p, "%s/reports", lw_cfg.data_dir);
	lua_newtable(L);
	if ((d = opendir(p)) == NULL)
		return 1;
	while ((e = readdir(d)) != NULL)
		if (e->d_type == DT_REG) {
			lua_pushstring(L, e->d_name);
			lua_rawseti(L, -2, ++n);
		}
	closedir(d);
	return 1;
}

/* Files 0600, directories 0700: readable by the service user only. */
NT_FN(setDefaultFilePermissions)
{
	char p[PATH_MAX];
	struct stat st;
	NT_ARGS(1, 1);
	CONFINE(1, true, p);
	if (lstat(p, &st) != 0)
		NT_ERR("%s: %s", p, strerror(errno));
	if (chmod(p, S_ISDIR(st.st_mode) ? DIR_MODE : FILE_MODE) != 0)
		NT_ERR("chmod %s: %s", p, strerror(errno));
	return 0;
}

static const luaL_Reg fns[] = {
	NT_ROW(isdir), NT_ROW(mkdir), NT_ROW(notEmptyFile), NT_ROW(exists),
	NT_ROW(fileLastChange), NT_ROW(readdir), NT_ROW(rmdir),
	NT_ROW(unlink), NT_ROW(dumpFile), NT_ROW(dumpBinaryFile),
	NT_ROW(listReports), NT_ROW(setDefaultFilePermissions),
	{NULL, NULL},
};

void
ntop_fs_register(lua_State *L)
{
	nt_register(L, fns);
}
