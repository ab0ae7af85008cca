import type { Policy } from '@mailshield/proto/policy';

/** The settings that only seed an empty store, as the environment gave them. */
export interface SeedSettings {
  relayDomains: string[] | undefined;
  trustedNetworks: string[] | undefined;
  queueMode: Policy['queueMode'] | undefined;
}

/**
 * Names the seed variables that were set but differ from the stored policy. They only apply to
 * an empty store, so an administrator who sets them on a later start must hear that they did
 * nothing.
 */
export function ignoredSeedVariables(seed: SeedSettings, stored: Policy): string[] {
  const ignored: string[] = [];
  if (seed.relayDomains !== undefined && !sameList(seed.relayDomains, stored.relayDomains))
    ignored.push('MAILSHIELD_RELAY_DOMAINS');
  if (seed.trustedNetworks !== undefined && !sameList(seed.trustedNetworks, stored.trustedNetworks))
    ignored.push('MAILSHIELD_TRUSTED_NETWORKS');
  if (seed.queueMode !== undefined && seed.queueMode !== stored.queueMode)
    ignored.push('MAILSHIELD_QUEUE_MODE');
  return ignored;
}

function sameList(seed: string[], stored: string[]): boolean {
  const normalize = (items: string[]) => items.map((item) => item.toLowerCase()).sort();
  return JSON.stringify(normalize(seed)) === JSON.stringify(normalize(stored));
}
