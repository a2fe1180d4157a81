/* See flow_risk.h. The names are ntopng's check keys for each nDPI 4.2
 * risk; the texts and scores come from nDPI itself. */
#include "flow_risk.h"

#include <ndpi_api.h>

static const struct {
	const char *name;
	int category;
} risks[] = {
	[NDPI_URL_POSSIBLE_XSS] = { "ndpi_url_possible_xss", FR_CAT_SECURITY },
	[NDPI_URL_POSSIBLE_SQL_INJECTION] = { "ndpi_url_possible_sql_injection",
	    FR_CAT_SECURITY },
	[NDPI_URL_POSSIBLE_RCE_INJECTION] = { "ndpi_url_possible_rce_injection",
	    FR_CAT_SECURITY },
	[NDPI_BINARY_APPLICATION_TRANSFER] = { "binary_application_transfer",
	    FR_CAT_SECURITY },
	[NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT] = {
	    "known_proto_on_non_std_port", FR_CAT_SECURITY },
	[NDPI_TLS_SELFSIGNED_CERTIFICATE] = { "tls_certificate_selfsigned",
	    FR_CAT_SECURITY },
	[NDPI_TLS_OBSOLETE_VERSION] = { "tls_old_protocol_version",
	    FR_CAT_SECURITY },
	[NDPI_TLS_WEAK_CIPHER] = { "tls_unsafe_ciphers", FR_CAT_SECURITY },
	[NDPI_TLS_CERTIFICATE_EXPIRED] = { "tls_certificate_expired",
	    FR_CAT_SECURITY },
	[NDPI_TLS_CERTIFICATE_MISMATCH] = { "tls_certificate_mismatch",
	    FR_CAT_SECURITY },
	[NDPI_HTTP_SUSPICIOUS_USER_AGENT] = { "ndpi_http_suspicious_user_agent",
	    FR_CAT_SECURITY },
	[NDPI_HTTP_NUMERIC_IP_HOST] = { "ndpi_http_numeric_ip_host",
	    FR_CAT_SECURITY },
	[NDPI_HTTP_SUSPICIOUS_URL] = { "ndpi_http_suspicious_url",
	    FR_CAT_SECURITY },
	[NDPI_HTTP_SUSPICIOUS_HEADER] = { "ndpi_http_suspicious_header",
	    FR_CAT_SECURITY },
	[NDPI_TLS_NOT_CARRYING_HTTPS] = { "ndpi_tls_not_carrying_https",
	    FR_CAT_SECURITY },
	[NDPI_SUSPICIOUS_DGA_DOMAIN] = { "ndpi_suspicious_dga_domain",
	    FR_CAT_SECURITY },
	[NDPI_MALFORMED_PACKET] = { "ndpi_malformed_packet", FR_CAT_SECURITY },
	[NDPI_SSH_OBSOLETE_CLIENT_VERSION_OR_CIPHER] = {
	    "ndpi_ssh_obsolete_client", FR_CAT_SECURITY },
	[NDPI_SSH_OBSOLETE_SERVER_VERSION_OR_CIPHER] = {
	    "ndpi_ssh_obsolete_server", FR_CAT_SECURITY },
	[NDPI_SMB_INSECURE_VERSION] = { "ndpi_smb_insecure_version",
	    FR_CAT_SECURITY },
	[NDPI_TLS_SUSPICIOUS_ESNI_USAGE] = { "ndpi_tls_suspicious_esni_usage",
	    FR_CAT_SECURITY },
	[NDPI_UNSAFE_PROTOCOL] = { "ndpi_unsafe_protocol", FR_CAT_SECURITY },
	[NDPI_DNS_SUSPICIOUS_TRAFFIC] = { "ndpi_dns_suspicious_traffic",
	    FR_CAT_SECURITY },
	[NDPI_TLS_MISSING_SNI] = { "ndpi_tls_missing_sni", FR_CAT_SECURITY },
	[NDPI_HTTP_SUSPICIOUS_CONTENT] = { "ndpi_http_suspicious_content",
	    FR_CAT_SECURITY },
	[NDPI_RISKY_ASN] = { "ndpi_risky_asn", FR_CAT_OTHER },
	[NDPI_RISKY_DOMAIN] = { "ndpi_risky_domain", FR_CAT_OTHER },
	[NDPI_MALICIOUS_JA3] = { "ndpi_malicious_ja3", FR_CAT_OTHER },
	[NDPI_MALICIOUS_SHA1_CERTIFICATE] = { "ndpi_malicious_sha1_certificate",
	    FR_CAT_OTHER },
	[NDPI_DESKTOP_OR_FILE_SHARING_SESSION] = {
	    "ndpi_desktop_or_file_sharing_session", FR_CAT_OTHER },
	[NDPI_TLS_UNCOMMON_ALPN] = { "ndpi_tls_uncommon_alpn", FR_CAT_OTHER },
	[NDPI_TLS_CERT_VALIDITY_TOO_LONG] = { "ndpi_tls_cert_validity_too_long",
	    FR_CAT_SECURITY },
	[NDPI_TLS_SUSPICIOUS_EXTENSION] = { "ndpi_tls_suspicious_extension",
	    FR_CAT_OTHER },
	[NDPI_TLS_FATAL_ALERT] = { "ndpi_tls_fatal_alert", FR_CAT_OTHER },
	[NDPI_SUSPICIOUS_ENTROPY] = { "ndpi_suspicious_entropy", FR_CAT_OTHER },
	[NDPI_CLEAR_TEXT_CREDENTIALS] = { "ndpi_clear_text_credentials",
	    FR_CAT_SECURITY },
	[NDPI_DNS_LARGE_PACKET] = { "ndpi_dns_large_packet", FR_CAT_SECURITY },
	[NDPI_DNS_FRAGMENTED] = { "ndpi_dns_fragmented", FR_CAT_SECURITY },
	[NDPI_INVALID_CHARACTERS] = { "ndpi_invalid_characters",
	    FR_CAT_SECURITY },
	[NDPI_POSSIBLE_EXPLOIT] = { "ndpi_possible_exploit", FR_CAT_SECURITY },
	[NDPI_TLS_CERTIFICATE_ABOUT_TO_EXPIRE] = {
	    "ndpi_tls_certificate_about_to_expire", FR_CAT_SECURITY },
};

