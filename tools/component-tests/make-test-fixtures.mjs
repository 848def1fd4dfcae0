// Regenerates tests/engine/component/fixtures.h: component binaries built with jco's wasm-tools
// (`parse` for component text, `componentEmbed` + `componentNew` for a core module made into a
// component the way the guest build does), embedded as byte arrays so the C++ tests need no
// Node at run time.
//
//   node tools/component-tests/make-test-fixtures.mjs
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(repoRoot, 'tests', 'engine', 'component', 'fixtures.h');

// A component importing a versioned WASI interface and exporting an interface with a resource,
// records, variants and the usual WIT shapes, lifted from a core module.
const interfacesWat = `
(component
  (import "wasi:clocks/monotonic-clock@0.2.11" (instance $clock
    (export "now" (func (result u64)))
  ))
  (core module $m
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "create") (param i32 i32) (result i32) i32.const 0)
    (func (export "count") (result i32) i32.const 0)
    (func (export "dtor") (param i32))
  )
  (core instance $i (instantiate $m))
  (core func $dtor (alias core export $i "dtor"))
  (type $session (resource (rep i32) (dtor (core func $dtor))))
  (type $agent' (record (field "name" string) (field "weight" f32)))
  (export $agent "agent" (type $agent'))
  (type $status' (variant (case "idle") (case "busy" u32)))
  (export $status "status" (type $status'))
  (type $out' (record (field "inner" string)))
  (export $out "out" (type $out'))
  (func $create (param "agents" (list $agent)) (result $out)
    (canon lift (core func $i "create") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func $count (result u32) (canon lift (core func $i "count")))
  (instance $ops
    (export "agent" (type $agent))
    (export "out" (type $out))
    (export "create-session" (func $create))
    (export "count" (func $count)))
  (export "lokust:session-vm/session-ops@0.1.0" (instance $ops))
  (export "session" (type $session))
)`;

// A core module with WIT embedded, turned into a component by componentNew.
const coreWat = `
(module
  (import "wasi:random/random@0.2.11" "get-random-u64" (func (result i64)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)
  (func (export "greet") (param i32 i32) (result i32) i32.const 16)
  (func (export "cabi_post_greet") (param i32))
)`;
const wit = `
package lokust:fixture;

world fixture {
  import wasi:random/random@0.2.11;
  export greet: func(name: string) -> string;
}

package wasi:random@0.2.11 {
  interface random {
    get-random-u64: func() -> u64;
  }
}
`;

