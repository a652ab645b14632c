/** Tags every AWS resource of the platform carries. Pure. */

/** Data classification of everything the platform stores or moves: patient records. */
export const DATA_CLASSIFICATION = "restricted-health-data";

/** Project tag value shared by platform and facility stacks. */
export const PROJECT_TAG = "clinicmaster";

/**
 * Tags for one platform stack. The policy pack requires `DataClassification`; `Environment` lets
 * cost and access reports separate dev from prod.
 */
export function platformTags(environment: string): Record<string, string> {
  return {
    Project: PROJECT_TAG,
    Environment: environment,
    DataClassification: DATA_CLASSIFICATION,
    Stack: "platform",
  };
}
