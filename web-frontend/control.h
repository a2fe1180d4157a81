/* control.c: the supervisor's control socket of the frontend. */
#ifndef NETWARD_WEB_CONTROL_H
#define NETWARD_WEB_CONTROL_H

/* listen opens the socket; serve, once sandboxed, answers on it */
int web_control_listen(const char *url);
void web_control_serve(void);
void web_control_stop(void);
/* Called by the event loop at every turn; "ping" fails when it stops. */
void web_control_tick(void);

#endif