function toHeader(name, bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push('    ' + Array.from(bytes.slice(i, i + 16), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ') + ',');
  }
  return `inline const unsigned char ${name}[] = {\n${lines.join('\n')}\n};\n`;
}

// wit-component's usual output: a core module importing wasi_snapshot_preview1, adapted to
// WASI 0.2 with jco's reactor adapter (nested core modules, shim/fixup instances, indirect
// tables, resources from wasi:io).
const adapterCoreWat = `
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)
  (func (export "run") (param i32 i32) (result i32) i32.const 16)
)`;
const adapterWit = `package lokust:t;
world w { export run: func(s: string) -> string; }`;

// Resources at instantiation (tests/engine/component/resource_instance_test.cpp): a guest-defined
// resource with a destructor, and a host resource imported from a versioned interface, used by
// exports that move own handles to and from the host, lend borrows, and misuse handles.
const resourcesWat = `
(component
  (import "test:host/things@0.2.3" (instance $host
    (export "thing" (type $thing (sub resource)))
    (export "[constructor]thing" (func (param "v" u32) (result (own $thing))))
    (export "[method]thing.get" (func (param "self" (borrow $thing)) (result u32)))
    (export "consume" (func (param "t" (own $thing)) (result u32)))
  ))
  (alias export $host "thing" (type $thing))
  (core func $thing-new (canon lower (func $host "[constructor]thing")))
  (core func $thing-get (canon lower (func $host "[method]thing.get")))
  (core func $consume (canon lower (func $host "consume")))
  (core func $thing-drop (canon resource.drop $thing))

  (core module $impl
    (global $last (mut i32) (i32.const -1))
    (func (export "dtor") (param i32) local.get 0 global.set $last)
    (func (export "last-dropped") (result i32) global.get $last))
  (core instance $impl (instantiate $impl))
  (type $r (resource (rep i32) (dtor (core func $impl "dtor"))))
  (core func $r-new (canon resource.new $r))
  (core func $r-rep (canon resource.rep $r))
  (core func $r-drop (canon resource.drop $r))

  (core module $m
    (import "host" "thing-new" (func $thing-new (param i32) (result i32)))
    (import "host" "thing-get" (func $thing-get (param i32) (result i32)))
    (import "host" "consume" (func $consume (param i32) (result i32)))
    (import "host" "thing-drop" (func $thing-drop (param i32)))
    (import "r" "new" (func $r-new (param i32) (result i32)))
    (import "r" "rep" (func $r-rep (param i32) (result i32)))
    (import "r" "drop" (func $r-drop (param i32)))
    ;; resource.new, resource.rep, resource.drop (which runs the dtor) in one call
    (func (export "roundtrip") (param i32) (result i32) (local $h i32) (local $rep i32)
      (local.set $h (call $r-new (local.get 0)))
      (local.set $rep (call $r-rep (local.get $h)))
      (call $r-drop (local.get $h))
      (local.get $rep))
    (func (export "make") (param i32) (result i32) (call $r-new (local.get 0)))
    ;; a borrow of its own resource arrives as the rep itself
    (func (export "peek") (param i32) (result i32) (local.get 0))
    ;; own from the host, borrow to the host, own back to the host
    (func (export "use-host") (param i32) (result i32) (local $h i32) (local $g i32)
      (local.set $h (call $thing-new (local.get 0)))
      (local.set $g (call $thing-get (local.get $h)))
      (i32.add (local.get $g) (call $consume (local.get $h))))
    (func (export "use-after-move") (param i32) (result i32) (local $h i32)
      (local.set $h (call $thing-new (local.get 0)))
      (drop (call $consume (local.get $h)))
      (call $thing-get (local.get $h)))
    (func (export "drop-host") (param i32)
      (call $thing-drop (call $thing-new (local.get 0))))
    (func (export "bad-drop") (call $thing-drop (i32.const 7)))
    (func (export "take") (param i32) (result i32) (local $g i32)
      (local.set $g (call $thing-get (local.get 0)))
      (call $thing-drop (local.get 0))
      (local.get $g))
    (func (export "borrow-kept") (param i32) (result i32) (call $thing-get (local.get 0)))
    (func (export "handles") (result i32) (local $a i32) (local $b i32)
      ;; two handles, then drop both: the guest table hands out fresh indices
      (local.set $a (call $thing-new (i32.const 1)))
      (local.set $b (call $thing-new (i32.const 2)))
      (call $thing-drop (local.get $a))
      (call $thing-drop (local.get $b))
      (i32.add (i32.mul (local.get $a) (i32.const 10)) (local.get $b)))
  )
  (core instance $m (instantiate $m
    (with "host" (instance
      (export "thing-new" (func $thing-new))
      (export "thing-get" (func $thing-get))
      (export "consume" (func $consume))
      (export "thing-drop" (func $thing-drop))))
    (with "r" (instance
      (export "new" (func $r-new))
      (export "rep" (func $r-rep))
      (export "drop" (func $r-drop))))))
  (export $rx "r" (type $r))
  (func (export "roundtrip") (param "v" u32) (result u32) (canon lift (core func $m "roundtrip")))
  (func (export "last-dropped") (result u32) (canon lift (core func $impl "last-dropped")))
  (func (export "make") (param "v" u32) (result (own $rx)) (canon lift (core func $m "make")))
  (func (export "peek") (param "b" (borrow $rx)) (result u32) (canon lift (core func $m "peek")))
  (func (export "use-host") (param "v" u32) (result u32) (canon lift (core func $m "use-host")))
  (func (export "use-after-move") (param "v" u32) (result u32)
    (canon lift (core func $m "use-after-move")))
  (func (export "drop-host") (param "v" u32) (canon lift (core func $m "drop-host")))
  (func (export "bad-drop") (canon lift (core func $m "bad-drop")))
  (func (export "take") (param "t" (own $thing)) (result u32) (canon lift (core func $m "take")))
  (func (export "borrow-ok") (param "t" (borrow $thing)) (result u32) (canon lift (core func $m "take")))
  (func (export "borrow-kept") (param "t" (borrow $thing)) (result u32)
    (canon lift (core func $m "borrow-kept")))
  (func (export "handles") (result u32) (canon lift (core func $m "handles")))
)`;

// A resource of one interface used by another (wasi:io/streams' stream-error carries an own
// wasi:io/error): the guest gets an own<error> inside a variant from a streams function and
// drops it, which must reach the host dtor of wasi:io/error's resource.
const crossWat = `
(component
  (import "test:io/error@0.2.3" (instance $err
    (export "error" (type (sub resource)))
  ))
  (alias export $err "error" (type $error))
  (import "test:io/streams@0.2.3" (instance $streams
    (export "error" (type $e (eq $error)))
    (type $se (variant (case "last-operation-failed" (own $e)) (case "closed")))
    (export "stream-error" (type $se' (eq $se)))
    (export "fail" (func (param "code" u32) (result (result (error $se')))))
  ))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $fail (canon lower (func $streams "fail") (memory (core memory $mem "mem"))))
  (core func $error-drop (canon resource.drop $error))
  (core module $m
    (import "mem" "mem" (memory 1))
    (import "streams" "fail" (func $fail (param i32 i32)))
    (import "error" "drop" (func $drop (param i32)))
    ;; result<_, stream-error> at 0: [is_err u8][case u8 at 4][handle i32 at 8]
    (func (export "run") (param i32) (result i32) (local $h i32)
      (call $fail (local.get 0) (i32.const 0))
      (if (i32.eqz (i32.load8_u (i32.const 0))) (then (return (i32.const -1))))
      (if (i32.ne (i32.load8_u (i32.const 4)) (i32.const 0)) (then (return (i32.const -2))))
      (local.set $h (i32.load (i32.const 8)))
      (call $drop (local.get $h))
      (local.get $h))
  )
  (core instance $m (instantiate $m
    (with "mem" (instance $mem))
    (with "streams" (instance (export "fail" (func $fail))))
    (with "error" (instance (export "drop" (func $error-drop))))))
  (func (export "run") (param "code" u32) (result u32) (canon lift (core func $m "run")))
)`;

const interfaces = await parse(interfacesWat);
const resources = await parse(resourcesWat);
const cross = await parse(crossWat);
const coreBytes = await parse(coreWat);
const embedded = await componentEmbed({ binary: coreBytes, witSource: wit, world: 'fixture' });
const made = await componentNew(embedded);

const reactorAdapter = fs.readFileSync(
  path.join(repoRoot, 'node_modules', '@bytecodealliance', 'jco', 'lib', 'wasi_snapshot_preview1.reactor.wasm'),
);
const adapted = await componentNew(
  await componentEmbed({ binary: await parse(adapterCoreWat), witSource: adapterWit, world: 'w' }),
  [['wasi_snapshot_preview1', reactorAdapter]],
);

let text = '// Generated by tools/component-tests/make-test-fixtures.mjs; do not edit.\n#pragma once\n\n';
text += 'namespace lokust::component::fixtures {\n\n';
text += toHeader('kInterfacesComponent', interfaces);
text += '\n' + toHeader('kComponentNewGreet', made);
text += '\n' + toHeader('kReactorAdapted', adapted);
text += '\n' + toHeader('kResourcesComponent', resources);
text += '\n' + toHeader('kCrossInterfaceResources', cross);
text += '\n}  // namespace lokust::component::fixtures\n';
fs.writeFileSync(out, text);
console.log(`wrote ${out} (${interfaces.length} + ${made.length} + ${adapted.length} + ${resources.length} bytes)`);
