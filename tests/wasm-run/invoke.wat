;; A reactor component for wasm-run --invoke: no imports, functions exported at the top level
;; and through an interface instance. realloc is a bump allocator (nothing is ever freed).
(component
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local i32)
      (local.set 4 (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
      (global.set $bump (i32.add (local.get 4) (local.get 3)))
      (local.get 4))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    ;; string -> string: the result is the argument, through a return area at 16.
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      (i32.const 16))
    ;; list<s32> -> s32: the sum.
    (func (export "sum") (param i32 i32) (result i32) (local i32)
      (block $done
        (loop $next
          (br_if $done (i32.eqz (local.get 1)))
          (local.set 2 (i32.add (local.get 2) (i32.load (local.get 0))))
          (local.set 0 (i32.add (local.get 0) (i32.const 4)))
          (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
          (br $next)))
      (local.get 2))
    (func (export "fail") unreachable))
  (core instance $i (instantiate $m))
  (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func $echo (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func $sum (param "xs" (list s32)) (result s32)
    (canon lift (core func $i "sum") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func $fail (canon lift (core func $i "fail")))
  (export "add" (func $add))
  (export "fail" (func $fail))
  (instance $ops (export "echo" (func $echo)) (export "sum" (func $sum)))
  (export "lokust:wasm-run-test/ops" (instance $ops)))
