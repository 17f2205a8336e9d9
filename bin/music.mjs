#!/usr/bin/env node
// The `music` command. npm and npx put the project's pinned Node 24 first on PATH; it runs the
// TypeScript sources directly.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `music: needs Node 24 (this is ${process.version}); run it as \`npx music\` after \`npm start\` or \`npm ci\`\n`,
  );
  process.exit(2);
}
process.removeAllListeners('warning');
await import('../src/apps/cli/main.ts');
