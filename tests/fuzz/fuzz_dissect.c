/* libFuzzer target: the packet dissector, on every link type it knows.
 * Input: a big-endian DLT value (2 bytes; one the dissector does not know
 * is folded onto one it does) and the captured frame. */
#include "dissect.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int dlts[64];
static int n_dlts;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi;
	enum dis_reason why;

	if (n_dlts == 0)
		for (int d = 0; d < 512 && n_dlts < 64; d++)
			if (dissect_link_supported(d))
				dlts[n_dlts++] = d;
	if (size < 2 || n_dlts == 0)
		return 0;
	int dlt = data[0] << 8 | data[1];
	if (!dissect_link_supported(dlt))
		dlt = dlts[dlt % n_dlts];
	enum dis_result r = dissect_frame(dlt, data + 2, (uint32_t)(size - 2),
	    &pi, &why);
	if (r == DIS_IP && pi.l3 != NULL) {
		/* what the dissector hands on must lie inside the frame */
		if (pi.l3 < data + 2 || pi.l3 + pi.l3_len > data + size)
			__builtin_trap();
	}
	return 0;
}
