/**
 * Container registries, the resource of the Gcore dialect: a directory with an
 * integer id inside a (project, region) namespace of a tenant. Pure.
 */
export interface Registry {
  readonly id: number;
  readonly projectId: number;
  readonly regionId: number;
  readonly directoryId: string;
  readonly name: string;
  readonly storageLimit: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The namespace registries live in: a tenant's (project, region). */
export interface RegistryScope {
  readonly tenantId: string;
  readonly projectId: number;
  readonly regionId: number;
}
