/** TCP ports the platform opens. Pure. */

/** MSK SASL/SCRAM over TLS (DESIGN §4.7: 9096 on MSK; 9093 is not an MSK port). */
export const KAFKA_SCRAM_PORT = 9096;

/** PostgreSQL. */
export const POSTGRES_PORT = 5432;

/** HTTPS (container registries, AWS APIs). */
export const HTTPS_PORT = 443;
