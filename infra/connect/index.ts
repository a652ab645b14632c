/**
 * The connector configuration engine: one pure module that produces every configuration the system
 * runs — for the Pulumi programs, the offline facility kit, the loopback data plane and `npm start`.
 *
 * | property | source |
 * |---|---|
 * | `topic.prefix`, `database.names`, `table.include.list`, `message.key.columns`, `snapshot.mode`, `heartbeat.interval.ms`, `topic.heartbeat.prefix`, `include.schema.changes`, `tombstones.on.delete` | Debezium SQL Server connector reference, "Connector properties" |
 * | `database.encrypt`, `database.trustServerCertificate`, `database.applicationName` | Debezium SQL Server reference, pass-through `database.*` driver properties (Microsoft JDBC driver) |
 * | `schema.history.internal`, `schema.history.internal.file.filename` | Debezium "Storage" (debezium-storage-file, `FileSchemaHistory`) |
 * | `plugin.name`, `slot.name`, `publication.name`, `publication.autocreate.mode`, `schema.include.list` | Debezium PostgreSQL connector reference (stand-in only) |
 * | `transforms.*.type=io.debezium.transforms.ExtractNewRecordState`, `delete.tombstone.handling.mode`, `add.fields` | Debezium "New Record State Extraction" SMT |
 * | `InsertField$Value`/`$Key` `static.field` (`!` = required), `static.value`; `RegexRouter` `regex`/`replacement` | Kafka Connect transforms reference |
 * | `topic.creation.enable`, `topic.creation.default.*` | Kafka Connect KIP-158 (worker + source connector configs) |
 * | `config.providers`, `DirectoryConfigProvider`, `allowed.paths` | Kafka KIP-297, KIP-632, KIP-993 |
 * | `offset.storage.file.filename`, `group.id`, `*.storage.topic`, `*.storage.replication.factor`, `listeners`, `plugin.path` | Kafka Connect worker configs |
 * | `security.protocol`, `sasl.mechanism`, `sasl.jaas.config` (ScramLoginModule), `compression.type`, `linger.ms`, `batch.size` | Kafka client configs |
 * | `insert.mode`, `primary.key.mode`, `delete.enabled`, `schema.evolution`, `quote.identifiers`, `collection.name.format`, `batch.size`, `use.time.zone`, `connection.url`/`username`/`password` | Debezium JDBC sink connector reference |
 * | `errors.tolerance`, `errors.deadletterqueue.*`, `errors.log.*`, `errors.retry.*` | Kafka Connect KIP-298 |
 */
export * from "./acl";
export * from "./names";
export * from "./properties";
export * from "./secrets";
export * from "./sink";
export * from "./source";
export * from "./topics";
export * from "./worker";
