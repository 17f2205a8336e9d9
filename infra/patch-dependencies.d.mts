// Types of patch-dependencies.mjs, which stays plain JavaScript for the bootstrap's old Node.
/** Applies the fixes to installed dependencies; returns the files it changed. */
export function patchDependencies(): string[];
