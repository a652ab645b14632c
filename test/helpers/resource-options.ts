/**
 * Records the resource options (protect, retainOnDelete, ignoreChanges, …) and provider of every
 * registration the mock monitor receives. The mocks' `newResource` sees inputs only; these options
 * are what keeps the cluster and the database from being replaced or deleted, so tests assert them.
 */
/** Options of one registered resource, as the engine would receive them. */
export interface RecordedOptions {
  type: string;
  name: string;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  /** Provider reference `urn::id`, empty for default providers. */
  provider: string;
  dependencies: string[];
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getProvider(): string;
  getDependenciesList(): string[];
}

interface Monitor {
  registerResource(req: RegisterRequest, callback: unknown): unknown;
}

/** Every registration since `recordOptions()`, in order. */
export const recordedOptions: RecordedOptions[] = [];

/**
 * Wraps the current mock monitor (call right after `setupMocks()`, with the same `@pulumi/pulumi`
 * instance the program uses).
 */
export function recordOptions(): void {
  recordedOptions.length = 0;
  // The settings module is not part of the public surface; this is test-only introspection.
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): Monitor };
  const monitor = settings.getMonitor();
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, callback: unknown) => {
    recordedOptions.push({
      type: req.getType(),
      name: req.getName(),
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
      provider: req.getProvider(),
      dependencies: req.getDependenciesList(),
    });
    return original(req, callback);
  };
}

/** The options of the one resource with this type and name. */
export function optionsOf(type: string, name: string): RecordedOptions {
  const hits = recordedOptions.filter((o) => o.type === type && o.name === name);
  if (hits.length !== 1)
    throw new Error(`expected one ${type} named ${name} in recorded options, found ${hits.length}`);
  return hits[0];
}
