/** Redis channel names, as the original bridge and its consumers use them. */
export const CHANNELS = {
  workspaceInstances: 'chan:workspace-instances',
  prebuilds: 'chan:prebuilds',
  headless: 'chan:headless',
  /** Lifecycle events (`workspace_running`, `workspace_stopped`); the original sent these to analytics. */
  workspaceLifecycle: 'chan:workspace-lifecycle',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];
