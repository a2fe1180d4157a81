/* pcap_loop: the read limit. Reads a capture with pcap_next_ex() and
 * touches nothing but the header, then prints "packets seconds pps". */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timespec t0, t1;
	uint64_t n = 0, bytes = 0;
	pcap_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_loop FILE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = pcap_open_offline(argv[1], err);
	if (p == NULL) {
		fprintf(stderr, "pcap_loop: %s\n", err);
		return 1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		n++;
		bytes += h->len;
	}
	pcap_close(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%llu %.6f %.0f %llu\n", (unsigned long long)n, s,
	    s > 0 ? (double)n / s : 0, (unsigned long long)bytes);
	return 0;
}
