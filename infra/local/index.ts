/**
 * The loopback data plane: real Kafka (KRaft, SASL/SCRAM over TLS, ACLs), Kafka Connect workers with
 * the Debezium plugins, and PostgreSQL 15, run as child processes on 127.0.0.1 for the e2e tests and
 * `npm start`. Every process is killed when the Node process ends; every wait is bounded.
 */
export * from "./artifacts";
export * from "./connect";
export * from "./java";
export * from "./kafka";
export * from "./kafka-admin";
export * from "./postgres";
export * from "./proc";
export * from "./tls";
export * from "./workspace";
