;; The data segment is written, then the start function traps.
(module
  (import "host" "mem" (memory 1))
  (data (i32.const 0) "\2a")
  (func $start (unreachable))
  (start $start))
