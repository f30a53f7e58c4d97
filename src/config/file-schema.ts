/**
 * The JSON config file of the original bridge (`WSMAN_BRIDGE_CONFIGPATH`), validated with zod. Keys the
 * original writes but never used are accepted and ignored; any other unknown key is an error.
 */
import { z } from 'zod';

const tlsFiles = z.strictObject({
  /** Path to the CA certificate (PEM). */
  ca: z.string().min(1),
  /** Path to the client certificate (PEM). */
  crt: z.string().min(1),
  /** Path to the client key (PEM). */
  key: z.string().min(1),
});

const admissionConstraint = z.union([
  z.strictObject({ type: z.literal('has-feature-preview') }),
  z.strictObject({ type: z.literal('has-permission'), permission: z.string().min(1) }),
]);

const staticCluster = z.looseObject({
  name: z.string().min(1).max(64),
  url: z.string().min(1),
  tls: tlsFiles.optional(),
  state: z.enum(['available', 'cordoned', 'draining']).default('available'),
  score: z.number().int().default(50),
  maxScore: z.number().int().default(100),
  govern: z.boolean().default(true),
  region: z.string().default(''),
  admissionConstraints: z.array(admissionConstraint).nullable().default([]),
});

const seconds = z.number().positive();

/** Schema of the config file. All keys are optional; defaults live in load-config.ts. */
export const configFileSchema = z.strictObject({
  installation: z.string().optional(),
  staticBridges: z.array(staticCluster).optional(),
  clusterService: z
    .strictObject({ host: z.string(), port: z.number().int().min(0).max(65535) })
    .partial()
    .optional(),
  wsClusterDBReconcileIntervalSeconds: seconds.optional(),
  controllerIntervalSeconds: seconds.optional(),
  controllerMaxDisconnectSeconds: seconds.optional(),
  clusterLeaseSeconds: seconds.optional(),
  maxBacklog: z.number().int().positive().optional(),
  maxInstances: z.number().int().positive().optional(),
  timeouts: z
    .strictObject({
      preparingPhaseSeconds: seconds,
      buildingPhaseSeconds: seconds,
      unknownPhaseSeconds: seconds,
      pendingPhaseSeconds: seconds,
      stoppingPhaseSeconds: seconds,
    })
    .partial()
    .optional(),
  redis: z.strictObject({ address: z.string().min(1) }).optional(),
  // Written by the original installer, never read by the original either.
  clusterSyncIntervalSeconds: z.number().optional(),
  emulatePreparingIntervalSeconds: z.number().optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
export type StaticClusterFileEntry = z.infer<typeof staticCluster>;
