// Builds verify.html: the verifier and the noble libraries bundled by esbuild
// into the page template, one self-contained file. Deterministic: CI rebuilds
// it and checks it equals the committed one.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

const out = await build({
  entryPoints: ['src/page.js'],
  bundle: true,
  format: 'iife',
  target: 'es2020',
  write: false,
  legalComments: 'inline',
  charset: 'utf8',
});
const js = out.outputFiles[0].text.replaceAll('</script', '<\\/script');
const page = readFileSync('src/verify.template.html', 'utf8').replace('/*__BUNDLE__*/', () => js);
writeFileSync('verify.html', page);
console.log(`verify.html: ${page.length} bytes`);
