import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { WAREHOUSE_ROLES } from "../connect/names";

/** Arguments of {@link WarehouseObjects}. */
export interface WarehouseObjectsArgs {
  /** PostgreSQL provider logged in as a role that may create databases and roles (RDS master, or the local superuser). */
  provider: postgresql.Provider;
  /** Warehouse database name. */
  databaseName: string;
  /** Password of the sink login. @default generated (32 characters) */
  sinkPassword?: pulumi.Input<string>;
  /** Password of the reporting login. @default generated (32 characters) */
  reportingPassword?: pulumi.Input<string>;
  /** Connections the sink login may hold (one per sink task, plus headroom). @default 20 */
  sinkConnectionLimit?: number;
}

/** The schema the sink writes to (DESIGN §4.4). */
export const WAREHOUSE_SCHEMA = "public";

/**
 * Objects inside the warehouse, through an explicit PostgreSQL provider, so the same component runs
 * against RDS and against a loopback PostgreSQL:
 * - the database;
 * - the sink login (`clinicmaster_sink`): CONNECT, and USAGE + CREATE on `public`, so the JDBC sink
 *   creates and evolves its tables — it owns what it creates;
 * - the read-only group role (`clinicmaster_readonly`, no login): CONNECT, USAGE, SELECT on the
 *   tables that exist now, and `ALTER DEFAULT PRIVILEGES FOR ROLE clinicmaster_sink IN SCHEMA public
 *   GRANT SELECT ON TABLES`, so every table the sink creates later is readable without another
 *   `pulumi up`;
 * - a reporting login (`clinicmaster_reporting`) that inherits the read-only role.
 */
export class WarehouseObjects extends pulumi.ComponentResource {
  /** Database name. */
  readonly databaseName: pulumi.Output<string>;
  /** Sink login name. */
  readonly sinkRole: string;
  /** Sink login password (secret). */
  readonly sinkPassword: pulumi.Output<string>;
  /** Read-only group role name. */
  readonly readonlyRole: string;
  /** Reporting login name. */
  readonly reportingRole: string;
  /** Reporting login password (secret). */
  readonly reportingPassword: pulumi.Output<string>;

  constructor(name: string, args: WarehouseObjectsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:WarehouseObjects", name, {}, opts);
    const p = { parent: this, provider: args.provider };
    const password = (key: string, given: pulumi.Input<string> | undefined) =>
      given !== undefined
        ? pulumi.secret(given)
        : pulumi.secret(
            new random.RandomPassword(
              `${name}-${key}-password`,
              { length: 32, special: false },
              { parent: this },
            ).result,
          );
    this.sinkPassword = password("sink", args.sinkPassword);
    this.reportingPassword = password("reporting", args.reportingPassword);

    const db = new postgresql.Database(
      name,
      { name: args.databaseName, encoding: "UTF8", allowConnections: true },
      p,
    );
    const readonly = new postgresql.Role(
      `${name}-readonly`,
      { name: WAREHOUSE_ROLES.readonly, login: false, inherit: true },
      p,
    );
    const sink = new postgresql.Role(
      `${name}-sink`,
      {
        name: WAREHOUSE_ROLES.sink,
        login: true,
        password: this.sinkPassword,
        connectionLimit: args.sinkConnectionLimit ?? 20,
        createDatabase: false,
        createRole: false,
        superuser: false,
      },
      p,
    );
    new postgresql.Role(
      `${name}-reporting`,
      {
        name: WAREHOUSE_ROLES.reporting,
        login: true,
        password: this.reportingPassword,
        roles: [readonly.name],
        inherit: true,
        createDatabase: false,
        createRole: false,
        superuser: false,
      },
      p,
    );
    const grant = (
      key: string,
      role: postgresql.Role,
      objectType: string,
      privileges: string[],
      schema?: string,
    ) =>
      new postgresql.Grant(
        `${name}-${key}`,
        {
          database: db.name,
          role: role.name,
          objectType,
          privileges,
          ...(schema ? { schema } : {}),
          ...(objectType === "table" ? { objects: [] } : {}),
        },
        p,
      );
    grant("sink-connect", sink, "database", ["CONNECT", "TEMPORARY"]);
    const sinkSchema = grant("sink-schema", sink, "schema", ["CREATE", "USAGE"], WAREHOUSE_SCHEMA);
    grant("readonly-connect", readonly, "database", ["CONNECT"]);
    grant("readonly-schema", readonly, "schema", ["USAGE"], WAREHOUSE_SCHEMA);
    grant("readonly-tables", readonly, "table", ["SELECT"], WAREHOUSE_SCHEMA);
    new postgresql.DefaultPrivileges(
      `${name}-readonly-future-tables`,
      {
        database: db.name,
        owner: sink.name,
        role: readonly.name,
        schema: WAREHOUSE_SCHEMA,
        objectType: "table",
        privileges: ["SELECT"],
      },
      { ...p, dependsOn: [sinkSchema] },
    );
    this.databaseName = db.name;
    this.sinkRole = WAREHOUSE_ROLES.sink;
    this.readonlyRole = WAREHOUSE_ROLES.readonly;
    this.reportingRole = WAREHOUSE_ROLES.reporting;
    this.registerOutputs({
      databaseName: this.databaseName,
      sinkRole: this.sinkRole,
      readonlyRole: this.readonlyRole,
    });
  }
}
