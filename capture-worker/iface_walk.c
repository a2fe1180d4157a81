/* Long reads of the interface state in slices (see iface.h): an RPC that
 * reads every flow or host takes the iface lock for IFACE_SLICE entries at
 * a time and lets the capture thread in between, so packet processing
 * never waits for more than one slice of a listing.
 *
 * A pthread mutex is not fair: a thread that unlocks and locks again at
 * once usually gets it back before a woken waiter runs. So the capture
 * thread says when it waits (capture_waiting) and counts its turns
 * (capture_turns); a walk that sees it waiting after a slice yields the
 * CPU until the capture thread has had its turn. The capture thread does
 * the opposite of yielding: a walk waits for it, never the reverse (a
 * short RPC is let in after a batch: iface_yield_to_rpc). */
#include "iface.h"

#include <sched.h>

/* Yields at most this many times for one hand-off: the capture thread
 * may be descheduled on a loaded machine, and a walk must still end. */
#define PAUSE_MAX_YIELDS 64

void
iface_lock_capture(struct iface *ifc)
{
	atomic_store_explicit(&ifc->capture_waiting, true,
	    memory_order_relaxed);
	pthread_mutex_lock(&ifc->lock);
	atomic_store_explicit(&ifc->capture_waiting, false,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&ifc->capture_turns, 1,
	    memory_order_release);
}

void
iface_lock_rpc(struct iface *ifc)
{
	atomic_fetch_add_explicit(&ifc->rpc_waiting, 1, memory_order_relaxed);
	pthread_mutex_lock(&ifc->lock);
	atomic_fetch_sub_explicit(&ifc->rpc_waiting, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ifc->rpc_turns, 1, memory_order_release);
}

/* The one exception to "the capture thread never waits": a short RPC
 * (a dashboard's getStats) holds the lock for microseconds, and without
 * this it could wait for the capture thread's whole file, unlock after
 * unlock (measured: getStats during ingestion p50 26-133 us, max 1 s). */
void
iface_yield_to_rpc(struct iface *ifc)
{
	if (atomic_load_explicit(&ifc->rpc_waiting, memory_order_relaxed)
	    == 0)
		return;
	unsigned long turns = atomic_load_explicit(&ifc->rpc_turns,
	    memory_order_acquire);
	for (int i = 0; i < PAUSE_MAX_YIELDS &&
	     atomic_load_explicit(&ifc->rpc_turns, memory_order_acquire) ==
		 turns &&
	     atomic_load_explicit(&ifc->rpc_waiting, memory_order_relaxed) > 0;
	     i++)
		sched_yield();
}

void
iface_pause(struct iface *ifc)
{
	unsigned long turns = atomic_load_explicit(&ifc->capture_turns,
	    memory_order_acquire);
	bool waiting = atomic_load_explicit(&ifc->capture_waiting,
	    memory_order_relaxed);

	pthread_mutex_unlock(&ifc->lock);
	for (int i = 0; waiting && i < PAUSE_MAX_YIELDS &&
	     atomic_load_explicit(&ifc->capture_turns,
		 memory_order_acquire) == turns; i++)
		sched_yield();
	pthread_mutex_lock(&ifc->lock);
}

void
iface_walk_flows(struct iface *ifc, void (*fn)(struct flow *, void *),
    void *arg)
{
	struct ft_cursor cur;

	pthread_mutex_lock(&ifc->lock);
	ft_cursor_init(&ifc->flows, &cur);
	while (ft_walk_slice(&ifc->flows, &cur, IFACE_SLICE, fn, arg))
		iface_pause(ifc);
	pthread_mutex_unlock(&ifc->lock);
}

void
iface_walk_hosts(struct iface *ifc, void (*fn)(struct host *, void *),
    void *arg)
{
	struct ht_cursor cur;

	pthread_mutex_lock(&ifc->lock);
	ht_cursor_init(&ifc->hosts, &cur);
	while (ht_walk_slice(&ifc->hosts, &cur, IFACE_SLICE, fn, arg))
		iface_pause(ifc);
	pthread_mutex_unlock(&ifc->lock);
}
