/**
 * The SQL that prepares a facility's SQL Server for Debezium (pure): checks, CDC on the database and
 * on each captured table, the CDC retention, and the Debezium login's grants (DESIGN §4.10).
 */
import type { FacilityConfig } from "../config/facility";
import { SOURCE_SCHEMA } from "../connect";

/** Default CDC retention: 7 days. */
export const DEFAULT_CDC_RETENTION_MINUTES = 7 * 24 * 60;
/** Role that gates read access to the change tables (`@role_name` of sp_cdc_enable_table). */
export const CDC_GATING_ROLE = "clinicmaster_cdc_reader";
/** sqlcmd variable carrying the Debezium login's password (never written into the kit). */
export const PASSWORD_VARIABLE = "DEBEZIUM_PASSWORD";

/** Options of the preparation script. */
export interface PrepareSqlOptions {
  /**
   * How long SQL Server keeps change rows, in minutes. It must outlast the longest outage of the
   * facility's uplink or worker: rows cleaned up before Debezium read them are lost to the warehouse
   * and force a re-snapshot. @default 10080 (7 days)
   */
  retentionMinutes?: number;
}

const literal = (s: string) => `N'${s.replace(/'/g, "''")}'`;
const bracket = (s: string) => `[${s.replace(/]/g, "]]")}]`;

/**
 * `prepare-sqlserver.sql`: idempotent, run once by a sysadmin with sqlcmd (or SSMS in SQLCMD mode).
 * Tables come from facility:tables; an empty list enables CDC on every user table in `dbo`.
 */
