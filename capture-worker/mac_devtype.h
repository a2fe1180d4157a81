/* Device types of MAC addresses (ntop.setMacDeviceType), with ntopng's
 * DeviceType ids (0 unknown, 1 printer, 2 video, 3 workstation,
 * 4 laptop, 5 tablet, 6 phone, 7 tv, 8 networking, 9 wifi, 10 nas,
 * 11 multimedia, 12 iot). A type is kept for a MAC whether or not it was
 * seen (ntopng applies it when the MAC appears); type 0 removes it.
 * Under the interface lock. */
#ifndef NETWARD_CAPTURE_MAC_DEVTYPE_H
#define NETWARD_CAPTURE_MAC_DEVTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEVTYPE_MAX 12	       /* device_iot */
#define DEVTYPE_ENTRIES 65536  /* MACs with a type */

/* false when the table is full (or out of memory). */
bool dt_set(const uint8_t mac[6], uint8_t type);
uint8_t dt_get(const uint8_t mac[6]);
size_t dt_count(void);
/* Entry i (0..dt_count()-1), in MAC order. */
void dt_at(size_t i, uint8_t mac[6], uint8_t *type);
void dt_clear(void);

#endif
