// Bundles the collaboration page's script with esbuild and writes the licence notices of
// the packages inside it.
//
//   node build-page.mjs [output folder]      (default: deployments/web/static)
//
// `make page` runs it. A test rebuilds into a temporary folder and compares the result with
// the committed files, so the bundle cannot drift from its sources.
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const interop = dirname(fileURLToPath(import.meta.url))
const repository = resolve(interop, '..', '..')
const output = resolve(process.argv[2] ?? join(repository, 'deployments', 'web', 'static'))

const result = await esbuild.build({
  absWorkingDir: repository,
  entryPoints: ['deployments/web/src/editor.js'],
  outfile: join(output, 'editor.js'),
  nodePaths: [join(interop, 'node_modules')],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  banner: { js: '// Enhanced PMR collaboration page. Bundled packages and licences: THIRD-PARTY-NOTICES.txt' },
  metafile: true,
  logLevel: 'warning'
})

const packages = new Set()
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)
  if (match) packages.add(match[1])
}

const notices = [
  'The collaboration page script (editor.js) bundles these packages from the npm registry.',
  'Their licences follow.',
  ''
]
for (const name of [...packages].sort()) {
  const folder = join(interop, 'node_modules', name)
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
  const licenceFile = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license'].map((file) => join(folder, file)).find(existsSync)
  if (!licenceFile) throw new Error(`${name} ships no licence file; add its notice by hand`)
  notices.push('='.repeat(72), `${name} ${manifest.version} (${manifest.license})`, '='.repeat(72), '')
  notices.push(readFileSync(licenceFile, 'utf8').trim(), '')
}
writeFileSync(join(output, 'THIRD-PARTY-NOTICES.txt'), notices.join('\n'))
console.log(JSON.stringify({ output, packages: [...packages].sort() }))
