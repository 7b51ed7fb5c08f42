//! A hostile script driven into the broker core, invariants checked after
//! every event. See `workshop_fuzz::router`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    workshop_fuzz::router::run(data);
});
