/* --dump-flows: every flow as one TSV row in the column order of the
 * oracle files (shared/pcaps/oracle, one .flows.tsv per capture). */
#ifndef NETWARD_CAPTURE_DUMP_H
#define NETWARD_CAPTURE_DUMP_H

#include "iface.h"

#include <stdio.h>

void dump_flows_tsv(struct iface *ifc, FILE *out);

#endif
