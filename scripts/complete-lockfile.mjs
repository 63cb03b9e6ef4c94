// Run after changing dependencies: node scripts/complete-lockfile.mjs
// The registry mirror here serves only linux-x64 builds, so npm cannot record the other
// platforms' optional packages and `npm ci` then reports them "Missing". Record them with
// their platform fields (derived from the package names) so npm skips them by platform.
import { readFileSync, writeFileSync } from 'node:fs';
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pk = lock.packages;
let added = 0;
const OS = ['android', 'darwin', 'win32', 'freebsd', 'linux', 'openbsd', 'sunos', 'aix', 'netbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'riscv64', 's390x', 'ppc64', 'loong64'];
for (const [, meta] of Object.entries(pk)) {
  for (const [name, ver] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pk[key]) continue;
    const base = name.split('/').pop();
    const os = OS.find((o) => base.includes(o));
    const cpu = CPU.find((c) => new RegExp(`(^|-)${c}(-|$)`).test(base));
    if (!os || !cpu) { console.log('cannot derive platform for', name); continue; }
    const entry = { version: ver, cpu: [cpu] };
    if (meta.dev) entry.dev = true;
    if (base.includes('musl')) entry.libc = ['musl'];
    else if (base.includes('gnu') && os === 'linux') entry.libc = ['glibc'];
    entry.optional = true;
    entry.os = [os];
    pk[key] = entry;
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log('added', added);
