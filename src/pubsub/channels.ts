/** Redis channel names, as the original bridge and its consumers use them. */
export const CHANNELS = {
  workspaceInstances: 'chan:workspace-instances',
  prebuilds: 'chan:prebuilds',
  headless: 'chan:headless',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];
