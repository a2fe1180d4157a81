/* Capability drop; see privs.h. Like tcpdump after opening its handle,
 * the worker keeps no capability: reopening an interface is a restart by
 * the supervisor. The bounding set goes first, because dropping from it
 * needs CAP_SETPCAP, which the last step removes. */
#include "privs.h"

#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int
privs_drop_all(void)
{
	cap_t none;
	int rc;

	if (cap_reset_ambient() != 0 && errno != EINVAL)
		return -1;
	if (CAP_IS_SUPPORTED(CAP_SETPCAP)) {
		cap_t cur = cap_get_proc();
		cap_flag_value_t have = CAP_CLEAR;
		if (cur) {
			cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &have);
			cap_free(cur);
		}
		/* without CAP_SETPCAP the bound cannot shrink, but then an
		 * unprivileged worker has nothing in it to use either */
		for (cap_value_t v = 0; have == CAP_SET && v <= CAP_LAST_CAP;
		     v++)
			if (CAP_IS_SUPPORTED(v) && cap_drop_bound(v) != 0)
				return -1;
	}
	none = cap_init();
	if (none == NULL)
		return -1;
	rc = cap_set_proc(none);
	cap_free(none);
	if (rc != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return -1;
	log_debug("all capabilities dropped");
	return 0;
}
