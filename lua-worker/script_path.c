/* The URL path of a request to the script that serves it: /lua/<rel>.lua
 * maps to <scripts dir>/<rel>.lua, a regular file inside the tree after
 * every symlink is followed, and not a module (modules are not
 * endpoints). Anything else is not found. Fuzzed by
 * tests/fuzz/fuzz_script_path.c. */
#include "lw.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool
lw_resolve_script(const char *urlpath, char *out, size_t outsize)
{
	char cand[PATH_MAX], real[PATH_MAX];
	size_t n = strlen(urlpath);
	size_t slen = strlen(lw_cfg.scripts_dir);
	size_t mlen = strlen(lw_cfg.modules_dir);
	struct stat st;

	if (strncmp(urlpath, "/lua/", 5) != 0 || n < 10 || n > 512 ||
	    strcmp(urlpath + n - 4, ".lua") != 0)
		return false;
	const char *rel = urlpath + 5;
	for (const char *p = rel; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.' || c == '/';
		if (!ok)
			return false;
	}
	if (strstr(rel, "..") != NULL || strstr(rel, "//") != NULL ||
	    rel[0] == '/')
		return false;
	if (snprintf(cand, sizeof cand, "%s/%s", lw_cfg.scripts_dir, rel) >=
	    (int)sizeof cand)
		return false;
	if (realpath(cand, real) == NULL)
		return false;
	/* inside the tree, and not a module (modules are not endpoints) */
	if (strncmp(real, lw_cfg.scripts_dir, slen) != 0 || real[slen] != '/')
		return false;
	if (strncmp(real, lw_cfg.modules_dir, mlen) == 0 && real[mlen] == '/')
		return false;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	if (strlen(real) >= outsize)
		return false;
	strcpy(out, real);
	return true;
}
