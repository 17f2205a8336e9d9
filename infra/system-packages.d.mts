// Types of system-packages.mjs, which stays plain JavaScript for the bootstrap's old Node.
export interface SystemPackage {
  readonly name: string;
  readonly commands: readonly string[];
  readonly why: string;
}

export type InstallPlan =
  | { readonly action: 'none' | 'install'; readonly missing: readonly string[] }
  | { readonly action: 'advise'; readonly missing: readonly string[]; readonly line: string };

export function packagesFor(listFile: string, command: string): SystemPackage[];
export function dpkgInstalled(names: readonly string[]): Map<string, boolean> | null;
export function installPlan(
  packages: readonly SystemPackage[],
  facts: {
    readonly lookup?: (names: readonly string[]) => Map<string, boolean> | null;
    readonly isRoot: boolean;
    readonly hasApt: boolean;
  },
): InstallPlan;
export function machine(): { isRoot: boolean; hasApt: boolean };
export function aptInstall(missing: readonly string[]): Promise<void>;
