/* Dropping every capability once the capture handles are open. */
#ifndef NETWARD_CAPTURE_PRIVS_H
#define NETWARD_CAPTURE_PRIVS_H

/* Clears the ambient, bounding, inheritable, permitted and effective
 * sets and sets no_new_privs. Returns 0, or -1 with errno. */
int privs_drop_all(void);

#endif