_Static_assert(sizeof risks / sizeof *risks == NDPI_MAX_RISK,
    "every nDPI risk has a name");

static bool
valid(int id)
{
	return id > 0 && id < NDPI_MAX_RISK && risks[id].name != NULL;
}

int
fr_max_risk(void)
{
	return NDPI_MAX_RISK - 1;
}

const char *
fr_alert_name(int id)
{
	return valid(id) ? risks[id].name : NULL;
}

const char *
fr_risk_str(int id)
{
	return valid(id) ? ndpi_risk2str((ndpi_risk_enum)id) : NULL;
}

int
fr_category(int id)
{
	return valid(id) ? risks[id].category : FR_CAT_OTHER;
}

uint16_t
fr_bitmap_score(uint64_t risk, uint16_t *cli, uint16_t *srv)
{
	uint16_t c = 0, s = 0, t;

	risk &= ((uint64_t)1 << NDPI_MAX_RISK) - 2; /* known risks only */
	t = risk ? ndpi_risk2score(risk, &c, &s) : 0;
	if (cli)
		*cli = c;
	if (srv)
		*srv = s;
	return t;
}

uint16_t
fr_risk_score(int id, uint16_t *cli, uint16_t *srv)
{
	if (!valid(id)) {
		if (cli)
			*cli = 0;
		if (srv)
			*srv = 0;
		return 0;
	}
	return fr_bitmap_score((uint64_t)1 << id, cli, srv);
}

int
fr_score_to_severity(int64_t s)
{
	return s < FR_SCORE_INFO ? FR_SEV_DEBUG :
	    s < FR_SCORE_NOTICE ? FR_SEV_INFO :
	    s < FR_SCORE_WARNING ? FR_SEV_NOTICE :
	    s < FR_SCORE_ERROR ? FR_SEV_WARNING :
	    s < FR_SCORE_SEVERE ? FR_SEV_ERROR : FR_SEV_CRITICAL;
}

int
fr_severity_to_score(int v)
{
	return v <= FR_SEV_INFO ? FR_SCORE_INFO :
	    v <= FR_SEV_NOTICE ? FR_SCORE_NOTICE :
	    v <= FR_SEV_WARNING ? FR_SCORE_WARNING :
	    v <= FR_SEV_ERROR ? FR_SCORE_ERROR : FR_SCORE_SEVERE;
}

int
fr_predominant(uint64_t risk)
{
	int best = 0;
	uint16_t best_score = 0;

	for (int id = 1; id < NDPI_MAX_RISK; id++) {
		if (!(risk & ((uint64_t)1 << id)))
			continue;
		uint16_t s = fr_risk_score(id, NULL, NULL);
		if (best == 0 || s > best_score) {
			best = id;
			best_score = s;
		}
	}
	return best;
}
