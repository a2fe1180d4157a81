/* libFuzzer target: request paths to the script that serves them
 * (lua-worker/script_path.c). The tree is made once: two endpoints, a
 * module, a directory named like a script, a file beside the tree, and
 * symlinks out of the tree, into the modules and to an endpoint. Whatever
 * the path, an answer is one of the two endpoints, never anything else. */
#define _GNU_SOURCE
#include "lw.h"

#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct lw_config lw_cfg;
static char endpoint[2][PATH_MAX];
static char base[PATH_MAX];

static int
remove_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
remove_tree(void)
{
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
must(int ok)
{
	if (!ok)
		abort();
}

static void
put(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	must(f != NULL);
	fputs("print('x')\n", f);
	fclose(f);
}

static void
make_tree(void)
{
	char tmpl[PATH_MAX], p[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	snprintf(tmpl, sizeof tmpl, "%s/nw-fuzz-scripts-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	must(mkdtemp(tmpl) != NULL && realpath(tmpl, base) != NULL);
	atexit(remove_tree);
	snprintf(lw_cfg.scripts_dir, sizeof lw_cfg.scripts_dir, "%s/lua", base);
	snprintf(lw_cfg.modules_dir, sizeof lw_cfg.modules_dir, "%s/modules",
	    lw_cfg.scripts_dir);
	const char *dirs[] = {"", "/modules", "/rest", "/rest/v2",
		"/rest/v2/get", "/d.lua"};
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(p, sizeof p, "%s%s", lw_cfg.scripts_dir, dirs[i]);
		must(mkdir(p, 0700) == 0);
	}
	put(lw_cfg.scripts_dir, "index.lua");
	put(lw_cfg.scripts_dir, "rest/v2/get/data.lua");
	put(lw_cfg.scripts_dir, "modules/m.lua");
	put(base, "outside.lua");
	const char *links[][2] = {{"../outside.lua", "out.lua"},
		{"modules/m.lua", "mod.lua"}, {"index.lua", "same.lua"},
		{"/etc/passwd", "rest/passwd.lua"}, {"..", "up.lua"}};
	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		snprintf(p, sizeof p, "%s/%s", lw_cfg.scripts_dir, links[i][1]);
		must(symlink(links[i][0], p) == 0);
	}
	snprintf(endpoint[0], PATH_MAX, "%s/index.lua", lw_cfg.scripts_dir);
	snprintf(endpoint[1], PATH_MAX, "%s/rest/v2/get/data.lua",
	    lw_cfg.scripts_dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[1024], out[PATH_MAX];
	if (lw_cfg.scripts_dir[0] == '\0')
		make_tree();
	if (size >= sizeof path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (lw_resolve_script(path, out, sizeof out) &&
	    strcmp(out, endpoint[0]) != 0 && strcmp(out, endpoint[1]) != 0)
		__builtin_trap(); /* a file that is not an endpoint */
	return 0;
}