export function prepareSqlServerSql(facility: FacilityConfig, opts: PrepareSqlOptions = {}): string {
  const retention = opts.retentionMinutes ?? DEFAULT_CDC_RETENTION_MINUTES;
  if (!Number.isInteger(retention) || retention < 60 || retention > 52_494_800) {
    throw new Error(
      `CDC retention ${retention} minutes is out of range (60–52494800; SQL Server's maximum is 100 years)`,
    );
  }
  const db = facility.sqlServer.database;
  const user = facility.sqlServer.user;
  const schema = SOURCE_SCHEMA;
  const enableOne = (table: string) =>
    [
      `IF OBJECT_ID(${literal(`${schema}.${table}`)}, N'U') IS NULL`,
      `  RAISERROR(N'Table ${schema}.${table} does not exist in ${db}: fix facility:tables in the stack file.', 16, 1);`,
      `ELSE IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE object_id = OBJECT_ID(${literal(`${schema}.${table}`)}) AND is_tracked_by_cdc = 1)`,
      `  EXEC sys.sp_cdc_enable_table @source_schema = ${literal(schema)}, @source_name = ${literal(table)}, @role_name = ${literal(CDC_GATING_ROLE)}, @supports_net_changes = 0;`,
    ].join("\n");
  const tables =
    facility.tables.length > 0
      ? [
          `-- Captured tables (facility:tables): ${facility.tables.join(", ")}.`,
          ...facility.tables.map(enableOne),
        ].join("\n")
      : [
          `-- Captured tables: every user table in ${schema} (facility:tables is empty). Tables created later need`,
          `-- this script run again: Debezium captures only tables that have CDC enabled.`,
          `DECLARE @table sysname;`,
          `DECLARE tables_cursor CURSOR LOCAL FAST_FORWARD FOR`,
          `  SELECT t.name FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id`,
          `  WHERE s.name = ${literal(schema)} AND t.is_ms_shipped = 0 AND t.is_tracked_by_cdc = 0 ORDER BY t.name;`,
          `OPEN tables_cursor;`,
          `FETCH NEXT FROM tables_cursor INTO @table;`,
          `WHILE @@FETCH_STATUS = 0`,
          `BEGIN`,
          `  PRINT N'Enabling CDC on ${schema}.' + @table;`,
          `  EXEC sys.sp_cdc_enable_table @source_schema = ${literal(schema)}, @source_name = @table, @role_name = ${literal(CDC_GATING_ROLE)}, @supports_net_changes = 0;`,
          `  FETCH NEXT FROM tables_cursor INTO @table;`,
          `END;`,
          `CLOSE tables_cursor;`,
          `DEALLOCATE tables_cursor;`,
        ].join("\n");

  return [
    `-- Prepares ${db} at ${facility.name} (${facility.dhis2Code}) for change data capture by Debezium.`,
    `-- Generated from facilities/Pulumi.${facility.slug}.yaml; safe to run again (every step checks first).`,
    `-- Run as a sysadmin, passing the Debezium login's password as a sqlcmd variable (it is not stored here):`,
    `--   sqlcmd -S ${facility.sqlServer.host},${facility.sqlServer.port} -U sa -b -i prepare-sqlserver.sql -v ${PASSWORD_VARIABLE}="<password>"`,
    `-- Use the same password as ./secrets/database-password of the kit.`,
    `SET NOCOUNT ON;`,
    `SET XACT_ABORT ON;`,
    `GO`,
    ``,
    `-- 1. Edition and SQL Server Agent. CDC capture and cleanup are Agent jobs; Express has no Agent.`,
    `IF CAST(SERVERPROPERTY('EngineEdition') AS int) = 4`,
    `  RAISERROR(N'This is SQL Server Express, which has no SQL Server Agent and cannot run CDC. Use Standard or Enterprise (2016 SP1 or later).', 20, 1) WITH LOG;`,
    `IF NOT EXISTS (SELECT 1 FROM sys.dm_exec_sessions WHERE program_name LIKE N'SQLAgent%')`,
    `  RAISERROR(N'SQL Server Agent is not running. Windows: start "SQL Server Agent" in services.msc and set it to Automatic. Linux: sudo /opt/mssql/bin/mssql-conf set sqlagent.enabled true && sudo systemctl restart mssql-server. Then run this script again.', 20, 1) WITH LOG;`,
    `GO`,
    ``,
    `-- 2. The Debezium login (SQL authentication).`,
    `USE [master];`,
    `IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = ${literal(user)})`,
    `  CREATE LOGIN ${bracket(user)} WITH PASSWORD = N'$(${PASSWORD_VARIABLE})', CHECK_POLICY = ON, DEFAULT_DATABASE = ${bracket(db)};`,
    `GO`,
    ``,
    `-- 3. CDC on the database.`,
    `USE ${bracket(db)};`,
    `IF (SELECT is_cdc_enabled FROM sys.databases WHERE name = DB_NAME()) = 0`,
    `  EXEC sys.sp_cdc_enable_db;`,
    `GO`,
    ``,
    `-- 4. The database user, the gating role of the change tables, and read access.`,
    `IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = ${literal(user)})`,
    `  CREATE USER ${bracket(user)} FOR LOGIN ${bracket(user)};`,
    `IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = ${literal(CDC_GATING_ROLE)} AND type = 'R')`,
    `  CREATE ROLE ${bracket(CDC_GATING_ROLE)};`,
    `IF IS_ROLEMEMBER(${literal(CDC_GATING_ROLE)}, ${literal(user)}) = 0`,
    `  ALTER ROLE ${bracket(CDC_GATING_ROLE)} ADD MEMBER ${bracket(user)};`,
    `-- Snapshots read the source tables; streaming reads the change tables and CDC functions in schema cdc.`,
    `GRANT SELECT ON SCHEMA::${bracket(schema)} TO ${bracket(user)};`,
    `GRANT SELECT ON SCHEMA::[cdc] TO ${bracket(user)};`,
    `GRANT VIEW DATABASE STATE TO ${bracket(user)};`,
    `GO`,
    ``,
    `-- 5. CDC on each captured table.`,
    tables,
    `GO`,
    ``,
    `-- 6. CDC retention: ${retention} minutes (${(retention / 1440).toFixed(1).replace(/\.0$/, "")} days). It must outlast the longest`,
    `--    outage of this facility (uplink, tunnel or worker down): change rows older than this are deleted by`,
    `--    the cleanup job, and if Debezium had not read them the warehouse misses those changes until a`,
    `--    re-snapshot. Raise it (and check disk space for the change tables) if outages can last longer.`,
    `IF EXISTS (SELECT 1 FROM msdb.dbo.cdc_jobs WHERE database_id = DB_ID() AND job_type = N'cleanup')`,
    `  EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = ${retention};`,
    `ELSE`,
    `  RAISERROR(N'The CDC cleanup job of ${db} is missing: is SQL Server Agent running?', 16, 1);`,
    `GO`,
    ``,
    `-- 7. What is captured now.`,
    `SELECT s.name AS [schema], t.name AS [table], t.is_tracked_by_cdc AS [cdc]`,
    `FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id`,
    `WHERE s.name = ${literal(schema)} AND t.is_ms_shipped = 0 ORDER BY t.name;`,
    `EXEC sys.sp_cdc_help_jobs;`,
    `GO`,
    ``,
  ].join("\n");
}
