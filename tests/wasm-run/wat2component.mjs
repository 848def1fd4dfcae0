// Component text -> binary with the wasm-tools jco ships (the build's only component-text
// assembler): node wat2component.mjs IN.wat OUT.wasm
import { readFile, writeFile } from 'node:fs/promises';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';

const [input, output] = process.argv.slice(2);
await writeFile(output, await parse(await readFile(input, 'utf8')));
