;; A component importing an interface no host defines: --invoke must fail to link, naming it.
(component
  (import "lokust:wasm-run-test/missing" (instance $m (export "f" (func (result u32)))))
  (alias export $m "f" (func $f))
  (export "g" (func $f)))
